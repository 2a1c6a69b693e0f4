// The collector end to end over real loopback TLS against the local exchange replaying a
// real recorded Kalshi day: in-process (feed::LiveCollector, to read every counter) with each
// injected fault, and as the `kalshiflow collect` CLI (a clean run verified with `sessions
// verify`, and a 401 from bad credentials).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "actor/live_features.h"
#include "actor/tests/parity_util.h"
#include "env/replay_env.h"
#include "env/session_data.h"
#include "exchange/exchange_server.h"
#include "features/kalshiflow_v1.h"
#include "feed/integrity.h"
#include "feed/live_collector.h"
#include "kalshi/auth/signer.h"
#include "net/https_client.h"
#include "recording/convert.h"
#include "sim/actions.h"
#include "storage/database_url.h"
#include "storage/store.h"
#include "storage/tests/test_util.h"

namespace kalshiflow {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct RunResult {
  int exit_code = -1;
  std::string output;
};

RunResult RunCommand(const std::string& command) {
  RunResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

nlohmann::json LastJsonObject(const std::string& output) {
  const auto end = output.rfind('}');
  if (end == std::string::npos) return nullptr;
  // The summary object starts at the last line that is exactly "{".
  const auto begin = output.rfind("\n{", end);
  const size_t from = begin == std::string::npos ? output.find('{') : begin + 1;
  return nlohmann::json::parse(output.substr(from, end - from + 1), nullptr, false);
}

// One real recorded day (KXHIGHNY 2025-12-06, six strikes) converted once for the suite, and
// an Ed25519 key made with the openssl CLI (as a user would).
class CollectE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("kalshiflow_collect_e2e_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    recording_ = new std::string((*dir_ / "day.kfrec").string());
    recording::ConvertOptions options;
    options.seed = 7;
    const std::vector<std::string> inputs = {
        "data/demo/market_logs/market_data_KXHIGHNY-25DEC06.csv.zst"};
    auto report = recording::ConvertTopOfBookCsvToFile(inputs, *recording_, options);
    ASSERT_TRUE(report.ok()) << report.error().ToString();
    frames_ = report->frames;
    tickers_ = new std::vector<std::string>();
    for (const auto& m : report->per_market) tickers_->push_back(m.ticker);
    key_path_ = new std::string((*dir_ / "key.pem").string());
    ASSERT_EQ(RunCommand("openssl genpkey -algorithm ed25519 -out " + *key_path_).exit_code, 0);
    ::chmod(key_path_->c_str(), 0600);
    auto signer = kalshi::auth::Signer::FromFile(*key_path_);
    ASSERT_TRUE(signer.ok()) << signer.error().ToString();
    public_pem_ = new std::string(*signer->PublicKeyPem());
    // A second key the exchange does not know.
    wrong_key_path_ = new std::string((*dir_ / "wrong.pem").string());
    ASSERT_EQ(RunCommand("openssl genpkey -algorithm ed25519 -out " + *wrong_key_path_).exit_code,
              0);
    ::chmod(wrong_key_path_->c_str(), 0600);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
  }

  // `speed` 0 = as fast as the subscribers read; else replay time / wall time.
  std::unique_ptr<exchange::ExchangeServer> StartExchange(exchange::FaultOptions faults = {},
                                                          double speed = 0) {
    exchange::ExchangeOptions options;
    options.tls = true;
    options.api_keys = {{"test-key", *public_pem_}};
    options.recordings = {*recording_};
    options.speed = speed;
    options.faults = faults;
    auto server = exchange::ExchangeServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.error().ToString();
    return server.ok() ? std::move(*server) : nullptr;
  }

  // `kalshiflow actor --mode <mode> --selector hardcoded <extra>` against `server` (trusting its
  // certificate, written as <name>.pem), discovering its markets, into <name>.db; returns the
  // command line and the database URL.
  std::pair<std::string, std::string> ActorCommand(const exchange::ExchangeServer& server,
                                                   const std::string& name, const std::string& mode,
                                                   const std::string& extra = {}) {
    const std::string cert = (*dir_ / (name + ".pem")).string();
    std::ofstream(cert) << server.certificate_pem();
    const std::string db = "sqlite://" + (*dir_ / (name + ".db")).string();
    return {std::string(KF_CLI_PATH) + " actor --mode " + mode + " --selector hardcoded " + extra +
                " --ws-url " + server.ws_url() + " --rest-url " + server.rest_url() +
                " --ca-file " + cert + " --api-key-id test-key --private-key " + *key_path_ +
                " --market-mode discovery --market-limit 100 --idle-exit 1 --duration 300" +
                " --json --database-url " + db,
            db};
  }

  // A `kalshiflow actor` process (paper, hardcoded, the test's markets by config, idle exit
  // after 5 s) trading `server`'s paced replay with its API on an ephemeral port; `extra`
  // flags are appended. The port is known once the API listens (0 if it never did); Join()
  // waits for the process to exit.
  struct ActorWithApi {
    std::thread thread;
    RunResult run;
    int port = 0;
    void Join() {
      if (thread.joinable()) thread.join();
    }
    ~ActorWithApi() { Join(); }
  };
  std::unique_ptr<ActorWithApi> StartActorWithApi(const exchange::ExchangeServer& server,
                                                  const std::string& name,
                                                  const std::string& extra = {}) {
    const std::string cert = (*dir_ / (name + ".pem")).string();
    std::ofstream(cert) << server.certificate_pem();
    const std::string db = "sqlite://" + (*dir_ / (name + ".db")).string();
    const std::string port_file = (*dir_ / (name + ".port")).string();
    std::string tickers;
    for (const auto& t : *tickers_) tickers += (tickers.empty() ? "" : ",") + t;
    const std::string command =
        std::string(KF_CLI_PATH) + " actor --mode paper --selector hardcoded --ws-url " +
        server.ws_url() + " --ca-file " + cert + " --api-key-id test-key --private-key " +
        *key_path_ + " --market-mode config --tickers " + tickers +
        " --idle-exit 5 --duration 300 --json --api-port 0 --api-port-file " + port_file +
        " --database-url " + db + " " + extra;
    auto actor = std::make_unique<ActorWithApi>();
    ActorWithApi* a = actor.get();
    a->thread = std::thread([a, command] { a->run = RunCommand(command); });
    for (int i = 0; i < 600 && a->port == 0; ++i) {
      std::ifstream in(port_file);
      if (!(in >> a->port)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return actor;
  }

  struct LiveRun {
    feed::CollectorStats stats;
    uint64_t disconnects = 0;
    exchange::ExchangeStats exchange;
    feed::VerifyReport verify;
  };

  // Collects until the replay is over, every book is live and nothing arrived for 500 ms.
  // `hook` (optional) is the collector's actor-trigger hook; `store_out` / `session_out`
  // (optional) receive the database and the session, still open, for reading back.
  LiveRun CollectLive(exchange::FaultOptions faults, feed::ActorTriggerHook hook = {},
                      std::unique_ptr<storage::Store>* store_out = nullptr,
                      storage::SessionId* session_out = nullptr) {
    LiveRun run;
    auto server = StartExchange(faults);
    if (!server) return run;
    const std::string db = (*dir_ / ("live-" + std::to_string(++runs_) + ".db")).string();
    auto store = storage::OpenStore("sqlite://" + db);
    EXPECT_TRUE(store.ok());
    storage::NewSession session;
    session.market_tickers = *tickers_;
    session.websocket_url = server->ws_url();
    session.environment = storage::Environment::kLocal;
    auto id = (*store)->CreateSession(session);
    EXPECT_TRUE(id.ok());
    storage::WriteQueueOptions queue_options;
    queue_options.capacity = 1'000'000;
    auto queue = storage::WriteQueue::Create(**store, queue_options);
    EXPECT_TRUE(queue.ok());
    auto signer = kalshi::auth::Signer::FromFile(*key_path_);
    EXPECT_TRUE(signer.ok());
    net::WebSocketClientOptions client;
    client.url = server->ws_url();
    client.tls.ca_pem = server->certificate_pem();
    client.backoff.initial = 10ms;
    client.backoff.max = 100ms;
    const kalshi::auth::Signer* s = &*signer;
    client.headers = [s]() -> core::Result<std::vector<std::pair<std::string, std::string>>> {
      KF_ASSIGN_OR_RETURN(auto auth,
                          kalshi::auth::MakeAuthHeaders("test-key", *s, core::RealClock::Instance(),
                                                        "GET", "/trade-api/ws/v2"));
      std::vector<std::pair<std::string, std::string>> out;
      for (const auto& [n, v] : auth.List()) out.emplace_back(n, v);
      return out;
    };
    feed::CollectorOptions collector;
    collector.session_id = *id;
    collector.market_tickers = *tickers_;
    collector.snapshot_timeout = 2s;
    auto live =
        feed::LiveCollector::Create(client, collector, queue->get(), &core::RealClock::Instance());
    EXPECT_TRUE(live.ok()) << live.error().ToString();
    if (hook) (*live)->collector().SetActorTriggerHook(std::move(hook));
    EXPECT_TRUE((*live)->Start().ok());
    uint64_t last_frames = 0;
    auto idle_since = std::chrono::steady_clock::now();
    const auto deadline = std::chrono::steady_clock::now() + 240s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      (*live)->Tick();
      const auto stats = (*live)->collector().Stats();
      const auto now = std::chrono::steady_clock::now();
      if (stats.frames != last_frames) {
        last_frames = stats.frames;
        idle_since = now;
      }
      if (server->Stats().replay_finished && stats.markets_live == tickers_->size() &&
          now - idle_since > 500ms) {
        break;
      }
    }
    (*live)->Stop();
    run.stats = (*live)->collector().Stats();
    run.disconnects = (*live)->disconnects();
    EXPECT_FALSE((*live)->fatal_error().has_value());
    run.exchange = server->Stats();
    server->Stop();
    EXPECT_TRUE((*queue)->Shutdown().ok());
    EXPECT_EQ((*queue)->Stats().dropped, 0u);
    auto verify = feed::VerifySession(**store, *id, *recording_);
    EXPECT_TRUE(verify.ok());
    if (verify.ok()) run.verify = *verify;
    if (session_out != nullptr) *session_out = *id;
    if (store_out != nullptr) *store_out = std::move(*store);
    return run;
  }

  static inline fs::path* dir_ = nullptr;
  static inline std::string* recording_ = nullptr;
  static inline int64_t frames_ = 0;
  static inline std::vector<std::string>* tickers_ = nullptr;
  static inline std::string* key_path_ = nullptr;
  static inline std::string* wrong_key_path_ = nullptr;
  static inline std::string* public_pem_ = nullptr;
  static inline int runs_ = 0;
};

void ExpectFinalBooksEqualTruth(const feed::VerifyReport& v, size_t markets) {
  EXPECT_EQ(v.mismatches, 0) << (v.first_mismatches.empty() ? "" : v.first_mismatches.front());
  EXPECT_EQ(v.final_books_equal, static_cast<int64_t>(markets));
  EXPECT_GT(v.books_checked, 0);
}

TEST_F(CollectE2eTest, CleanReplayIsStoredExactly) {
  const LiveRun run = CollectLive({});
  EXPECT_EQ(run.stats.gaps, 0u);
  EXPECT_EQ(run.stats.duplicates, 0u);
  EXPECT_EQ(run.stats.decode_errors, 0u);
  EXPECT_EQ(run.stats.rows_dropped, 0u);
  EXPECT_EQ(run.disconnects, 0u);
  EXPECT_EQ(static_cast<int64_t>(run.stats.snapshots + run.stats.deltas), frames_);
  EXPECT_EQ(run.verify.stored_snapshots + run.verify.stored_deltas, frames_);
  EXPECT_EQ(run.verify.in_step, frames_);
  ExpectFinalBooksEqualTruth(run.verify, tickers_->size());
}

TEST_F(CollectE2eTest, RecoversFromDroppedConnections) {
  exchange::FaultOptions faults;
  faults.drop_connection_every = 4000;
  const LiveRun run = CollectLive(faults);
  EXPECT_GE(run.exchange.faults_dropped_connections, 1u);
  EXPECT_EQ(run.disconnects, run.exchange.faults_dropped_connections);
  EXPECT_EQ(run.stats.connects, run.disconnects + 1);
  ExpectFinalBooksEqualTruth(run.verify, tickers_->size());
}

TEST_F(CollectE2eTest, ResyncsAfterSkippedSeq) {
  exchange::FaultOptions faults;
  faults.skip_seq_every = 3001;
  const LiveRun run = CollectLive(faults);
  EXPECT_GE(run.exchange.faults_skipped_seqs, 1u);
  // Every gap the collector saw is one the exchange injected. A skip can land on a frame of a
  // subscription the collector has already dropped (resubscribe after a resync deadline under
  // load); such frames are ignored and counted as stale, so gaps may be fewer than skips.
  EXPECT_GE(run.stats.gaps, 1u);
  EXPECT_LE(run.stats.gaps, run.exchange.faults_skipped_seqs);
  EXPECT_GE(run.stats.resync_requests, 1u);
  ExpectFinalBooksEqualTruth(run.verify, tickers_->size());
}

TEST_F(CollectE2eTest, DropsDuplicateFrames) {
  exchange::FaultOptions faults;
  faults.duplicate_every = 1000;
  const LiveRun run = CollectLive(faults);
  EXPECT_GE(run.exchange.faults_duplicates, 1u);
  EXPECT_EQ(run.stats.duplicates, run.exchange.faults_duplicates);
  EXPECT_EQ(run.stats.gaps, 0u);
  EXPECT_EQ(run.verify.in_step, frames_);
  ExpectFinalBooksEqualTruth(run.verify, tickers_->size());
}

TEST_F(CollectE2eTest, CountsMalformedFramesAndContinues) {
  exchange::FaultOptions faults;
  faults.malformed_every = 1000;
  const LiveRun run = CollectLive(faults);
  EXPECT_GE(run.exchange.faults_malformed, 1u);
  EXPECT_EQ(run.stats.decode_errors, run.exchange.faults_malformed);
  EXPECT_EQ(run.stats.gaps, 0u);
  EXPECT_EQ(static_cast<int64_t>(run.stats.snapshots + run.stats.deltas), frames_);
  ExpectFinalBooksEqualTruth(run.verify, tickers_->size());
}

// Train/serve parity over the socket (issue 5 item 4): the real recorded day goes exchange →
// TLS WebSocket → collector → the actor's observation state (actor::LiveFeatures, fed by the
// collector's trigger hook after write-queue acceptance, as ActorService feeds it), and,
// from the rows the same collection stored, through the training loader (env::SessionData +
// ReplayEnv). The 52-float observation of every data point the live side observes equals
// training's in float32.
TEST_F(CollectE2eTest, ObservationsOverTheSocketEqualTheTrainingLoaders) {
  actor::LiveFeatures live;
  const env::EnvConfig config;
  actor::testing::LiveObservationRecorder recorder(live, config.initial_cash);
  auto record = [&](const std::string& ticker) { recorder.Record(ticker); };
  std::vector<uint32_t> ingested;
  int64_t hook_calls = 0;
  auto hook = [&](const feed::ActorTrigger& t) {
    ++hook_calls;
    const std::string ticker(t.market_ticker);
    record(ticker);  // the market's observation before this update (its last point complete)
    ingested.clear();
    live.Ingest(actor::AcceptedUpdate{ticker, t.seq, t.exchange_ts_ms, t.received.millis(), t.book},
                &ingested);
  };
  std::unique_ptr<storage::Store> store;
  storage::SessionId session = 0;
  const LiveRun run = CollectLive({}, hook, &store, &session);
  ExpectFinalBooksEqualTruth(run.verify, tickers_->size());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(hook_calls, frames_);  // every accepted update reached the actor's state
  for (const auto& ticker : *tickers_) record(ticker);

  // Training side: the stored session through the loader, every market's observations under
  // HOLD by data-point time.
  const std::vector<storage::SessionId> ids = {session};
  auto data = env::SessionData::Load(*store, ids);
  ASSERT_TRUE(data.ok()) << data.error().ToString();
  auto shared = std::make_shared<const env::SessionData>(std::move(data).value());
  auto created = env::ReplayEnv::Create(shared, config);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  env::ReplayEnv& replay = **created;
  const actor::testing::ObservationsByPoint training = actor::testing::TrainingObservations(replay);
  ASSERT_FALSE(training.empty());
  const int64_t compared = actor::testing::ExpectLiveEqualsTraining(training, recorder.by_point());
  EXPECT_GT(compared, 1000);
}

TEST_F(CollectE2eTest, CollectCliDiscoversCollectsAndVerifies) {
  auto server = StartExchange();
  ASSERT_NE(server, nullptr);
  const std::string cert = (*dir_ / "cert.pem").string();
  std::ofstream(cert) << server->certificate_pem();
  const std::string db = "sqlite://" + (*dir_ / "cli.db").string();
  auto r =
      RunCommand(std::string(KF_CLI_PATH) + " collect --ws-url " + server->ws_url() +
                 " --rest-url " + server->rest_url() + " --ca-file " + cert +
                 " --api-key-id test-key --private-key " + *key_path_ +
                 " --market-mode discovery --market-limit 100 --idle-exit 1 --duration 300 --json"
                 " --database-url " +
                 db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = LastJsonObject(r.output);
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["status"], "closed");
  EXPECT_EQ(j["stop_reason"], "done");
  EXPECT_EQ(j["gaps"], 0);
  EXPECT_EQ(j["drops"], 0);
  EXPECT_EQ(j["snapshots"].get<int64_t>() + j["deltas"].get<int64_t>(), frames_);
  const int64_t id = j["session_id"].get<int64_t>();
  auto verify = RunCommand(std::string(KF_CLI_PATH) + " sessions verify " + std::to_string(id) +
                           " --recording " + *recording_ + " --json --database-url " + db);
  ASSERT_EQ(verify.exit_code, 0) << verify.output;
  auto v = LastJsonObject(verify.output);
  EXPECT_EQ(v["mismatches"], 0);
  EXPECT_EQ(v["books_checked"].get<int64_t>(), frames_);
  EXPECT_EQ(v["final_books_equal"].get<int64_t>(), static_cast<int64_t>(tickers_->size()));
  auto show = RunCommand(std::string(KF_CLI_PATH) + " sessions show " + std::to_string(id) +
                         " --json --database-url " + db);
  auto s = LastJsonObject(show.output);
  EXPECT_EQ(s["environment"], "local");
  EXPECT_EQ(s["status"], "closed");
}

// `kalshiflow actor` in paper mode: the collector with the actor on its trigger hook against
// the local exchange replaying a real day; the mean-reversion rule trades, every decision is
// persisted in rl_actor_events.
TEST_F(CollectE2eTest, ActorCliTradesInPaperModeAndPersistsEveryDecision) {
  auto server = StartExchange();
  ASSERT_NE(server, nullptr);
  const auto [command, db] =
      ActorCommand(*server, "actor-paper", "paper", "--stop-loss 0.5 --take-profit 1.0");
  auto r = RunCommand(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = LastJsonObject(r.output);
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["collect"]["status"], "closed");
  EXPECT_EQ(j["collect"]["drops"], 0);
  const auto& a = j["actor"];
  EXPECT_EQ(a["mode"], "paper");
  EXPECT_EQ(a["selector"], "hardcoded");
  EXPECT_EQ(a["updates"].get<int64_t>(), frames_);  // every accepted update reached the actor
  EXPECT_GT(a["decisions"].get<int64_t>(), 0);
  EXPECT_GT(a["orders_placed"].get<int64_t>(), 0);
  EXPECT_GT(a["fills"].get<int64_t>(), 0);
  EXPECT_EQ(a["errors"], 0);
  EXPECT_EQ(a["events_persisted"], a["decisions"]);
  EXPECT_EQ(a["session_id"], j["collect"]["session_id"]);
  // Position health, with the rules given on the command line: stop-loss and take-profit exits
  // are sent on this day.
  EXPECT_GT(a["exits"]["stop_loss"].get<int64_t>() + a["exits"]["take_profit"].get<int64_t>(), 0)
      << a["exits"].dump();
  auto store = storage::OpenStore(db);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(storage::testing::CountRows(**store, "rl_actor_events"), a["decisions"].get<int64_t>());
}

// The closing-soon rule end to end: discovery reads each market's close_time from GET /markets
// (the local exchange reports a market's last recorded update), and with a window longer than
// the whole day every position the rule opens is closed at its market's next decision.
TEST_F(CollectE2eTest, ActorCliClosesPositionsAsTheirMarketsNearTheirCloseTime) {
  auto server = StartExchange();
  ASSERT_NE(server, nullptr);
  auto r =
      RunCommand(ActorCommand(*server, "actor-close", "paper", "--closing-soon-s 300000").first);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = LastJsonObject(r.output);
  ASSERT_TRUE(j.is_object()) << r.output;
  const auto& a = j["actor"];
  EXPECT_GT(a["fills"].get<int64_t>(), 0);
  EXPECT_GT(a["exits"]["closing_soon"].get<int64_t>(), 0) << a["exits"].dump();
  EXPECT_EQ(a["errors"], 0);
  // After each exit, entries stay blocked for the re-entry cool-down.
  EXPECT_GT(a["risk_rejects"]["entry_blocked"].get<int64_t>(), 0) << a["risk_rejects"].dump();
}

// `kalshiflow actor --mode demo` against the local exchange: the same rule, its orders sent as
// signed V2 REST requests and matched against the replayed book, fills and positions back on
// the private channels; at the end the account reconciles exactly with the exchange's.
TEST_F(CollectE2eTest, ActorCliTradesInDemoModeOnTheExchangeAndReconciles) {
  auto server = StartExchange();
  ASSERT_NE(server, nullptr);
  auto r = RunCommand(ActorCommand(*server, "actor-demo", "demo").first);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = LastJsonObject(r.output);
  ASSERT_TRUE(j.is_object()) << r.output;
  const auto& a = j["actor"];
  EXPECT_EQ(a["mode"], "kalshi");
  EXPECT_EQ(a["updates"].get<int64_t>(), frames_);
  EXPECT_GT(a["orders_placed"].get<int64_t>(), 0);
  EXPECT_GT(a["fills"].get<int64_t>(), 0);
  EXPECT_EQ(a["errors"], 0);
  EXPECT_EQ(a["events_persisted"], a["decisions"]);
  EXPECT_TRUE(a["reconciliation"]["matched"].get<bool>()) << a["reconciliation"].dump();
  EXPECT_EQ(a["reconciliation"]["fills"], a["fills"]);
  EXPECT_EQ(a["reconciliation"]["exchange_fills"], a["fills"]);
  // The exchange's account started at the key's balance ($1,000) and holds what we booked.
  EXPECT_EQ(a["initial_cash_dollars"].get<double>(), 1000.0);
}

// `kalshiflow actor --api-port`: the control API of a running actor process, over real HTTP
// while it trades a paced replay (the 45-hour day at 8,000x, ~20 s): status and Prometheus
// metrics follow the decisions, runtime switches to live/production answer 501, the kill
// switch turns every later order into a risk rejection, the selector switches to `disabled`
// without a restart, and the final summary shows both.
TEST_F(CollectE2eTest, ActorCliServesTheControlApiWhileTrading) {
  auto server = StartExchange({}, /*speed=*/8000);
  ASSERT_NE(server, nullptr);
  auto actor = StartActorWithApi(*server, "actor-api", "--throttle-ms 0");
  ASSERT_GT(actor->port, 0) << "the actor never wrote its API port";
  net::HttpsClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(actor->port);
  o.retry.max_attempts = 1;
  auto client = std::move(net::HttpsClient::Create(o)).value();
  auto get = [&](const std::string& path) {
    auto r = client->Get(path);
    EXPECT_TRUE(r.ok()) << path << ": " << r.error().ToString();
    return r.ok() ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  };
  auto post = [&](const std::string& path, const std::string& body) {
    auto r = client->Request("POST", path, body);
    EXPECT_TRUE(r.ok()) << path << ": " << r.error().ToString();
    return r.ok() ? *r : net::HttpResponse{};
  };
  // Trading has begun.
  nlohmann::json status;
  for (int i = 0; i < 400; ++i) {
    status = get("/rl/status");
    if (status.is_object() && status["decisions"].get<int64_t>() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(status["decisions"].get<int64_t>(), 0) << status.dump();
  EXPECT_EQ(status["mode"], "paper");
  EXPECT_EQ(status["selector"], "hardcoded");
  auto prom = client->Get("/metrics");
  ASSERT_TRUE(prom.ok());
  EXPECT_NE(prom->body.find("kalshiflow_actor_decisions_total "), std::string::npos);
  // Runtime switches to real money are refused.
  EXPECT_EQ(post("/rl/actor/set-mode", R"({"mode":"live"})").status, 501);
  EXPECT_EQ(post("/rl/actor/set-mode", R"({"mode":"production"})").status, 501);
  // The kill switch: later orders are refused by the risk checks.
  EXPECT_EQ(post("/rl/actor/kill", R"({"reason":"e2e"})").status, 200);
  nlohmann::json metrics;
  for (int i = 0; i < 400; ++i) {
    metrics = get("/rl/metrics");
    if (metrics.is_object() && metrics["risk_rejected"].get<int64_t>() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(metrics["risk_rejected"].get<int64_t>(), 0) << metrics.dump();
  EXPECT_EQ(get("/rl/health")["status"], "degraded");
  // The selector, without a restart.
  EXPECT_EQ(post("/rl/actor/switch-model", R"({"selector":"disabled"})").status, 200);
  EXPECT_EQ(get("/rl/status")["selector"], "disabled");
  actor->Join();
  ASSERT_EQ(actor->run.exit_code, 0) << actor->run.output;
  auto j = LastJsonObject(actor->run.output);
  ASSERT_TRUE(j.is_object()) << actor->run.output;
  const auto& a = j["actor"];
  EXPECT_EQ(a["selector"], "disabled");
  EXPECT_GT(a["risk_rejected"].get<int64_t>(), 0);
  EXPECT_EQ(a["errors"], 0);
  EXPECT_EQ(a["events_persisted"], a["decisions"]);
}

// The browser dashboard (DESIGN §9) in Debian's Chromium, driven by playwright-core
// (web/tests/dashboard_test.mjs): served by a real `kalshiflow actor` trading a paced replay,
// it shows the live decisions, the P&L chart, positions, markets and a book, and its buttons
// pause / resume the actor, engage / release the kill switch and switch the selector — each
// checked in the page and against the API.
TEST_F(CollectE2eTest, ActorCliServesTheDashboardInChromium) {
  auto server = StartExchange({}, /*speed=*/4000);
  ASSERT_NE(server, nullptr);
  auto actor =
      StartActorWithApi(*server, "dashboard", std::string("--api-static-dir ") + KF_WEB_DIR);
  ASSERT_GT(actor->port, 0) << "the actor never wrote its API port";
  const std::string screenshot = (*dir_ / "dashboard.png").string();
  const RunResult browser =
      RunCommand(std::string("node ") + KF_WEB_DIR + "/tests/dashboard_test.mjs http://127.0.0.1:" +
                 std::to_string(actor->port) + "/ " + screenshot);
  actor->Join();
  const nlohmann::json seen = LastJsonObject(browser.output);
  ASSERT_TRUE(seen.is_object()) << browser.output;
  ASSERT_EQ(browser.exit_code, 0) << seen.dump(2) << "\n" << browser.output;
  EXPECT_EQ(seen["mode"], "paper");
  EXPECT_GT(seen["decisions"].get<int64_t>(), 0);
  EXPECT_GT(seen["decision_rows"].get<int64_t>(), 0);
  EXPECT_EQ(seen["market_rows"].get<size_t>(), tickers_->size());
  EXPECT_GT(seen["position_rows"].get<int64_t>(), 0);
  EXPECT_GT(seen["book_rows"].get<int64_t>(), 0);
  EXPECT_GE(seen["pnl_points"].get<int64_t>(), 2);
  EXPECT_EQ(seen["chart_canvas"].get<int64_t>(), 1);
  EXPECT_NE(std::find(tickers_->begin(), tickers_->end(), seen["book_ticker"].get<std::string>()),
            tickers_->end())
      << seen["book_ticker"];
  EXPECT_TRUE(seen["paused_api"].get<bool>());
  EXPECT_TRUE(seen["resumed_api"].get<bool>());
  EXPECT_TRUE(seen["kill_api"].get<bool>());
  EXPECT_TRUE(seen["released_api"].get<bool>());
  EXPECT_EQ(seen["selector_api"], "disabled");
  EXPECT_TRUE(seen["console_errors"].empty()) << seen["console_errors"].dump();
  EXPECT_GT(std::filesystem::file_size(screenshot), 10'000u);
  if (const char* keep = std::getenv("KF_DASHBOARD_SCREENSHOT")) {  // to look at it
    std::filesystem::copy_file(screenshot, keep, std::filesystem::copy_options::overwrite_existing);
  }
  ASSERT_EQ(actor->run.exit_code, 0) << actor->run.output;
  const auto j = LastJsonObject(actor->run.output);
  ASSERT_TRUE(j.is_object()) << actor->run.output;
  EXPECT_EQ(j["actor"]["selector"], "disabled");
  EXPECT_EQ(j["actor"]["errors"], 0);
}

// Production trading stays behind explicit confirmation (DESIGN §8), checked before anything
// touches the network; so is the environment a mode may trade on.
TEST_F(CollectE2eTest, ActorCliRefusesProductionWithoutConfirmationAndMismatchedModes) {
  const std::string cli = std::string(KF_CLI_PATH);
  auto r = RunCommand("env -u KALSHI_PRODUCTION_CONFIRMED " + cli + " actor --mode production");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("KALSHI_PRODUCTION_CONFIRMED=true"), std::string::npos) << r.output;
  // Confirmed, but the environment is demo: production orders would go to the wrong place.
  r = RunCommand("env -u KALSHI_TRADING_ENVIRONMENT KALSHI_PRODUCTION_CONFIRMED=true " + cli +
                 " actor --mode production");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.find("needs KALSHI_PRODUCTION_CONFIRMED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("needs --environment production"), std::string::npos) << r.output;
  // Demo mode never trades on production.
  r = RunCommand(cli + " actor --mode demo --environment production");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("never trades on production"), std::string::npos) << r.output;
  r = RunCommand(cli + " actor --mode live");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("'live'"), std::string::npos) << r.output;
  r = RunCommand(cli + " actor --selector rl_model");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--model"), std::string::npos) << r.output;
}

TEST_F(CollectE2eTest, BadCredentialsStopCollectWithTheCause) {
  auto server = StartExchange();
  ASSERT_NE(server, nullptr);
  const std::string cert = (*dir_ / "cert401.pem").string();
  std::ofstream(cert) << server->certificate_pem();
  const std::string db = "sqlite://" + (*dir_ / "cli401.db").string();
  auto r = RunCommand(std::string(KF_CLI_PATH) + " collect --ws-url " + server->ws_url() +
                      " --ca-file " + cert + " --api-key-id test-key --private-key " +
                      *wrong_key_path_ + " --market-mode config --tickers " + tickers_->front() +
                      " --duration 60 --database-url " + db);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("401"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("authentication_error"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("credentials"), std::string::npos) << r.output;
  EXPECT_GE(server->Stats().auth_failures, 1u);
  // The session is closed as error with the cause.
  auto show = RunCommand(std::string(KF_CLI_PATH) + " sessions list --json --database-url " + db);
  auto j = LastJsonObject(show.output);
  ASSERT_TRUE(j.is_object()) << show.output;
  ASSERT_EQ(j["sessions"].size(), 1u);
  EXPECT_EQ(j["sessions"][0]["status"], "error");
  EXPECT_NE(j["sessions"][0]["error"].get<std::string>().find("401"), std::string::npos);
  // A key file readable by others is refused before any connection.
  const std::string open_key = (*dir_ / "open.pem").string();
  fs::copy_file(*key_path_, open_key, fs::copy_options::overwrite_existing);
  ::chmod(open_key.c_str(), 0644);
  auto perm =
      RunCommand(std::string(KF_CLI_PATH) + " collect --ws-url " + server->ws_url() +
                 " --api-key-id test-key --private-key " + open_key +
                 " --market-mode config --tickers " + tickers_->front() + " --database-url " + db);
  EXPECT_NE(perm.exit_code, 0);
  EXPECT_NE(perm.output.find("0644"), std::string::npos) << perm.output;
}

}  // namespace
}  // namespace kalshiflow
