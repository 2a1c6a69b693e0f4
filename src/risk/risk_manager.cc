#include "risk/risk_manager.h"

#include <fmt/format.h>

#include <utility>

#include "core/check.h"

namespace kalshiflow::risk {

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kKillSwitch:
      return "kill_switch";
    case RejectReason::kMarketDisabled:
      return "market_disabled";
    case RejectReason::kBreakerOpen:
      return "breaker_open";
    case RejectReason::kThrottled:
      return "throttled";
    case RejectReason::kInvalidOrder:
      return "invalid_order";
    case RejectReason::kPositionLimit:
      return "position_limit";
    case RejectReason::kCashReserve:
      return "cash_reserve";
    case RejectReason::kContractSize:
      return "contract_size";
    case RejectReason::kEntryBlocked:
      return "entry_blocked";
  }
  return "unknown";
}

std::string_view BreakerName(Breaker breaker) {
  switch (breaker) {
    case Breaker::kSlowPipeline:
      return "slow_pipeline";
    case Breaker::kSlowPrediction:
      return "slow_prediction";
    case Breaker::kQueueOverflow:
      return "queue_overflow";
    case Breaker::kCashExhausted:
      return "cash_exhausted";
  }
  return "unknown";
}

RiskManager::RiskManager(RiskConfig config, const core::Clock& clock)
    : config_(std::move(config)), clock_(clock) {
  auto error = Validate(config_);
  KF_CHECK(!error.has_value(), "invalid RiskConfig: {}", error ? error->ToString() : "");
}

RiskManager::MarketState& RiskManager::Market(std::string_view market) {
  auto it = markets_.find(market);  // no allocation once the market is known
  if (it == markets_.end()) it = markets_.emplace(std::string(market), MarketState{}).first;
  return it->second;
}

bool RiskManager::IsOpen(Breaker b, int64_t now) const {
  return now < breakers_[static_cast<int>(b)].closes_at_ns;
}

void RiskManager::Trip(Breaker b, int64_t cooldown_ns) {
  const int64_t now = NowNs();
  BreakerState& s = breakers_[static_cast<int>(b)];
  if (now >= s.closes_at_ns) ++s.trips;  // a new opening (not an extension)
  s.closes_at_ns = now + cooldown_ns;
}

RiskDecision RiskManager::Reject(RejectReason reason, std::string detail,
                                 std::optional<Breaker> breaker) {
  ++reject_counts_[static_cast<int>(reason)];
  RiskDecision d;
  d.reject = reason;
  d.breaker = breaker;
  d.detail = std::move(detail);
  return d;
}

void RiskManager::BlockEntries(std::string_view market, int64_t duration_ns, std::string reason) {
  MarketState& state = Market(market);
  state.entries_blocked_until_ns = NowNs() + duration_ns;
  state.entries_blocked_reason = std::move(reason);
}

RiskDecision RiskManager::Check(const OrderIntent& in) {
  const int64_t now = NowNs();
  const std::string& m = in.market_ticker;

  if (kill_switch_engaged()) {
    return Reject(RejectReason::kKillSwitch,
                  fmt::format("kill switch engaged: {}", kill_switch_reason()));
  }

  MarketState& market = Market(m);
  if (now < market.disabled_until_ns) {
    return Reject(RejectReason::kMarketDisabled,
                  fmt::format("market {} disabled after {} consecutive errors for {} ns more", m,
                              config_.max_consecutive_errors, market.disabled_until_ns - now));
  }

  const bool spends_cash = in.cost.IsPositive();
  if (in.available_cash < config_.cash_reserve) {
    Trip(Breaker::kCashExhausted, config_.cash_exhausted_cooldown_ns);
  }
  for (Breaker b : {Breaker::kSlowPipeline, Breaker::kSlowPrediction, Breaker::kQueueOverflow,
                    Breaker::kCashExhausted}) {
    if (b == Breaker::kCashExhausted && !spends_cash) continue;
    if (IsOpen(b, now)) {
      return Reject(RejectReason::kBreakerOpen,
                    fmt::format("breaker {} open for {} ns more", BreakerName(b),
                                breakers_[static_cast<int>(b)].closes_at_ns - now),
                    b);
    }
  }

  if (config_.throttle_ns > 0 && market.last_sent_ns.has_value() &&
      now - *market.last_sent_ns < config_.throttle_ns) {
    return Reject(RejectReason::kThrottled,
                  fmt::format("market {}: last order {} ns ago, throttle {} ns", m,
                              now - *market.last_sent_ns, config_.throttle_ns));
  }

  if (in.position_change.IsZero()) {
    return Reject(RejectReason::kInvalidOrder, fmt::format("market {}: zero position change", m));
  }

  const int64_t cur = in.current_position.units();
  const int64_t next = cur + in.position_change.units();
  const int64_t abs_cur = cur < 0 ? -cur : cur;
  const int64_t abs_next = next < 0 ? -next : next;
  if (abs_next > config_.max_position.units() && abs_next > abs_cur) {
    return Reject(
        RejectReason::kPositionLimit,
        fmt::format("market {}: position {} + {} = {} exceeds limit {}", m,
                    in.current_position.ToString(), in.position_change.ToString(),
                    core::Count::FromUnits(next).ToString(), config_.max_position.ToString()));
  }

  const bool opens = abs_next > abs_cur || (cur != 0 && next != 0 && (cur > 0) != (next > 0));
  if (opens && now < market.entries_blocked_until_ns) {
    return Reject(
        RejectReason::kEntryBlocked,
        fmt::format("market {}: entries blocked for {} ns more ({})", m,
                    market.entries_blocked_until_ns - now, market.entries_blocked_reason));
  }

  if (spends_cash && in.available_cash - in.cost < config_.cash_reserve) {
    return Reject(
        RejectReason::kCashReserve,
        fmt::format("cash {} - cost {} = {} is below reserve {}", in.available_cash.ToString(),
                    in.cost.ToString(), (in.available_cash - in.cost).ToString(),
                    config_.cash_reserve.ToString()));
  }

  const int64_t abs_change =
      in.position_change.IsNegative() ? -in.position_change.units() : in.position_change.units();
  // The lock admits one exception: a smaller order that closes the position exactly (the
  // remainder of a partly filled position leaving through position health).
  const bool closes_remainder = next == 0 && abs_change < config_.contract_size.units();
  if (config_.contract_size.IsPositive() && abs_change != config_.contract_size.units() &&
      !closes_remainder) {
    return Reject(RejectReason::kContractSize,
                  fmt::format("market {}: |change| {} != locked contract size {}", m,
                              core::Count::FromUnits(abs_change).ToString(),
                              config_.contract_size.ToString()));
  }

  ++allowed_count_;
  return RiskDecision::Allow();
}

