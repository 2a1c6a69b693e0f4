// Exact per-market accounting: cash, a netted position (+YES / -NO), cost basis, realized P&L
// and fees, with correct YES/NO netting (a YES + NO pair is worth exactly $1).
//
// Source: DESIGN.md §3 ("Positions are netted per market: +YES / -NO contracts; buying NO
// while long YES reduces YES, and a YES+NO pair is worth exactly $1"), §5 ("selling YES while
// flat is buying NO at 1 - bid"; "portfolio marked at executable prices"), PROTOCOL.md §5
// (fees), §7 ("Settlement pays $1 per winning contract").
#pragma once

#include "core/fixed_point.h"
#include "core/market.h"
#include "kalshi/fees.h"

namespace kalshiflow::sim {

/// What one fill did to the position.
struct PositionChange {
  core::Count closed;        // contracts netted against the opposite leg (pairs released at $1)
  core::Count opened;        // contracts added to the position on the bought leg
  core::Money realized_pnl;  // on the closed part: (1 - price) x closed - its cost; no fees
  core::Money cash_change;   // fee.cash_change + $1 x closed
  friend bool operator==(const PositionChange&, const PositionChange&) = default;
};

/// Cash and the netted position of one market. Every fill is a *buy* of one leg (an ask at p
/// buys NO at 1 - p). Buying the leg already held (or from flat) opens; buying the other leg
/// closes min(count, held) pairs, each releasing $1 (so the closing proceeds are 1 - price per
/// contract), and opens the rest on the bought leg.
///
/// Invariant (exact, tested): cash == initial_cash - cost_basis + realized_pnl - fees_paid.
/// The portfolio itself never refuses a fill: cash goes wherever the fills take it. Collateral
/// (an order the cash cannot cover is rejected) is checked by MarketSim (SimConfig::collateral).
/// Value type, thread-compatible.
class Portfolio {
 public:
  explicit Portfolio(core::Money initial_cash = core::Money())
      : initial_cash_(initial_cash), cash_(initial_cash) {}

  /// Books a fill that bought `count` (> 0) contracts of `leg` at `leg_price` (that leg's
  /// dollars, in [0, 1]) with `fee` (from kalshi::FeeAccumulator::Apply with revenue
  /// -leg_price x count). KF_CHECK on a non-positive count or a price outside [0, 1].
  PositionChange ApplyFill(core::OutcomeSide leg, core::Price leg_price, core::Count count,
                           const kalshi::FillFee& fee);

  /// Settles the market: each YES contract pays `yes_value` (1 dollar when YES won, 0 when NO
  /// won; other values for scalar markets), each NO contract 1 - yes_value. Realizes the
  /// position; no fees (PROTOCOL §5: none on settlement). Returns the payout.
  core::Money Settle(core::Price yes_value);

  /// +YES / -NO contracts.
  core::Count position() const { return position_; }
  /// The leg held (meaningless when flat) and its contract count (>= 0).
  core::OutcomeSide held_leg() const {
    return position_.IsNegative() ? core::OutcomeSide::kNo : core::OutcomeSide::kYes;
  }
  core::Count held_contracts() const { return position_.IsNegative() ? -position_ : position_; }
  core::Money initial_cash() const { return initial_cash_; }
  core::Money cash() const { return cash_; }
  /// What the open contracts cost (excluding fees); 0 when flat.
  core::Money cost_basis() const { return cost_basis_; }
  /// P&L realized by closing and settlement, excluding fees.
  core::Money realized_pnl() const { return realized_pnl_; }
  /// Net fees paid (kalshi::FillFee::net_fee summed).
  core::Money fees_paid() const { return fees_paid_; }

  /// cash + held contracts x `held_leg_price` (the price the held leg can be sold at).
  core::Money ValueAt(core::Price held_leg_price) const {
    return cash_ + core::Notional(held_leg_price, held_contracts());
  }

 private:
  core::Money initial_cash_;
  core::Money cash_;
  core::Count position_;
  core::Money cost_basis_;
  core::Money realized_pnl_;
  core::Money fees_paid_;
};

}  // namespace kalshiflow::sim
