#include "policy/pickle.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace kalshiflow::policy::pickle {
namespace {

// Opcodes (CPython Lib/pickletools.py).
enum Op : uint8_t {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNoneOp = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinString = 'T',
  kShortBinString = 'U',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobalOp = 'c',
  kDictOp = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kListOp = 'l',
  kEmptyList = ']',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTupleOp = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kProto = 0x80,
  kNewObj = 0x81,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSet = 0x91,
  kNewObjEx = 0x92,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
};

std::string OpName(uint8_t op) {
  if (op >= 0x20 && op < 0x7f) return fmt::format("0x{:02x} ('{}')", op, static_cast<char>(op));
  return fmt::format("0x{:02x}", op);
}

// Reads little-endian integers from a bounds-checked cursor.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= bytes_.size(); }
  bool Has(uint64_t n) const { return n <= bytes_.size() - pos_; }
  uint8_t U8() { return static_cast<uint8_t>(bytes_[pos_++]); }
  uint64_t UintLe(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view Take(uint64_t n) {
    std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A newline-terminated line (GLOBAL's arguments), without the newline; nullopt-like
  // empty + false when there is no newline.
  bool Line(std::string_view& out) {
    const size_t nl = bytes_.find('\n', pos_);
    if (nl == std::string_view::npos) return false;
    out = bytes_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return true;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

const Object* Object::Get(std::string_view key) const {
  if (kind != Kind::kDict) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i]->kind == Kind::kString && items[i]->text == key) return items[i + 1];
  }
  return nullptr;
}

std::string Object::Describe() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return bool_value ? "True" : "False";
    case Kind::kInt:
      return fmt::format("int {}", int_value);
    case Kind::kFloat:
      return fmt::format("float {}", float_value);
    case Kind::kString:
      return fmt::format("str '{}'", text.size() > 40 ? text.substr(0, 40) + "..." : text);
    case Kind::kBytes:
      return fmt::format("bytes of length {}", text.size());
    case Kind::kTuple:
      return fmt::format("tuple of {}", items.size());
    case Kind::kList:
      return fmt::format("list of {}", items.size());
    case Kind::kSet:
      return fmt::format("set of {}", items.size());
    case Kind::kDict:
      return fmt::format("dict of {}", items.size() / 2);
    case Kind::kGlobal:
      return fmt::format("global {}.{}", module, name);
    case Kind::kObject:
      return callable != nullptr && callable->kind == Kind::kGlobal
                 ? fmt::format("object of {}.{}", callable->module, callable->name)
                 : "object";
    case Kind::kExtension:
      return fmt::format("extension object {}", ext_tag);
  }
  return "?";
}

Object* Unpickler::New(Kind kind) {
  arena_.emplace_back();
  arena_.back().kind = kind;
  return &arena_.back();
}

