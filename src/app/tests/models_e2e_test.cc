// `kalshiflow models`: import a real Stable-Baselines3 zip, predict against the independent
// Python computation (src/policy/tests/golden/), list/show/promote/archive, and bad input;
// `kalshiflow serve`: the same registry over HTTP.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "app/tests/cli_test_util.h"
#include "net/https_client.h"

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

// `kalshiflow serve` (the API without an actor) over loopback HTTP: the registry's routes on
// the real SB3 model imported twice, promotion through PUT (its checkpoint loads, so it may be
// deployed; the other version is demoted), the dashboard's files, and no actor routes.
TEST_F(ModelsCliTest, ServeExposesTheRegistryOverHttp) {
  ASSERT_TRUE(fs::exists(zip_)) << zip_;
  ASSERT_EQ(RunCliStdout("models import-sb3 " + zip_ + " --name s32 --json" + db_).exit_code, 0);
  ASSERT_EQ(RunCliStdout("models import-sb3 " + zip_ + " --name s32 --json" + db_).exit_code, 0);
  const std::string port_file = (dir_ / "serve.port").string();
  const std::string pid_file = (dir_ / "serve.pid").string();
  testing_cli::RunResult served;
  std::thread serve([&] {  // in the background of a shell, so that the test can signal it
    served = RunCli("serve --port 0 --port-file " + port_file + " --static-dir " + KF_WEB_DIR +
                    db_ + " 2>&1 & echo $! > " + pid_file + "; wait $!");
  });
  int port = 0;
  for (int i = 0; i < 400 && port == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(port, 0) << "serve never wrote its port";
  net::HttpsClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.retry.max_attempts = 1;
  auto client = std::move(net::HttpsClient::Create(o)).value();
  auto call = [&](const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    auto r = client->Request(method, path, body);
    EXPECT_TRUE(r.ok()) << path << ": " << r.error().ToString();
    return r.ok() ? *r : net::HttpResponse{};
  };
  auto json_of = [](const net::HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  };
  EXPECT_EQ(json_of(call("GET", "/rl/health"))["status"], "ok");
  const auto models = json_of(call("GET", "/rl/models"));
  ASSERT_EQ(models["models"].size(), 2u) << models.dump();
  EXPECT_EQ(models["models"][0]["version"], 2);
  auto promoted = call("PUT", "/rl/models/1", R"({"status":"deployed"})");
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  const auto status = json_of(call("GET", "/rl/status"));
  EXPECT_EQ(status["mode"], "serve");
  ASSERT_EQ(status["deployed_models"].size(), 1u);
  EXPECT_EQ(status["deployed_models"][0]["model_id"], 1);
  EXPECT_EQ(call("PUT", "/rl/models/2", R"({"status":"deployed"})").status, 200);
  EXPECT_EQ(json_of(call("GET", "/rl/models/1"))["status"], "ready");
  const auto compared = json_of(call("GET", "/rl/compare?models=1,2"));
  ASSERT_EQ(compared["models"].size(), 2u);
  EXPECT_EQ(compared["models"][1]["status"], "deployed");
  const auto page = call("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>kalshiflow"), std::string::npos);
  EXPECT_EQ(call("GET", "/rl/positions").status, 404);  // no actor here
  // The dashboard in Chromium: only the registry; its Deploy buttons promote (1, then 2,
  // which demotes 1 again).
  const auto browser =
      testing_cli::RunShell(std::string("node ") + KF_WEB_DIR + "/tests/registry_test.mjs " +
                            "http://127.0.0.1:" + std::to_string(port) + "/ 1 2 2>&1");
  const auto last = browser.output.rfind("{\"console_errors\"");
  ASSERT_NE(last, std::string::npos) << browser.output;
  const auto seen = JsonOf(browser.output.substr(last));
  EXPECT_EQ(browser.exit_code, 0) << browser.output;
  EXPECT_EQ(seen["model_rows"], 2);
  EXPECT_TRUE(seen["actor_panels_hidden"].get<bool>());
  EXPECT_EQ(seen["first_after_deploy"], "deployed");
  EXPECT_EQ(seen["first_after_second"], "ready");
  EXPECT_EQ(seen["first_api"], "ready");
  EXPECT_EQ(seen["second_api"], "deployed");
  // SIGTERM stops it cleanly.
  int pid = 0;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  serve.join();
  EXPECT_EQ(served.exit_code, 0) << served.output;
  EXPECT_NE(served.output.find("serve: stopped after"), std::string::npos) << served.output;
  // The change is in the database.
  const auto shown = JsonOf(RunCliStdout("models show 2 --json" + db_).output);
  EXPECT_EQ(shown["status"], "deployed");
}

}  // namespace
}  // namespace kalshiflow
