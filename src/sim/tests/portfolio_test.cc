// Portfolio accounting: netting, realized P&L, cash with fees, settlement, marking. Expected
// values are hand-computed in the comments.
#include "sim/portfolio.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kalshi/fees.h"
#include "sim/tests/test_util.h"

namespace kalshiflow::sim {
namespace {

using core::Count;
using core::Money;
using core::Price;
using kalshi::FeeAccumulator;
using kalshi::FeeSchedule;
using kalshi::Liquidity;
using testing::C;
using testing::kNo;
using testing::kYes;
using testing::M;
using testing::P;

// A taker buy of `count` `leg` contracts at `price` through a fresh order's accumulator.
PositionChange TakerBuy(Portfolio& portfolio, core::OutcomeSide leg, Price price, Count count) {
  FeeAccumulator acc;
  const Money fee = kalshi::TradeFee(FeeSchedule{}, Liquidity::kTaker, price, count);
  return portfolio.ApplyFill(leg, price, count, acc.Apply(-core::Notional(price, count), fee));
}

// A fee-free fill (maker on a `quadratic` series at a whole-cent price: no rounding either).
PositionChange FreeBuy(Portfolio& portfolio, core::OutcomeSide leg, Price price, Count count) {
  FeeAccumulator acc;
  return portfolio.ApplyFill(leg, price, count, acc.Apply(-core::Notional(price, count), Money()));
}

void ExpectIdentity(const Portfolio& p) {
  EXPECT_EQ(p.cash(), p.initial_cash() - p.cost_basis() + p.realized_pnl() - p.fees_paid());
}

TEST(Portfolio, BuyYesThenSellYesRealizesTheDifferenceMinusFees) {
  Portfolio p(M("100"));
  // Buy 10 YES @ 0.40: fee 0.07 x 10 x 0.40 x 0.60 = 0.168; -4.00 - 0.168 = -4.168 -> -4.17.
  const PositionChange open = TakerBuy(p, kYes, P("0.40"), C("10"));
  EXPECT_EQ(open.opened, C("10"));
  EXPECT_EQ(open.closed, Count());
  EXPECT_EQ(open.cash_change, M("-4.17"));
  EXPECT_EQ(p.position(), C("10"));
  EXPECT_EQ(p.cost_basis(), M("4.00"));
  EXPECT_EQ(p.fees_paid(), M("0.17"));
  // Sell 10 YES @ 0.45 = buy 10 NO @ 0.55: fee 0.07 x 10 x 0.55 x 0.45 = 0.17325 -> 0.1733;
  // -5.50 - 0.1733 = -5.6733 -> -5.68; 10 pairs release $10: cash +4.32.
  const PositionChange close = TakerBuy(p, kNo, P("0.55"), C("10"));
  EXPECT_EQ(close.closed, C("10"));
  EXPECT_EQ(close.opened, Count());
  EXPECT_EQ(close.realized_pnl, M("0.50"));  // (1 - 0.55) x 10 - 4.00
  EXPECT_EQ(close.cash_change, M("4.32"));
  EXPECT_EQ(p.position(), Count());
  EXPECT_EQ(p.cost_basis(), Money());
  // 100 - 4.17 + 4.32 = 100.15 = 100 + 0.50 - (0.17 + 0.18).
  EXPECT_EQ(p.cash(), M("100.15"));
  EXPECT_EQ(p.fees_paid(), M("0.35"));
  ExpectIdentity(p);
}

TEST(Portfolio, SellingYesFromFlatOpensNoAndAPairIsWorthOneDollar) {
  Portfolio p;
  // Sell 10 YES @ 0.45 from flat = buy 10 NO @ 0.55: costs 5.50, never credits 4.50.
  const PositionChange sell = FreeBuy(p, kNo, P("0.55"), C("10"));
  EXPECT_EQ(sell.cash_change, M("-5.50"));
  EXPECT_EQ(p.position(), C("-10"));
  EXPECT_EQ(p.held_leg(), kNo);
  EXPECT_EQ(p.held_contracts(), C("10"));
  // Buying 10 YES @ 0.47 closes the 10 pairs: -4.70 + 10 x $1 = +5.30.
  const PositionChange buy = FreeBuy(p, kYes, P("0.47"), C("10"));
  EXPECT_EQ(buy.closed, C("10"));
  EXPECT_EQ(buy.cash_change, M("5.30"));
  EXPECT_EQ(buy.realized_pnl, M("-0.20"));  // (1 - 0.47) x 10 - 5.50
  // Round trip: -5.50 + 5.30 = -0.20 = -(0.47 - 0.45) x 10, the spread paid.
  EXPECT_EQ(p.cash(), M("-0.20"));
  ExpectIdentity(p);
}

TEST(Portfolio, ClosingMoreThanHeldFlipsTheLeg) {
  Portfolio p;
  FreeBuy(p, kYes, P("0.40"), C("10"));  // cost 4.00
  // Buy 15 NO @ 0.55: closes 10 (realized 0.45 x 10 - 4.00 = 0.50), opens 5 NO (cost 2.75).
  const PositionChange flip = FreeBuy(p, kNo, P("0.55"), C("15"));
  EXPECT_EQ(flip.closed, C("10"));
  EXPECT_EQ(flip.opened, C("5"));
  EXPECT_EQ(flip.realized_pnl, M("0.50"));
  // Cash: -8.25 + 10 = +1.75.
  EXPECT_EQ(flip.cash_change, M("1.75"));
  EXPECT_EQ(p.position(), C("-5"));
  EXPECT_EQ(p.cost_basis(), M("2.75"));
  ExpectIdentity(p);
}

TEST(Portfolio, PartialClosesRemoveCostProRataAndSumExactly) {
  Portfolio p;
  FreeBuy(p, kYes, P("0.41"), C("1"));
  FreeBuy(p, kYes, P("0.42"), C("1"));
  FreeBuy(p, kYes, P("0.44"), C("1"));  // cost 1.27 for 3
  // Close 1 @ NO 0.50: removed 1.27 x 1/3 = 0.423333 (floored to 1e-6); realized 0.076667.
  const PositionChange first = FreeBuy(p, kNo, P("0.50"), C("1"));
  EXPECT_EQ(first.realized_pnl, M("0.076667"));
  EXPECT_EQ(p.cost_basis(), M("0.846667"));
  // Close the last 2: the whole remaining basis goes; realized 1.00 - 0.846667 = 0.153333.
  const PositionChange rest = FreeBuy(p, kNo, P("0.50"), C("2"));
  EXPECT_EQ(rest.realized_pnl, M("0.153333"));
  // Exactly 3 x 0.50 - 1.27 = 0.23 in total.
  EXPECT_EQ(p.realized_pnl(), M("0.23"));
  EXPECT_EQ(p.cost_basis(), Money());
  ExpectIdentity(p);
}

TEST(Portfolio, SettlementPaysTheWinningLeg) {
  Portfolio yes_holder;
  FreeBuy(yes_holder, kYes, P("0.40"), C("10"));
  EXPECT_EQ(yes_holder.Settle(Price::OneDollar()), M("10"));  // YES won: $1 each
  EXPECT_EQ(yes_holder.realized_pnl(), M("6.00"));            // 10 - 4.00
  EXPECT_EQ(yes_holder.cash(), M("6.00"));
  EXPECT_EQ(yes_holder.position(), Count());
  ExpectIdentity(yes_holder);

  Portfolio no_holder;
  FreeBuy(no_holder, kNo, P("0.30"), C("5"));
  EXPECT_EQ(no_holder.Settle(Price::OneDollar()), Money());  // YES won: NO worthless
  EXPECT_EQ(no_holder.realized_pnl(), M("-1.50"));
  ExpectIdentity(no_holder);

  Portfolio scalar;
  FreeBuy(scalar, kNo, P("0.30"), C("5"));
  EXPECT_EQ(scalar.Settle(P("0.20")), M("4.00"));  // NO pays 1 - 0.20 = 0.80 x 5
  EXPECT_EQ(scalar.realized_pnl(), M("2.50"));
}

TEST(Portfolio, ValueAtMarksTheHeldLeg) {
  Portfolio p(M("10"));
  FreeBuy(p, kNo, P("0.30"), C("5"));          // cash 8.50
  EXPECT_EQ(p.ValueAt(P("0.28")), M("9.90"));  // 8.50 + 5 x 0.28
}

// A uniform draw over the whole range from the first run (gen::inRange scales with the size).
template <typename T>
T Uniform(T min, T max) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(min, max));
}

