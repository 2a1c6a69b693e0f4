// The checkpoint file format: its documented byte layout, round trips, atomic saves, and the
// typed errors of damaged files.
#include "policy/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "policy/tests/test_util.h"

namespace kalshiflow::policy {
namespace {

uint64_t Le(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
void PutLe(std::string& s, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint32_t ZlibCrc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// Rebuilds a file around a new JSON header (and the old data section), following the
// documented layout independently of the writer: prefix, header, zero pad to 64, data, CRC.
std::string Reframe(const std::string& file, const std::string& header_json) {
  const uint64_t header_len = Le(file, 12, 4);
  const uint64_t data_len = Le(file, 16, 8);
  const uint64_t data_start = (24 + header_len + 63) / 64 * 64;
  const std::string data = file.substr(data_start, data_len);
  std::string out = file.substr(0, 24);
  PutLe(out, 12, header_json.size(), 4);
  out += header_json;
  out.resize((out.size() + 63) / 64 * 64, '\0');
  out += data;
  const uint32_t crc = ZlibCrc(out);
  out.resize(out.size() + 4);
  PutLe(out, out.size() - 4, crc, 4);
  return out;
}

nlohmann::json HeaderOf(const std::string& file) {
  return nlohmann::json::parse(file.substr(24, Le(file, 12, 4)));
}

Checkpoint SampleCheckpoint(int actions = 5) {
  CheckpointMetadata meta;
  meta.observation_spec = "kalshiflow-v1";
  meta.action_space = "discrete-" + std::to_string(actions);
  meta.algorithm = "PPO";
  meta.hyperparameters = {{"learning_rate", 3e-4}, {"gamma", 0.99}, {"n_steps", 2048}};
  meta.extra = {{"source", "test"}, {"seed", 42}};
  return MakeCheckpoint(testing::RandomPolicy(3, 52, {64, 64}, actions), meta);
}

PolicyErrorKind ParseKind(std::string_view bytes) {
  auto r = ParseCheckpoint(bytes);
  EXPECT_FALSE(r.ok());
  return r.ok() ? PolicyErrorKind::kIo : r.error().kind;
}

TEST(CheckpointTest, DocumentedByteLayout) {
  // A tiny checkpoint: action_net [2, 1] = {1.5, -2}, action_net.bias [2] = {0.25, 0}, ...
  auto p = MlpPolicy::Create({}, {}, testing::Layer(1, 2, {1.5f, -2.0f}, {0.25f, 0.0f}),
                             testing::Layer(1, 1, {3.0f}, {-1.0f}), Activation::kRelu);
  ASSERT_TRUE(p.ok());
  CheckpointMetadata meta;
  meta.observation_spec = "test-v0";
  meta.action_space = "discrete-2";
  meta.algorithm = "A2C";
  const std::string file = SerializeCheckpoint(MakeCheckpoint(*p, meta));

  EXPECT_EQ(file.substr(0, 8), "KFPOLICY");
  EXPECT_EQ(Le(file, 8, 4), 1u);
  const uint64_t header_len = Le(file, 12, 4);
  const uint64_t data_len = Le(file, 16, 8);
  const uint64_t data_start = (24 + header_len + 63) / 64 * 64;
  ASSERT_EQ(file.size(), data_start + data_len + 4);
  for (uint64_t i = 24 + header_len; i < data_start; ++i) EXPECT_EQ(file[i], '\0');
  EXPECT_EQ(Le(file, file.size() - 4, 4),
            ZlibCrc(std::string_view(file).substr(0, file.size() - 4)));

  const nlohmann::json h = HeaderOf(file);
  EXPECT_EQ(h["format"], "kalshiflow-policy");
  EXPECT_EQ(h["format_version"], 1);
  EXPECT_EQ(h["observation_spec"], "test-v0");
  EXPECT_EQ(h["observation_size"], 1);
  EXPECT_EQ(h["action_space"], "discrete-2");
  EXPECT_EQ(h["algorithm"], "A2C");
  EXPECT_EQ(h["policy"]["activation"], "relu");
  EXPECT_EQ(h["policy"]["net_arch"],
            (nlohmann::json{{"pi", nlohmann::json::array()}, {"vf", nlohmann::json::array()}}));
  // Four tensors in name order, each at a 64-aligned offset: action_net.bias (8 bytes) at 0,
  // action_net.weight (8 bytes) at 64, value_net.bias (4) at 128, value_net.weight (4) at 192.
  ASSERT_EQ(h["tensors"].size(), 4u);
  EXPECT_EQ(h["tensors"][0]["name"], "action_net.bias");
  EXPECT_EQ(h["tensors"][1]["name"], "action_net.weight");
  EXPECT_EQ(h["tensors"][1]["shape"], (nlohmann::json{2, 1}));
  EXPECT_EQ(h["tensors"][1]["offset"], 64);
  EXPECT_EQ(h["tensors"][1]["bytes"], 8);
  EXPECT_EQ(h["tensors"][3]["offset"], 192);
  EXPECT_EQ(data_len, 192u + 64u);  // the last tensor's slot is padded to 64 as well
  // action_net.weight's float32 little-endian bytes: 1.5f = 0x3FC00000, -2.0f = 0xC0000000.
  EXPECT_EQ(Le(file, data_start + 64, 4), 0x3FC00000u);
  EXPECT_EQ(Le(file, data_start + 68, 4), 0xC0000000u);
}

TEST(CheckpointTest, RoundTripKeepsEverything) {
  const Checkpoint cp = SampleCheckpoint(21);
  auto parsed = ParseCheckpoint(SerializeCheckpoint(cp));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->tensors, cp.tensors);
  const CheckpointMetadata& m = parsed->metadata;
  EXPECT_EQ(m.observation_spec, "kalshiflow-v1");
  EXPECT_EQ(m.observation_size, 52);
  EXPECT_EQ(m.action_space, "discrete-21");
  EXPECT_EQ(m.algorithm, "PPO");
  EXPECT_EQ(m.activation, Activation::kTanh);
  EXPECT_EQ(m.net_arch, (NetArch{{64, 64}, {64, 64}}));
  EXPECT_EQ(m.hyperparameters, cp.metadata.hyperparameters);
  EXPECT_EQ(m.extra, cp.metadata.extra);

  auto loaded = PolicyFromCheckpoint(*parsed);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->policy.ToTensors(), cp.tensors);
}

TEST(CheckpointTest, SaveIsAtomicAndLoadPolicyRuns) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kf_policy_ckpt_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "model.kfpolicy").string();
  const Checkpoint cp = SampleCheckpoint();
  auto written = SaveCheckpoint(path, cp);
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(*written, std::filesystem::file_size(path));
  // Overwrite in place: the old file is replaced whole, no temporary is left behind.
  ASSERT_TRUE(SaveCheckpoint(path, SampleCheckpoint(21)).ok());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1);
  auto loaded = LoadPolicy(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->policy.action_count(), 21);
  ForwardBuffers b = loaded->policy.MakeBuffers();
  std::vector<float> obs(52, 0.5f);
  loaded->policy.Forward(obs, b);
  EXPECT_TRUE(b.finite());

  auto missing = LoadCheckpoint((dir / "absent.kfpolicy").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, PolicyErrorKind::kIo);
  auto unwritable = SaveCheckpoint((dir / "no_such_dir" / "x.kfpolicy").string(), cp);
  ASSERT_FALSE(unwritable.ok());
  EXPECT_EQ(unwritable.error().kind, PolicyErrorKind::kIo);
  std::filesystem::remove_all(dir);
}

