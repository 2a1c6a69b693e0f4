// The collector as a program: one session, one LiveCollector, one write queue, a stop
// condition, live stats, and a summary. Shared by `kalshiflow collect` and `kalshiflow demo`.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feed/collector.h"
#include "kalshi/auth/signer.h"
#include "net/tls.h"
#include "net/websocket_client.h"
#include "storage/rows.h"
#include "storage/store.h"
#include "storage/write_queue.h"

namespace kalshiflow::app {

struct CollectRunConfig {
  std::string ws_url;  // wss://.../trade-api/ws/v2
  net::TlsClientOptions tls;
  std::string api_key_id;                        // KALSHI-ACCESS-KEY
  const kalshi::auth::Signer* signer = nullptr;  // signs GET /trade-api/ws/v2 per attempt
  std::vector<std::string> market_tickers;
  storage::Environment environment = storage::Environment::kDemo;
  bool subscribe_trade = false;
  bool subscribe_ticker = false;
  std::optional<std::chrono::milliseconds> duration;  // stop after this long
  bool live_stats = false;                            // a one-line progress display (TTY)
  std::size_t queue_capacity = 100'000;
  net::BackoffOptions backoff;
  /// Polled every 50 ms on the main thread with the collector's current stats: return true to
  /// stop (e.g. the demo stops once the local exchange's replay has been fully received).
  std::function<bool(const feed::CollectorStats&)> done;
  /// Called on the collector's thread for every update the write queue accepted (the actor).
  feed::ActorTriggerHook actor_hook;
  /// Called on the collector's thread for every public trade whose frame was accepted.
  feed::TradeHook trade_hook;
  /// Called once with the new session's id, before the collector starts.
  std::function<void(storage::SessionId)> on_session;
};

struct CollectRunSummary {
  storage::SessionId session_id = 0;
  storage::SessionStatus status = storage::SessionStatus::kClosed;
  std::string error;        // set when status == kError
  std::string stop_reason;  // "duration", "signal", "done", "fatal"
  double seconds = 0;
  feed::CollectorStats collector;
  net::WebSocketClientStats client;
  storage::WriteQueueStats queue;
  uint64_t disconnects = 0;
  double messages_per_second = 0;  // frames received / seconds
};

/// Set by SIGINT/SIGTERM once InstallStopSignalHandlers() ran.
std::atomic<bool>& StopRequested();
void InstallStopSignalHandlers();

/// Runs a collection session into `store` until duration, signal, `done` or a fatal error
/// (e.g. HTTP 401: the summary's status is kError and `error` names the cause). Everything
/// the write queue accepted is flushed before the session is closed. Throws CommandFailed
/// only for set-up errors (bad URL, database).
CollectRunSummary RunCollection(const CollectRunConfig& config, storage::Store& store);

/// The summary as JSON (stable keys; used by `collect --json` and the demo).
std::string CollectSummaryJson(const CollectRunSummary& summary, int indent = 2);

}  // namespace kalshiflow::app
