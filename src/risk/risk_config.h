// Limits of the risk module: pre-trade controls and circuit-breaker thresholds.
// Source: DESIGN.md §7 "Risk controls" (kill switch, throttle RL_ACTOR_THROTTLE_MS = 250,
// max position 100 contracts per market, cash reserve, contract size lock 10, circuit breakers)
// and §2 "Life of an order".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/fixed_point.h"
#include "core/status.h"

namespace kalshiflow::risk {

/// All limits. Durations are int64 nanoseconds (suffix _ns); sizes are core::Count
/// (1/100 contract); money is core::Money (1e-6 $). Plain value type.
struct RiskConfig {
  /// Minimum time between two orders sent in the same market (RL_ACTOR_THROTTLE_MS = 250 ms).
  /// 0 disables the throttle.
  int64_t throttle_ns = 250'000'000;
  /// Largest absolute position per market (+YES / -NO), 100 contracts. Orders that move the
  /// position further from zero beyond this are rejected. Must be > 0.
  core::Count max_position = core::Count::FromContracts(100);
  /// Cash that orders must leave untouched: an order costing C is rejected when
  /// available_cash - C < cash_reserve. $10 by default. Must be >= 0.
  core::Money cash_reserve = core::Money::FromUnits(10 * core::Money::kUnitsPerDollar);
  /// Contract size lock (RL_ACTOR_CONTRACT_SIZE = 10): every order's |position change| must
  /// equal this. 0 disables the lock. Must be >= 0 and <= max_position.
  core::Count contract_size = core::Count::FromContracts(10);

  /// Consecutive errors in one market that disable it (>= 1).
  int max_consecutive_errors = 3;
  /// How long a market stays disabled after max_consecutive_errors (60 s, > 0).
  int64_t market_cooldown_ns = 60'000'000'000;

  /// Whole-loop (observation -> decision -> order) latency budget (100 ms, > 0).
  int64_t pipeline_budget_ns = 100'000'000;
  /// Model prediction latency budget (20 ms, > 0).
  int64_t prediction_budget_ns = 20'000'000;
  /// Consecutive over-budget samples (of one kind) that open its breaker (>= 1).
  int slow_streak = 5;
  /// How long the slow-pipeline / slow-prediction breaker stays open (30 s, > 0).
  int64_t latency_cooldown_ns = 30'000'000'000;
  /// How long the queue-overflow breaker stays open after an overflow (10 s, > 0).
  int64_t queue_overflow_cooldown_ns = 10'000'000'000;
  /// How long the cash-exhausted breaker stays open once cash is seen below the reserve
  /// (60 s, > 0); it re-opens at the next check if cash is still below.
  int64_t cash_exhausted_cooldown_ns = 60'000'000'000;
};

/// The field a validation error is about.
enum class RiskConfigField : uint8_t {
  kThrottle,
  kMaxPosition,
  kCashReserve,
  kContractSize,
  kMaxConsecutiveErrors,
  kMarketCooldown,
  kPipelineBudget,
  kPredictionBudget,
  kSlowStreak,
  kLatencyCooldown,
  kQueueOverflowCooldown,
  kCashExhaustedCooldown,
};

/// The RiskConfig member name of a field, e.g. "throttle_ns".
std::string_view RiskConfigFieldName(RiskConfigField field);

/// A rejected config: which field and why (the detail names the value and the bound).
struct RiskConfigError {
  RiskConfigField field = RiskConfigField::kThrottle;
  std::string detail;

  /// "<field>: <detail>", e.g. "max_position: must be > 0, got -1.00".
  std::string ToString() const;
  /// As core::Status (kInvalidArgument with ToString() as the message).
  core::Status ToStatus() const;
};

/// The first out-of-bounds field in member order, or nullopt when the config is valid.
std::optional<RiskConfigError> Validate(const RiskConfig& config);

}  // namespace kalshiflow::risk