PolicyResult<Object*> Unpickler::Load(std::string_view bytes) {
  Reader in(bytes);
  std::vector<Object*> stack;
  std::vector<size_t> marks;  // stack sizes at each MARK
  size_t op_offset = 0;
  uint8_t op = 0;

  auto bad = [&](std::string what) {
    return PolicyErr(PolicyErrorKind::kBadPickle,
                     fmt::format("{} at opcode {} at offset {}", what, OpName(op), op_offset));
  };
  auto truncated = [&]() {
    return PolicyErr(
        PolicyErrorKind::kTruncated,
        fmt::format("pickle ends inside opcode {} at offset {}", OpName(op), op_offset));
  };
  // Pops the items above the topmost mark (the mark itself is consumed).
  auto pop_mark = [&](std::vector<Object*>& out) -> bool {
    if (marks.empty()) return false;
    const size_t m = marks.back();
    marks.pop_back();
    if (m > stack.size()) return false;
    out.assign(stack.begin() + static_cast<std::ptrdiff_t>(m), stack.end());
    stack.resize(m);
    return true;
  };
  // The number of items above the topmost mark (or the whole stack when no mark is open).
  auto floor = [&]() -> size_t { return marks.empty() ? 0 : marks.back(); };
  auto pop = [&]() -> Object* {
    Object* o = stack.back();
    stack.pop_back();
    return o;
  };
  auto make_string = [&](Kind kind, std::string_view s) {
    Object* o = New(kind);
    o->text.assign(s.data(), s.size());
    stack.push_back(o);
  };
  auto make_global = [&](std::string_view module, std::string_view name) {
    Object* o = New(Kind::kGlobal);
    o->module.assign(module);
    o->name.assign(name);
    stack.push_back(o);
  };
  // REDUCE/NEWOBJ: callable(*args) → hook, OrderedDict(), or an opaque object.
  auto reduce = [&](Object* callable, Object* args) -> PolicyResult<Object*> {
    if (callable->kind == Kind::kGlobal) {
      if (hooks_.reduce) {
        auto r = hooks_.reduce(*this, *callable, args);
        if (!r.ok()) return r;
        if (*r != nullptr) return r;
      }
      if (callable->IsGlobal("collections", "OrderedDict") && args->items.empty()) {
        return New(Kind::kDict);
      }
    }
    Object* o = New(Kind::kObject);
    o->callable = callable;
    o->args = args;
    return o;
  };

  while (true) {
    if (in.AtEnd()) {
      return PolicyErr(PolicyErrorKind::kTruncated,
                       fmt::format("pickle ends at offset {} without STOP", in.pos()));
    }
    op_offset = in.pos();
    op = in.U8();
    switch (op) {
      case kProto:
        if (!in.Has(1)) return truncated();
        if (in.U8() > 5) return bad("protocol above 5");
        break;
      case kFrame:
        if (!in.Has(8)) return truncated();
        in.UintLe(8);  // frames only group opcodes; the length is advisory for us
        break;
      case kStop:
        if (stack.empty()) return bad("STOP on an empty stack");
        return stack.back();
      case kMark:
        marks.push_back(stack.size());
        break;
      case kPop:
        if (stack.size() <= floor()) {
          // POP with nothing above the mark pops the mark itself (CPython semantics).
          if (!marks.empty() && marks.back() == stack.size()) {
            marks.pop_back();
            break;
          }
          return bad("stack underflow");
        }
        stack.pop_back();
        break;
      case kPopMark: {
        std::vector<Object*> dropped;
        if (!pop_mark(dropped)) return bad("POP_MARK without MARK");
        break;
      }
      case kDup:
        if (stack.size() <= floor()) return bad("stack underflow");
        stack.push_back(stack.back());
        break;
      case kNoneOp:
        stack.push_back(New(Kind::kNone));
        break;
      case kNewTrue:
      case kNewFalse: {
        Object* o = New(Kind::kBool);
        o->bool_value = op == kNewTrue;
        stack.push_back(o);
        break;
      }
      case kBinInt:
      case kBinInt1:
      case kBinInt2: {
        const int n = op == kBinInt ? 4 : op == kBinInt1 ? 1 : 2;
        if (!in.Has(n)) return truncated();
        const uint64_t raw = in.UintLe(n);
        Object* o = New(Kind::kInt);
        o->int_value = op == kBinInt ? static_cast<int64_t>(static_cast<int32_t>(raw))
                                     : static_cast<int64_t>(raw);
        stack.push_back(o);
        break;
      }
      case kLong1:
      case kLong4: {
        const int len_bytes = op == kLong1 ? 1 : 4;
        if (!in.Has(len_bytes)) return truncated();
        const uint64_t n = in.UintLe(len_bytes);
        if (n > 8) {
          return PolicyErr(
              PolicyErrorKind::kUnsupportedPickle,
              fmt::format("integer of {} bytes (wider than 64 bits) at offset {}", n, op_offset));
        }
        if (!in.Has(n)) return truncated();
        uint64_t raw = in.UintLe(static_cast<int>(n));
        if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);  // sign
        Object* o = New(Kind::kInt);
        o->int_value = static_cast<int64_t>(raw);
        stack.push_back(o);
        break;
      }
      case kBinFloat: {
        if (!in.Has(8)) return truncated();
        uint64_t raw = 0;
        for (int i = 0; i < 8; ++i) raw = (raw << 8) | in.U8();  // big-endian
        Object* o = New(Kind::kFloat);
        o->float_value = std::bit_cast<double>(raw);
        stack.push_back(o);
        break;
      }
      case kBinUnicode:
      case kShortBinUnicode:
      case kBinUnicode8:
      case kBinString:
      case kShortBinString:
      case kBinBytes:
      case kShortBinBytes:
      case kBinBytes8:
      case kByteArray8: {
        const int len_bytes =
            (op == kShortBinUnicode || op == kShortBinString || op == kShortBinBytes) ? 1
            : (op == kBinUnicode8 || op == kBinBytes8 || op == kByteArray8)           ? 8
                                                                                      : 4;
        if (!in.Has(len_bytes)) return truncated();
        const uint64_t n = in.UintLe(len_bytes);
        if (!in.Has(n)) return truncated();
        const bool is_str = op == kBinUnicode || op == kShortBinUnicode || op == kBinUnicode8;
        make_string(is_str ? Kind::kString : Kind::kBytes, in.Take(n));
        break;
      }
      case kEmptyTuple:
        stack.push_back(New(Kind::kTuple));
        break;
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t n = op - kTuple1 + 1;
        if (stack.size() < floor() + n) return bad("stack underflow");
        Object* t = New(Kind::kTuple);
        t->items.assign(stack.end() - static_cast<std::ptrdiff_t>(n), stack.end());
        stack.resize(stack.size() - n);
        stack.push_back(t);
        break;
      }
      case kTupleOp:
      case kListOp:
      case kFrozenSet: {
        std::vector<Object*> items;
        if (!pop_mark(items)) return bad("missing MARK");
        Object* t = New(op == kTupleOp ? Kind::kTuple : op == kListOp ? Kind::kList : Kind::kSet);
        t->items = std::move(items);
        stack.push_back(t);
        break;
      }
      case kEmptyList:
        stack.push_back(New(Kind::kList));
        break;
      case kEmptyDict:
        stack.push_back(New(Kind::kDict));
        break;
      case kEmptySet:
        stack.push_back(New(Kind::kSet));
        break;
      case kDictOp: {
        std::vector<Object*> items;
        if (!pop_mark(items)) return bad("missing MARK");
        if (items.size() % 2 != 0) return bad("odd number of items for DICT");
        Object* d = New(Kind::kDict);
        d->items = std::move(items);
        stack.push_back(d);
        break;
      }
      case kAppend: {
        if (stack.size() < floor() + 2) return bad("stack underflow");
        Object* value = pop();
        Object* list = stack.back();
        if (list->kind != Kind::kList) return bad("APPEND to " + list->Describe());
        list->items.push_back(value);
        break;
      }
      case kAppends:
      case kAddItems: {
        std::vector<Object*> items;
        if (!pop_mark(items)) return bad("missing MARK");
        if (stack.size() <= floor()) return bad("stack underflow");
        Object* target = stack.back();
        const Kind want = op == kAppends ? Kind::kList : Kind::kSet;
        if (target->kind != want) return bad("APPENDS/ADDITEMS to " + target->Describe());
        target->items.insert(target->items.end(), items.begin(), items.end());
        break;
      }
      case kSetItem: {
        if (stack.size() < floor() + 3) return bad("stack underflow");
        Object* value = pop();
        Object* key = pop();
        Object* dict = stack.back();
        if (dict->kind != Kind::kDict) return bad("SETITEM on " + dict->Describe());
        dict->items.push_back(key);
        dict->items.push_back(value);
        break;
      }
      case kSetItems: {
        std::vector<Object*> items;
        if (!pop_mark(items)) return bad("missing MARK");
        if (items.size() % 2 != 0) return bad("odd number of items for SETITEMS");
        if (stack.size() <= floor()) return bad("stack underflow");
        Object* dict = stack.back();
        if (dict->kind != Kind::kDict) return bad("SETITEMS on " + dict->Describe());
        dict->items.insert(dict->items.end(), items.begin(), items.end());
        break;
      }
      case kGlobalOp: {
        std::string_view module, name;
        if (!in.Line(module) || !in.Line(name)) return truncated();
        make_global(module, name);
        break;
      }
      case kStackGlobal: {
        if (stack.size() < floor() + 2) return bad("stack underflow");
        Object* name = pop();
        Object* module = pop();
        if (module->kind != Kind::kString || name->kind != Kind::kString) {
          return bad("STACK_GLOBAL needs two str");
        }
        make_global(module->text, name->text);
        break;
      }
      case kReduce:
      case kNewObj: {
        if (stack.size() < floor() + 2) return bad("stack underflow");
        Object* args = pop();
        Object* callable = pop();
        if (args->kind != Kind::kTuple) return bad("arguments are " + args->Describe());
        auto r = reduce(callable, args);
        if (!r.ok()) return r;
        stack.push_back(*r);
        break;
      }
      case kNewObjEx: {
        if (stack.size() < floor() + 3) return bad("stack underflow");
        pop();  // kwargs: not used by anything we interpret
        Object* args = pop();
        Object* cls = pop();
        if (args->kind != Kind::kTuple) return bad("arguments are " + args->Describe());
        Object* o = New(Kind::kObject);
        o->callable = cls;
        o->args = args;
        stack.push_back(o);
        break;
      }
      case kBuild: {
        if (stack.size() < floor() + 2) return bad("stack underflow");
        Object* state = pop();
        Object* target = stack.back();
        // A dict (OrderedDict) target: torch's `_metadata` attribute, dropped. An object
        // keeps its latest state. Anything else has no state to set.
        if (target->kind == Kind::kObject) {
          target->state = state;
        } else if (target->kind != Kind::kDict && target->kind != Kind::kExtension) {
          return bad("BUILD on " + target->Describe());
        }
        break;
      }
      case kBinPersId: {
        if (stack.size() <= floor()) return bad("stack underflow");
        Object* pid = pop();
        if (!hooks_.persistent_load) {
          return PolicyErr(PolicyErrorKind::kUnsupportedPickle,
                           fmt::format("persistent id at offset {} with no loader", op_offset));
        }
        auto r = hooks_.persistent_load(*this, pid);
        if (!r.ok()) return r;
        stack.push_back(*r);
        break;
      }
      case kBinPut:
      case kLongBinPut:
      case kMemoize: {
        uint64_t index = memo_.size();
        if (op != kMemoize) {
          const int n = op == kBinPut ? 1 : 4;
          if (!in.Has(n)) return truncated();
          index = in.UintLe(n);
        }
        if (stack.size() <= floor()) return bad("stack underflow");
        memo_[index] = stack.back();
        break;
      }
      case kBinGet:
      case kLongBinGet: {
        const int n = op == kBinGet ? 1 : 4;
        if (!in.Has(n)) return truncated();
        const uint64_t index = in.UintLe(n);
        auto it = memo_.find(index);
        if (it == memo_.end()) return bad(fmt::format("memo index {} not set", index));
        stack.push_back(it->second);
        break;
      }
      default:
        return PolicyErr(
            PolicyErrorKind::kUnsupportedPickle,
            fmt::format("unsupported pickle opcode {} at offset {}", OpName(op), op_offset));
    }
  }
}

}  // namespace kalshiflow::policy::pickle
