// The SB3 zip reader on the original system's real model (session32_final.zip), checked
// against an independent Python computation (tests/golden/make_sb3_golden.py), and on zips
// rebuilt from it with one thing broken.
#include "policy/sb3_reader.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "policy/action_space.h"
#include "policy/tests/test_util.h"
#include "policy/zip_archive.h"

namespace kalshiflow::policy {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A zip archive (stored entries) holding `entries`, built with libzip in memory.
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  KF_CHECK(buffer != nullptr, "zip_source_buffer_create");
  zip_source_keep(buffer);
  zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  KF_CHECK(zip != nullptr, "zip_open_from_source");
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(zip, data.data(), data.size(), 0);
    KF_CHECK(s != nullptr && zip_file_add(zip, name.c_str(), s, ZIP_FL_OVERWRITE) >= 0,
             "zip_file_add {}", name);
  }
  KF_CHECK(zip_close(zip) == 0, "zip_close");
  KF_CHECK(zip_source_open(buffer) == 0, "zip_source_open");
  zip_source_seek(buffer, 0, SEEK_END);
  const zip_int64_t size = zip_source_tell(buffer);
  zip_source_seek(buffer, 0, SEEK_SET);
  std::string out(static_cast<size_t>(size), '\0');
  KF_CHECK(zip_source_read(buffer, out.data(), out.size()) == size, "zip_source_read");
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

// All entries of `zip_bytes`, with `replace` applied (an empty value removes the entry).
std::string Rezip(const std::string& zip_bytes, const std::map<std::string, std::string>& replace) {
  auto zip = ZipArchive::Open(zip_bytes, "test");
  KF_CHECK(zip.ok(), "{}", zip.error().ToString());
  std::vector<std::pair<std::string, std::string>> entries;
  for (const std::string& name : zip->entry_names()) {
    auto it = replace.find(name);
    if (it == replace.end()) {
      entries.emplace_back(name, zip->Read(name).value());
    } else if (!it->second.empty()) {
      entries.emplace_back(name, it->second);
    }
  }
  for (const auto& [name, data] : replace) {
    if (!zip->Contains(name) && !data.empty()) entries.emplace_back(name, data);
  }
  return MakeZip(entries);
}

class Session32Test : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::Session32Path();
    if (!std::filesystem::exists(path_)) GTEST_SKIP() << "real model not found: " << path_;
    bytes_ = ReadFile(path_);
  }
  // The `data` JSON of the real file, edited.
  std::string DataText(const std::function<void(nlohmann::json&)>& edit) {
    auto zip = ZipArchive::Open(bytes_, "test");
    nlohmann::json data = nlohmann::json::parse(zip->Read("data").value());
    edit(data);
    return data.dump();
  }
  std::string WithData(const std::function<void(nlohmann::json&)>& edit) {
    return Rezip(bytes_, {{"data", DataText(edit)}});
  }
  // policy.pth of the real file with its pickle (archive/data.pkl) or storages edited.
  std::string WithPth(const std::map<std::string, std::string>& replace) {
    auto zip = ZipArchive::Open(bytes_, "test");
    return Rezip(bytes_, {{"policy.pth", Rezip(zip->Read("policy.pth").value(), replace)}});
  }
  std::string Pickle() {
    auto zip = ZipArchive::Open(bytes_, "test");
    auto inner = ZipArchive::Open(zip->Read("policy.pth").value(), "pth");
    return inner->Read("archive/data.pkl").value();
  }
  PolicyErrorKind ReadKind(std::string bytes, std::string* detail = nullptr) {
    auto r = ReadSb3ZipBytes(std::move(bytes), "edited.zip");
    EXPECT_FALSE(r.ok());
    if (r.ok()) return PolicyErrorKind::kIo;
    if (detail != nullptr) *detail = r.error().detail;
    return r.error().kind;
  }

  std::string path_;
  std::string bytes_;
};

