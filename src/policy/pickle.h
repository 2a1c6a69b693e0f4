// A small Python pickle virtual machine: enough of protocols 2-5 to read PyTorch state
// dicts (`torch.save(module.state_dict())`, as written by Stable-Baselines3 into policy.pth)
// and the cloudpickled numpy arrays / gymnasium spaces of an SB3 `data` file.
//
// It never imports or calls anything: a GLOBAL becomes a kGlobal object, REDUCE/NEWOBJ an opaque
// kObject {callable, args}, BUILD records the state on it. Callers interpret the resulting
// object graph, optionally through hooks (persistent ids, known reducers such as
// torch._utils._rebuild_tensor_v2). `collections.OrderedDict()` becomes a plain kDict
// (LibTorch's own unpickler turns it into None, which is why we need this file; see
// ../shared/notes/cpp-stack.md §2(e)).
//
// Source: the pickle opcode table of CPython's Lib/pickletools.py (protocols 0-5).
// Supported: PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE BININT BININT1
// BININT2 LONG1 LONG4 (up to 64 bits) BINFLOAT BINUNICODE SHORT_BINUNICODE BINUNICODE8
// BINSTRING SHORT_BINSTRING BINBYTES SHORT_BINBYTES BINBYTES8 BYTEARRAY8 EMPTY_TUPLE TUPLE
// TUPLE1-3 EMPTY_LIST LIST APPEND APPENDS EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS
// FROZENSET GLOBAL STACK_GLOBAL REDUCE NEWOBJ NEWOBJ_EX BUILD BINPERSID PUT BINPUT LONG_BINPUT
// MEMOIZE BINGET LONG_BINGET. Everything else (the protocol-0 text opcodes, INST, OBJ, EXT*,
// out-of-band buffers) is refused with kUnsupportedPickle naming the opcode and its offset.
//
// Robustness: any byte string is safe to feed (bounds-checked reads, typed errors, no
// recursion; objects live in a flat arena, so deep nesting cannot overflow the stack).
// Threading: an Unpickler is single-threaded; the objects it returns live as long as it does.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/error.h"

namespace kalshiflow::policy::pickle {

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,  // str (UTF-8 bytes as written)
  kBytes,   // bytes, bytearray, or a protocol-2 BINSTRING
  kTuple,
  kList,
  kSet,        // set or frozenset
  kDict,       // dict or collections.OrderedDict; items alternate key, value
  kGlobal,     // a class or function reference: module + name
  kObject,     // the result of REDUCE/NEWOBJ: callable(*args), plus the state of BUILD
  kExtension,  // created by a hook; `ext_tag` and `int_value` are the hook's own
};

/// One Python value. Containers hold pointers into the owning Unpickler's arena.
struct Object {
  Kind kind = Kind::kNone;
  bool bool_value = false;
  int64_t int_value = 0;  // kInt; kExtension: the hook's index
  double float_value = 0;
  std::string text;            // kString, kBytes
  std::string module;          // kGlobal
  std::string name;            // kGlobal
  std::vector<Object*> items;  // kTuple/kList/kSet elements; kDict: key0, value0, key1, ...
  Object* callable = nullptr;  // kObject
  Object* args = nullptr;      // kObject (a kTuple)
  Object* state = nullptr;     // kObject: the last BUILD state
  int ext_tag = 0;             // kExtension

  bool Is(Kind k) const { return kind == k; }
  bool IsGlobal(std::string_view mod, std::string_view nm) const {
    return kind == Kind::kGlobal && module == mod && name == nm;
  }
  /// kDict: the value for a str key, or nullptr.
  const Object* Get(std::string_view key) const;
  /// A short description for error messages: "tuple of 3", "global torch.FloatStorage".
  std::string Describe() const;
};

class Unpickler {
 public:
  /// Called on BINPERSID with the persistent id; returns the object to push.
  using PersistentLoad = std::function<PolicyResult<Object*>(Unpickler&, Object* pid)>;
  /// Called on REDUCE when the callable is a kGlobal. Returns the object to push, or nullptr
  /// for the default (collections.OrderedDict() → kDict, anything else → opaque kObject).
  using Reduce =
      std::function<PolicyResult<Object*>(Unpickler&, const Object& callable, Object* args)>;

  struct Hooks {
    PersistentLoad persistent_load;  // unset: BINPERSID is an error
    Reduce reduce;                   // unset: always the default
  };

  explicit Unpickler(Hooks hooks = {}) : hooks_(std::move(hooks)) {}
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  /// Runs the pickle in `bytes` until STOP and returns the top of the stack. Errors:
  /// kTruncated (ends before STOP or inside an argument), kUnsupportedPickle, kBadPickle, or
  /// whatever a hook returns. May be called once per Unpickler.
  PolicyResult<Object*> Load(std::string_view bytes);

  /// A new object in this unpickler's arena (for hooks).
  Object* New(Kind kind);

 private:
  Hooks hooks_;
  std::deque<Object> arena_;
  std::unordered_map<uint64_t, Object*> memo_;
};

}  // namespace kalshiflow::policy::pickle
