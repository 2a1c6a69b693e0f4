// End-to-end tests of the kalshiflow CLI: run the built binary as a user would (working
// directory = repository root) and check its output, exit codes and the files it writes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "app/tests/cli_test_util.h"
#include "recording/format.h"
#include "storage/database_url.h"
#include "storage/tests/test_util.h"

namespace kalshiflow {
namespace {

namespace fs = std::filesystem;
using testing_cli::DemoFailures;
using testing_cli::JsonOf;
using testing_cli::RunCli;
using testing_cli::RunCliStdout;
using testing_cli::RunResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing_cli::FreshTestDir("kalshiflow_cli_"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CliTest, HelpListsEveryCommand) {
  auto r = RunCli("--help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* command :
       {"demo", "convert", "recording", "db", "sessions", "exchange", "collect", "actor", "serve",
        "models", "train", "evaluate", "features"}) {
    EXPECT_NE(r.output.find(command), std::string::npos) << command;
  }
  EXPECT_NE(RunCli("no-such-command").exit_code, 0);
}

// The main job: bundled real data -> recording -> local exchange (loopback TLS, signed) ->
// collector -> SQLite -> integrity check against the recording.
TEST_F(CliTest, DemoCollectsTheBundledDaysOverTlsAndVerifiesEveryBook) {
  auto r = RunCli("demo --duration 1200 --train-steps 0 --no-actor --out-dir " + dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("demo finished"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" serve --static-dir "), std::string::npos) << r.output;  // dashboard
  EXPECT_NE(r.output.find("wss://127.0.0.1:"), std::string::npos) << r.output;

  const fs::path recording = dir_ / "demo.kfrec";
  auto stats = RunCli("recording stats " + recording.string() + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.output;
  auto j = JsonOf(stats.output);
  ASSERT_TRUE(j.is_object()) << stats.output;
  EXPECT_EQ(j["markets"].get<int>(), 18);  // 3 real days x 6 strikes of KXHIGHNY
  const int64_t frames = j["frames"].get<int64_t>();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(r.output, match, std::regex(R"(into (\d+) frames)"))) << r.output;
  EXPECT_EQ(frames, std::stoll(match[1].str()));
  EXPECT_GT(frames, 50'000);  // three real days of six markets
  EXPECT_GT(j["span_seconds"].get<double>(), 2 * 86'400.0);

  // Every frame of the recording crossed the socket and was stored: snapshots + deltas ==
  // frames, plus one raw row per received frame (the recording's frames + the subscribe ack).
  auto store = storage::OpenStore("sqlite://" + (dir_ / "kalshiflow.db").string());
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto counts = (*store)->TableRowCounts();
  ASSERT_TRUE(counts.ok());
  int64_t snapshots = 0, deltas = 0, raw = 0, sessions = 0;
  for (const auto& c : *counts) {
    if (c.table == "rl_orderbook_snapshots") snapshots = c.rows;
    if (c.table == "rl_orderbook_deltas") deltas = c.rows;
    if (c.table == "rl_raw_frames") raw = c.rows;
    if (c.table == "rl_orderbook_sessions") sessions = c.rows;
  }
  EXPECT_EQ(snapshots + deltas, frames);
  EXPECT_EQ(raw, frames + 1);
  EXPECT_EQ(sessions, 1);

  // `sessions list|show|verify --json` describe the same session.
  const std::string db = " --database-url sqlite://" + (dir_ / "kalshiflow.db").string();
  auto list = RunCli("sessions list --json" + db);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  auto lj = JsonOf(list.output);
  ASSERT_TRUE(lj.is_object()) << list.output;
  ASSERT_EQ(lj["sessions"].size(), 1u);
  const auto& s = lj["sessions"][0];
  EXPECT_EQ(s["status"], "closed");
  EXPECT_EQ(s["environment"], "local");
  EXPECT_EQ(s["market_tickers"].size(), 18u);
  EXPECT_EQ(s["snapshots"].get<int64_t>() + s["deltas"].get<int64_t>(), frames);
  const int64_t id = s["session_id"].get<int64_t>();
  auto show = RunCli("sessions show " + std::to_string(id) + " --json" + db);
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_EQ(JsonOf(show.output), s);
  auto verify = RunCli("sessions verify " + std::to_string(id) + " --recording " +
                       recording.string() + " --json" + db);
  ASSERT_EQ(verify.exit_code, 0) << verify.output;
  auto vj = JsonOf(verify.output);
  EXPECT_EQ(vj["mismatches"].get<int64_t>(), 0);
  EXPECT_EQ(vj["books_checked"].get<int64_t>(), frames);
  EXPECT_EQ(vj["in_step"].get<int64_t>(), frames);
  EXPECT_EQ(vj["stored_updates"].get<int64_t>(), vj["recording_updates"].get<int64_t>());
  EXPECT_EQ(vj["final_books_equal"].get<int64_t>(), 18);
  auto filtered = RunCli("sessions list --json --status error" + db);
  ASSERT_EQ(filtered.exit_code, 0) << filtered.output;
  EXPECT_TRUE(JsonOf(filtered.output)["sessions"].empty());
  auto missing = RunCli("sessions show 999" + db);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("999"), std::string::npos) << missing.output;
  EXPECT_NE(RunCli("sessions list --status bogus" + db).exit_code, 0);
  EXPECT_NE(RunCli("sessions verify 999 --recording " + recording.string() + db).exit_code, 0);
}

TEST_F(CliTest, DemoJsonIsOneObjectWithZeroGapsDropsAndMismatches) {
  auto r =
      RunCliStdout("demo --json --duration 1200 --train-steps 4096 --out-dir " + dir_.string());
  ASSERT_EQ(r.exit_code, 0) << DemoFailures(r.output) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_TRUE(j["failures"].empty()) << j["failures"].dump();
  EXPECT_EQ(j["collect"]["gaps"], 0);
  EXPECT_EQ(j["collect"]["drops"], 0);
  EXPECT_EQ(j["collect"]["decode_errors"], 0);
  EXPECT_EQ(j["collect"]["status"], "closed");
  EXPECT_EQ(j["verify"]["mismatches"], 0);
  EXPECT_EQ(j["verify"]["stored_updates"], j["recording_frames"]);
  EXPECT_EQ(j["exchange"]["auth_failures"], 0);
  EXPECT_TRUE(j["exchange"]["replay_finished"].get<bool>());
  EXPECT_EQ(j["markets"], 18);
  // Training on the recorded session, then the model beside the baselines.
  EXPECT_EQ(j["train"]["timesteps"], 4096);  // two SB3-default rollouts of 2048
  EXPECT_EQ(j["train"]["algorithm"], "ppo");
  EXPECT_GT(j["train"]["env_steps_per_second"].get<double>(), 0);
  const auto& policies = j["evaluate"]["policies"];
  ASSERT_EQ(policies.size(), 4u);
  EXPECT_EQ(policies[0]["policy"],
            "model:" + std::to_string(j["train"]["model_id"].get<int64_t>()));
  EXPECT_EQ(policies[1]["policy"], "hold");
  EXPECT_EQ(policies[1]["total_pnl"], "0.000000");
  EXPECT_EQ(policies[1]["trades"], 0);
  EXPECT_GT(policies[2]["trades"].get<int64_t>(), 0);  // random trades (and pays fees)
  EXPECT_NE(policies[2]["total_fees"], "0.000000");
  EXPECT_EQ(j["evaluate"]["episodes"], 18);  // one per market
  // Step 8: the trained model as the paper actor on a second replay (it may well hold).
  EXPECT_EQ(j["actor"]["selector"], "rl_model");
  EXPECT_EQ(j["actor"]["model_id"], j["train"]["model_id"]);
  EXPECT_GT(j["decisions"].get<int64_t>(), 0);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_EQ(j["actor"]["updates"], j["recording_frames"]);  // every accepted update ingested
}

// Steps 8 and 9 with the mean-reversion rule (no training): the actor trades the live replay
// in paper mode, then in demo mode on the exchange's order endpoints.
TEST_F(CliTest, DemoActorTradesTheLiveReplayInPaperAndDemoModes) {
  auto r = RunCliStdout("demo --json --duration 1200 --train-steps 0 --out-dir " + dir_.string());
  ASSERT_EQ(r.exit_code, 0) << DemoFailures(r.output) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_TRUE(j["ok"].get<bool>());
  const auto& a = j["actor"];
  EXPECT_EQ(a["mode"], "paper");
  EXPECT_EQ(a["selector"], "hardcoded");
  EXPECT_EQ(a["updates"], j["recording_frames"]);
  // Issue 5's summary keys at the top level, equal to the actor's.
  for (const char* key : {"decisions", "orders_placed", "fills", "errors", "pnl_dollars",
                          "decision_latency_p50_us", "decision_latency_p99_us"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j[key], a[key]) << key;
  }
  EXPECT_GT(j["decisions"].get<int64_t>(), 18);
  EXPECT_GT(j["orders_placed"].get<int64_t>(), 0);
  EXPECT_GT(j["fills"].get<int64_t>(), 0);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_GT(a["fees_dollars"].get<double>(), 0);  // fills pay Kalshi's fees
  // Every decision is one of the five actions; the rule bought and sold.
  int64_t by_action = 0;
  for (const auto& [name, n] : a["actions"].items()) by_action += n.get<int64_t>();
  EXPECT_EQ(by_action, a["decisions"].get<int64_t>());
  EXPECT_GT(a["actions"]["BUY_YES"].get<int64_t>() + a["actions"]["SELL_YES"].get<int64_t>(), 0);
  // P&L is the portfolio value (cash + positions at executable prices) less the starting cash.
  EXPECT_NEAR(a["pnl_dollars"].get<double>(),
              a["portfolio_value_dollars"].get<double>() - a["initial_cash_dollars"].get<double>(),
              1e-6);
  EXPECT_GT(a["decision_latency_p99_us"].get<double>(), 0);
  EXPECT_GE(a["decision_latency_p99_us"].get<double>(), a["decision_latency_p50_us"].get<double>());
  // Every decision, HOLD included, was persisted through the write queue (rl_actor_events).
  EXPECT_EQ(a["events_persisted"], a["decisions"]);
  EXPECT_EQ(a["events_dropped"], 0);
  // The circuit breakers are reported; nothing overflowed in the run.
  for (const char* breaker :
       {"slow_pipeline", "slow_prediction", "queue_overflow", "cash_exhausted"}) {
    ASSERT_TRUE(a["breakers"].contains(breaker)) << breaker;
  }
  EXPECT_EQ(a["breakers"]["queue_overflow"]["trips"], 0);
  auto store = storage::OpenStore("sqlite://" + (dir_ / "kalshiflow.db").string());
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  // Step 9: the same rule in demo mode, its orders sent as signed V2 REST requests to the
  // exchange's matching engine, fills and positions back on the private channels.
  const auto& d = j["actor_demo_mode"];
  ASSERT_TRUE(d.is_object()) << r.output;
  EXPECT_EQ(d["mode"], "kalshi");
  EXPECT_EQ(d["updates"], j["recording_frames"]);
  EXPECT_GT(d["orders_placed"].get<int64_t>(), 0);
  EXPECT_GT(d["fills"].get<int64_t>(), 0);
  EXPECT_EQ(d["errors"], 0);
  EXPECT_GT(d["fees_dollars"].get<double>(), 0);
  EXPECT_EQ(d["events_persisted"], d["decisions"]);
  EXPECT_NEAR(d["pnl_dollars"].get<double>(),
              d["portfolio_value_dollars"].get<double>() - d["initial_cash_dollars"].get<double>(),
              1e-6);
  // Positions and cash reconcile exactly with the exchange's account (REST), every fill
  // delivered once on the fill channel.
  const auto& rec = d["reconciliation"];
  EXPECT_TRUE(rec["matched"].get<bool>()) << rec.dump();
  EXPECT_TRUE(rec["differences"].empty()) << rec.dump();
  EXPECT_EQ(rec["cash_dollars"], rec["exchange_cash_dollars"]);
  EXPECT_EQ(rec["cash_dollars"], d["cash_dollars"]);
  EXPECT_EQ(rec["fills"], rec["exchange_fills"]);
  EXPECT_EQ(rec["fills"], d["fills"]);
  EXPECT_GT(rec["positions_compared"].get<int64_t>(), 0);
  EXPECT_EQ(rec["rest_errors"], 0);
  EXPECT_EQ(rec["decode_errors"], 0);
  EXPECT_EQ(rec["position_mismatches"], 0);
  // Settlement from the data: the markets whose final books are decisive settle (the same
  // ones in both runs); the demo-mode account learned each from the exchange once, and still
  // reconciles exactly.
  ASSERT_GT(d["settled_markets"].size(), 0u);
  EXPECT_EQ(d["settled_markets"], a["settled_markets"]);
  EXPECT_EQ(rec["settlements_booked"].get<size_t>(), d["settled_markets"].size());
  // Both runs' decisions are in rl_actor_events.
  EXPECT_EQ(storage::testing::CountRows(**store, "rl_actor_events"),
            a["decisions"].get<int64_t>() + d["decisions"].get<int64_t>());
}

TEST_F(CliTest, ConvertReportsMalformedLinesWithFileAndLineAndCountsThem) {
  const fs::path csv = dir_ / "market_data_TEST.csv";
  std::ofstream(csv)
      << "timestamp,market_ticker,best_yes_bid,best_no_bid,implied_no_ask,implied_yes_ask\n"
         "2025-12-04T12:27:16.079996,KXTEST-25DEC05-T37,40,55,60,45\n"
         "2025-12-04T12:27:17.000000,KXTEST-25DEC05-T37,41,55,59,45\n"
         "garbage line\n"
         "2025-12-04T12:27:18.000000,KXTEST-25DEC05-T37,abc,55,59,45\n"
         "2025-12-04T12:27:19.000000,KXTEST-25DEC05-T37,41,54,59,46\n";
  const fs::path out = dir_ / "out.kfrec";
  auto r = RunCli("convert " + csv.string() + " --out " + out.string() + " --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("market_data_TEST.csv:4"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("market_data_TEST.csv:5"), std::string::npos) << r.output;

  auto stats = RunCli("recording stats " + out.string() + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.output;
  auto j = JsonOf(stats.output);
  ASSERT_TRUE(j.is_object()) << stats.output;
  EXPECT_EQ(j["markets"].get<int>(), 1);
  const auto& m = j["per_market"]["KXTEST-25DEC05-T37"];
  EXPECT_EQ(m["snapshots"].get<int>(), 1);
  EXPECT_GE(m["deltas"].get<int>(), 2);  // two best-bid changes, one frame or more each

  // Same input and seed => byte-identical recording.
  const fs::path again = dir_ / "again.kfrec";
  ASSERT_EQ(RunCli("convert " + csv.string() + " --out " + again.string() + " --seed 3").exit_code,
            0);
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(out), read(again));
}

TEST_F(CliTest, DbMigrateThenStatus) {
  const std::string url = "sqlite://" + (dir_ / "sub" / "k.db").string();
  auto r = RunCli("db migrate --database-url " + url);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto again = RunCli("db migrate --database-url " + url);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  auto status = RunCli("db status --database-url " + url);
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("rl_orderbook_deltas"), std::string::npos) << status.output;
}

TEST_F(CliTest, BadInputsFailCleanlyWithAMessage) {
  auto missing = RunCli("recording stats " + (dir_ / "nope.kfrec").string());
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("nope.kfrec"), std::string::npos) << missing.output;

  const fs::path junk = dir_ / "junk.kfrec";
  std::ofstream(junk) << "this is not a recording";
  auto bad = RunCli("recording stats " + junk.string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.output.find("Segmentation"), std::string::npos);

  EXPECT_NE(RunCli("convert --out " + (dir_ / "x.kfrec").string()).exit_code, 0);  // no inputs
  EXPECT_NE(RunCli("db migrate --database-url mysql://x").exit_code, 0);
}

}  // namespace
}  // namespace kalshiflow