TEST_F(Session32Test, Metadata) {
  auto model = ReadSb3Zip(path_);
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  const Sb3Metadata& m = model->metadata;
  // Expected values from ../shared/data/kalshiflow/README.md and models/CURRENT_MODEL.*.json:
  // "SB3 PPO, obs Box(52,), action Discrete(21), n_steps 4096, batch 256, ent_coef 0.05,
  // lr 1e-4, 1,003,520 timesteps"; SB3 2.7.1 per system_info.txt.
  EXPECT_EQ(m.algorithm, "PPO");
  EXPECT_EQ(m.sb3_version, "2.7.1");
  EXPECT_NE(m.system_info.find("Stable-Baselines3: 2.7.1"), std::string::npos);
  EXPECT_EQ(m.policy_class, "stable_baselines3.common.policies.ActorCriticPolicy");
  EXPECT_EQ(m.observation_shape, std::vector<int64_t>{52});
  EXPECT_EQ(m.observation_dtype, "float32");
  EXPECT_EQ(m.action_count, 21);
  EXPECT_EQ(m.activation, Activation::kTanh);  // policy_kwargs {} → SB3's default Tanh
  EXPECT_EQ(m.net_arch, (NetArch{{64, 64}, {64, 64}}));
  EXPECT_EQ(m.num_timesteps, 1003520);
  EXPECT_EQ(m.hyperparameters["n_steps"], 4096);
  EXPECT_EQ(m.hyperparameters["batch_size"], 256);
  EXPECT_EQ(m.hyperparameters["ent_coef"], 0.05);
  EXPECT_EQ(m.hyperparameters["learning_rate"], 1e-4);
  EXPECT_EQ(m.hyperparameters["gamma"], 0.99);
  EXPECT_EQ(m.hyperparameters["clip_range"], 0.2);  // "ConstantSchedule(val=0.2)"
  EXPECT_EQ(m.last_obs_shape, (std::vector<int64_t>{1, 52}));
  EXPECT_EQ(m.last_obs.size(), 52u);
  EXPECT_TRUE(m.warnings.empty()) << nlohmann::json(m.warnings).dump();
  EXPECT_EQ(model->policy.observation_size(), 52);
  EXPECT_EQ(model->policy.action_count(), 21);
}

TEST_F(Session32Test, ForwardMatchesIndependentPython) {
  std::ifstream golden_file(testing::GoldenPath());
  ASSERT_TRUE(golden_file) << "run from the repository root: " << testing::GoldenPath();
  const nlohmann::json golden = nlohmann::json::parse(golden_file);
  auto model = ReadSb3Zip(path_);
  ASSERT_TRUE(model.ok()) << model.error().ToString();

  // Same file, same parameter shapes.
  TensorMap tensors = model->policy.ToTensors();
  ASSERT_EQ(tensors.size(), golden["state_dict_shapes"].size());
  for (const auto& [name, shape] : golden["state_dict_shapes"].items()) {
    ASSERT_TRUE(tensors.contains(name)) << name;
    EXPECT_EQ(nlohmann::json(tensors[name].shape), shape) << name;
  }
  // The stored observation: both decoders read the same float32 bytes, so exactly equal.
  const std::vector<float>& obs = model->metadata.last_obs;
  ASSERT_EQ(golden["observation"].size(), obs.size());
  for (size_t i = 0; i < obs.size(); ++i) {
    EXPECT_EQ(static_cast<double>(obs[i]), golden["observation"][i].get<double>()) << i;
  }

  ForwardBuffers b = model->policy.MakeBuffers();
  model->policy.Forward(obs, b);
  // float32 Eigen vs float64 Python: within 1e-5, relative for magnitudes above 1 (the value
  // is about 186, where one float32 ulp is 1.5e-5).
  auto near = [](double got, double want) {
    return std::abs(got - want) <= 1e-5 * std::max(1.0, std::abs(want));
  };
  for (size_t i = 0; i < 21; ++i) {
    EXPECT_PRED2(near, b.logits()[i], golden["logits"][i].get<double>()) << "logit " << i;
    EXPECT_PRED2(near, b.probabilities()[i], golden["probabilities"][i].get<double>()) << i;
  }
  EXPECT_PRED2(near, b.value(), golden["value"].get<double>());
  EXPECT_EQ(b.action(), golden["action"].get<int>());
  EXPECT_TRUE(b.finite());

  // The original's decoding of that action (intent-major, see action_space.h): 10 = SELL_YES
  // of the 5th size, 100 contracts.
  auto decoder = ActionDecoder::ForSpace(DiscreteActionSpaceId(model->policy.action_count()));
  ASSERT_TRUE(decoder.ok());
  EXPECT_EQ(decoder->Describe(b.action()), "SELL_YES x100");
}

