// Kalshi trading fees: the per-series fee model and the documented fee rounding (trade fee,
// rounding fee, per-order fee accumulator with whole-cent rebates). Integers only.
//
// Source: ../shared/kalshi-api/PROTOCOL.md §5 (fee types, formula, "Rounding (official,
// docs.kalshi.com/getting_started/fee_rounding, 2026)" and its two checks), DESIGN.md §5.
//
//   taker fee  = roundup(0.07   x C x P x (1 - P))        to $0.0001, x fee_multiplier
//   maker fee  = roundup(0.0175 x C x P x (1 - P))        quadratic_with_maker_fees
//              = roundup(0.035  x C x P x (1 - P))        quadratic_with_combo_maker_fees
//              = 0                                        quadratic
//
// C is contracts (core::Count, fractional allowed), P the trade price in dollars (core::Price;
// P(1 - P) is the same on the YES and the NO leg, so either leg's price may be given).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/fixed_point.h"
#include "core/status.h"

namespace kalshiflow::kalshi {

/// A series' (or event override's) `fee_type`. `flat` (fixed per-contract fees from a PDF we do
/// not have) and `margin_market_maker_program_fees` are not modelled: ParseFeeType rejects them.
enum class FeeType : uint8_t {
  kQuadratic,                    // takers pay 0.07 C P (1-P); makers pay nothing
  kQuadraticWithMakerFees,       // makers pay 0.25 x the taker rate (0.0175)
  kQuadraticWithComboMakerFees,  // makers pay 0.5 x the taker rate (0.035)
};
/// "quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees".
std::string_view FeeTypeName(FeeType type);
/// Inverse of FeeTypeName (exact spelling); nullopt for anything else (including "flat").
std::optional<FeeType> ParseFeeType(std::string_view text);

/// Which side of a match a fill was on: the incoming (taker) or the resting (maker) order.
enum class Liquidity : uint8_t { kTaker, kMaker };
std::string_view LiquidityName(Liquidity liquidity);  // "taker" / "maker"

/// Fee rates in 1/10,000 (basis points of the notional coefficient): 0.07 = 700.
inline constexpr int64_t kTakerRateBp = 700;
inline constexpr int64_t kMakerRateBp = 175;       // quadratic_with_maker_fees
inline constexpr int64_t kComboMakerRateBp = 350;  // quadratic_with_combo_maker_fees
/// `fee_multiplier` scale: 1/10,000 (1.0 = 10,000; 0 waives the fee).
inline constexpr int64_t kMultiplierScale = 10'000;

/// The fee parameters of one market (series `fee_type`/`fee_multiplier`, or the event's
/// overrides). Value type.
struct FeeSchedule {
  FeeType type = FeeType::kQuadratic;
  /// `fee_multiplier` in 1/10,000; scales the whole fee (PROTOCOL §5 [UNCERTAIN]: presumably).
  int64_t multiplier = kMultiplierScale;

  /// From Kalshi's strings: `fee_type` and the `fee_multiplier` JSON number text (e.g. "1",
  /// "0.5"; up to 4 decimals, no exponent; empty = 1). InvalidArgument naming the field.
  static core::Result<FeeSchedule> Parse(std::string_view fee_type,
                                         std::string_view fee_multiplier);
  friend bool operator==(const FeeSchedule&, const FeeSchedule&) = default;
};

/// The rate (1/10,000) a fill pays: taker 700 on every type; maker 0 / 175 / 350 by type.
int64_t FeeRateBp(FeeType type, Liquidity liquidity);

/// The trade fee of one fill of `count` contracts at `price` (either leg, dollars), rounded
/// up to $0.0001: ceil(rate x multiplier x C x P x (1 - P)). Exact (128-bit intermediate).
/// Preconditions (KF_CHECK): 0 <= price <= $1, count >= 0, multiplier >= 0.
core::Money TradeFee(const FeeSchedule& schedule, Liquidity liquidity, core::Price price,
                     core::Count count);

/// The precision a user's balance is kept at (fee_rounding: "$0.01 for normal users,
/// $0.0001 for direct members").
enum class BalancePrecision : uint8_t { kCent, kCentiCent };
/// One unit of the precision in core::Money: $0.01 = 10,000, $0.0001 = 100.
core::Money PrecisionUnit(BalancePrecision precision);

/// `value` rounded toward -infinity to a multiple of `unit` (unit > 0).
core::Money FloorTo(core::Money value, core::Money unit);

/// The fee breakdown of one fill (fee_rounding "Every fill produces three fee components").
/// All in core::Money. Invariants: net_fee = trade_fee + rounding_fee - rebate >= 0;
/// cash_change = balance_change + rebate = revenue - net_fee.
struct FillFee {
  core::Money trade_fee;       // from the fee model, a multiple of $0.0001, >= 0
  core::Money rounding_fee;    // balance_change - floor(balance_change), in [0, precision)
  core::Money rebate;          // a multiple of $0.01 returned from the order's accumulator
  core::Money net_fee;         // trade_fee + rounding_fee - rebate, never negative
  core::Money balance_change;  // floor(revenue - trade_fee) to the precision (before rebate)
  core::Money cash_change;     // what the balance really moves by: balance_change + rebate
  friend bool operator==(const FillFee&, const FillFee&) = default;
};

/// The per-order fee accumulator of fee_rounding: every fill of one order (taker and maker
/// alike) goes through the same accumulator. Value type, thread-compatible.
///
/// Per fill: balance_change = revenue - trade_fee; floored to the precision; rounding_fee = the
/// difference; the accumulator adds rounding_fee; while it holds >= $0.01, a $0.01 rebate is
/// issued and the accumulator drops by $0.01. Two documented choices where the docs are silent:
///  * the rebate is issued at exactly $0.01 too (the docs say "exceeds"; their stated purpose,
///    "the total fee across many small fills converges to what a single equivalent fill would
///    cost", needs >=); the PROTOCOL §5 example (0.0130 after fill 2) is the same either way;
///  * a rebate that would make this fill's net fee negative is deferred (kept in the
///    accumulator for a later fill), so "net fee >= 0" and the balance precision both hold.
class FeeAccumulator {
 public:
  explicit FeeAccumulator(BalancePrecision precision = BalancePrecision::kCent)
      : precision_(precision) {}

  /// Books one fill. `revenue` is signed (negative for a buyer: -price x count); `trade_fee`
  /// comes from TradeFee (>= 0, KF_CHECK).
  FillFee Apply(core::Money revenue, core::Money trade_fee);

  /// Rounding overpaid and not yet rebated, in [0, ...).
  core::Money accumulated() const { return accumulated_; }
  BalancePrecision precision() const { return precision_; }

 private:
  BalancePrecision precision_;
  core::Money accumulated_;
};

}  // namespace kalshiflow::kalshi