TEST(CheckpointTest, EveryTruncationIsReported) {
  const std::string file = SerializeCheckpoint(SampleCheckpoint());
  for (size_t n = 0; n < file.size(); n += (n < 200 ? 1 : 97)) {
    const PolicyErrorKind kind = ParseKind(std::string_view(file).substr(0, n));
    EXPECT_EQ(kind, PolicyErrorKind::kTruncated) << "length " << n;
  }
}

TEST(CheckpointTest, BadMagicVersionAndTrailingBytes) {
  const std::string file = SerializeCheckpoint(SampleCheckpoint());
  EXPECT_EQ(ParseKind("PK\x03\x04 this is a zip"), PolicyErrorKind::kBadMagic);
  std::string bad = file;
  bad[0] = 'X';
  EXPECT_EQ(ParseKind(bad), PolicyErrorKind::kBadMagic);
  bad = file;
  PutLe(bad, 8, 2, 4);
  EXPECT_EQ(ParseKind(bad), PolicyErrorKind::kUnsupportedVersion);
  EXPECT_EQ(ParseKind(file + "x"), PolicyErrorKind::kBadHeader);
}

TEST(CheckpointTest, AnyFlippedByteIsCaught) {
  const std::string file = SerializeCheckpoint(SampleCheckpoint());
  const size_t header_end = 24 + Le(file, 12, 4);
  // A byte in the header, in the padding, in a weight, and in the CRC itself.
  for (size_t at : {size_t{30}, header_end + 1, file.size() - 100, file.size() - 2}) {
    std::string bad = file;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    EXPECT_EQ(ParseKind(bad), PolicyErrorKind::kCrcMismatch) << "offset " << at;
  }
}

