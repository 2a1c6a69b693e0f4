// Pre-trade risk checks and circuit breakers for the actor (DESIGN.md §7 "Risk controls",
// §2 "Life of an order": actor action -> risk checks -> OrderManager).
//
// Threading: one actor thread owns a RiskManager and calls Check and every Record* method;
// the query methods (counters, breaker and market state) are for that thread too (snapshot
// them there for metrics/API). The kill switch alone may be set and read from any thread
// (SetKillSwitch / kill_switch_engaged / kill_switch_reason are thread-safe).
// Time comes only from the injected core::Clock; breakers recover lazily (a breaker is open
// while Now() < its close time), so no timer thread is needed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/fixed_point.h"
#include "core/time.h"
#include "risk/risk_config.h"

namespace kalshiflow::risk {

/// A proposed order, as the actor sees it before sending.
struct OrderIntent {
  std::string market_ticker;
  /// Signed change of the market position in contracts: + buys YES (or sells NO),
  /// - buys NO (or sells YES). Must be non-zero.
  core::Count position_change;
  /// Cash the order spends if filled (price x count + fees); zero or negative for orders that
  /// release cash (closing sells). Only positive costs are subject to the cash checks.
  core::Money cost;
  /// Current position in this market (+YES / -NO).
  core::Count current_position;
  /// Cash available to trade now.
  core::Money available_cash;
};

/// Why an order was rejected. Checks run in this order; the first failure is reported.
enum class RejectReason : uint8_t {
  kKillSwitch,      // the kill switch is engaged
  kMarketDisabled,  // too many consecutive errors in this market; cooling down
  kBreakerOpen,     // a global circuit breaker is open (see RiskDecision::breaker)
  kThrottled,       // an order was sent in this market less than throttle_ns ago
  kInvalidOrder,    // position_change is zero
  kPositionLimit,   // |current + change| would exceed max_position (and grow |position|)
  kCashReserve,     // available_cash - cost would fall below cash_reserve
  kContractSize,    // |position_change| != contract_size (the lock; a smaller order that
                    // closes the position exactly is allowed)
  kEntryBlocked,    // the order would open or grow a position in a market whose entries are
                    // blocked (BlockEntries: after a position-health exit); checked after the
                    // position limit
};
inline constexpr int kNumRejectReasons = 9;
/// Stable snake_case name, e.g. "position_limit".
std::string_view RejectReasonName(RejectReason reason);

/// Global circuit breakers.
enum class Breaker : uint8_t {
  kSlowPipeline,    // slow_streak consecutive loop latencies over pipeline_budget_ns
  kSlowPrediction,  // slow_streak consecutive predictions over prediction_budget_ns
  kQueueOverflow,   // a queue (write queue, order queue) overflowed
  kCashExhausted,   // available cash seen below cash_reserve; blocks cash-spending orders only
};
inline constexpr int kNumBreakers = 4;
/// Stable snake_case name, e.g. "slow_pipeline".
std::string_view BreakerName(Breaker breaker);

/// Outcome of Check: allowed, or a reject reason with a human-readable detail.
struct RiskDecision {
  std::optional<RejectReason> reject;  // nullopt = allowed
  std::optional<Breaker> breaker;      // set when reject == kBreakerOpen
  std::string detail;                  // empty when allowed

  bool allowed() const { return !reject.has_value(); }
  static RiskDecision Allow() { return {}; }
};

/// State of one breaker at the current clock time.
struct BreakerStatus {
  bool open = false;
  core::Timestamp closes_at;  // meaningful while open
  int64_t trips = 0;          // times it has opened since construction
};

/// State of one market at the current clock time.
struct MarketStatus {
  bool disabled = false;
  core::Timestamp disabled_until;  // meaningful while disabled
  int consecutive_errors = 0;
  int64_t disables = 0;  // times the market has been disabled
};

class RiskManager {
 public:
  /// `config` must be valid (Validate(config) == nullopt; KF_CHECK otherwise). `clock` must
  /// outlive the manager.
  RiskManager(RiskConfig config, const core::Clock& clock);
  RiskManager(const RiskManager&) = delete;
  RiskManager& operator=(const RiskManager&) = delete;

