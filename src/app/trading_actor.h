// The actor as a program part: an OrderManager (paper: a PaperOrderManager; kalshi: a
// KalshiOrderManager on an exchange), a RiskManager and an ActorService wired to the
// collector's actor-trigger hook, driven in market time, with a summary. Used by `kalshiflow
// demo` (steps 8 and 9) and `kalshiflow actor`.
//
// Market time: the service's business clock (orders, risk throttle and cool-downs, event
// times) follows Kalshi's `ts_ms` of the updates it is told about, so a replay at any speed
// trades as the market would have: the 250 ms throttle is 250 ms of market time. Latencies are
// measured on the steady clock by the service.
//
// Threading: Hook() runs on the collector's thread; the pipeline on the service's own thread
// (Start/Finish); Summary() after Finish().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "actor/actor_service.h"
#include "actor/model_reloader.h"
#include "core/time.h"
#include "feed/collector.h"
#include "risk/risk_manager.h"
#include "storage/store.h"
#include "storage/write_queue.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::app {

struct TradingActorOptions {
  actor::ActorConfig actor;
  /// The order manager to trade through (e.g. a trading::KalshiOrderManager) and the cash it
  /// started with (the P&L's reference). Null: a PaperOrderManager from `paper`.
  std::unique_ptr<trading::OrderManager> orders;
  core::Money orders_initial_cash;
  trading::PaperConfig paper;
  risk::RiskConfig risk;
  /// For selector rl_model: the checkpoint to run and where it came from.
  std::string model_path;
  int64_t model_id = 0;
  std::string model_label;
  /// Where every decision is persisted (rl_actor_events) through the actor's own write queue;
  /// null: not persisted.
  storage::Store* store = nullptr;
};

struct TradingActorSummary {
  std::string mode;  // the order manager's: "paper" | "kalshi"
  std::string selector;
  int64_t model_id = 0;
  actor::ActorMetrics metrics;
  trading::OrderManagerCounters orders;
  core::Money initial_cash;
  core::Money cash;
  core::Money portfolio_value;
  std::vector<trading::MarketPosition> positions;
  int64_t fill_events = 0;
  int64_t order_rejects = 0;  // order events with a reject (insufficient balance, ...)
  std::array<int64_t, risk::kNumRejectReasons> risk_rejects{};  // by risk::RejectReason
  int64_t events_persisted = 0;  // decisions accepted by the write queue and written
  int64_t events_dropped = 0;    // decisions the write queue refused (full) or failed to write
  /// One JSON object: decisions, orders_placed, fills, errors, pnl_dollars,
  /// decision_latency_p50_us / p99_us, observation / prediction latencies, actions, ...
  nlohmann::json ToJson() const;
};

class TradingActor final : private actor::ActorEventSink {
 public:
  /// Throws CommandFailed(1, ...) when the configuration or the model is refused.
  explicit TradingActor(TradingActorOptions options);
  ~TradingActor() override;

  /// The collector hook: advances market time, hands the update to the actor.
  feed::ActorTriggerHook Hook();
  /// The collector's trade hook: traded contracts for the hot ranking.
  feed::TradeHook TradeHook();
  /// A hot-reload poller bound to this actor's service (destroy it before the actor).
  std::unique_ptr<actor::ModelReloader> MakeReloader(
      actor::ModelSource source,
      std::chrono::milliseconds poll_interval = std::chrono::seconds(5)) {
    return std::make_unique<actor::ModelReloader>(*service_, std::move(source), poll_interval);
  }
  /// The collection session the decisions belong to (CollectRunConfig::on_session).
  void SetSessionId(storage::SessionId id) { session_id_.store(id); }
  void Start();
  /// Waits until every queued trigger was decided, then stops the pipeline thread.
  void Finish();
  /// The order manager (e.g. to reconcile a kalshi one after Finish).
  trading::OrderManager& orders() { return *orders_; }
  /// The parts the control API acts through (server::ActorParts).
  actor::ActorService& service() { return *service_; }
  risk::RiskManager& risk() { return risk_; }
  const core::Clock& clock() const { return market_clock_; }
  core::Money initial_cash() const { return initial_cash_; }
  /// Called on the pipeline thread after every decision (and selection change) with the order
  /// manager's fills and order events that came with it, e.g. to stream them on /rl/ws. Any
  /// thread; once SetDecisionObserver({}) returns, the previous observer is no longer running
  /// and never called again.
  using DecisionObserver =
      std::function<void(const actor::ActorEvent&, std::span<const trading::FillEvent>,
                         std::span<const trading::OrderEvent>)>;
  void SetDecisionObserver(DecisionObserver observer);
  TradingActorSummary Summary() const;

 private:
  void OnDecision(const actor::ActorEvent& event) override;
  // Moves the order manager's fills and order events into the counters (owner thread), after
  // showing them with `decision` (when given) to the decision observer.
  void DrainOrderEvents(const actor::ActorEvent* decision = nullptr);

  TradingActorOptions options_;
  core::SimulatedClock market_clock_;
  std::unique_ptr<trading::OrderManager> orders_;
  core::Money initial_cash_;
  risk::RiskManager risk_;
  std::unique_ptr<actor::ActorService> service_;
  std::unique_ptr<storage::WriteQueue> events_;  // null without a store
  std::atomic<storage::SessionId> session_id_{0};
  int64_t events_offered_ = 0, events_refused_ = 0;  // pipeline thread
  storage::WriteQueueStats events_stats_;            // after Finish
  // Pipeline thread only (OnDecision), read by Summary after Finish.
  std::vector<trading::FillEvent> fills_;
  std::vector<trading::OrderEvent> order_events_;
  int64_t fill_events_ = 0;
  int64_t order_rejects_ = 0;
  std::mutex observer_mu_;
  std::atomic<bool> has_observer_{false};
  DecisionObserver observer_;  // guarded by observer_mu_
};

}  // namespace kalshiflow::app
