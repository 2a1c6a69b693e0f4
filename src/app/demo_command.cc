// `kalshiflow demo`: the main job on the bundled real data, on one machine, with no
// credentials and no outside network:
//   1. convert the bundled real Kalshi top-of-book logs (data/demo/market_logs/*.csv.zst) into
//      a recording of current-format orderbook_snapshot / orderbook_delta frames;
//   2. start the local Kalshi-compatible exchange on it (loopback TLS, self-signed certificate,
//      a throwaway Ed25519 API key it verifies like Kalshi);
//   3. discover the open markets with a signed HTTPS GET /markets;
//   4. run the collector over the TLS WebSocket into a fresh SQLite database (environment
//      "local") until the replay has been received (or --duration);
//   5. rebuild every stored book and compare it with the recording (sessions verify);
//   6. train a PPO agent on the recorded session (kalshiflow-train, --train-steps);
//   7. evaluate it beside the HOLD / random / mean-reversion baselines with the simulator;
//   8. run the actor in paper mode on a second replay of the recording through the collector
//      (the trained model; the mean-reversion rule with --train-steps 0), paper fills against
//      the live books, in market time;
//   9. print a summary (or --json, with the actor's decisions, orders_placed, fills, errors,
//      pnl_dollars and decision latency at the top level).
// Later: the actor against the local exchange's order endpoints (demo mode) and the dashboard.
#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/collect_runner.h"
#include "app/commands.h"
#include "app/trading_actor.h"
#include "book/book_set.h"
#include "core/time.h"
#include "exchange/exchange_server.h"
#include "feed/discovery.h"
#include "feed/integrity.h"
#include "kalshi/auth/signer.h"
#include "kalshi/decoder.h"
#include "net/https_client.h"
#include "recording/convert.h"
#include "recording/format.h"
#include "recording/stats.h"
#include "storage/database_url.h"
#include "storage/write_queue.h"
#include "trading/kalshi_order_manager.h"
#include "trading/kalshi_trading_client.h"

namespace kalshiflow::app {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  std::string data_dir = "data/demo";
  std::string out_dir = "data/demo-run";
  uint64_t seed = 1;
  double speed = 0;              // exchange replay speed; 0 = max
  double duration_s = 60;        // upper bound on the collection
  int64_t train_steps = 20'480;  // PPO env steps after the collection (0: skip training)
  bool actor = true;             // step 8: the paper actor on a second replay
  bool demo_mode = true;         // step 9: the actor in demo mode (V2 orders on the exchange)
  bool json = false;
};

