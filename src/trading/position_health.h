// Position health (DESIGN §8): when an open position should be closed whatever the strategy
// says — take profit, stop loss, held too long, its market closing soon — and which position
// cash recovery closes first when available cash falls below the reserve.
//
// A position's return is its exit value at executable prices (a YES position at the best YES
// bid, a NO position at the best NO bid, DESIGN §5) over its cost basis, minus one:
//   return = exit_value / cost_basis - 1.
// Fees are not in the return (the exit's fee is not known before it fills).
//
// Defaults: closing soon (15 min) and cash recovery on; take profit, stop loss and max hold
// off — they are strategy choices (on the demo day, --stop-loss 0.5 --take-profit 1.0 turned
// the mean-reversion rule's -$31..-$63 into -$123..-$126: stop-outs of a rule that buys a
// falling market back after each cool-down, and their fees).
//
// The actor applies the verdict: it replaces the selector's action by the reducing one (SELL_YES
// for a YES position, SELL_NO for a NO position) at the aggressive price, through the same risk
// checks, until the position is flat. Times are business time (the actor's clock).
//
// Threading: one owner (the actor's pipeline thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/status.h"
#include "core/time.h"

namespace kalshiflow::trading {

struct PositionHealthConfig {
  /// Off: no rule fires (cash recovery included).
  bool enabled = true;
  /// Close when the return reaches +take_profit (1.0 = +100% of cost). 0 disables (default).
  double take_profit = 0;
  /// Close when the return falls to -stop_loss (0.5 = -50% of cost). 0 disables (default).
  double stop_loss = 0;
  /// Take profit and stop loss also need the P&L to be at least this much per contract
  /// (dollars, at executable prices): a 1-cent spread is -33% of a 3-cent contract, and
  /// percentages alone would stop out every cheap position the moment it was bought.
  core::Money min_move_per_contract = core::Money::FromCents(10);
  /// Close a position held this long since it opened (ns of business time). 0 disables
  /// (default).
  int64_t max_hold_ns = 0;
  /// Close when the market closes within this long (ns; needs its close time). 0 disables.
  int64_t closing_soon_ns = 15LL * 60 * 1'000'000'000;
  /// After an exit, orders that would open or grow a position in that market are refused for
  /// this long (ns of business time; risk::RejectReason::kEntryBlocked), so a strategy does
  /// not buy straight back into the position it was just stopped out of. 0 disables.
  int64_t reentry_cooldown_ns = 30LL * 60 * 1'000'000'000;
};
/// InvalidArgument naming the field for a negative or non-finite value.
core::Status Validate(const PositionHealthConfig& config);

enum class ExitReason : uint8_t {
  kNone,
  kTakeProfit,
  kStopLoss,
  kMaxHold,
  kClosingSoon,
  kCashRecovery,  // available cash below the reserve: the worst position goes first
};
inline constexpr int kNumExitReasons = 6;
std::string_view ExitReasonName(ExitReason reason);  // "none", "take_profit", ...

/// What one position is worth now.
struct PositionMark {
  core::Money exit_value;  // at executable prices
  core::Money cost_basis;
  /// exit_value / cost_basis - 1; nullopt without a bid to exit into or without cost.
  std::optional<double> return_ratio;
};
/// Marks `position` (+YES / -NO contracts) with `cost_basis` on `book`.
PositionMark MarkPosition(core::Count position, core::Money cost_basis,
                          const book::OrderBook& book);

class PositionHealth {
 public:
  explicit PositionHealth(PositionHealthConfig config) : config_(config) {}

  /// The market's close time (from market discovery); later calls replace it.
  void SetCloseTime(std::string_view ticker, core::Timestamp close_time);
  /// Records the market's position after a decision: a position that opens (from flat or
  /// across zero) starts its hold clock at `now`; a flat one clears it.
  void Observe(std::string_view ticker, core::Count position, core::Timestamp now);

  /// The rule that closes this position now, kNone when it is healthy (or flat, or the rules
  /// are disabled). Checked in order: closing soon, stop loss, take profit, max hold.
  ExitReason Check(std::string_view ticker, core::Count position, core::Money cost_basis,
                   const book::OrderBook& book, core::Timestamp now) const;

  /// When the position opened (nullopt when flat or never observed).
  std::optional<core::Timestamp> opened_at(std::string_view ticker) const;
  const PositionHealthConfig& config() const { return config_; }

 private:
  struct MarketState {
    std::optional<core::Timestamp> opened_at;
    std::optional<core::Timestamp> close_time;
    int sign = 0;  // of the last observed position
  };
  const MarketState* Find(std::string_view ticker) const;

  struct TickerHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  PositionHealthConfig config_;
  std::unordered_map<std::string, MarketState, TickerHash, std::equal_to<>> markets_;
};

}  // namespace kalshiflow::trading
