// `kalshiflow collect`: record live order books from Kalshi (demo or production) or any
// Kalshi-compatible exchange (the local one) into the database.
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

#include "app/collect_runner.h"
#include "app/commands.h"
#include "app/database.h"
#include "feed/discovery.h"
#include "kalshi/auth/signer.h"
#include "net/https_client.h"

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

std::vector<std::string> SplitTickers(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text + ",") {
    if (c == ',') {
      while (!current.empty() && current.back() == ' ') current.pop_back();
      size_t i = 0;
      while (i < current.size() && current[i] == ' ') ++i;
      if (i < current.size()) out.push_back(current.substr(i));
      current.clear();
    } else {
      current += c;
    }
  }
  return out;
}

bool IsLoopbackUrl(const std::string& url) {
  return url.find("://127.") != std::string::npos ||
         url.find("://localhost") != std::string::npos || url.find("://[::1]") != std::string::npos;
}

void RunCollect(CollectArgs args) {
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
  std::optional<kalshi::auth::Signer> signer;
  if (!args.private_key.empty()) {
    auto loaded = kalshi::auth::Signer::FromFile(args.private_key);
    if (!loaded.ok()) throw CommandFailed(2, "collect: private key: " + loaded.error().ToString());
    signer.emplace(std::move(*loaded));
  } else if (const std::string pem = Env("KALSHI_PRIVATE_KEY_CONTENT"); !pem.empty()) {
    auto loaded = kalshi::auth::Signer::FromPem(pem);
    if (!loaded.ok()) {
      throw CommandFailed(2, "collect: KALSHI_PRIVATE_KEY_CONTENT: " + loaded.error().ToString());
    }
    signer.emplace(std::move(*loaded));
  }
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
    const kalshi::auth::Signer* s = &*signer;
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
    for (const auto& m : *found) tickers.push_back(m.ticker);
    if (tickers.empty()) throw CommandFailed(1, "collect: market discovery found no open markets");
    std::fprintf(stderr, "collect: discovered %zu markets by volume at %s\n", tickers.size(),
                 rest_url.c_str());
  } else {
    throw CommandFailed(2, fmt::format("collect: RL_MARKET_MODE / --market-mode must be config "
                                       "or discovery, not '{}'",
                                       args.market_mode));
  }

  const std::string db_url = ResolveDatabaseUrl(args.database_url);
  auto store = OpenStoreOrFail(db_url, /*create_if_missing=*/true);
  if (auto migrated = store->Migrate(); !migrated.ok()) {
    throw CommandFailed(1, "collect: database migration: " + migrated.error().ToString());
  }
  CollectRunConfig config;
  config.ws_url = ws_url;
  config.tls = tls;
  config.api_key_id = args.api_key_id;
  config.signer = &*signer;
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
  InstallStopSignalHandlers();
  std::fprintf(stderr, "collect: %zu markets from %s into %s (Ctrl-C stops)\n", tickers.size(),
               ws_url.c_str(), RedactedDatabaseUrl(db_url).c_str());
  const CollectRunSummary summary = RunCollection(config, *store);
  if (args.json) {
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
  if (summary.status == storage::SessionStatus::kError) {
    throw CommandFailed(1, "collect: " + summary.error);
  }
}

}  // namespace

void AddCollectCommand(CLI::App& app) {
  auto args = std::make_shared<CollectArgs>();
  auto* cmd = app.add_subcommand(
      "collect",
      "Record live order books over Kalshi's WebSocket API (demo, production, or a local "
      "exchange) into the database");
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
  cmd->callback([args] { RunCollect(*args); });
}

}  // namespace kalshiflow::app