TEST_F(Session32Test, ImportsIntoOurCheckpointUnchanged) {
  auto model = ReadSb3Zip(path_);
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  const Checkpoint cp = Sb3ToCheckpoint(*model, "kalshiflow-v1");
  EXPECT_EQ(cp.metadata.action_space, "discrete-21");
  EXPECT_EQ(cp.metadata.algorithm, "PPO");
  EXPECT_EQ(cp.metadata.extra["sb3_version"], "2.7.1");
  EXPECT_EQ(cp.metadata.extra["training"]["num_timesteps"], 1003520);
  auto parsed = ParseCheckpoint(SerializeCheckpoint(cp));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  auto loaded = PolicyFromCheckpoint(*parsed);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->metadata.observation_spec, "kalshiflow-v1");
  ForwardBuffers a = model->policy.MakeBuffers();
  ForwardBuffers b = loaded->policy.MakeBuffers();
  model->policy.Forward(model->metadata.last_obs, a);
  loaded->policy.Forward(model->metadata.last_obs, b);
  EXPECT_TRUE(std::equal(a.logits().begin(), a.logits().end(), b.logits().begin()));
  EXPECT_EQ(a.value(), b.value());
}

TEST_F(Session32Test, RebuiltZipReadsTheSame) {
  // Guards the error tests below: an unedited rebuild is accepted.
  auto r = ReadSb3ZipBytes(Rezip(bytes_, {}), "rebuilt.zip");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->policy.ToTensors(), ReadSb3Zip(path_)->policy.ToTensors());
}

TEST_F(Session32Test, ArchiveErrors) {
  std::string detail;
  EXPECT_EQ(ReadKind("definitely not a zip file"), PolicyErrorKind::kNotZip);
  EXPECT_EQ(ReadKind(bytes_.substr(0, bytes_.size() / 2)), PolicyErrorKind::kNotZip);
  EXPECT_EQ(ReadKind(Rezip(bytes_, {{"policy.pth", ""}}), &detail), PolicyErrorKind::kMissingEntry);
  EXPECT_NE(detail.find("'policy.pth'"), std::string::npos) << detail;
  EXPECT_EQ(ReadKind(Rezip(bytes_, {{"data", ""}})), PolicyErrorKind::kMissingEntry);
  EXPECT_EQ(ReadKind(Rezip(bytes_, {{"data", "{\"broken\": "}})), PolicyErrorKind::kBadHeader);
  auto missing = ReadSb3Zip("/nonexistent/model.zip");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, PolicyErrorKind::kIo);
}

