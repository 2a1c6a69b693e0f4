// `kalshiflow train`, `evaluate`, `features dump` through the CLI on a SQLite database holding
// synthetic recorded sessions (env/synthetic.h, written through the Store as a collector would).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/tests/cli_test_util.h"
#include "env/synthetic.h"
#include "storage/sqlite_store.h"
#include "storage/tests/test_util.h"

namespace kalshiflow {
namespace {

namespace fs = std::filesystem;
using testing_cli::JsonOf;
using testing_cli::RunCli;
using testing_cli::RunCliStdout;

class TrainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_cli::FreshTestDir("kalshiflow_train_");
    db_ = " --database-url sqlite://" + (dir_ / "kf.db").string();
    auto store = storage::testing::OpenOrDie((dir_ / "kf.db").string());
    for (int k = 0; k < 2; ++k) {
      const storage::SessionId id = storage::testing::NewSessionOrDie(*store);
      env::SyntheticMarketOptions options;
      options.seed = 7 + static_cast<uint64_t>(k);
      options.markets = 2;
      options.points = 400;
      std::vector<storage::Row> rows;
      for (const auto& u : env::SyntheticSessionUpdates(id, options)) {
        std::visit([&](const auto& r) { rows.emplace_back(r); }, u);
      }
      ASSERT_TRUE(store->WriteBatch(rows).ok());
      storage::SessionEnd end;
      end.ended_at = core::Timestamp::FromNanos(1);
      ASSERT_TRUE(store->CloseSession(id, end).ok());
      sessions_.push_back(id);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string db_;
  std::vector<storage::SessionId> sessions_;
};

TEST_F(TrainCliTest, TrainRegistersACheckpointAndEvaluateComparesWithTheBaselines) {
  auto r = RunCliStdout(
      "train --algo ppo --steps 1024 --seed 4 --name t1 --n-envs 2 --n-steps 256"
      " --json" +
      db_);
  ASSERT_EQ(r.exit_code, 0) << RunCli("train --algo ppo --steps 1024 --name dbg" + db_).output;
  const auto j = JsonOf(r.output);
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["timesteps"], 1024);  // 2 rollouts of 2 envs x 256 steps
  EXPECT_GT(j["env_steps_per_second"].get<double>(), 0);
  EXPECT_EQ(j["sessions"].size(), 2u);  // every recorded session by default
  const int64_t id = j["model_id"].get<int64_t>();
  EXPECT_TRUE(fs::exists(j["checkpoint_path"].get<std::string>()));
  // One progress record per update.
  std::ifstream progress(j["progress_file"].get<std::string>());
  int lines = 0;
  for (std::string line; std::getline(progress, line);) {
    ASSERT_TRUE(nlohmann::json::parse(line, nullptr, false).is_object()) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 2);

  // The registry row holds the run's settings and summary.
  auto show = JsonOf(RunCliStdout("models show " + std::to_string(id) + " --json" + db_).output);
  EXPECT_EQ(show["status"], "ready");
  EXPECT_EQ(show["algorithm"], "ppo");
  EXPECT_EQ(show["action_space"], "discrete-5");
  EXPECT_EQ(show["observation_spec"], "kalshiflow-v1");
  EXPECT_EQ(show["timesteps"], 1024);
  EXPECT_EQ(show["hyperparameters"]["n_steps"], 256);
  EXPECT_EQ(show["hyperparameters"]["learning_rate"], 3e-4);  // SB3 default kept
  EXPECT_EQ(show["training_config"]["seed"], 4);
  EXPECT_TRUE(show["training_config"]["env"].is_object());

  // Same seed, same data => the same model (predictions equal).
  ASSERT_EQ(
      RunCli("train --algo ppo --steps 1024 --seed 4 --name t1 --n-envs 2 --n-steps 256" + db_)
          .exit_code,
      0);
  std::string obs = "0.5";
  for (int i = 1; i < 52; ++i) obs += i == 6 ? ",0.35" : ",0.1";
  auto p1 = JsonOf(RunCliStdout("models predict t1@1 --obs " + obs + " --json" + db_).output);
  auto p2 = JsonOf(RunCliStdout("models predict t1@2 --obs " + obs + " --json" + db_).output);
  EXPECT_EQ(p1["probs"], p2["probs"]);

  // Evaluate beside the baselines; results stored with the model.
  auto e = RunCliStdout("evaluate --model " + std::to_string(id) + " --baselines --json" + db_);
  ASSERT_EQ(e.exit_code, 0) << RunCli("evaluate --model t1 --baselines" + db_).output;
  auto ej = JsonOf(e.output);
  ASSERT_EQ(ej["policies"].size(), 4u);
  EXPECT_EQ(ej["env_source"], "model");
  EXPECT_EQ(ej["episodes"], 4);  // 2 sessions x 2 markets
  for (const auto& p : ej["policies"]) EXPECT_EQ(p["episodes"], 4) << p.dump();
  EXPECT_EQ(ej["policies"][1]["policy"], "hold");
  EXPECT_EQ(ej["policies"][1]["trades"], 0);
  EXPECT_EQ(ej["policies"][1]["total_pnl"], "0.000000");
  auto stored = JsonOf(RunCliStdout("models show " + std::to_string(id) + " --json" + db_).output);
  ASSERT_EQ(stored["performance"]["evaluations"].size(), 1u);
  EXPECT_EQ(stored["performance"]["evaluations"][0]["policies"], ej["policies"]);
  EXPECT_TRUE(stored["performance"]["training"].is_object());

