// The model registry's routes over loopback HTTP against a real SQLite store: listing with
// filters, one model, promote / archive through PUT (the token, the deployability check, the
// demotion of the name's other deployed version, a training model refused), and compare.
#include "server/registry_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "net/https_client.h"
#include "server/tests/test_client.h"
#include "storage/database_url.h"

namespace kalshiflow::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kToken = "registry-test-token";

class RegistryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kf-registry-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = storage::OpenStore("sqlite://" + (dir_ / "registry.db").string());
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
    // 1: ppo-a v1 (ready), 2: ppo-a v2 (ready), 3: a2c-b v1 (training), 4: ppo-a v3 without a
    // checkpoint (ready, not deployable).
    Add("ppo-a", "ppo", storage::ModelStatus::kReady, "/m/1.kfpolicy", R"({"total_pnl":"1.50"})");
    Add("ppo-a", "ppo", storage::ModelStatus::kReady, "/m/2.kfpolicy", R"({"total_pnl":"-0.25"})");
    Add("a2c-b", "a2c", storage::ModelStatus::kTraining, "", "{}");
    Add("ppo-a", "ppo", storage::ModelStatus::kReady, "", "{}");

    HttpServerOptions o;
    o.bearer_token = kToken;
    auto s = HttpServer::Create(o);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    server_ = std::move(s).value();
    RegistryApiOptions options;
    options.check_deployable = [](const storage::ModelInfo& m) {
      return m.checkpoint_path.empty() ? core::FailedPreconditionError(
                                             "model " + std::to_string(m.id) + " has no checkpoint")
                                       : core::Status::Ok();
    };
    api_ = std::make_unique<RegistryApi>(*server_, *store_, options);
    server_->Start();
    client_ = testing::ClientFor(*server_, kToken);
    anonymous_ = testing::ClientFor(*server_);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    api_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void Add(const std::string& name, const std::string& algorithm, storage::ModelStatus status,
           const std::string& checkpoint, const std::string& performance) {
    storage::NewModel m;
    m.name = name;
    m.algorithm = algorithm;
    m.observation_spec = "kalshiflow-v1";
    m.action_space = "discrete-5";
    m.checkpoint_path = checkpoint;
    m.status = status;
    m.performance_json = performance;
    m.created_at = core::Timestamp::FromMillis(1'767'225'600'000);
    ASSERT_TRUE(store_->CreateModel(m).ok());
  }
  // (status, body) of a request.
  std::pair<int, json> Call(net::HttpsClient& c, const std::string& method, const std::string& path,
                            const std::string& body = {}) {
    auto r = c.Request(method, path, body);
    EXPECT_TRUE(r.ok()) << path << ": " << r.error().ToString();
    if (!r.ok()) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  fs::path dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<RegistryApi> api_;
  std::unique_ptr<net::HttpsClient> client_, anonymous_;
};

TEST_F(RegistryApiTest, ListsModelsNewestFirstWithFilters) {
  auto [status, all] = Call(*anonymous_, "GET", "/rl/models");  // reads need no token
  ASSERT_EQ(status, 200) << all.dump();
  ASSERT_EQ(all["models"].size(), 4u);
  EXPECT_EQ(all["models"][0]["model_id"], 4);
  EXPECT_EQ(all["models"][0]["version"], 3);
  EXPECT_EQ(all["models"][3]["performance"]["total_pnl"], "1.50");  // parsed, not text
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/models?status=training").second["models"].size(), 1u);
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/models?name=ppo-a").second["models"].size(), 3u);
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/models?name=ppo-a&limit=1").second["models"].size(), 1u);
  auto [bad, error] = Call(*anonymous_, "GET", "/rl/models?status=bogus");
  EXPECT_EQ(bad, 400);
  EXPECT_NE(error["error"]["message"].get<std::string>().find("bogus"), std::string::npos);
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/models?limit=0").first, 400);

  auto [one, model] = Call(*anonymous_, "GET", "/rl/models/3");
  EXPECT_EQ(one, 200);
  EXPECT_EQ(model["name"], "a2c-b");
  EXPECT_EQ(model["status"], "training");
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/models/999").first, 404);
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/models/abc").first, 400);
}

TEST_F(RegistryApiTest, PromoteAndArchiveThroughPut) {
  // Control: the token is required (the server has one).
  EXPECT_EQ(Call(*anonymous_, "PUT", "/rl/models/1", R"({"status":"deployed"})").first, 401);
  auto [promoted, m1] = Call(*client_, "PUT", "/rl/models/1", R"({"status":"deployed"})");
  ASSERT_EQ(promoted, 200) << m1.dump();
  EXPECT_EQ(m1["status"], "deployed");
  // Deploying v2 demotes v1 (one deployed version per name).
  EXPECT_EQ(Call(*client_, "PUT", "/rl/models/2", R"({"status":"deployed"})").first, 200);
  EXPECT_EQ(Call(*client_, "GET", "/rl/models/1").second["status"], "ready");
  EXPECT_EQ(Call(*client_, "GET", "/rl/models/2").second["status"], "deployed");
  // Refusals leave the model as it was.
  EXPECT_EQ(Call(*client_, "PUT", "/rl/models/3", R"({"status":"deployed"})").first, 409);
  auto [refused, why] = Call(*client_, "PUT", "/rl/models/4", R"({"status":"deployed"})");
  EXPECT_EQ(refused, 422);
  EXPECT_NE(why["error"]["message"].get<std::string>().find("no checkpoint"), std::string::npos);
  EXPECT_EQ(Call(*client_, "GET", "/rl/models/4").second["status"], "ready");
  EXPECT_EQ(Call(*client_, "PUT", "/rl/models/1", R"({"status":"training"})").first, 400);
  EXPECT_EQ(Call(*client_, "PUT", "/rl/models/1", R"({})").first, 400);
  EXPECT_EQ(Call(*client_, "PUT", "/rl/models/1", R"([1])").first, 400);
  EXPECT_EQ(Call(*client_, "PUT", "/rl/models/999", R"({"status":"archived"})").first, 404);
  // Archive with a note.
  auto [archived, m] =
      Call(*client_, "PUT", "/rl/models/1", R"({"status":"archived","notes":"superseded by v2"})");
  ASSERT_EQ(archived, 200);
  EXPECT_EQ(m["status"], "archived");
  EXPECT_EQ(m["notes"], "superseded by v2");
  EXPECT_EQ(store_->GetModel(1)->status, storage::ModelStatus::kArchived);  // in the store
}

TEST_F(RegistryApiTest, ComparesStoredEvaluationsSideBySide) {
  auto [status, j] = Call(*anonymous_, "GET", "/rl/compare?models=2,1");
  ASSERT_EQ(status, 200) << j.dump();
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["models"][0]["model_id"], 2);
  EXPECT_EQ(j["models"][0]["performance"]["total_pnl"], "-0.25");
  EXPECT_EQ(j["models"][1]["performance"]["total_pnl"], "1.50");
  EXPECT_EQ(j["models"][1]["algorithm"], "ppo");
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/compare").first, 400);
  EXPECT_EQ(Call(*anonymous_, "GET", "/rl/compare?models=1,x").first, 400);
  auto [missing, error] = Call(*anonymous_, "GET", "/rl/compare?models=1,999");
  EXPECT_EQ(missing, 404);
  EXPECT_NE(error["error"]["message"].get<std::string>().find("999"), std::string::npos);
}

}  // namespace
}  // namespace kalshiflow::server