TEST_F(Session32Test, DataErrorsAndVariants) {
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) {
              d["action_space"][":type:"] = "<class 'gymnasium.spaces.box.Box'>";
            })),
            PolicyErrorKind::kUnsupportedModel);
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) { d["action_space"]["n"] = "5"; })),
            PolicyErrorKind::kShapeMismatch);
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) {
              d["observation_space"]["_shape"] = nlohmann::json::array({50});
            })),
            PolicyErrorKind::kShapeMismatch);
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) { d["observation_space"].erase("_shape"); })),
            PolicyErrorKind::kBadHeader);
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) {
              d["policy_kwargs"] = {{"net_arch", {32, 32}}};
            })),
            PolicyErrorKind::kShapeMismatch);
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) {
              d["policy_kwargs"] = {{"activation_fn", "<class 'torch.nn.modules.activation.ELU'>"}};
            })),
            PolicyErrorKind::kUnsupportedModel);
  EXPECT_EQ(ReadKind(WithData([](nlohmann::json& d) {
              for (const char* k : {"clip_range", "n_epochs", "n_steps"}) d.erase(k);
            })),
            PolicyErrorKind::kUnsupportedModel);

  // A serialized policy_kwargs naming ReLU (how SB3 writes a dict holding a class) and
  // net_arch in the dict form: accepted, ReLU used.
  auto relu = ReadSb3ZipBytes(
      WithData([](nlohmann::json& d) {
        d["policy_kwargs"] = {{":type:", "<class 'dict'>"},
                              {":serialized:", "gAWVAAAAAAAAAAB9lC4="},
                              {"net_arch", {{"pi", {64, 64}}, {"vf", {64, 64}}}},
                              {"activation_fn", "<class 'torch.nn.modules.activation.ReLU'>"}};
      }),
      "relu.zip");
  ASSERT_TRUE(relu.ok()) << relu.error().ToString();
  EXPECT_EQ(relu->policy.activation(), Activation::kRelu);

  // Python's json.dumps writes NaN for a non-finite float: tolerated, stored as null. A2C is
  // recognised without PPO's attributes.
  std::string a2c = DataText([](nlohmann::json& d) {
    d.erase("clip_range");
    d.erase("n_epochs");
    d["target_kl"] = 12345.5;
  });
  const std::string marker = "12345.5";
  a2c.replace(a2c.find(marker), marker.size(), "NaN");
  auto r = ReadSb3ZipBytes(Rezip(bytes_, {{"data", a2c}}), "a2c.zip");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->metadata.algorithm, "A2C");
  EXPECT_TRUE(r->metadata.hyperparameters["target_kl"].is_null());

  // An undecodable _last_obs is skipped with a warning, not an error.
  auto no_obs = ReadSb3ZipBytes(
      WithData([](nlohmann::json& d) { d["_last_obs"][":serialized:"] = "%%%"; }), "noobs.zip");
  ASSERT_TRUE(no_obs.ok()) << no_obs.error().ToString();
  EXPECT_TRUE(no_obs->metadata.last_obs.empty());
  EXPECT_EQ(no_obs->metadata.warnings.size(), 1u);
}

TEST_F(Session32Test, StateDictErrors) {
  std::string detail;
  std::string pkl = Pickle();
  // Storages of another dtype: "torch\nFloatStorage\n" → DoubleStorage.
  std::string doubles = pkl;
  doubles.replace(doubles.find("FloatStorage"), 12, "DoubleStorage");
  EXPECT_EQ(ReadKind(WithPth({{"archive/data.pkl", doubles}}), &detail),
            PolicyErrorKind::kUnsupportedDtype);
  EXPECT_NE(detail.find("float64"), std::string::npos) << detail;

  // An unsupported opcode (INST) at offset 2 of data.pkl.
  std::string inst = pkl;
  inst[2] = 'i';
  EXPECT_EQ(ReadKind(WithPth({{"archive/data.pkl", inst}}), &detail),
            PolicyErrorKind::kUnsupportedPickle);
  EXPECT_NE(detail.find("at offset 2"), std::string::npos) << detail;
  EXPECT_NE(detail.find("policy.pth:archive/data.pkl"), std::string::npos) << detail;

  EXPECT_EQ(ReadKind(WithPth({{"archive/data.pkl", pkl.substr(0, 500)}})),
            PolicyErrorKind::kTruncated);
  EXPECT_EQ(ReadKind(WithPth({{"archive/data/3", ""}}), &detail), PolicyErrorKind::kMissingEntry);
  EXPECT_NE(detail.find("archive/data/3"), std::string::npos) << detail;
  EXPECT_EQ(ReadKind(WithPth({{"archive/data/9", std::string(40, '\0')}})),
            PolicyErrorKind::kTruncated);  // 10 of action_net.bias's 21 floats
  EXPECT_EQ(ReadKind(WithPth({{"archive/byteorder", "big"}})), PolicyErrorKind::kUnsupportedDtype);
  EXPECT_EQ(ReadKind(Rezip(bytes_, {{"policy.pth", pkl}})), PolicyErrorKind::kNotZip);  // legacy
}