  /// Runs the pre-trade checks on `intent` (no state change except counters and tripping the
  /// cash-exhausted breaker when available_cash < cash_reserve). Does not start the throttle:
  /// call RecordOrderSent once the order is actually sent.
  RiskDecision Check(const OrderIntent& intent);

  /// An order was sent in `market`: starts its throttle window at Now().
  void RecordOrderSent(std::string_view market);
  /// An order in `market` failed (exchange reject, transport error). The
  /// max_consecutive_errors-th in a row disables the market for market_cooldown_ns.
  void RecordError(std::string_view market);
  /// An order in `market` succeeded: resets its consecutive-error count.
  void RecordSuccess(std::string_view market);
  /// Whole-loop latency sample in ns; slow_streak consecutive samples > pipeline_budget_ns
  /// open kSlowPipeline for latency_cooldown_ns. A sample within budget resets the streak.
  void RecordPipelineLatency(int64_t ns);
  /// Prediction latency sample in ns; same rule against prediction_budget_ns (kSlowPrediction).
  void RecordPredictionLatency(int64_t ns);
  /// A queue overflowed: opens kQueueOverflow for queue_overflow_cooldown_ns (extends it if
  /// already open).
  void RecordQueueOverflow();
  /// Reports the cash available now; below cash_reserve opens kCashExhausted (as Check does).
  void RecordAvailableCash(core::Money cash);

  /// Blocks orders that open or grow a position in `market` for `duration_ns` of business time
  /// (orders that reduce it still pass), e.g. after a stop-loss exit so the strategy does not
  /// buy straight back in. `reason` goes into the rejection detail. A later call replaces it.
  void BlockEntries(std::string_view market, int64_t duration_ns, std::string reason);

  /// Engages (true) or releases (false) the kill switch. Thread-safe.
  void SetKillSwitch(bool engaged, std::string reason);
  bool kill_switch_engaged() const { return kill_switch_.load(std::memory_order_acquire); }
  /// The reason given when the switch was last set. Thread-safe.
  std::string kill_switch_reason() const;

  BreakerStatus breaker_status(Breaker breaker) const;
  MarketStatus market_status(std::string_view market) const;
  /// Rejections per reason since construction.
  int64_t reject_count(RejectReason reason) const {
    return reject_counts_[static_cast<int>(reason)];
  }
  int64_t allowed_count() const { return allowed_count_; }
  const RiskConfig& config() const { return config_; }

 private:
  struct MarketState {
    std::optional<int64_t> last_sent_ns;
    int consecutive_errors = 0;
    int64_t disabled_until_ns = 0;
    int64_t disables = 0;
    int64_t entries_blocked_until_ns = 0;
    std::string entries_blocked_reason;
  };
  struct BreakerState {
    int64_t closes_at_ns = 0;  // open while now < closes_at_ns
    int64_t trips = 0;
  };

  int64_t NowNs() const { return clock_.Now().nanos(); }
  bool IsOpen(Breaker b, int64_t now) const;
  void Trip(Breaker b, int64_t cooldown_ns);
  void RecordLatency(int64_t ns, int64_t budget_ns, int& streak, Breaker breaker);
  RiskDecision Reject(RejectReason reason, std::string detail,
                      std::optional<Breaker> breaker = std::nullopt);
  MarketState& Market(std::string_view market);

  const RiskConfig config_;
  const core::Clock& clock_;

  std::atomic<bool> kill_switch_{false};
  mutable std::mutex kill_reason_mu_;
  std::string kill_reason_;  // guarded by kill_reason_mu_

  struct TickerHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, MarketState, TickerHash, std::equal_to<>> markets_;
  std::array<BreakerState, kNumBreakers> breakers_{};
  int pipeline_streak_ = 0;
  int prediction_streak_ = 0;
  std::array<int64_t, kNumRejectReasons> reject_counts_{};
  int64_t allowed_count_ = 0;
};

}  // namespace kalshiflow::risk
