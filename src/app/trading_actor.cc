#include "app/trading_actor.h"

#include <fmt/format.h>

#include "app/commands.h"
#include "server/rl_api.h"

namespace kalshiflow::app {
namespace {

double Dollars(core::Money m) { return static_cast<double>(m.units()) / 1e6; }
double Micros(int64_t ns) { return static_cast<double>(ns) / 1e3; }

std::unique_ptr<trading::OrderManager> OrdersOf(TradingActorOptions& options) {
  if (options.orders) return std::move(options.orders);
  const core::Status status = trading::ValidatePaperConfig(options.paper);
  if (!status.ok()) throw CommandFailed(1, "actor: paper config: " + status.ToString());
  options.orders_initial_cash = options.paper.initial_cash;
  return std::make_unique<trading::PaperOrderManager>(options.paper);
}

const risk::RiskConfig& CheckedRisk(const risk::RiskConfig& config) {
  if (auto error = risk::Validate(config)) {
    throw CommandFailed(1, "actor: risk config: " + error->ToString());
  }
  return config;
}

}  // namespace

TradingActor::TradingActor(TradingActorOptions options)
    : options_(std::move(options)),
      orders_(OrdersOf(options_)),
      initial_cash_(options_.orders_initial_cash),
      risk_(CheckedRisk(options_.risk), market_clock_) {
  auto service = actor::ActorService::Create(options_.actor, *orders_, risk_, market_clock_, this);
  if (!service.ok()) throw CommandFailed(1, "actor: " + service.error().ToString());
  service_ = std::move(service).value();
  if (options_.store != nullptr) {
    auto queue = storage::WriteQueue::Create(*options_.store);
    if (!queue.ok()) throw CommandFailed(1, "actor: event queue: " + queue.error().ToString());
    events_ = std::move(queue).value();
  }
  if (options_.actor.selector == actor::SelectorKind::kRlModel) {
    auto model =
        actor::ActorModel::Load(options_.model_path, options_.actor.observation_spec,
                                /*observation_size=*/52, options_.model_id, options_.model_label);
    if (!model.ok()) throw CommandFailed(1, "actor: model: " + model.error().ToString());
    service_->SwapModel(std::move(model).value());
  }
}

TradingActor::~TradingActor() {
  if (service_) service_->Stop();
}

feed::ActorTriggerHook TradingActor::Hook() {
  return [this](const feed::ActorTrigger& t) {
    if (t.book == nullptr) return;
    if (t.exchange_ts_ms && *t.exchange_ts_ms > 0) {
      const core::Timestamp ts = core::Timestamp::FromMillis(*t.exchange_ts_ms);
      if (ts > market_clock_.Now()) market_clock_.Set(ts);
    }
    service_->OnAcceptedUpdate(actor::AcceptedUpdate{t.market_ticker, t.seq, t.exchange_ts_ms,
                                                     t.received.millis(), t.book});
  };
}

feed::TradeHook TradingActor::TradeHook() {
  return
      [this](const feed::TradeTrigger& t) { service_->OnAcceptedTrade(t.market_ticker, t.count); };
}

void TradingActor::Start() { service_->Start(); }

void TradingActor::Finish() {
  service_->WaitIdle();
  service_->Stop();
  if (events_) {
    const core::Status shut = events_->Shutdown();
    events_stats_ = events_->Stats();
    if (!shut.ok()) throw CommandFailed(1, "actor: event queue: " + shut.ToString());
  }
  // Events of the last decisions (the pipeline thread has stopped: this thread owns it now).
  DrainOrderEvents();
}

void TradingActor::OnDecision(const actor::ActorEvent& e) {
  if (events_) {
    storage::ActorEventRow row;
    row.session_id = session_id_.load();
    if (e.model_id > 0) row.model_id = e.model_id;
    row.market_ticker = e.market_ticker;
    if (e.event_type == "decision") row.seq = e.seq;
    row.local_ts = e.decided_at;
    row.event_type = e.event_type;
    row.action = static_cast<int32_t>(e.action);
    row.action_name = std::string(sim::ActionName(e.action));
    row.position_units = e.position_after.units();
    row.cash_micros = e.cash_after.units();
    row.portfolio_value_micros = e.portfolio_value_after.units();
    row.latency_ns = e.decision_ns;
    if (e.outcome == actor::DecisionOutcome::kError) row.error = e.detail;
    nlohmann::json details = {{"decision", e.decision},
                              {"outcome", actor::DecisionOutcomeName(e.outcome)},
                              {"selector", actor::SelectorKindName(e.selector)},
                              {"point_ts_ms", e.point_ts_ms},
                              {"model_action", e.model_action},
                              {"probability", e.probability},
                              {"plan", sim::PlanNoteName(e.plan_note)},
                              {"ops_sent", e.ops_sent},
                              {"queue_wait_ns", e.queue_wait_ns},
                              {"observation_ns", e.observation_ns},
                              {"prediction_ns", e.prediction_ns}};
    if (e.risk_reject) details["risk_reject"] = risk::RejectReasonName(*e.risk_reject);
    if (e.exit_reason != trading::ExitReason::kNone) {
      details["exit_reason"] = trading::ExitReasonName(e.exit_reason);
    }
    if (!e.detail.empty()) details["detail"] = e.detail;
    row.details = details.dump();
    ++events_offered_;
    if (!events_->TryEnqueue(std::move(row))) ++events_refused_;
  }
  DrainOrderEvents(&e);  // pipeline thread: the order manager's events since the last decision
}

void TradingActor::SetDecisionObserver(DecisionObserver observer) {
  std::lock_guard lock(observer_mu_);
  observer_ = std::move(observer);
  has_observer_.store(static_cast<bool>(observer_), std::memory_order_release);
}

void TradingActor::DrainOrderEvents(const actor::ActorEvent* decision) {
  orders_->DrainEvents(&fills_, &order_events_);
  if (decision != nullptr && has_observer_.load(std::memory_order_acquire)) {
    std::lock_guard lock(observer_mu_);
    if (observer_) observer_(*decision, fills_, order_events_);
  }
  fill_events_ += static_cast<int64_t>(fills_.size());
  for (const trading::OrderEvent& event : order_events_) {
    if (event.reject != sim::OrderReject::kNone) ++order_rejects_;
  }
  fills_.clear();
  order_events_.clear();
}

TradingActorSummary TradingActor::Summary() const {
  TradingActorSummary s;
  s.metrics = service_->metrics();
  s.selector = s.metrics.selector;
  s.model_id = s.metrics.model_id;
  s.mode = std::string(orders_->mode());
  s.orders = orders_->counters();
  s.initial_cash = initial_cash_;
  s.cash = orders_->cash();
  s.portfolio_value = orders_->portfolio_value();
  s.positions = orders_->positions();
  s.fill_events = fill_events_;
  s.order_rejects = order_rejects_;
  for (int r = 0; r < risk::kNumRejectReasons; ++r) {
    s.risk_rejects[static_cast<std::size_t>(r)] =
        risk_.reject_count(static_cast<risk::RejectReason>(r));
  }
  s.events_persisted = static_cast<int64_t>(events_stats_.written);
  s.events_dropped =
      events_refused_ + static_cast<int64_t>(events_stats_.rejected + events_stats_.abandoned);
  return s;
}

nlohmann::json TradingActorSummary::ToJson() const {
  nlohmann::json positions_json = nlohmann::json::array();
  for (const auto& p : positions) {
    positions_json.push_back({{"market_ticker", p.market_ticker},
                              {"position", p.position.ToString()},
                              {"cost_basis", p.cost_basis.ToString()},
                              {"realized_pnl", p.realized_pnl.ToString()},
                              {"fees_paid", p.fees_paid.ToString()},
                              {"fills", p.fills}});
  }
  const nlohmann::json m = server::ActorMetricsJson(metrics);
  nlohmann::json rejects = nlohmann::json::object();
  for (int r = 0; r < risk::kNumRejectReasons; ++r) {
    rejects[std::string(risk::RejectReasonName(static_cast<risk::RejectReason>(r)))] =
        risk_rejects[static_cast<std::size_t>(r)];
  }
  const core::Money pnl = portfolio_value - initial_cash;
  return {
      {"risk_rejects", rejects},
      {"errors_by_type", m["errors_by_type"]},
      {"last_error", m["last_error"]},
      {"model_cache_hits", m["model_cache_hits"]},
      {"actions_last_minute", m["actions_last_minute"]},
      {"exits", m["exits"]},
      {"managed_only_decisions", m["managed_only_decisions"]},
      {"breakers", m["breakers"]},
      {"mode", mode},
      {"selector", selector},
      {"model_id", model_id},
      {"updates", metrics.updates_ingested},
      {"decisions", metrics.decisions},
      {"actions", m["actions"]},
      {"orders_placed", orders.orders_placed},
      {"orders_amended", orders.orders_amended},
      {"orders_canceled", orders.orders_canceled},
      {"orders_rejected", orders.orders_rejected},
      {"fills", orders.fills},
      {"contracts_filled", orders.contracts_filled.ToString()},
      {"fees_dollars", Dollars(orders.fees_paid)},
      {"risk_rejected", metrics.risk_rejected},
      {"events_persisted", events_persisted},
      {"events_dropped", events_dropped},
      {"errors", metrics.errors},
      {"initial_cash_dollars", Dollars(initial_cash)},
      {"cash_dollars", Dollars(cash)},
      {"portfolio_value_dollars", Dollars(portfolio_value)},
      {"pnl_dollars", Dollars(pnl)},
      {"positions", positions_json},
      {"triggers_coalesced", metrics.triggers_coalesced},
      {"trigger_overflows", metrics.trigger_overflows},
      {"observation_latency_p50_us", Micros(metrics.observation.p50_ns)},
      {"observation_latency_p99_us", Micros(metrics.observation.p99_ns)},
      {"prediction_latency_p50_us", Micros(metrics.prediction.p50_ns)},
      {"prediction_latency_p99_us", Micros(metrics.prediction.p99_ns)},
      {"decision_latency_p50_us", Micros(metrics.decision.p50_ns)},
      {"decision_latency_p99_us", Micros(metrics.decision.p99_ns)},
  };
}

}  // namespace kalshiflow::app
