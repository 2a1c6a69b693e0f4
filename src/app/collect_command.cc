// `kalshiflow collect`: record live order books from Kalshi (demo or production) or any
// Kalshi-compatible exchange (the local one) into the database. `kalshiflow actor`: the same
// collection with the actor on the collector's trigger hook (paper mode; see RunActor).
//
// Configuration (flags override the environment; DESIGN §9):
//   KALSHI_TRADING_ENVIRONMENT  demo (default) | production       --environment
//   KALSHI_API_KEY_ID                                             --api-key-id
//   KALSHI_PRIVATE_KEY_PATH (file, mode 0600/0400) or KALSHI_PRIVATE_KEY_CONTENT (PEM)
//                                                                 --private-key
//   RL_MARKET_MODE              config | discovery (default)      --market-mode
//   RL_MARKET_TICKERS           comma list (config mode)          --tickers
//   ORDERBOOK_MARKET_LIMIT      discovery: top N by volume (10)   --market-limit
//   DATABASE_URL                                                  --database-url
//   --ws-url / --rest-url (any exchange; environment "local" for loopback hosts),
//   --ca-file (trust a local exchange's self-signed certificate), --duration S, --trades,
//   --json (final summary object).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "actor/model_reloader.h"
#include "app/actor_api.h"
#include "app/collect_runner.h"
#include "app/comma_list.h"
#include "app/commands.h"
#include "app/database.h"
#include "app/model_registry.h"
#include "app/trading_actor.h"
#include "feed/discovery.h"
#include "kalshi/auth/signer.h"
#include "net/https_client.h"
#include "trading/kalshi_order_manager.h"
#include "trading/kalshi_trading_client.h"