void RiskManager::RecordOrderSent(std::string_view market) {
  Market(market).last_sent_ns = NowNs();
}

void RiskManager::RecordError(std::string_view market) {
  MarketState& s = Market(market);
  if (++s.consecutive_errors >= config_.max_consecutive_errors) {
    s.disabled_until_ns = NowNs() + config_.market_cooldown_ns;
    s.consecutive_errors = 0;
    ++s.disables;
  }
}

void RiskManager::RecordSuccess(std::string_view market) { Market(market).consecutive_errors = 0; }

void RiskManager::RecordLatency(int64_t ns, int64_t budget_ns, int& streak, Breaker breaker) {
  if (ns <= budget_ns) {
    streak = 0;
    return;
  }
  if (++streak >= config_.slow_streak) {
    Trip(breaker, config_.latency_cooldown_ns);
    streak = 0;
  }
}

void RiskManager::RecordPipelineLatency(int64_t ns) {
  RecordLatency(ns, config_.pipeline_budget_ns, pipeline_streak_, Breaker::kSlowPipeline);
}

void RiskManager::RecordPredictionLatency(int64_t ns) {
  RecordLatency(ns, config_.prediction_budget_ns, prediction_streak_, Breaker::kSlowPrediction);
}

void RiskManager::RecordQueueOverflow() {
  Trip(Breaker::kQueueOverflow, config_.queue_overflow_cooldown_ns);
}

void RiskManager::RecordAvailableCash(core::Money cash) {
  if (cash < config_.cash_reserve)
    Trip(Breaker::kCashExhausted, config_.cash_exhausted_cooldown_ns);
}

void RiskManager::SetKillSwitch(bool engaged, std::string reason) {
  {
    std::lock_guard lock(kill_reason_mu_);
    kill_reason_ = std::move(reason);
  }
  kill_switch_.store(engaged, std::memory_order_release);
}

std::string RiskManager::kill_switch_reason() const {
  std::lock_guard lock(kill_reason_mu_);
  return kill_reason_;
}

BreakerStatus RiskManager::breaker_status(Breaker breaker) const {
  const BreakerState& s = breakers_[static_cast<int>(breaker)];
  BreakerStatus out;
  out.open = IsOpen(breaker, NowNs());
  out.closes_at = core::Timestamp::FromNanos(s.closes_at_ns);
  out.trips = s.trips;
  return out;
}

MarketStatus RiskManager::market_status(std::string_view market) const {
  MarketStatus out;
  auto it = markets_.find(market);
  if (it == markets_.end()) return out;
  const MarketState& s = it->second;
  out.disabled = NowNs() < s.disabled_until_ns;
  out.disabled_until = core::Timestamp::FromNanos(s.disabled_until_ns);
  out.consecutive_errors = s.consecutive_errors;
  out.disables = s.disables;
  return out;
}

}  // namespace kalshiflow::risk
