// The pickle VM on pickles written by CPython 3.11's pickle module (hex below, generated with
// pickle.dumps; the source objects are in the comments), on hand-assembled malformed input, and
// on every truncation / many corruptions of a real torch data.pkl.
#include "policy/pickle.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/tests/test_util.h"
#include "policy/zip_archive.h"

namespace kalshiflow::policy::pickle {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// pickle.dumps(OrderedDict([("a", 1), ("b", (2.5, -3, "x", None, True)),
//     ("c", [1, 2, 300, -70000, 2**40, -2**40, 255, 65535])]), protocol=2)
constexpr std::string_view kOrderedDictP2 =
    "800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000006171024b0158"
    "01000000627103284740040000000000004afdffffff58010000007871044e8874710558010000006371065d71"
    "07284b014b024d2c014a90eefeff8a060000000000018a060000000000ff4bff4dffff65752e";

// lst = [7]; pickle.dumps({"s": {1, 2}, "f": frozenset([3]), "b": b"\x00\x01",
//     "ba": bytearray(b"xyz"), "shared": lst, "again": lst, "t": (False,)}, protocol=5)
constexpr std::string_view kDictP5 =
    "80059554000000000000007d94288c0173948f94284b014b02908c016694284b0391948c01629443020001948c"
    "0262619496030000000000000078797a948c06736861726564945d944b07618c05616761696e94680a8c017494"
    "898594752e";

// class Point: x = 1; y = "two" (instance attributes), defined in __main__;
// pickle.dumps(Point(), protocol=2)
constexpr std::string_view kObjectP2 =
    "8002635f5f6d61696e5f5f0a506f696e740a7100298171017d71022858010000007871034b0158010000007971"
    "04580300000074776f710575622e";

TEST(PickleTest, ProtocolTwoOrderedDict) {
  Unpickler u;
  const std::string bytes = FromHex(kOrderedDictP2);
  auto r = u.Load(bytes);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Object* d = *r;
  ASSERT_EQ(d->kind, Kind::kDict);  // OrderedDict() becomes a plain dict
  ASSERT_EQ(d->items.size(), 6u);
  EXPECT_EQ(d->Get("a")->int_value, 1);
  const Object* b = d->Get("b");
  ASSERT_EQ(b->kind, Kind::kTuple);
  ASSERT_EQ(b->items.size(), 5u);
  EXPECT_EQ(b->items[0]->float_value, 2.5);
  EXPECT_EQ(b->items[1]->int_value, -3);
  EXPECT_EQ(b->items[2]->text, "x");
  EXPECT_EQ(b->items[3]->kind, Kind::kNone);
  EXPECT_TRUE(b->items[4]->bool_value);
  const Object* c = d->Get("c");
  ASSERT_EQ(c->kind, Kind::kList);
  std::vector<int64_t> ints;
  for (const Object* o : c->items) ints.push_back(o->int_value);
  EXPECT_EQ(ints, (std::vector<int64_t>{1, 2, 300, -70000, int64_t{1} << 40, -(int64_t{1} << 40),
                                        255, 65535}));
  EXPECT_EQ(d->Get("missing"), nullptr);
}

TEST(PickleTest, ProtocolFiveSetsBytesAndSharedReferences) {
  Unpickler u;
  const std::string bytes = FromHex(kDictP5);
  auto r = u.Load(bytes);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Object* d = *r;
  ASSERT_EQ(d->kind, Kind::kDict);
  ASSERT_EQ(d->Get("s")->kind, Kind::kSet);
  EXPECT_EQ(d->Get("s")->items.size(), 2u);
  ASSERT_EQ(d->Get("f")->kind, Kind::kSet);
  EXPECT_EQ(d->Get("f")->items[0]->int_value, 3);
  EXPECT_EQ(d->Get("b")->kind, Kind::kBytes);
  EXPECT_EQ(d->Get("b")->text, std::string("\x00\x01", 2));
  EXPECT_EQ(d->Get("ba")->text, "xyz");
  EXPECT_EQ(d->Get("shared"), d->Get("again"));  // the memo returns the same object
  EXPECT_EQ(d->Get("shared")->items[0]->int_value, 7);
  ASSERT_EQ(d->Get("t")->kind, Kind::kTuple);
  EXPECT_FALSE(d->Get("t")->items[0]->bool_value);
}

TEST(PickleTest, ObjectsKeepCallableArgsAndState) {
  Unpickler u;
  const std::string bytes = FromHex(kObjectP2);
  auto r = u.Load(bytes);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Object* o = *r;
  ASSERT_EQ(o->kind, Kind::kObject);
  EXPECT_TRUE(o->callable->IsGlobal("__main__", "Point"));
  EXPECT_TRUE(o->args->items.empty());
  ASSERT_NE(o->state, nullptr);
  EXPECT_EQ(o->state->Get("x")->int_value, 1);
  EXPECT_EQ(o->state->Get("y")->text, "two");
  EXPECT_EQ(o->Describe(), "object of __main__.Point");
}

TEST(PickleTest, HooksSeeReducesAndPersistentIds) {
  // Hand-assembled protocol 2: GLOBAL 'm f', MARK, BININT1 5, TUPLE, REDUCE, then
  // MARK, SHORT_BINUNICODE? (not protocol 2) → BINUNICODE 'k', TUPLE, BINPERSID, TUPLE2, STOP.
  const std::string bytes = std::string(
      "\x80\x02"
      "cm\nf\n"
      "(K\x05t"
      "R"
      "(X\x01\x00\x00\x00kt"
      "Q"
      "\x86.",
      23);
  std::vector<std::string> seen;
  Unpickler::Hooks hooks;
  hooks.reduce = [&](Unpickler& up, const Object& callable, Object* args) -> PolicyResult<Object*> {
    seen.push_back(
        fmt::format("reduce {}.{} {}", callable.module, callable.name, args->items[0]->int_value));
    Object* o = up.New(Kind::kInt);
    o->int_value = 10 * args->items[0]->int_value;
    return o;
  };
  hooks.persistent_load = [&](Unpickler& up, Object* pid) -> PolicyResult<Object*> {
    seen.push_back("pid " + pid->items[0]->text);
    Object* o = up.New(Kind::kString);
    o->text = "loaded";
    return o;
  };
  Unpickler u(std::move(hooks));
  auto r = u.Load(bytes);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(seen, (std::vector<std::string>{"reduce m.f 5", "pid k"}));
  ASSERT_EQ((*r)->kind, Kind::kTuple);
  EXPECT_EQ((*r)->items[0]->int_value, 50);
  EXPECT_EQ((*r)->items[1]->text, "loaded");
}

PolicyError LoadError(std::string_view bytes) {
  Unpickler u;
  auto r = u.Load(bytes);
  EXPECT_FALSE(r.ok());
  return r.ok() ? PolicyError{} : r.error();
}

TEST(PickleTest, UnsupportedOpcodesNameTheOpcodeAndOffset) {
  // INST ('i') at offset 2.
  const PolicyError e = LoadError(std::string_view("\x80\x02i__main__\nPoint\n.", 19));
  EXPECT_EQ(e.kind, PolicyErrorKind::kUnsupportedPickle);
  EXPECT_NE(e.detail.find("opcode 0x69 ('i') at offset 2"), std::string::npos) << e.detail;
  // The protocol-0 text INT opcode, and EXT1 (0x82).
  EXPECT_EQ(LoadError("I12\n.").kind, PolicyErrorKind::kUnsupportedPickle);
  EXPECT_EQ(LoadError(std::string_view("\x80\x02\x82\x01.", 5)).kind,
            PolicyErrorKind::kUnsupportedPickle);
  // An integer wider than 64 bits (LONG1 of 9 bytes).
  EXPECT_EQ(
      LoadError(std::string_view("\x80\x02\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01.", 14)).kind,
      PolicyErrorKind::kUnsupportedPickle);
  // A persistent id with no loader.
  EXPECT_EQ(LoadError(std::string_view("\x80\x02K\x01Q.", 6)).kind,
            PolicyErrorKind::kUnsupportedPickle);
}

TEST(PickleTest, MalformedPicklesAreBadPickle) {
  for (std::string_view bad : {
           std::string_view("\x80\x02."),                  // STOP on an empty stack
           std::string_view("\x80\x02t."),                 // TUPLE without MARK
           std::string_view("\x80\x02h\x05."),             // memo index 5 never set
           std::string_view("\x80\x02K\x01K\x02K\x03s."),  // SETITEM on an int
           std::string_view("\x80\x02]K\x01\x86\x61."),    // APPEND to a tuple
           std::string_view("\x80\x02K\x01R."),            // REDUCE with one item
           std::string_view("\x80\x02(K\x01K\x02K\x03"
                            "d."),  // DICT of three items
       }) {
    EXPECT_EQ(LoadError(bad).kind, PolicyErrorKind::kBadPickle) << ::testing::PrintToString(bad);
  }
}

TEST(PickleTest, EveryTruncationIsReported) {
  const std::string bytes = FromHex(kOrderedDictP2);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(LoadError(std::string_view(bytes).substr(0, n)).kind, PolicyErrorKind::kTruncated)
        << "length " << n;
  }
}