namespace kalshiflow::app {
namespace {

struct CollectArgs {
  std::string environment;
  std::string api_key_id;
  std::string private_key;
  std::string market_mode;
  std::string tickers;
  int market_limit = 0;
  std::string ws_url;
  std::string rest_url;
  std::string ca_file;
  std::string database_url;
  double duration_s = 0;
  double idle_exit_s = 0;
  bool trades = false;
  bool json = false;
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// The non-empty items of a comma list of tickers, spaces trimmed.
std::vector<std::string> SplitTickers(const std::string& text) {
  std::vector<std::string> out;
  for (std::string& item : SplitCommaList(text)) {
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

bool IsLoopbackUrl(const std::string& url) {
  return url.find("://127.") != std::string::npos ||
         url.find("://localhost") != std::string::npos || url.find("://[::1]") != std::string::npos;
}

// Everything a collection needs, resolved from flags and the environment. The signer is held
// here because the run config points at it.
struct CollectSetup {
  std::shared_ptr<const kalshi::auth::Signer> signer;
  std::string rest_url;  // the REST API of the environment collected from
  /// Close times of the discovered markets (market-mode discovery only).
  std::vector<std::pair<std::string, core::Timestamp>> close_times;
  std::unique_ptr<storage::Store> store;
  std::string db_url;
  CollectRunConfig config;
};

CollectSetup PrepareCollect(CollectArgs args) {
  CollectSetup setup;
  // Environment and endpoints (PROTOCOL §2: hosts).
  if (args.environment.empty()) args.environment = Env("KALSHI_TRADING_ENVIRONMENT");
  if (args.environment.empty()) args.environment = "demo";
  storage::Environment environment;
  std::string default_ws;
  std::string default_rest;
  if (args.environment == "demo") {
    environment = storage::Environment::kDemo;
    default_ws = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2";
    default_rest = "https://external-api.demo.kalshi.co/trade-api/v2";
  } else if (args.environment == "production") {
    environment = storage::Environment::kProduction;
    default_ws = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";
    default_rest = "https://external-api.kalshi.com/trade-api/v2";
  } else {
    throw CommandFailed(2, fmt::format("collect: KALSHI_TRADING_ENVIRONMENT / --environment "
                                       "must be demo or production, not '{}'",
                                       args.environment));
  }
  const std::string ws_url = args.ws_url.empty() ? default_ws : args.ws_url;
  const std::string rest_url = args.rest_url.empty() ? default_rest : args.rest_url;
  if (!args.ws_url.empty() && IsLoopbackUrl(args.ws_url))
    environment = storage::Environment::kLocal;

  // Credentials (never printed).
  if (args.api_key_id.empty()) args.api_key_id = Env("KALSHI_API_KEY_ID");
  if (args.private_key.empty()) args.private_key = Env("KALSHI_PRIVATE_KEY_PATH");
  std::shared_ptr<const kalshi::auth::Signer>& signer = setup.signer;
  if (!args.private_key.empty()) {
    auto loaded = kalshi::auth::Signer::FromFile(args.private_key);
    if (!loaded.ok()) throw CommandFailed(2, "collect: private key: " + loaded.error().ToString());
    signer = std::make_shared<const kalshi::auth::Signer>(std::move(*loaded));
  } else if (const std::string pem = Env("KALSHI_PRIVATE_KEY_CONTENT"); !pem.empty()) {
    auto loaded = kalshi::auth::Signer::FromPem(pem);
    if (!loaded.ok()) {
      throw CommandFailed(2, "collect: KALSHI_PRIVATE_KEY_CONTENT: " + loaded.error().ToString());
    }
    signer = std::make_shared<const kalshi::auth::Signer>(std::move(*loaded));
  }
  setup.rest_url = rest_url;
  if (!signer || args.api_key_id.empty()) {
    throw CommandFailed(2,
                        "collect: Kalshi requires an authenticated WebSocket (PROTOCOL §1.4): set "
                        "KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH (or "
                        "KALSHI_PRIVATE_KEY_CONTENT), or pass --api-key-id and --private-key");
  }
  net::TlsClientOptions tls;
  tls.ca_file = args.ca_file;

  // Markets.
  if (args.market_mode.empty()) args.market_mode = Env("RL_MARKET_MODE");
  if (args.market_mode.empty()) args.market_mode = "discovery";
  std::vector<std::string> tickers;
  if (args.market_mode == "config") {
    if (args.tickers.empty()) args.tickers = Env("RL_MARKET_TICKERS");
    tickers = SplitTickers(args.tickers);
    if (tickers.empty()) {
      throw CommandFailed(2,
                          "collect: RL_MARKET_MODE=config needs RL_MARKET_TICKERS (or "
                          "--tickers) with at least one ticker");
    }
  } else if (args.market_mode == "discovery") {
    if (args.market_limit == 0) {
      const std::string limit = Env("ORDERBOOK_MARKET_LIMIT");
      args.market_limit = limit.empty() ? 10 : std::atoi(limit.c_str());
    }
    if (args.market_limit < 1 || args.market_limit > 100'000) {
      throw CommandFailed(2,
                          "collect: ORDERBOOK_MARKET_LIMIT / --market-limit must be in "
                          "1..100000");
    }
    net::HttpsClientOptions http;
    http.base_url = rest_url;
    http.tls = tls;
    const std::string key_id = args.api_key_id;
    const kalshi::auth::Signer* s = signer.get();
    http.signer = [key_id, s](std::string_view method, std::string_view path)
        -> core::Result<std::vector<std::pair<std::string, std::string>>> {
      KF_ASSIGN_OR_RETURN(auto auth, kalshi::auth::MakeAuthHeaders(
                                         key_id, *s, core::RealClock::Instance(), method, path));
      std::vector<std::pair<std::string, std::string>> out;
      for (const auto& [n, v] : auth.List()) out.emplace_back(n, v);
      return out;
    };
    auto client = net::HttpsClient::Create(std::move(http));
    if (!client.ok()) throw CommandFailed(2, "collect: --rest-url: " + client.error().ToString());
    feed::DiscoveryOptions discovery;
    discovery.limit = args.market_limit;
    auto found = feed::DiscoverMarkets(**client, discovery);
    if (!found.ok()) throw CommandFailed(1, "collect: " + found.error().ToString());
    for (const auto& m : *found) {
      tickers.push_back(m.ticker);
      if (m.close_time) setup.close_times.emplace_back(m.ticker, *m.close_time);
    }
    if (tickers.empty()) throw CommandFailed(1, "collect: market discovery found no open markets");
    std::fprintf(stderr, "collect: discovered %zu markets by volume at %s\n", tickers.size(),
                 rest_url.c_str());
  } else {
    throw CommandFailed(2, fmt::format("collect: RL_MARKET_MODE / --market-mode must be config "
                                       "or discovery, not '{}'",
                                       args.market_mode));
  }

  setup.db_url = ResolveDatabaseUrl(args.database_url);
  setup.store = OpenStoreOrFail(setup.db_url, /*create_if_missing=*/true);
  if (auto migrated = setup.store->Migrate(); !migrated.ok()) {
    throw CommandFailed(1, "collect: database migration: " + migrated.error().ToString());
  }
  CollectRunConfig& config = setup.config;
  config.ws_url = ws_url;
  config.tls = tls;
  config.api_key_id = args.api_key_id;
  config.signer = signer.get();
  config.market_tickers = tickers;
  config.environment = environment;
  config.subscribe_trade = args.trades;
  if (args.duration_s > 0) {
    config.duration = std::chrono::milliseconds(static_cast<int64_t>(args.duration_s * 1000));
  }
  config.live_stats = !args.json;
  if (args.idle_exit_s > 0) {
    // Stop once data has flowed and then nothing arrived for idle_exit_s (a finished replay).
    struct Idle {
      uint64_t frames = 0;
      std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
    };
    auto idle = std::make_shared<Idle>();
    const auto limit = std::chrono::duration<double>(args.idle_exit_s);
    config.done = [idle, limit](const feed::CollectorStats& stats) {
      const auto now = std::chrono::steady_clock::now();
      if (stats.frames != idle->frames) {
        idle->frames = stats.frames;
        idle->since = now;
        return false;
      }
      return stats.snapshots + stats.deltas > 0 && now - idle->since >= limit;
    };
  }
  std::fprintf(stderr, "collect: %zu markets from %s into %s (Ctrl-C stops)\n", tickers.size(),
               ws_url.c_str(), RedactedDatabaseUrl(setup.db_url).c_str());
  return setup;
}

void PrintCollectSummary(const CollectRunSummary& summary, bool json) {
  if (json) {
    std::printf("%s\n", CollectSummaryJson(summary).c_str());
  } else {
    const auto& c = summary.collector;
    std::printf(
        "session %lld %s after %.1f s (%s): %llu frames (%.0f/s), %llu snapshots, %llu deltas, "
        "%llu gaps, %llu resyncs, %llu resubscribes, %llu decode errors, %llu drops, %llu "
        "reconnects\n",
        static_cast<long long>(summary.session_id),
        std::string(storage::SessionStatusName(summary.status)).c_str(), summary.seconds,
        summary.stop_reason.c_str(), static_cast<unsigned long long>(c.frames),
        summary.messages_per_second, static_cast<unsigned long long>(c.snapshots),
        static_cast<unsigned long long>(c.deltas), static_cast<unsigned long long>(c.gaps),
        static_cast<unsigned long long>(c.resync_requests),
        static_cast<unsigned long long>(c.resubscribes),
        static_cast<unsigned long long>(c.decode_errors),
        static_cast<unsigned long long>(c.rows_dropped),
        static_cast<unsigned long long>(summary.disconnects));
  }
}

void RunCollect(const CollectArgs& args) {
  CollectSetup setup = PrepareCollect(args);
  InstallStopSignalHandlers();
  const CollectRunSummary summary = RunCollection(setup.config, *setup.store);
  PrintCollectSummary(summary, args.json);
  if (summary.status == storage::SessionStatus::kError) {
    throw CommandFailed(1, "collect: " + summary.error);
  }
}

}  // namespace

namespace {

void AddCollectFlags(CLI::App* cmd, CollectArgs* args) {
  cmd->add_option("--environment", args->environment,
                  "demo | production (default: KALSHI_TRADING_ENVIRONMENT, else demo)");
  cmd->add_option("--api-key-id", args->api_key_id, "API key id (default: KALSHI_API_KEY_ID)");
  cmd->add_option("--private-key", args->private_key,
                  "Private key PEM file, mode 0600 (default: KALSHI_PRIVATE_KEY_PATH)");
  cmd->add_option("--market-mode", args->market_mode,
                  "config | discovery (default: RL_MARKET_MODE, else discovery)");
  cmd->add_option("--tickers", args->tickers, "Comma-separated tickers (config mode)");
  cmd->add_option("--market-limit", args->market_limit,
                  "Discovery: top N open markets by volume (default: ORDERBOOK_MARKET_LIMIT, "
                  "else 10)");
  cmd->add_option("--ws-url", args->ws_url, "WebSocket URL (overrides the environment's)");
  cmd->add_option("--rest-url", args->rest_url, "REST base URL (overrides the environment's)");
  cmd->add_option("--ca-file", args->ca_file,
                  "Extra trusted certificate PEM (e.g. the local exchange's --write-cert)");
  cmd->add_option("--database-url", args->database_url,
                  "Default: DATABASE_URL, else "
                  "sqlite://./data/kalshiflow.db");
  cmd->add_option("--duration", args->duration_s, "Stop after S seconds (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--idle-exit", args->idle_exit_s,
                  "Stop when no frame arrived for S seconds after data flowed (replays)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--trades", args->trades, "Also subscribe to the trade channel");
  cmd->add_flag("--json", args->json, "Print a final summary object (no live stats)");
}

struct ActorArgs {
  CollectArgs collect;
  std::string mode = "paper";  // paper | demo | production
  std::string selector;        // RL_ACTOR_STRATEGY, default rl_model with --model else hardcoded
  std::string model;           // registry reference (RL_ACTOR_MODEL_ID)
  bool follow = false;         // reload when another version of the model name is deployed
  std::string actor_markets;   // all | config | first (RL_ACTOR_TARGET_MARKET_MODE)
  std::string actor_tickers;   // config
  int first_markets = 1;
  int64_t throttle_ms = -1;  // RL_ACTOR_THROTTLE_MS, 250
  double cash_dollars = 1000;
  // Position health (DESIGN §8); 0 turns a rule off.
  double take_profit = 0;
  double stop_loss = 0;
  double max_hold_s = 0;
  double closing_soon_s = 15 * 60;
  bool no_position_health = false;
  int64_t order_group_limit = 1000;  // contracts per 15 s (demo / production); 0 = none
  ApiArgs api;
};

// `kalshiflow actor`: the collector with the actor on its trigger hook (DESIGN §7-8).
void RunActor(ActorArgs args) {
  // Mode and the production guard (DESIGN §8) come before anything touches the network.
  //   paper:      in-process fills against the collected books (no orders leave the machine);
  //   demo:       V2 orders on the environment collected from (Kalshi demo, or a local
  //               exchange given by --ws-url/--rest-url); refused against production;
  //   production: real money; needs --environment production and
  //               KALSHI_PRODUCTION_CONFIRMED=true.
  if (args.mode != "paper" && args.mode != "demo" && args.mode != "production") {
    throw CommandFailed(
        2, fmt::format("actor: --mode must be paper, demo or production, not '{}'", args.mode));
  }
  const bool production_confirmed = Env("KALSHI_PRODUCTION_CONFIRMED") == "true";
  if (args.mode == "production" && !production_confirmed) {
    throw CommandFailed(2,
                        "actor: --mode production trades real money and needs "
                        "KALSHI_PRODUCTION_CONFIRMED=true in the environment; refused");
  }
  TradingActorOptions options;
  if (args.selector.empty()) args.selector = Env("RL_ACTOR_STRATEGY");
  if (args.model.empty()) args.model = Env("RL_ACTOR_MODEL_ID");
  if (args.selector.empty()) args.selector = args.model.empty() ? "hardcoded" : "rl_model";
  const auto selector = actor::ParseSelectorKind(args.selector);
  if (!selector) {
    throw CommandFailed(2, fmt::format("actor: --selector / RL_ACTOR_STRATEGY must be rl_model, "
                                       "hardcoded or disabled, not '{}'",
                                       args.selector));
  }
  options.actor.selector = *selector;
  if (*selector == actor::SelectorKind::kRlModel && args.model.empty()) {
    throw CommandFailed(2, "actor: selector rl_model needs --model (or RL_ACTOR_MODEL_ID)");
  }
  if (args.actor_markets.empty()) args.actor_markets = Env("RL_ACTOR_TARGET_MARKET_MODE");
  if (args.actor_markets.empty()) args.actor_markets = "all";
  const auto market_mode = actor::ParseMarketMode(args.actor_markets);
  if (!market_mode) {
    throw CommandFailed(2, fmt::format("actor: --actor-markets must be all, config, first or hot, "
                                       "not '{}'",
                                       args.actor_markets));
  }
  options.actor.market_mode = *market_mode;
  options.actor.tickers = SplitTickers(args.actor_tickers);
  options.actor.first_markets = args.first_markets;
  if (args.throttle_ms < 0) {
    const std::string t = Env("RL_ACTOR_THROTTLE_MS");
    args.throttle_ms = t.empty() ? 250 : std::atoll(t.c_str());
  }
  if (args.throttle_ms < 0) throw CommandFailed(2, "actor: RL_ACTOR_THROTTLE_MS must be >= 0");
  options.risk.throttle_ns = args.throttle_ms * 1'000'000;
  if (!(args.cash_dollars >= 0)) throw CommandFailed(2, "actor: --cash must be >= 0");
  options.paper.initial_cash =
      core::Money::FromUnits(static_cast<int64_t>(args.cash_dollars * 1e6 + 0.5));
  trading::PositionHealthConfig& health = options.actor.position_health;
  health.enabled = !args.no_position_health;
  health.take_profit = args.take_profit;
  health.stop_loss = args.stop_loss;
  if (!(args.max_hold_s >= 0) || !(args.closing_soon_s >= 0)) {
    throw CommandFailed(2, "actor: --max-hold-s and --closing-soon-s must be >= 0");
  }
  health.max_hold_ns = static_cast<int64_t>(args.max_hold_s * 1e9);
  health.closing_soon_ns = static_cast<int64_t>(args.closing_soon_s * 1e9);
  if (core::Status valid = trading::Validate(health); !valid.ok()) {
    throw CommandFailed(2, "actor: " + valid.message());
  }

  // The trading environment must match the mode, also before any network use.
  std::string environment_name = args.collect.environment;
  if (environment_name.empty()) environment_name = Env("KALSHI_TRADING_ENVIRONMENT");
  if (environment_name.empty()) environment_name = "demo";
  if (args.mode == "production" && environment_name != "production") {
    throw CommandFailed(2,
                        "actor: --mode production needs --environment production (or "
                        "KALSHI_TRADING_ENVIRONMENT=production)");
  }
  if (args.mode == "demo" && environment_name == "production") {
    throw CommandFailed(2,
                        "actor: --mode demo never trades on production; use --environment demo "
                        "(or a local exchange)");
  }
  // Hot selection ranks by book updates and traded contracts: it needs the trade channel.
  if (*market_mode == actor::MarketMode::kHot) args.collect.trades = true;
  CollectSetup setup = PrepareCollect(args.collect);
  const storage::Environment environment = setup.config.environment;
  options.store = setup.store.get();
  options.actor.market_close_times = setup.close_times;
  std::unique_ptr<trading::KalshiTradingClient> client;
  trading::KalshiOrderManager* kalshi_orders = nullptr;
  if (args.mode != "paper") {
    trading::TradingClientConfig client_config;
    client_config.environment =
        environment == storage::Environment::kProduction ? trading::TradingEnvironment::kProduction
        : environment == storage::Environment::kLocal    ? trading::TradingEnvironment::kLocal
                                                         : trading::TradingEnvironment::kDemo;
    client_config.rest_base_url = setup.rest_url;
    client_config.api_key_id = setup.config.api_key_id;
    client_config.signer = setup.signer;
    client_config.tls = setup.config.tls;
    client_config.production_confirmed = production_confirmed;
    auto created = trading::KalshiTradingClient::Create(client_config);
    if (!created.ok())
      throw CommandFailed(1, "actor: trading client: " + created.error().ToString());
    client = std::move(created).value();
    trading::KalshiOrderManagerConfig manager_config;
    manager_config.order_group_contracts_limit = core::Count::FromContracts(args.order_group_limit);
    manager_config.websocket.tls = setup.config.tls;
    auto manager = trading::KalshiOrderManager::Create(*client, manager_config);
    if (!manager.ok()) {
      throw CommandFailed(1, "actor: order manager: " + manager.error().ToString());
    }
    kalshi_orders = manager->get();
    options.orders_initial_cash = kalshi_orders->cash();
    options.orders = std::move(manager).value();
  }
  std::optional<storage::ModelInfo> model;
  if (*selector == actor::SelectorKind::kRlModel) {
    model = ResolveModelOrFail(*setup.store, args.model);
    options.model_path = model->checkpoint_path;
    options.model_id = model->id;
    options.model_label = fmt::format("{} v{}", model->name, model->version);
  }
  TradingActor paper(std::move(options));
  // --follow: the registry's deployed version of the model's name, polled off the hot path.
  std::unique_ptr<actor::ModelReloader> reloader;
  if (model && args.follow) {
    storage::Store* store = setup.store.get();
    const std::string name = model->name;
    reloader =
        paper.MakeReloader([store, name]() -> core::Result<std::optional<actor::ModelReference>> {
          storage::ModelFilter filter;
          filter.name = name;
          filter.status = storage::ModelStatus::kDeployed;
          filter.limit = 1;
          KF_ASSIGN_OR_RETURN(auto deployed, store->ListModels(filter));
          if (deployed.empty()) return std::optional<actor::ModelReference>();
          const storage::ModelInfo& m = deployed.front();
          return std::optional<actor::ModelReference>(actor::ModelReference{
              m.id, m.checkpoint_path, fmt::format("{} v{}", m.name, m.version)});
        });
  }
  // The control API (DESIGN §9) before the pipeline starts, so every decision streams.
  const std::unique_ptr<ActorApi> api =
      ActorApi::StartIfRequested(args.api, paper, args.mode, setup.store.get());
  setup.config.actor_hook = paper.Hook();
  setup.config.trade_hook = paper.TradeHook();
  setup.config.on_session = [&paper](storage::SessionId id) { paper.SetSessionId(id); };
  InstallStopSignalHandlers();
  std::fprintf(stderr, "actor: %s mode, selector %s%s\n", args.mode.c_str(), args.selector.c_str(),
               model ? fmt::format(" ({} v{})", model->name, model->version).c_str() : "");
  paper.Start();
  if (reloader) reloader->Start();
  const CollectRunSummary summary = RunCollection(setup.config, *setup.store);
  if (reloader) reloader->Stop();
  paper.Finish();
  const TradingActorSummary actor_summary = paper.Summary();
  nlohmann::json actor_json = actor_summary.ToJson();
  actor_json["session_id"] = summary.session_id;
  bool reconciled = true;
  if (kalshi_orders != nullptr) {
    // The account as the exchange has it, against ours.
    (void)kalshi_orders->WaitForFills(std::chrono::seconds(10));
    auto report = kalshi_orders->Reconcile();
    if (!report.ok()) throw CommandFailed(1, "actor: reconcile: " + report.error().ToString());
    reconciled = report->matched;
    actor_json["order_group_triggers"] = kalshi_orders->kalshi_counters().order_group_triggers;
    actor_json["reconciliation"] = {{"matched", report->matched},
                                    {"differences", report->differences},
                                    {"fills", report->local_fills},
                                    {"exchange_fills", report->exchange_fills}};
  }
  if (args.collect.json) {
    nlohmann::json j = {{"collect", nlohmann::json::parse(CollectSummaryJson(summary, -1))},
                        {"actor", actor_json}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    PrintCollectSummary(summary, false);
    std::printf("actor: %s\n", actor_json.dump().c_str());
  }
  if (summary.status == storage::SessionStatus::kError) {
    throw CommandFailed(1, "actor: " + summary.error);
  }
  if (actor_summary.metrics.errors > 0 || actor_summary.events_dropped > 0) {
    throw CommandFailed(1, "actor: decisions failed or were not persisted (see the summary)");
  }
  if (!reconciled) {
    throw CommandFailed(1, "actor: the account does not reconcile with the exchange's");
  }
}

}  // namespace

void AddActorCommand(CLI::App& app) {
  auto args = std::make_shared<ActorArgs>();
  auto* cmd = app.add_subcommand(
      "actor",
      "Run the actor on live order books: the collector (as `collect`) with every accepted "
      "update handed to the decision pipeline; paper mode fills orders in process");
  AddCollectFlags(cmd, &args->collect);
  cmd->add_option("--mode", args->mode,
                  "paper (in-process fills) | demo (V2 orders on Kalshi demo or a local "
                  "exchange) | production (real money: --environment production and "
                  "KALSHI_PRODUCTION_CONFIRMED=true)")
      ->capture_default_str();
  cmd->add_option("--selector", args->selector,
                  "rl_model | hardcoded | disabled (default: RL_ACTOR_STRATEGY, else rl_model "
                  "with --model, else hardcoded)");
  cmd->add_option("--model", args->model,
                  "Registry model: id, name (latest) or name@version (default: "
                  "RL_ACTOR_MODEL_ID)");
  cmd->add_flag("--follow", args->follow,
                "Hot-reload when another version of the model's name is deployed");
  cmd->add_option("--actor-markets", args->actor_markets,
                  "Which collected markets to trade: all | config | first | hot (default: "
                  "RL_ACTOR_TARGET_MARKET_MODE, else all)");
  cmd->add_option("--actor-tickers", args->actor_tickers, "Comma list for --actor-markets config");
  cmd->add_option("--first-markets", args->first_markets, "N for --actor-markets first")
      ->capture_default_str();
  cmd->add_option("--throttle-ms", args->throttle_ms,
                  "Minimum ms between orders per market (default: RL_ACTOR_THROTTLE_MS, else 250)");
  cmd->add_option("--cash", args->cash_dollars, "Paper account starting cash, dollars")
      ->capture_default_str();
  cmd->add_option("--take-profit", args->take_profit,
                  "Position health: close a position whose return reaches +X (1.0 = +100% of "
                  "its cost) and at least 10 cents a contract; 0 = off")
      ->capture_default_str();
  cmd->add_option("--stop-loss", args->stop_loss,
                  "Position health: close a position whose return falls to -X (0.5 = -50%) and "
                  "at least 10 cents a contract; 0 = off")
      ->capture_default_str();
  cmd->add_option("--max-hold-s", args->max_hold_s,
                  "Position health: close a position held this long, in market time (0 = off)")
      ->capture_default_str();
  cmd->add_option("--closing-soon-s", args->closing_soon_s,
                  "Position health: close positions this long before the market's close time "
                  "(from discovery; 0 = off)")
      ->capture_default_str();
  cmd->add_flag("--no-position-health", args->no_position_health,
                "Never override the strategy with position-health or cash-recovery exits");
  cmd->add_option("--order-group-limit", args->order_group_limit,
                  "Demo/production: the session's order group, at most N contracts matched per "
                  "15 s (triggered: resting orders cancelled, new ones wait 60 s, then reset); "
                  "0 = none")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}));
  AddApiFlags(cmd, &args->api);
  cmd->callback([args] { RunActor(*args); });
}

void AddCollectCommand(CLI::App& app) {
  auto args = std::make_shared<CollectArgs>();
  auto* cmd = app.add_subcommand(
      "collect",
      "Record live order books over Kalshi's WebSocket API (demo, production, or a local "
      "exchange) into the database");
  AddCollectFlags(cmd, args.get());
  cmd->callback([args] { RunCollect(*args); });
}

}  // namespace kalshiflow::app
