// `kalshiflow models`: import a real Stable-Baselines3 zip, predict against the independent
// Python computation (src/policy/tests/golden/), list/show/promote/archive, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/tests/cli_test_util.h"

namespace kalshiflow {
namespace {

namespace fs = std::filesystem;
using testing_cli::JsonOf;
using testing_cli::RunCli;
using testing_cli::RunCliStdout;

fs::path SharedDir() {
  const char* d = std::getenv("KF_SHARED_DIR");
  return d != nullptr ? fs::path(d) : fs::path("../shared");
}

class ModelsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_cli::FreshTestDir("kalshiflow_models_");
    db_ = " --database-url sqlite://" + (dir_ / "kf.db").string();
    zip_ = (SharedDir() / "data/kalshiflow/models/session32_final.zip").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string db_;
  std::string zip_;
};

TEST_F(ModelsCliTest, ImportsTheRealSb3ModelAndPredictsLikeTheIndependentComputation) {
  ASSERT_TRUE(fs::exists(zip_)) << zip_;
  auto imported = RunCliStdout("models import-sb3 " + zip_ + " --name s32 --json" + db_);
  ASSERT_EQ(imported.exit_code, 0) << RunCli("models import-sb3 " + zip_ + db_).output;
  const auto j = JsonOf(imported.output);
  ASSERT_TRUE(j.is_object()) << imported.output;
  const int64_t id = j["model_id"].get<int64_t>();
  EXPECT_GT(id, 0);
  EXPECT_EQ(j["name"], "s32");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["algorithm"], "ppo");
  EXPECT_EQ(j["observation_spec"], "kalshiflow-v1");
  EXPECT_EQ(j["action_space"], "discrete-21");
  EXPECT_EQ(j["status"], "ready");
  EXPECT_GT(j["timesteps"].get<int64_t>(), 0);
  const std::string checkpoint = j["checkpoint_path"].get<std::string>();
  EXPECT_TRUE(fs::exists(checkpoint)) << checkpoint;
  EXPECT_EQ(fs::path(checkpoint).parent_path(), dir_ / "models");  // beside the database

  // The golden file was computed from the zip by a separate Python program (float64).
  std::ifstream golden_file("src/policy/tests/golden/session32_final.json");
  ASSERT_TRUE(golden_file.good());
  const nlohmann::json golden = nlohmann::json::parse(golden_file);
  std::string obs;
  for (const auto& v : golden["observation"]) {
    if (!obs.empty()) obs += ",";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v.get<double>());
    obs += buf;
  }
  for (const std::string& ref : {std::to_string(id), std::string("s32"), std::string("s32@1")}) {
    auto p = RunCliStdout("models predict " + ref + " --obs " + obs + " --json" + db_);
    ASSERT_EQ(p.exit_code, 0) << ref;
    const auto pj = JsonOf(p.output);
    EXPECT_EQ(pj["action"], golden["action"]);
    EXPECT_EQ(pj["action_name"], "SELL_YES x100");
    ASSERT_EQ(pj["probs"].size(), 21u);
    double sum = 0;
    for (size_t i = 0; i < 21; ++i) {
      EXPECT_NEAR(pj["probs"][i].get<double>(), golden["probabilities"][i].get<double>(), 1e-5);
      sum += pj["probs"][i].get<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_NEAR(pj["value"].get<double>(), golden["value"].get<double>(),
                1e-5 * std::abs(golden["value"].get<double>()));
  }

  // A second import of the same name is version 2; list/show/promote/archive.
  ASSERT_EQ(RunCli("models import-sb3 " + zip_ + " --name s32" + db_).exit_code, 0);
  auto list = JsonOf(RunCliStdout("models list --json" + db_).output);
  ASSERT_EQ(list["models"].size(), 2u);
  EXPECT_EQ(list["models"][0]["version"], 2);
  auto show = JsonOf(RunCliStdout("models show s32 --json" + db_).output);
  EXPECT_EQ(show["version"], 2);
  ASSERT_EQ(RunCli("models promote s32@1" + db_).exit_code, 0);
  ASSERT_EQ(RunCli("models promote s32" + db_).exit_code, 0);
  auto deployed = JsonOf(RunCliStdout("models list --status deployed --json" + db_).output);
  ASSERT_EQ(deployed["models"].size(), 1u);
  EXPECT_EQ(deployed["models"][0]["version"], 2);  // promoting v2 demoted v1
  ASSERT_EQ(RunCli("models archive " + std::to_string(id) + db_).exit_code, 0);
  EXPECT_EQ(
      JsonOf(RunCliStdout("models show " + std::to_string(id) + " --json" + db_).output)["status"],
      "archived");
}

TEST_F(ModelsCliTest, BadInputFailsWithAMessageNamingIt) {
  ASSERT_EQ(RunCli("models import-sb3 " + zip_ + " --name m" + db_).exit_code, 0);
  auto r = RunCli("models predict m --obs 1,2,3" + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("3 values"), std::string::npos) << r.output;
  std::string obs = "nan";
  for (int i = 1; i < 52; ++i) obs += ",0";
  r = RunCli("models predict m --obs " + obs + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("value 0"), std::string::npos) << r.output;
  r = RunCli("models show nosuch" + db_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("nosuch"), std::string::npos) << r.output;
  r = RunCli("models list --status bogus" + db_);
  EXPECT_EQ(r.exit_code, 2);

  // Not a zip.
  const fs::path junk = dir_ / "junk.zip";
  std::ofstream(junk) << "this is not a zip file";
  r = RunCli("models import-sb3 " + junk.string() + db_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("junk.zip"), std::string::npos) << r.output;

  // A corrupted checkpoint is refused when predicting, naming the file.
  auto show = JsonOf(RunCliStdout("models show m --json" + db_).output);
  const std::string checkpoint = show["checkpoint_path"].get<std::string>();
  {
    std::fstream f(checkpoint, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(checkpoint) / 2));
    f.put('\x7f');
  }
  std::string zeros = "0";
  for (int i = 1; i < 52; ++i) zeros += ",0";
  r = RunCli("models predict m --obs " + zeros + db_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(checkpoint), std::string::npos) << r.output;
  // ... and a model that cannot run is never promoted.
  r = RunCli("models promote m" + db_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(JsonOf(RunCliStdout("models show m --json" + db_).output)["status"], "ready");
}

}  // namespace
}  // namespace kalshiflow
