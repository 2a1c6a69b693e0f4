#include "risk/risk_config.h"

#include <fmt/format.h>

namespace kalshiflow::risk {

std::string_view RiskConfigFieldName(RiskConfigField field) {
  switch (field) {
    case RiskConfigField::kThrottle:
      return "throttle_ns";
    case RiskConfigField::kMaxPosition:
      return "max_position";
    case RiskConfigField::kCashReserve:
      return "cash_reserve";
    case RiskConfigField::kContractSize:
      return "contract_size";
    case RiskConfigField::kMaxConsecutiveErrors:
      return "max_consecutive_errors";
    case RiskConfigField::kMarketCooldown:
      return "market_cooldown_ns";
    case RiskConfigField::kPipelineBudget:
      return "pipeline_budget_ns";
    case RiskConfigField::kPredictionBudget:
      return "prediction_budget_ns";
    case RiskConfigField::kSlowStreak:
      return "slow_streak";
    case RiskConfigField::kLatencyCooldown:
      return "latency_cooldown_ns";
    case RiskConfigField::kQueueOverflowCooldown:
      return "queue_overflow_cooldown_ns";
    case RiskConfigField::kCashExhaustedCooldown:
      return "cash_exhausted_cooldown_ns";
  }
  return "unknown";
}

std::string RiskConfigError::ToString() const {
  return fmt::format("{}: {}", RiskConfigFieldName(field), detail);
}

core::Status RiskConfigError::ToStatus() const { return core::InvalidArgumentError(ToString()); }

namespace {

std::optional<RiskConfigError> Positive(RiskConfigField field, int64_t value) {
  if (value > 0) return std::nullopt;
  return RiskConfigError{field, fmt::format("must be > 0, got {}", value)};
}

}  // namespace

std::optional<RiskConfigError> Validate(const RiskConfig& c) {
  using F = RiskConfigField;
  if (c.throttle_ns < 0) {
    return RiskConfigError{F::kThrottle, fmt::format("must be >= 0, got {}", c.throttle_ns)};
  }
  if (!c.max_position.IsPositive()) {
    return RiskConfigError{F::kMaxPosition,
                           fmt::format("must be > 0, got {}", c.max_position.ToString())};
  }
  if (c.cash_reserve.IsNegative()) {
    return RiskConfigError{F::kCashReserve,
                           fmt::format("must be >= 0, got {}", c.cash_reserve.ToString())};
  }
  if (c.contract_size.IsNegative() || c.contract_size > c.max_position) {
    return RiskConfigError{F::kContractSize,
                           fmt::format("must be in [0, max_position = {}], got {}",
                                       c.max_position.ToString(), c.contract_size.ToString())};
  }
  if (auto e = Positive(F::kMaxConsecutiveErrors, c.max_consecutive_errors)) return e;
  if (auto e = Positive(F::kMarketCooldown, c.market_cooldown_ns)) return e;
  if (auto e = Positive(F::kPipelineBudget, c.pipeline_budget_ns)) return e;
  if (auto e = Positive(F::kPredictionBudget, c.prediction_budget_ns)) return e;
  if (auto e = Positive(F::kSlowStreak, c.slow_streak)) return e;
  if (auto e = Positive(F::kLatencyCooldown, c.latency_cooldown_ns)) return e;
  if (auto e = Positive(F::kQueueOverflowCooldown, c.queue_overflow_cooldown_ns)) return e;
  if (auto e = Positive(F::kCashExhaustedCooldown, c.cash_exhausted_cooldown_ns)) return e;
  return std::nullopt;
}

}  // namespace kalshiflow::risk
