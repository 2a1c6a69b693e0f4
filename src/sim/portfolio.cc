#include "sim/portfolio.h"

#include <algorithm>

#include "core/check.h"

namespace kalshiflow::sim {

using core::Count;
using core::Money;
using core::OutcomeSide;
using core::Price;

namespace {

__extension__ typedef __int128 Int128;  // exact pro-rata cost (GCC/Clang; -Wpedantic-clean)

// $1 per contract for `count` contracts.
Money Dollars(Count count) { return core::Notional(Price::OneDollar(), count); }

}  // namespace

PositionChange Portfolio::ApplyFill(OutcomeSide leg, Price leg_price, Count count,
                                    const kalshi::FillFee& fee) {
  KF_CHECK(count.IsPositive(), "fill count {} not positive", count.ToString());
  KF_CHECK(leg_price.units() >= 0 && leg_price.units() <= Price::kUnitsPerDollar,
           "fill price {} outside [0, 1]", leg_price.ToString());
  KF_CHECK(fee.cash_change + fee.net_fee == -core::Notional(leg_price, count),
           "fill fee booked with revenue {} instead of -{} x {}",
           (fee.cash_change + fee.net_fee).ToString(), leg_price.ToString(), count.ToString());
  PositionChange change;
  const Count held = held_contracts();
  const bool closes = !position_.IsZero() && held_leg() != leg;
  change.closed = closes ? std::min(count, held) : Count();
  change.opened = count - change.closed;

  if (change.closed.IsPositive()) {
    // Cost of the closed contracts, pro rata (exact when the whole position closes; any
    // rounding remainder stays in the basis of the rest and is realized when it closes).
    const Money removed =
        change.closed == held
            ? cost_basis_
            : Money::FromUnits(static_cast<int64_t>(static_cast<Int128>(cost_basis_.units()) *
                                                    change.closed.units() / held.units()));
    // Each pair releases $1: the held contract is sold for 1 - leg_price.
    const Money proceeds = core::Notional(leg_price.Complement(), change.closed);
    change.realized_pnl = proceeds - removed;
    cost_basis_ -= removed;
    realized_pnl_ += change.realized_pnl;
  }
  if (change.opened.IsPositive()) cost_basis_ += core::Notional(leg_price, change.opened);

  const Count signed_count = leg == OutcomeSide::kYes ? count : -count;
  position_ += signed_count;
  change.cash_change = fee.cash_change + Dollars(change.closed);
  cash_ += change.cash_change;
  fees_paid_ += fee.net_fee;
  return change;
}

Money Portfolio::Settle(Price yes_value) {
  KF_CHECK(yes_value.units() >= 0 && yes_value.units() <= Price::kUnitsPerDollar,
           "settlement value {} outside [0, 1]", yes_value.ToString());
  const Price value = held_leg() == OutcomeSide::kYes ? yes_value : yes_value.Complement();
  const Money payout = core::Notional(value, held_contracts());
  cash_ += payout;
  realized_pnl_ += payout - cost_basis_;
  cost_basis_ = Money();
  position_ = Count();
  return payout;
}

}  // namespace kalshiflow::sim
