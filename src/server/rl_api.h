// RlApi: the actor's part of the DESIGN §9 API on an HttpServer — status, health, metrics
// (JSON and Prometheus text), positions, markets and books as the actor sees them, and the
// control endpoints, which act only through the actor's control interface (DESIGN §2):
//
//   GET  /rl/health                 {"status":"ok"|"degraded","checks":{...}}
//   GET  /rl/status                 mode, selector, model, paused, kill switch, markets, counts
//   GET  /rl/metrics, GET /metrics  ActorMetrics as JSON / Prometheus text (kalshiflow_actor_*)
//   GET  /rl/positions              cash, portfolio value, positions, working orders (read on the
//                                   pipeline thread between two decisions: a consistent view)
//   GET  /rl/markets                collected markets, traded or not
//   GET  /rl/orderbook/{ticker}     the actor's latest book (YES and NO bid ladders, fixed-point)
//   POST /rl/actor/start|stop       resume / pause decisions (ActorService::SetPaused)
//   POST /rl/actor/switch-model     {"selector":"rl_model|hardcoded|disabled","model_id"?,"path"?}
//   POST /rl/actor/set-mode         {"mode":...}: the running mode → 200 unchanged; "live" or
//                                   "production" → 501 (DESIGN §8: never switched at runtime);
//                                   another mode → 409 (restart the actor in that mode)
//   POST /rl/actor/kill             {"engaged":true|false,"reason":"..."}: the risk kill switch;
//                                   engaging it also cancels every working order
//
// and the /rl/ws messages `actor_action` (every decision, HOLD included, and market-selection
// changes), `actor_order`, `actor_fill`, `actor_pnl` and `stats`. Money is reported as
// fixed-point dollar strings ("12.345600"), positions in contracts ("10.00"), latencies in µs.
//
// Threading: routes run on the server's I/O thread; Publish* from the actor's pipeline thread
// (they encode only when a WebSocket client is connected); PublishStats from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "actor/actor_service.h"
#include "core/status.h"
#include "core/time.h"
#include "risk/risk_manager.h"
#include "server/http_server.h"
#include "trading/order_manager.h"

namespace kalshiflow::server {

/// What the actor is wired to; every part must outlive the RlApi.
struct ActorParts {
  actor::ActorService* actor = nullptr;
  risk::RiskManager* risk = nullptr;
  trading::OrderManager* orders = nullptr;
  const core::Clock* clock = nullptr;  // the actor's business clock
};

struct RlApiOptions {
  /// The running trading mode: "paper", "demo" or "production".
  std::string mode = "paper";
  core::Money initial_cash;  // the P&L's reference
  /// switch-model with "model_id" or "path": loads that model (the app resolves registry ids).
  /// Unset: such requests answer 501.
  std::function<core::Result<std::shared_ptr<const actor::ActorModel>>(int64_t model_id,
                                                                       const std::string& path)>
      load_model;
  /// Extra fields merged into /rl/status (e.g. the collector's counters); may be unset.
  std::function<nlohmann::json()> extra_status;
  /// How long a route waits for the pipeline thread (positions, kill) before answering 503.
  std::chrono::milliseconds pipeline_timeout{2'000};
};

/// The actor's metrics as JSON (counts, `actions` / `exits` / `breakers` / `errors_by_type`
/// by name, latencies in µs): the body of /rl/metrics without the account figures, and the
/// metrics part of the actor command's summary. Any thread (a value in, a value out).
nlohmann::json ActorMetricsJson(const actor::ActorMetrics& metrics);

class RlApi {
 public:
  /// Registers the routes on `server` (before server.Start()). Crashes when a part is null.
  RlApi(HttpServer& server, ActorParts parts, RlApiOptions options);

  /// Pipeline thread: one decision or selection change, and the order manager's events that
  /// came with it (see app::TradingActor's decision observer).
  void Publish(const actor::ActorEvent& event, std::span<const trading::FillEvent> fills,
               std::span<const trading::OrderEvent> orders);
  /// Any thread: a "stats" message (the metrics) and an "actor_pnl" message.
  void PublishStats();

  /// The JSON bodies of /rl/status and /rl/metrics (any thread).
  nlohmann::json StatusJson() const;
  nlohmann::json MetricsJson() const;
  /// The Prometheus text exposition of the metrics (any thread).
  std::string PrometheusText() const;

 private:
  HttpResponse Positions();
  HttpResponse Orderbook(const std::string& ticker) const;
  HttpResponse SwitchModel(const HttpRequest& req);
  HttpResponse SetMode(const HttpRequest& req);
  HttpResponse Kill(const HttpRequest& req);
  // Runs `task` on the pipeline thread and waits; false when it did not run in time.
  bool OnPipeline(std::function<void()> task);

  HttpServer& server_;
  ActorParts parts_;
  RlApiOptions options_;
  std::chrono::steady_clock::time_point started_;
  // Last portfolio figures seen by the pipeline thread (for actor_pnl / status without a task).
  std::atomic<int64_t> last_cash_micros_{0}, last_value_micros_{0};
};

}  // namespace kalshiflow::server