// Pickle assembly for a hand-made torch state dict.
struct PickleBuilder {
  std::string out = std::string("\x80\x02", 2);
  PickleBuilder& Op(std::string_view s) {
    out += s;
    return *this;
  }
  PickleBuilder& Str(std::string_view s) {
    out += 'X';
    for (int i = 0; i < 4; ++i) out += static_cast<char>((s.size() >> (8 * i)) & 0xFF);
    out += s;
    return *this;
  }
  PickleBuilder& Int(int v) {  // 0..255
    out += 'K';
    out += static_cast<char>(v);
    return *this;
  }
  PickleBuilder& Global(std::string_view module, std::string_view name) {
    out += 'c';
    out += module;
    out += '\n';
    out += name;
    out += '\n';
    return *this;
  }
  PickleBuilder& OrderedDict() { return Global("collections", "OrderedDict").Op(")R"); }
  PickleBuilder& Storage(std::string_view key, int numel) {
    return Op("(")
        .Str("storage")
        .Global("torch", "FloatStorage")
        .Str(key)
        .Str("cpu")
        .Int(numel)
        .Op("tQ");
  }
};

TEST(TorchStateDictTest, StridedViewsAndParameters) {
  // storage "0" = {1, 1.5, 2, 2.5, 3, 3.5};
  // "w" = Parameter(_rebuild_tensor_v2(storage, 0, (2, 3), (1, 2))): element (i, j) is
  //       storage[i + 2j] → [[1, 2, 3], [1.5, 2.5, 3.5]];
  // "b" = _rebuild_tensor_v2(storage, 4, (2,), (1,)) → [3, 3.5].
  PickleBuilder p;
  p.OrderedDict().Op("(").Str("w");
  p.Global("torch._utils", "_rebuild_parameter").Op("(");
  p.Global("torch._utils", "_rebuild_tensor_v2").Op("(").Storage("0", 6);
  p.Int(0).Int(2).Int(3).Op("\x86").Int(1).Int(2).Op("\x86").Op("\x89").OrderedDict().Op("tR");
  p.Op("\x88").OrderedDict().Op("tR");
  p.Str("b").Global("torch._utils", "_rebuild_tensor_v2").Op("(").Storage("0", 6);
  p.Int(4).Int(2).Op("\x85").Int(1).Op("\x85").Op("\x89").OrderedDict().Op("tR");
  p.Op("u.");
  const std::vector<float> storage = {1, 1.5f, 2, 2.5f, 3, 3.5f};
  const std::string zip =
      MakeZip({{"m/data.pkl", p.out},
               {"m/byteorder", "little"},
               {"m/data/0", std::string(reinterpret_cast<const char*>(storage.data()), 24)}});
  auto sd = ReadTorchStateDict(zip, "hand.pth");
  ASSERT_TRUE(sd.ok()) << sd.error().ToString();
  ASSERT_EQ(sd->size(), 2u);
  EXPECT_EQ(sd->at("w"), (Tensor{{2, 3}, {1, 2, 3, 1.5f, 2.5f, 3.5f}}));
  EXPECT_EQ(sd->at("b"), (Tensor{{2}, {3, 3.5f}}));

  // A view reaching past its storage: offset 5 with 2 elements.
  PickleBuilder q;
  q.OrderedDict().Op("(").Str("b").Global("torch._utils", "_rebuild_tensor_v2").Op("(");
  q.Storage("0", 6).Int(5).Int(2).Op("\x85").Int(1).Op("\x85").Op("\x89").OrderedDict().Op("tRu.");
  auto bad = ReadTorchStateDict(
      MakeZip({{"m/data.pkl", q.out},
               {"m/data/0", std::string(reinterpret_cast<const char*>(storage.data()), 24)}}),
      "bad.pth");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, PolicyErrorKind::kBadTensor);

  auto not_torch = ReadTorchStateDict(MakeZip({{"x.txt", "hi"}}), "other.zip");
  ASSERT_FALSE(not_torch.ok());
  EXPECT_EQ(not_torch.error().kind, PolicyErrorKind::kMissingEntry);
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  // RFC 4648 §10 test vectors.
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_EQ(DecodeBase64("Zg=="), "f");
  EXPECT_EQ(DecodeBase64("Zm8="), "fo");
  EXPECT_EQ(DecodeBase64("Zm9v"), "foo");
  EXPECT_EQ(DecodeBase64("Zm9vYmFy"), "foobar");
  EXPECT_EQ(DecodeBase64("Zm9vYg=="), "foob");
  EXPECT_EQ(DecodeBase64("Zm9"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zm=v"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Z!9v"), std::nullopt);
}

}  // namespace
}  // namespace kalshiflow::policy