std::string ShellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `command` (a shell command line; stderr passes through to ours) and parses its stdout
// as one JSON object. Throws CommandFailed naming the step on a non-zero exit or bad output.
nlohmann::json RunJsonStep(const std::string& command, const std::string& step) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw CommandFailed(1, fmt::format("demo: {}: cannot start", step));
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw CommandFailed(1, fmt::format("demo: {} failed (exit status {}); see its message above",
                                       step, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  auto j = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw CommandFailed(1, fmt::format("demo: {}: unreadable output", step));
  return j;
}

std::vector<std::string> FindInputs(const fs::path& dir) {
  std::vector<std::string> inputs;
  std::error_code ec;  // the non-throwing overloads: a missing folder gives an empty list
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && (name.ends_with(".csv.zst") || name.ends_with(".csv"))) {
      inputs.push_back(it->path().string());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

// The collection's stop condition: the exchange's replay is over and every market frame it sent
// has been received.
std::function<bool(const feed::CollectorStats&)> ReplayReceived(exchange::ExchangeServer* server) {
  return [server](const feed::CollectorStats& c) {
    const exchange::ExchangeStats e = server->Stats();
    return e.replay_finished && c.snapshots + c.deltas + c.duplicates + c.refused + c.trades +
                                        c.tickers + c.decode_errors >=
                                    e.market_frames_sent;
  };
}

void RunDemo(const DemoArgs& args) {
  // With --json, stdout carries only the summary object; progress goes to stderr.
  FILE* out = args.json ? stderr : stdout;
  const auto wall_start = std::chrono::steady_clock::now();
  const fs::path logs = fs::path(args.data_dir) / "market_logs";
  const std::vector<std::string> inputs = FindInputs(logs);
  if (inputs.empty()) {
    throw CommandFailed(1, fmt::format("demo: no *.csv.zst market logs in {} (run from the "
                                       "repository root or pass --data-dir)",
                                       logs.string()));
  }
  std::error_code ec;
  fs::create_directories(args.out_dir, ec);
  if (ec)
    throw CommandFailed(1, fmt::format("demo: cannot create {}: {}", args.out_dir, ec.message()));
  const std::string recording_path = (fs::path(args.out_dir) / "demo.kfrec").string();
  const std::string db_path = (fs::path(args.out_dir) / "kalshiflow.db").string();

  // 1. Convert.
  std::fprintf(out, "kalshiflow demo: %zu real Kalshi top-of-book logs from %s\n", inputs.size(),
               logs.string().c_str());
  recording::ConvertOptions convert_options;
  convert_options.seed = args.seed;
  convert_options.creator = "kalshiflow 0.1.0 demo";
  int64_t malformed_printed = 0;
  convert_options.on_malformed = [&](const recording::MalformedLine& m) {
    if (malformed_printed++ < 20) std::fprintf(stderr, "%s (skipped)\n", m.ToString().c_str());
  };
  auto report = recording::ConvertTopOfBookCsvToFile(inputs, recording_path, convert_options);
  if (!report.ok())
    throw CommandFailed(1, fmt::format("demo: convert: {}", report.error().ToString()));
  std::fprintf(out,
               "  1. converted %lld rows (%lld malformed, skipped) of %lld markets into %lld "
               "frames -> %s (%llu bytes)\n",
               static_cast<long long>(report->rows), static_cast<long long>(report->rows_malformed),
               static_cast<long long>(report->markets), static_cast<long long>(report->frames),
               recording_path.c_str(), static_cast<unsigned long long>(report->output_bytes));

  // 2. The local Kalshi-compatible exchange on loopback TLS, with a throwaway Ed25519 key.
  auto generated = kalshi::auth::Signer::GenerateEd25519();
  if (!generated.ok()) throw CommandFailed(1, "demo: key: " + generated.error().ToString());
  const auto signer = std::make_shared<const kalshi::auth::Signer>(std::move(generated).value());
  auto public_pem = signer->PublicKeyPem();
  if (!public_pem.ok()) throw CommandFailed(1, "demo: key: " + public_pem.error().ToString());
  const std::string key_id = "kalshiflow-demo-key";
  exchange::ExchangeOptions exchange_options;
  exchange_options.tls = true;  // self-signed certificate generated in memory
  exchange_options.api_keys = {{key_id, *public_pem}};
  exchange_options.recordings = {recording_path};
  exchange_options.speed = args.speed;
  exchange_options.start = exchange::ReplayStart::kOnFirstSubscription;
  auto exchange = exchange::ExchangeServer::Start(exchange_options);
  if (!exchange.ok()) throw CommandFailed(1, "demo: exchange: " + exchange.error().ToString());
  const std::string cert_path = (fs::path(args.out_dir) / "exchange-cert.pem").string();
  if (FILE* f = std::fopen(cert_path.c_str(), "w")) {
    std::fputs((*exchange)->certificate_pem().c_str(), f);
    std::fclose(f);
  }
  std::fprintf(out,
               "  2. local exchange replaying it at %s (REST %s), TLS with a self-signed "
               "certificate (%s), speed %s\n",
               (*exchange)->ws_url().c_str(), (*exchange)->rest_url().c_str(), cert_path.c_str(),
               args.speed == 0 ? "max" : fmt::format("{}x", args.speed).c_str());

  // 3. Market discovery over signed HTTPS (RL_MARKET_MODE=discovery, as against Kalshi).
  net::TlsClientOptions tls;
  tls.ca_pem = (*exchange)->certificate_pem();
  net::HttpsClientOptions http;
  http.base_url = (*exchange)->rest_url();
  http.tls = tls;
  const kalshi::auth::Signer* signer_ptr = signer.get();
  http.signer = [&key_id, signer_ptr](std::string_view method, std::string_view path)
      -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    KF_ASSIGN_OR_RETURN(
        auto auth, kalshi::auth::MakeAuthHeaders(key_id, *signer_ptr, core::RealClock::Instance(),
                                                 method, path));
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [n, v] : auth.List()) headers.emplace_back(n, v);
    return headers;
  };
  auto rest = net::HttpsClient::Create(std::move(http));
  if (!rest.ok()) throw CommandFailed(1, "demo: " + rest.error().ToString());
  feed::DiscoveryOptions discovery;
  discovery.limit = 1000;
  auto markets = feed::DiscoverMarkets(**rest, discovery);
  if (!markets.ok()) throw CommandFailed(1, "demo: discovery: " + markets.error().ToString());
  std::vector<std::string> tickers;
  for (const auto& m : *markets) tickers.push_back(m.ticker);
  std::fprintf(out, "  3. discovered %zu open markets with GET /markets (signed HTTPS)\n",
               tickers.size());

  // 4. The collector over the loopback TLS WebSocket into SQLite.
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path + suffix, ec);
  const fs::path db_absolute = fs::absolute(db_path, ec);
  if (ec) throw CommandFailed(1, fmt::format("demo: {}: {}", db_path, ec.message()));
  auto store = storage::OpenStore("sqlite://" + db_absolute.string());
  if (!store.ok())
    throw CommandFailed(1, fmt::format("demo: database: {}", store.error().ToString()));
  CollectRunConfig config;
  config.ws_url = (*exchange)->ws_url();
  config.tls = tls;
  config.api_key_id = key_id;
  config.signer = signer.get();
  config.market_tickers = tickers;
  config.environment = storage::Environment::kLocal;
  config.duration = std::chrono::milliseconds(static_cast<int64_t>(args.duration_s * 1000));
  config.live_stats = !args.json;
  // The whole recording fits in the queue's bound: the demo never drops, whatever the disk.
  config.queue_capacity =
      static_cast<std::size_t>(std::max<int64_t>(2 * report->frames + 1000, 100'000));
  config.done = ReplayReceived(exchange->get());
  InstallStopSignalHandlers();
  const CollectRunSummary collected = RunCollection(config, **store);
  const exchange::ExchangeStats exchange_stats = (*exchange)->Stats();
  (*exchange)->Stop();
  const auto& c = collected.collector;
  std::fprintf(
      out,
      "  4. collector: %llu frames in %.2f s (%.0f msgs/s over loopback TLS): %llu snapshots, "
      "%llu deltas, %llu gaps, %llu duplicates, %llu decode errors, %llu drops, %llu reconnects "
      "-> session %lld in %s (%s, stopped by %s)\n",
      static_cast<unsigned long long>(c.frames), collected.seconds, collected.messages_per_second,
      static_cast<unsigned long long>(c.snapshots), static_cast<unsigned long long>(c.deltas),
      static_cast<unsigned long long>(c.gaps), static_cast<unsigned long long>(c.duplicates),
      static_cast<unsigned long long>(c.decode_errors),
      static_cast<unsigned long long>(c.rows_dropped),
      static_cast<unsigned long long>(collected.disconnects),
      static_cast<long long>(collected.session_id), db_path.c_str(),
      std::string(storage::SessionStatusName(collected.status)).c_str(),
      collected.stop_reason.c_str());

  // 5. Integrity: rebuild every book from the stored rows against the recording.
  auto verify = feed::VerifySession(**store, collected.session_id, recording_path);
  if (!verify.ok()) throw CommandFailed(1, "demo: verify: " + verify.error().ToString());
  std::fprintf(
      out,
      "  5. integrity: %lld books checked against the recording, %lld mismatches, %lld of %lld "
      "final books equal; stored %lld updates, recording %lld\n",
      static_cast<long long>(verify->books_checked), static_cast<long long>(verify->mismatches),
      static_cast<long long>(verify->final_books_equal), static_cast<long long>(verify->markets),
      static_cast<long long>(verify->stored_snapshots + verify->stored_deltas),
      static_cast<long long>(verify->recording_updates));
  for (const auto& m : verify->first_mismatches)
    std::fprintf(out, "     mismatch: %s\n", m.c_str());

  double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const std::string cli = ec ? std::string("kalshiflow") : self.string();
  const bool complete =
      verify->stored_snapshots + verify->stored_deltas == verify->recording_updates;
  if (!complete) {
    std::fprintf(out,
                 "  the collection stopped (%s) before the whole replay arrived: %lld of %lld "
                 "updates stored; raise --duration\n",
                 collected.stop_reason.c_str(),
                 static_cast<long long>(verify->stored_snapshots + verify->stored_deltas),
                 static_cast<long long>(verify->recording_updates));
  }
  // Every reason the demo fails, named: the JSON's "failures" and the final error message.
  std::vector<std::string> failures;
  if (collected.status != storage::SessionStatus::kClosed) {
    failures.push_back(fmt::format("collect: the session ended {} ({} {})",
                                   storage::SessionStatusName(collected.status),
                                   collected.stop_reason, collected.error));
  }
  if (!verify->ok()) {
    failures.push_back(fmt::format("verify: {} book mismatches, {} of {} final books equal",
                                   verify->mismatches, verify->final_books_equal, verify->markets));
  }
  if (!complete) failures.push_back("collect: stopped before the whole replay arrived");
  if (c.rows_dropped != 0) {
    failures.push_back(fmt::format("collect: {} rows dropped", c.rows_dropped));
  }
  if (c.decode_errors != 0) {
    failures.push_back(fmt::format("collect: {} decode errors", c.decode_errors));
  }
  if (c.gaps != 0) failures.push_back(fmt::format("collect: {} sequence gaps", c.gaps));
  // 6. Training: PPO (SB3 defaults) on the session just recorded, by kalshiflow-train (the only
  //    binary that links LibTorch); 7. evaluation of the model beside the baselines.
  nlohmann::json trained, evaluated;
  if (args.train_steps > 0 && verify->ok() && complete) {
    const std::string db_url = "sqlite://" + db_absolute.string();
    const fs::path bin_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
    std::fprintf(out, "  6. training PPO for %lld steps on session %lld ...\n",
                 static_cast<long long>(args.train_steps),
                 static_cast<long long>(collected.session_id));
    std::fflush(out);
    trained = RunJsonStep(
        fmt::format("{} --algo ppo --steps {} --seed {} --name demo-ppo --sessions {} "
                    "--database-url {} --json",
                    ShellQuoted((bin_dir / "kalshiflow-train").string()), args.train_steps,
                    args.seed, collected.session_id, ShellQuoted(db_url)),
        "training");
    std::fprintf(out,
                 "     model %lld (%s v%lld): %lld env steps in %.1f s (%.0f env steps/s, updates "
                 "included), %lld episodes\n",
                 static_cast<long long>(trained["model_id"].get<int64_t>()),
                 trained["name"].get<std::string>().c_str(),
                 static_cast<long long>(trained["version"].get<int64_t>()),
                 static_cast<long long>(trained["timesteps"].get<int64_t>()),
                 trained["elapsed_seconds"].get<double>(),
                 trained["env_steps_per_second"].get<double>(),
                 static_cast<long long>(trained["episodes"].get<int64_t>()));
    evaluated = RunJsonStep(
        fmt::format("{} evaluate --model {} --baselines --seed {} --sessions {} --database-url {} "
                    "--json",
                    ShellQuoted((bin_dir / "kalshiflow").string()),
                    trained["model_id"].get<int64_t>(), args.seed, collected.session_id,
                    ShellQuoted(db_url)),
        "evaluation");
    std::fprintf(out,
                 "  7. evaluation on %lld episodes (one per market, same simulator, net of fees):\n"
                 "     %-16s %12s %10s %7s %6s %8s\n",
                 static_cast<long long>(evaluated["episodes"].get<int64_t>()), "policy", "P&L $",
                 "fees $", "trades", "win", "Sharpe");
    for (const auto& p : evaluated["policies"]) {
      std::fprintf(
          out, "     %-16s %12s %10s %7lld %5.1f%% %8.4f\n", p["policy"].get<std::string>().c_str(),
          p["total_pnl"].get<std::string>().c_str(), p["total_fees"].get<std::string>().c_str(),
          static_cast<long long>(p["trades"].get<int64_t>()), 100 * p["win_rate"].get<double>(),
          p["sharpe"].get<double>());
    }
  }

  // 8. The actor in paper mode, live: a second replay of the same recording through a fresh
  //    exchange and the collector, every accepted update handed to the actor (the trained
  //    model, or the mean-reversion rule without one), orders filled by the paper simulator
  //    against the live books, in market time.
  // 9. The actor in demo mode: a third replay, the same actor trading through the Kalshi order
  //    manager on the exchange's V2 order endpoints with the demo key's account (fills, orders
  //    and positions back on the private channels), then reconciled exactly against the
  //    exchange's account over REST.
  auto run_actor = [&](bool demo_mode, nlohmann::json& actor_json) {
    TradingActorOptions actor_options;
    actor_options.actor.market_mode = actor::MarketMode::kAll;
    actor_options.store = store->get();
    std::string label = "hardcoded mean reversion";
    if (trained.is_object() && trained.contains("model_id")) {
      auto model = (*store)->GetModel(trained["model_id"].get<int64_t>());
      if (!model.ok()) throw CommandFailed(1, "demo: actor: " + model.error().ToString());
      actor_options.actor.selector = actor::SelectorKind::kRlModel;
      actor_options.model_path = model->checkpoint_path;
      actor_options.model_id = model->id;
      actor_options.model_label = fmt::format("{} v{}", model->name, model->version);
      label = actor_options.model_label;
    } else {
      actor_options.actor.selector = actor::SelectorKind::kHardcoded;
    }
    exchange::ExchangeOptions replay_options = exchange_options;
    for (exchange::ApiKey& key : replay_options.api_keys) {
      key.starting_balance_cents =
          actor_options.paper.initial_cash.units() / core::Money::FromCents(1).units();
    }
    auto replay = exchange::ExchangeServer::Start(replay_options);
    if (!replay.ok()) throw CommandFailed(1, "demo: exchange: " + replay.error().ToString());
    std::unique_ptr<trading::KalshiTradingClient> client;
    trading::KalshiOrderManager* kalshi_orders = nullptr;
    if (demo_mode) {
      trading::TradingClientConfig client_config;
      client_config.environment = trading::TradingEnvironment::kLocal;
      client_config.rest_base_url = (*replay)->rest_url();
      client_config.api_key_id = key_id;
      client_config.signer = signer;
      client_config.tls.ca_pem = (*replay)->certificate_pem();
      // The replay runs faster than real time: the client's buckets get Kalshi's largest
      // tier (Prestige, 8,000 write tokens/s) rather than Basic's 100.
      client_config.budget = *net::RateBudgetForTier("prestige");
      auto created = trading::KalshiTradingClient::Create(client_config);
      if (!created.ok()) throw CommandFailed(1, "demo: client: " + created.error().ToString());
      client = std::move(created).value();
      trading::KalshiOrderManagerConfig manager_config;
      manager_config.websocket.tls.ca_pem = (*replay)->certificate_pem();
      manager_config.sync_interval = std::chrono::milliseconds(0);
      // The session's order group (DESIGN §8): at most 1,000 contracts matched per 15 s.
      manager_config.order_group_contracts_limit = core::Count::FromContracts(1000);
      auto manager = trading::KalshiOrderManager::Create(*client, manager_config);
      if (!manager.ok()) throw CommandFailed(1, "demo: orders: " + manager.error().ToString());
      kalshi_orders = manager->get();
      actor_options.orders_initial_cash = kalshi_orders->cash();
      actor_options.orders = std::move(manager).value();
    }
    TradingActor actor_run_actor(std::move(actor_options));
    CollectRunConfig actor_run = config;
    actor_run.ws_url = (*replay)->ws_url();
    actor_run.tls.ca_pem = (*replay)->certificate_pem();
    actor_run.live_stats = false;
    actor_run.done = ReplayReceived(replay->get());
    actor_run.actor_hook = actor_run_actor.Hook();
    actor_run.on_session = [&actor_run_actor](storage::SessionId id) {
      actor_run_actor.SetSessionId(id);
    };
    std::fprintf(out, "  %d. actor (%s, %s) on a %s replay through the collector ...\n",
                 demo_mode ? 9 : 8, demo_mode ? "demo: V2 orders on the local exchange" : "paper",
                 label.c_str(), demo_mode ? "third" : "second");
    std::fflush(out);
    actor_run_actor.Start();
    const CollectRunSummary actor_collected = RunCollection(actor_run, **store);
    actor_run_actor.Finish();
    // Settlement from the data: the recordings carry no results, but a resolved day ends with
    // decisive books (the winning side bid at >= $0.95); those markets settle, the rest stay
    // open and marked. Paper books the results itself; demo mode learns them from the
    // exchange (GET /portfolio/settlements on its REST sync).
    bool caught_up = true;
    if (kalshi_orders != nullptr) {
      caught_up = kalshi_orders->WaitForFills(std::chrono::seconds(30));
    }
    auto settled = (*replay)->SettleDecidedMarkets(core::Price::FromCents(95));
    if (!settled.ok()) throw CommandFailed(1, "demo: settlement: " + settled.error().ToString());
    if (auto* paper = dynamic_cast<trading::PaperOrderManager*>(&actor_run_actor.orders())) {
      for (const std::string& s : *settled) {
        const auto eq = s.rfind('=');
        paper->Settle(s.substr(0, eq),
                      s.substr(eq + 1) == "yes" ? core::Price::OneDollar() : core::Price(),
                      actor_run_actor.clock().Now());
      }
    }
    std::optional<trading::ReconcileReport> reconciled;
    if (kalshi_orders != nullptr) {
      if (const core::Status synced = kalshi_orders->SyncNow(); !synced.ok()) {
        throw CommandFailed(1, "demo: sync after settlement: " + synced.ToString());
      }
      // The fill channel caught up with REST (above); now every field is compared.
      auto reconcile = kalshi_orders->Reconcile();
      if (!reconcile.ok()) {
        throw CommandFailed(1, "demo: reconcile: " + reconcile.error().ToString());
      }
      reconciled = std::move(reconcile).value();
      if (!caught_up) reconciled->differences.push_back("fill channel did not catch up in 30 s");
      reconciled->matched = reconciled->differences.empty();
    }
    (*replay)->Stop();
    const TradingActorSummary summary = actor_run_actor.Summary();
    actor_json = summary.ToJson();
    actor_json["session_id"] = actor_collected.session_id;
    actor_json["settled_markets"] = *settled;
    actor_json["updates_collected"] =
        actor_collected.collector.snapshots + actor_collected.collector.deltas;
    // What makes this run fail, each named (the JSON's "failures", and the error message).
    const std::string step = demo_mode ? "demo-mode actor" : "paper actor";
    auto fail = [&](std::string why) { failures.push_back(step + ": " + std::move(why)); };
    if (summary.metrics.errors != 0) {
      fail(fmt::format("{} decisions ended in an error (last: {})", summary.metrics.errors,
                       summary.metrics.last_error));
    }
    if (summary.events_dropped != 0) {
      fail(fmt::format("{} actor events dropped", summary.events_dropped));
    }
    if (summary.events_persisted != summary.metrics.decisions) {
      fail(fmt::format("{} actor events persisted for {} decisions", summary.events_persisted,
                       summary.metrics.decisions));
    }
    if (actor_collected.status != storage::SessionStatus::kClosed) {
      fail(fmt::format("its collection ended {} ({})",
                       storage::SessionStatusName(actor_collected.status),
                       actor_collected.stop_reason));
    }
    if (actor_collected.collector.rows_dropped != 0) {
      fail(fmt::format("{} collected rows dropped", actor_collected.collector.rows_dropped));
    }
    std::fprintf(out,
                 "     %lld updates -> %lld decisions (%lld coalesced triggers); %lld orders "
                 "placed, %lld fills, %lld risk rejections, %lld errors; %lld decisions "
                 "persisted\n"
                 "     P&L net of fees $%.2f (fees $%.2f), %zu markets traded; decision latency "
                 "p50 %.1f us, p99 %.1f us (observation p50 %.1f us, prediction p50 %.1f us)\n",
                 static_cast<long long>(summary.metrics.updates_ingested),
                 static_cast<long long>(summary.metrics.decisions),
                 static_cast<long long>(summary.metrics.triggers_coalesced),
                 static_cast<long long>(summary.orders.orders_placed),
                 static_cast<long long>(summary.orders.fills),
                 static_cast<long long>(summary.metrics.risk_rejected),
                 static_cast<long long>(summary.metrics.errors),
                 static_cast<long long>(summary.events_persisted),
                 actor_json["pnl_dollars"].get<double>(), actor_json["fees_dollars"].get<double>(),
                 summary.positions.size(), summary.metrics.decision.p50_ns / 1e3,
                 summary.metrics.decision.p99_ns / 1e3, summary.metrics.observation.p50_ns / 1e3,
                 summary.metrics.prediction.p50_ns / 1e3);
    std::fprintf(
        out,
        "     %zu of the markets settled from their decisive final books (the winning side "
        "bid >= $0.95); the rest stay open, marked at their bids\n",
        settled->size());
    if (reconciled) {
      const trading::KalshiOrderManagerCounters k = kalshi_orders->kalshi_counters();
      nlohmann::json differences = nlohmann::json::array();
      for (const std::string& d : reconciled->differences) differences.push_back(d);
      actor_json["reconciliation"] = {
          {"matched", reconciled->matched},
          {"cash_dollars", static_cast<double>(reconciled->local_cash.units()) / 1e6},
          {"exchange_cash_dollars", static_cast<double>(reconciled->exchange_cash.units()) / 1e6},
          {"fills", reconciled->local_fills},
          {"exchange_fills", reconciled->exchange_fills},
          {"positions_compared", reconciled->positions_compared},
          {"resting_orders_compared", reconciled->resting_orders_compared},
          {"differences", differences},
          {"rest_errors", k.rest_errors},
          {"finished_order_races", k.finished_order_races},
          {"duplicate_fills", k.duplicate_fills},
          {"position_mismatches", k.position_mismatches},
          {"decode_errors", k.decode_errors},
          {"order_group_triggers", k.order_group_triggers},
          {"settlements_booked", k.settlements_booked}};
      std::fprintf(out,
                   "     reconciled with the exchange's account: %s (cash $%.4f vs $%.4f, %lld vs "
                   "%lld fills, %lld positions, %lld resting orders compared)\n",
                   reconciled->matched ? "exact" : "MISMATCH",
                   static_cast<double>(reconciled->local_cash.units()) / 1e6,
                   static_cast<double>(reconciled->exchange_cash.units()) / 1e6,
                   static_cast<long long>(reconciled->local_fills),
                   static_cast<long long>(reconciled->exchange_fills),
                   static_cast<long long>(reconciled->positions_compared),
                   static_cast<long long>(reconciled->resting_orders_compared));
      for (const std::string& d : reconciled->differences) {
        std::fprintf(out, "       %s\n", d.c_str());
      }
      for (const std::string& d : reconciled->differences) fail("reconciliation: " + d);
      if (k.position_mismatches != 0) {
        fail(fmt::format("{} market_position messages disagreed with the booked position",
                         k.position_mismatches));
      }
      if (k.decode_errors != 0) {
        fail(fmt::format("{} private frames did not decode", k.decode_errors));
      }
    }
  };
  nlohmann::json actor_json;
  nlohmann::json demo_actor_json;
  if (args.actor && verify->ok() && complete) {
    run_actor(/*demo_mode=*/false, actor_json);  // each run adds its failures
    if (args.demo_mode) run_actor(/*demo_mode=*/true, demo_actor_json);
  }

  total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (args.json) {
    nlohmann::json j = {
        {"ok", failures.empty()},
        {"failures", failures},
        {"complete", complete},
        {"seconds", total_seconds},
        {"recording", recording_path},
        {"recording_frames", report->frames},
        {"database", db_path},
        {"exchange",
         {{"ws_url", (*exchange)->ws_url()},
          {"market_frames_sent", exchange_stats.market_frames_sent},
          {"replay_finished", exchange_stats.replay_finished},
          {"auth_failures", exchange_stats.auth_failures}}},
        {"markets", tickers.size()},
        {"collect", nlohmann::json::parse(CollectSummaryJson(collected, -1))},
        {"verify",
         {{"books_checked", verify->books_checked},
          {"mismatches", verify->mismatches},
          {"in_step", verify->in_step},
          {"final_books_equal", verify->final_books_equal},
          {"stored_updates", verify->stored_snapshots + verify->stored_deltas},
          {"recording_updates", verify->recording_updates}}},
        {"train", trained},
        {"evaluate", evaluated},
        {"actor", actor_json},
        {"actor_demo_mode", demo_actor_json},
    };
    // The actor's headline figures at the top level too (issue 5's summary keys).
    for (const char* key : {"decisions", "orders_placed", "fills", "errors", "pnl_dollars",
                            "decision_latency_p50_us", "decision_latency_p99_us"}) {
      if (actor_json.contains(key)) j[key] = actor_json[key];
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fprintf(out, "\n  Look at: %s sessions list --database-url sqlite://%s\n", cli.c_str(),
                 db_absolute.string().c_str());
    std::fprintf(out,
                 "           %s sessions verify %lld --recording %s --database-url sqlite://%s\n",
                 cli.c_str(), static_cast<long long>(collected.session_id), recording_path.c_str(),
                 db_absolute.string().c_str());
    std::fprintf(out, "           %s recording stats %s --json\n", cli.c_str(),
                 recording_path.c_str());
    // The dashboard on this run's database (its registry: the model trained above).
    const fs::path web = fs::absolute("web", ec);
    std::fprintf(out,
                 "           %s serve --static-dir %s --database-url sqlite://%s\n"
                 "             then open http://127.0.0.1:8080/ (the dashboard: the model "
                 "registry; `actor --api-port 8080 --api-static-dir web` shows a live actor)\n",
                 cli.c_str(), fs::is_directory(web, ec) ? web.string().c_str() : "web",
                 db_absolute.string().c_str());
    std::fprintf(out, "  demo finished in %.2f s\n", total_seconds);
  }
  if (!failures.empty()) {
    std::string message = "demo failed:";
    for (const std::string& f : failures) message += "\n  " + f;
    throw CommandFailed(1, message);
  }
}

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo",
      "Run the end-to-end demo on the bundled real data (no credentials, no network): convert "
      "real Kalshi logs to a recording, replay it through decoder, sequencer and books, and "
      "store it through the write queue in SQLite");
  cmd->add_option("--data-dir", args->data_dir, "Folder holding market_logs/*.csv.zst")
      ->capture_default_str();
  cmd->add_option("--out-dir", args->out_dir, "Where the recording and database are written")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Depth-model seed")->capture_default_str();
  cmd->add_option_function<std::string>(
      "--speed",
      [args](const std::string& v) {
        if (v == "max") {
          args->speed = 0;
          return;
        }
        try {
          size_t used = 0;
          args->speed = std::stod(v, &used);
          if (used != v.size() || !(args->speed > 0)) throw std::invalid_argument(v);
        } catch (const std::exception&) {
          throw CLI::ValidationError("--speed", "a positive number or \"max\"");
        }
      },
      "Exchange replay speed: 1 = real time, N = N x, max (default)");
  cmd->add_option("--duration", args->duration_s, "Stop collecting after S seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--train-steps", args->train_steps,
                  "PPO env steps on the recorded session, then an evaluation beside the "
                  "baselines (0: skip)")
      ->capture_default_str();
  cmd->add_flag("!--no-actor", args->actor,
                "Skip step 8 (the actor in paper mode on a second replay)");
  cmd->add_flag("!--no-demo-mode", args->demo_mode,
                "Skip step 9 (the actor in demo mode: V2 orders on the local exchange, "
                "reconciled with its account)");
  cmd->add_flag("--json", args->json, "Print the summary as one JSON object");
  cmd->callback([args] { RunDemo(*args); });
}

}  // namespace kalshiflow::app