  // A2C too.
  auto a2c = RunCliStdout("train --algo a2c --steps 200 --seed 1 --name a --json" + db_);
  ASSERT_EQ(a2c.exit_code, 0);
  EXPECT_EQ(JsonOf(a2c.output)["algorithm"], "a2c");
}

TEST_F(TrainCliTest, FeaturesDumpPrintsOneLinePerDataPointInTimeOrder) {
  auto r = RunCliStdout("features dump --session " + std::to_string(sessions_[0]) + db_);
  ASSERT_EQ(r.exit_code, 0);
  std::istringstream in(r.output);
  int lines = 0;
  int64_t last_ts = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ASSERT_EQ(j["obs"].size(), 52u);
    EXPECT_GE(j["ts_ms"].get<int64_t>(), last_ts);
    last_ts = j["ts_ms"].get<int64_t>();
    // Book pairs are [price, count] strings, ascending, best last; feature 0 = best YES bid.
    const auto& yes = j["yes_bids"];
    ASSERT_FALSE(yes.empty());
    const double best_yes = std::stod(yes.back()[0].get<std::string>());
    EXPECT_NEAR(j["obs"][0].get<double>(), best_yes, 1e-6);
    for (size_t k = 1; k < yes.size(); ++k) {
      EXPECT_LT(std::stod(yes[k - 1][0].get<std::string>()),
                std::stod(yes[k][0].get<std::string>()));
    }
    // Flat portfolio at the starting cash: position features are 0.
    EXPECT_EQ(j["obs"][37].get<double>(), 0.0);
    ++lines;
  }
  EXPECT_EQ(lines, 2 * 400);  // 2 markets x 400 points
  auto limited =
      RunCliStdout("features dump --limit 5 --session " + std::to_string(sessions_[0]) + db_);
  EXPECT_EQ(std::count(limited.output.begin(), limited.output.end(), '\n'), 5);
}

// A market with a single data point (one snapshot) is no training episode, but it is a data
// point of the session: its line is printed in time order like the others.
TEST_F(TrainCliTest, FeaturesDumpPrintsSinglePointMarketsToo) {
  auto store = storage::testing::OpenOrDie((dir_ / "kf.db").string());
  const storage::SessionId id = storage::testing::NewSessionOrDie(*store);
  env::SyntheticMarketOptions options;
  options.seed = 11;
  options.markets = 2;
  options.points = 50;
  std::vector<storage::Row> rows;
  for (const auto& u : env::SyntheticSessionUpdates(id, options)) {
    std::visit([&](const auto& r) { rows.emplace_back(r); }, u);
  }
  storage::SnapshotRow lone;
  lone.session_id = id;
  lone.market_ticker = "KXLONE-26JAN01-T1";
  lone.sid = 99;
  lone.seq = 1;
  const size_t middle = rows.size() / 2;
  lone.local_ts = std::visit([](const auto& r) { return r.local_ts; }, rows[middle - 1]);
  lone.yes_bids = {{*core::Price::Parse("0.31"), *core::Count::Parse("7")}};
  lone.no_bids = {{*core::Price::Parse("0.66"), *core::Count::Parse("4")}};
  rows.insert(rows.begin() + static_cast<std::ptrdiff_t>(middle), lone);
  ASSERT_TRUE(store->WriteBatch(rows).ok());
  storage::SessionEnd end;
  end.ended_at = core::Timestamp::FromNanos(1);
  ASSERT_TRUE(store->CloseSession(id, end).ok());

  auto r = RunCliStdout("features dump --session " + std::to_string(id) + db_);
  ASSERT_EQ(r.exit_code, 0);
  std::istringstream in(r.output);
  int lines = 0, lone_lines = 0;
  int64_t last_ts = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_GE(j["ts_ms"].get<int64_t>(), last_ts);
    last_ts = j["ts_ms"].get<int64_t>();
    if (j["market_ticker"] == "KXLONE-26JAN01-T1") {
      ++lone_lines;
      EXPECT_EQ(j["yes_bids"], nlohmann::json::parse(R"([["0.3100","7.00"]])"));
      EXPECT_NEAR(j["obs"][0].get<double>(), 0.31, 1e-6);  // feature 0: best YES bid
      EXPECT_EQ(j["obs"].size(), 52u);
    }
    ++lines;
  }
  EXPECT_EQ(lone_lines, 1);
  EXPECT_EQ(lines, 2 * 50 + 1);
}

TEST_F(TrainCliTest, BadArgumentsFailCleanly) {
  auto r = RunCli("train --algo dqn --steps 10 --name x" + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("dqn"), std::string::npos) << r.output;
  r = RunCli("train --algo a2c --steps 10 --name x --batch-size 32" + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--batch-size"), std::string::npos) << r.output;
  r = RunCli("train --steps 10 --name x --sessions 99" + db_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("99"), std::string::npos) << r.output;
  r = RunCli("train --steps 10 --name x --clip-range -1" + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("clip_range"), std::string::npos) << r.output;
  r = RunCli("evaluate --model nosuch" + db_);
  EXPECT_EQ(r.exit_code, 1);
  r = RunCli("features dump --session 42" + db_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("42"), std::string::npos) << r.output;
  // Nothing half-registered: failed runs before training leave no model rows.
  auto list = JsonOf(RunCliStdout("models list --json" + db_).output);
  EXPECT_TRUE(list["models"].empty()) << list.dump();
}

}  // namespace
}  // namespace kalshiflow