RC_GTEST_PROP(PortfolioProperty, CashIdentityHoldsAndFlatRoundTripsNeverGain, ()) {
  Portfolio p(M("1000"));
  const int fills = Uniform<int>(1, 30);
  for (int i = 0; i < fills; ++i) {
    const auto leg = *rc::gen::arbitrary<bool>() ? kYes : kNo;
    const Price price = Price::FromUnits(Uniform<int64_t>(1, 10'000));
    const Count count = Count::FromUnits(Uniform<int64_t>(1, 5'000));
    TakerBuy(p, leg, price, count);
    RC_ASSERT(p.cash() == p.initial_cash() - p.cost_basis() + p.realized_pnl() - p.fees_paid());
    RC_ASSERT(!p.cost_basis().IsNegative());
    RC_ASSERT(!p.position().IsZero() || p.cost_basis().IsZero());  // flat => no basis
  }
  // Buying the same leg at p and the other leg at 1 - p (zero spread) loses exactly the fees.
  Portfolio flat(M("1000"));
  const Price price = Price::FromUnits(Uniform<int64_t>(1, 10'000));
  const Count count = Count::FromUnits(Uniform<int64_t>(1, 5'000));
  TakerBuy(flat, kYes, price, count);
  TakerBuy(flat, kNo, price.Complement(), count);
  RC_ASSERT(flat.position().IsZero());
  RC_ASSERT(flat.cash() == flat.initial_cash() - flat.fees_paid());
  RC_ASSERT(flat.realized_pnl().IsZero());
}

}  // namespace
}  // namespace kalshiflow::sim