TEST(CheckpointTest, MalformedHeadersAreBadHeaderOrBadTensor) {
  const std::string file = SerializeCheckpoint(SampleCheckpoint());
  const nlohmann::json good = HeaderOf(file);
  // The reframed original parses (the test's framing matches the format).
  ASSERT_TRUE(ParseCheckpoint(Reframe(file, good.dump())).ok());

  EXPECT_EQ(ParseKind(Reframe(file, "{not json")), PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ParseKind(Reframe(file, "[1, 2]")), PolicyErrorKind::kBadHeader);
  auto edited = [&](auto edit) {
    nlohmann::json h = good;
    edit(h);
    return Reframe(file, h.dump());
  };
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h.erase("observation_spec"); })),
            PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["observation_size"] = "52"; })),
            PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["policy"]["activation"] = "gelu"; })),
            PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["format"] = "safetensors"; })),
            PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["hyperparameters"] = 3; })),
            PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["tensors"][0]["dtype"] = "float64"; })),
            PolicyErrorKind::kBadTensor);
  EXPECT_EQ(ParseKind(edited(
                [](nlohmann::json& h) { h["tensors"][1]["name"] = h["tensors"][0]["name"]; })),
            PolicyErrorKind::kBadTensor);
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) {
              h["tensors"][0]["shape"] = {5, 2};
            })),
            PolicyErrorKind::kBadTensor);  // bytes no longer 4 x elements
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["tensors"][1]["offset"] = 0; })),
            PolicyErrorKind::kBadTensor);  // overlaps tensor 0
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) { h["tensors"][0]["offset"] = 32; })),
            PolicyErrorKind::kBadTensor);  // misaligned
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) {
              h["tensors"].back()["offset"] = h["tensors"].back()["offset"].get<int64_t>() + 64000;
            })),
            PolicyErrorKind::kBadTensor);  // past the data section
  EXPECT_EQ(ParseKind(edited([](nlohmann::json& h) {
              h["tensors"][0]["shape"] = {-1, -5};
            })),
            PolicyErrorKind::kBadTensor);
}

TEST(CheckpointTest, MetadataMustMatchTheTensors) {
  const std::string file = SerializeCheckpoint(SampleCheckpoint(5));
  auto kind = [&](auto edit) {
    nlohmann::json h = HeaderOf(file);
    edit(h);
    auto cp = ParseCheckpoint(Reframe(file, h.dump()));
    EXPECT_TRUE(cp.ok()) << cp.error().ToString();
    auto p = PolicyFromCheckpoint(*cp);
    EXPECT_FALSE(p.ok());
    return p.ok() ? PolicyErrorKind::kIo : p.error().kind;
  };
  EXPECT_EQ(kind([](nlohmann::json& h) { h["action_space"] = "discrete-21"; }),
            PolicyErrorKind::kShapeMismatch);
  EXPECT_EQ(kind([](nlohmann::json& h) { h["action_space"] = "box-3"; }),
            PolicyErrorKind::kUnknownActionSpace);
  EXPECT_EQ(kind([](nlohmann::json& h) { h["observation_size"] = 50; }),
            PolicyErrorKind::kShapeMismatch);
  EXPECT_EQ(
      kind([](nlohmann::json& h) { h["policy"]["net_arch"]["pi"] = nlohmann::json::array({64}); }),
      PolicyErrorKind::kShapeMismatch);
  EXPECT_EQ(kind([](nlohmann::json& h) { h["tensors"].erase(0); }),
            PolicyErrorKind::kMissingTensor);
}

}  // namespace
}  // namespace kalshiflow::policy