TEST(PickleTest, CorruptedRealStateDictNeverCrashes) {
  const std::string path = testing::Session32Path();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "real model not found: " << path;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto outer = ZipArchive::Open(ss.str(), path);
  ASSERT_TRUE(outer.ok()) << outer.error().ToString();
  auto pth = outer->Read("policy.pth");
  ASSERT_TRUE(pth.ok());
  auto inner = ZipArchive::Open(*pth, "policy.pth");
  ASSERT_TRUE(inner.ok());
  auto pkl = inner->Read("archive/data.pkl");
  ASSERT_TRUE(pkl.ok()) << pkl.error().ToString();
  // The intact pickle loads (storages are opaque here: a trivial persistent loader).
  Unpickler::Hooks hooks;
  hooks.persistent_load = [](Unpickler& u, Object*) -> PolicyResult<Object*> {
    return u.New(Kind::kNone);
  };
  {
    Unpickler u(hooks);
    auto r = u.Load(*pkl);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ((*r)->kind, Kind::kDict);
    EXPECT_EQ((*r)->items.size(), 2u * 12u);  // 12 parameters
  }
  // Every prefix, and every byte replaced by three different values: an error or a value,
  // never a crash (ASan/UBSan check the rest).
  int errors = 0;
  for (size_t n = 0; n < pkl->size(); ++n) {
    Unpickler u(hooks);
    errors += u.Load(std::string_view(*pkl).substr(0, n)).ok() ? 0 : 1;
  }
  EXPECT_EQ(errors, static_cast<int>(pkl->size()));
  for (size_t i = 0; i < pkl->size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
      std::string bad = *pkl;
      bad[i] = static_cast<char>(v);
      Unpickler u(hooks);
      (void)u.Load(bad);
    }
  }
}

}  // namespace
}  // namespace kalshiflow::policy::pickle
