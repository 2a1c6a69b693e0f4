// MarketSim collateral: an order the available cash (cash - reservations of resting orders)
// cannot cover is rejected as a whole (Kalshi's `insufficient_balance`); closing needs no cash;
// reservations follow places, amends, fills, cancels and settlement. Hand-computed numbers,
// arithmetic in the comments. The per-contract bound (market_sim.h, "Collateral"):
//   need = ceil_to_cent((p + F) x opening + max(0, p + F - 1) x closing),
//   F = TradeFee of one contract at p, rounded up to $0.0001 (taker when the order crosses on
//   arrival, the series' maker rate while it rests).
#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "sim/actions.h"
#include "sim/market_sim.h"
#include "sim/tests/test_util.h"

namespace kalshiflow::sim {
namespace {

using core::Count;
using core::Money;
using core::Price;
using testing::Amend;
using testing::C;
using testing::Cancel;
using testing::kAsk;
using testing::kBid;
using testing::kNo;
using testing::kYes;
using testing::M;
using testing::P;
using testing::Place;
using testing::Snapshot;
using testing::T;

SimConfig WithCash(const char* dollars, SimConfig config = {}) {
  config.initial_cash = M(dollars);
  return config;
}

class CollateralTest : public ::testing::Test {
 protected:
  // YES bid 0.45 x50, NO bid 0.53 x50 (YES ask 0.47 x50). Quadratic fees, cent balance.
  CollateralTest() { Snapshot(book_, {{"0.45", "50"}}, {{"0.53", "50"}}); }
  book::OrderBook book_{"KXTEST-26JAN01-T50", book::PriceGrid::LinearCent()};
};

TEST_F(CollateralTest, AnOrderTheCashCannotCoverIsRejectedWholeAndExactlyAffordableFills) {
  // Buy 10 YES @ 0.47, marketable: F = ceil(0.07 x 0.47 x 0.53 = 0.017437) = 0.0175;
  // need = ceil_cent((0.47 + 0.0175) x 10 = 4.875) = 4.88.
  {
    MarketSim sim(book_, WithCash("4.87"));
    sim.OnBookUpdate(T(1));
    const OrderId id = sim.Submit(Place(kBid, "0.47", "10"), T(1));
    EXPECT_TRUE(sim.fills().empty());
    ASSERT_EQ(sim.order_updates().size(), 1u);
    const OrderUpdate& u = sim.order_updates()[0];
    EXPECT_EQ(u.order_id, id);
    EXPECT_EQ(u.state, OrderState::kRejected);
    EXPECT_EQ(u.reject, OrderReject::kInsufficientBalance);
    EXPECT_EQ(u.reason, "insufficient_balance");
    EXPECT_EQ(u.filled, Count());
    EXPECT_EQ(u.remaining, C("10"));  // never shrunk to what the cash would buy (9)
    EXPECT_EQ(sim.portfolio().cash(), M("4.87"));
    EXPECT_EQ(sim.portfolio().position(), Count());
    EXPECT_EQ(sim.ConsumedAt(kNo, P("0.53")), Count());
    EXPECT_EQ(sim.working_order(), std::nullopt);
    EXPECT_EQ(sim.counters().rejected, 1u);
    EXPECT_EQ(sim.counters().insufficient_balance, 1u);
  }
  {
    MarketSim sim(book_, WithCash("4.88"));
    sim.OnBookUpdate(T(1));
    sim.Submit(Place(kBid, "0.47", "10"), T(1));
    ASSERT_EQ(sim.fills().size(), 1u);
    // Real fee 0.07 x 10 x 0.2491 = 0.17437 -> 0.1744; -4.70 - 0.1744 = -4.8744 -> -4.88.
    EXPECT_EQ(sim.fills()[0].count, C("10"));
    EXPECT_EQ(sim.fills()[0].change.cash_change, M("-4.88"));
    EXPECT_EQ(sim.portfolio().cash(), Money());
    EXPECT_EQ(sim.reserved_cash(), Money());
    EXPECT_EQ(sim.available_cash(), Money());
    EXPECT_EQ(sim.counters().rejected, 0u);
    // Nothing left: even one more contract (ceil(0.4875) = 0.49) is refused.
    sim.Submit(Place(kBid, "0.47", "1"), T(1));
    EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
    EXPECT_EQ(sim.portfolio().position(), C("10"));
  }
}

TEST_F(CollateralTest, RestingOrdersReserveCashUntilFilledCanceledOrSettled) {
  MarketSim sim(book_, WithCash("10"));
  sim.OnBookUpdate(T(1));
  // A: bid 10 @ 0.40 rests (ask 0.47). Quadratic makers pay nothing: holds 10 x 0.40 = 4.00.
  const OrderId a = sim.Submit(Place(kBid, "0.40", "10"), T(1));
  ASSERT_NE(sim.FindOrder(a), nullptr);
  EXPECT_EQ(sim.FindOrder(a)->state, OrderState::kResting);
  EXPECT_EQ(sim.reserved_cash(), M("4.00"));
  EXPECT_EQ(sim.available_cash(), M("6.00"));
  // B: bid 15 @ 0.41 needs 6.15 > 10 - 4.00 = 6.00: A's reservation blocks it.
  const OrderId b = sim.Submit(Place(kBid, "0.41", "15"), T(1));
  EXPECT_EQ(sim.FindOrder(b), nullptr);
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
  // C: bid 15 @ 0.40 needs exactly 6.00: accepted; nothing is left.
  const OrderId c = sim.Submit(Place(kBid, "0.40", "15"), T(1));
  ASSERT_NE(sim.FindOrder(c), nullptr);
  EXPECT_EQ(sim.reserved_cash(), M("10.00"));
  EXPECT_EQ(sim.available_cash(), Money());
  // Cancelling C releases its 6.00.
  sim.Submit(Cancel(c), T(1));
  EXPECT_EQ(sim.FindOrder(c), nullptr);
  EXPECT_EQ(sim.reserved_cash(), M("4.00"));
  EXPECT_EQ(sim.available_cash(), M("6.00"));
  sim.ClearEvents();

  // Amend A up to 26: 26 x 0.40 = 10.40 > 10: refused, A stays 10 @ 0.40.
  sim.Submit(Amend(a, kBid, "0.40", "26"), T(1));
  ASSERT_EQ(sim.order_updates().size(), 1u);
  EXPECT_EQ(sim.order_updates()[0].order_id, a);
  EXPECT_EQ(sim.order_updates()[0].state, OrderState::kResting);
  EXPECT_EQ(sim.order_updates()[0].reject, OrderReject::kInsufficientBalance);
  EXPECT_EQ(sim.FindOrder(a)->remaining, C("10"));
  EXPECT_EQ(sim.FindOrder(a)->price, P("0.40"));
  EXPECT_EQ(sim.working_order(), (WorkingOrder{a, kBid, P("0.40"), C("10")}));
  EXPECT_EQ(sim.counters().amends, 0u);
  // Amend A to 25: 25 x 0.40 = 10.00: accepted.
  sim.Submit(Amend(a, kBid, "0.40", "25"), T(1));
  EXPECT_EQ(sim.FindOrder(a)->remaining, C("25"));
  EXPECT_EQ(sim.reserved_cash(), M("10.00"));
  EXPECT_EQ(sim.counters().amends, 1u);
  // B and the first amend of A: two refusals, both for the balance.
  EXPECT_EQ(sim.counters().rejected, 2u);
  EXPECT_EQ(sim.counters().insufficient_balance, 2u);

  // Someone sells 10 YES at 0.40: nobody is ahead of A at 0.40, so A fills 10 as a maker
  // (no fee): 4.00 of reservation becomes 4.00 spent. Cash 6.00, held 15 x 0.40 = 6.00.
  sim.OnTrade({P("0.40"), C("10"), kNo}, T(2));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.portfolio().cash(), M("6.00"));
  EXPECT_EQ(sim.reserved_cash(), M("6.00"));
  EXPECT_EQ(sim.available_cash(), Money());
  // Settlement cancels A: nothing is held any more. NO won: the 10 YES pay 0.
  sim.Settle(Price(), T(3));
  EXPECT_EQ(sim.reserved_cash(), Money());
  EXPECT_EQ(sim.available_cash(), M("6.00"));
}

TEST_F(CollateralTest, RestingOrdersHoldTheMakerFeeOfTheirSeries) {
  SimConfig config = WithCash("10");
  config.fees =
      kalshi::FeeSchedule{kalshi::FeeType::kQuadraticWithMakerFees, kalshi::kMultiplierScale};
  MarketSim sim(book_, config);
  sim.OnBookUpdate(T(1));
  // Bid 10 @ 0.40 rests: maker F = ceil(0.0175 x 0.40 x 0.60 = 0.0042) = 0.0042;
  // 10 x 0.4042 = 4.042 -> 4.05.
  sim.Submit(Place(kBid, "0.40", "10"), T(1));
  EXPECT_EQ(sim.reserved_cash(), M("4.05"));
  EXPECT_EQ(sim.available_cash(), M("5.95"));
  // It fills whole as a maker: fee 0.0175 x 10 x 0.24 = 0.042; -4.00 - 0.042 = -4.042 ->
  // -4.05, exactly what was held: available cash does not move.
  sim.OnTrade({P("0.40"), C("10"), kNo}, T(2));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].change.cash_change, M("-4.05"));
  EXPECT_EQ(sim.reserved_cash(), Money());
  EXPECT_EQ(sim.available_cash(), M("5.95"));
  // A marketable order on the same series is checked with the taker fee: 10 @ 0.47 needs
  // 4.88 (as above) <= 5.95. (Decided after a book event: trades do not activate orders.)
  sim.OnBookUpdate(T(3));
  sim.Submit(Place(kBid, "0.47", "10"), T(3));
  EXPECT_EQ(sim.portfolio().cash(), M("1.07"));  // 5.95 - 4.88
}

TEST_F(CollateralTest, ClosingAPositionNeedsNoCash) {
  MarketSim sim(book_, WithCash("4.88"));
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kBid, "0.47", "10"), T(1));  // long 10 YES, cash 0
  ASSERT_EQ(sim.portfolio().cash(), Money());
  ASSERT_EQ(sim.portfolio().position(), C("10"));

  // Sell 10 YES @ 0.60 (buy NO @ 0.40; rests above the 0.45 bid): all 10 close, each pair
  // releasing $1 >= 0.40: needs nothing.
  const OrderId close = sim.Submit(Place(kAsk, "0.60", "10"), T(1));
  ASSERT_NE(sim.FindOrder(close), nullptr);
  EXPECT_EQ(sim.FindOrder(close)->state, OrderState::kResting);
  EXPECT_EQ(sim.reserved_cash(), Money());
  // A second sell finds the 10 YES already spoken for by the first: it would open 1 NO at
  // 0.40 (maker fee 0): needs 0.40 > 0, refused.
  sim.Submit(Place(kAsk, "0.60", "1"), T(1));
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
  sim.ClearEvents();

  // Re-price the close to the 0.45 bid: it now takes liquidity (taker F at 0.55 = ceil(0.07 x
  // 0.55 x 0.45 = 0.017325) = 0.0174; 0.55 + 0.0174 = 0.5674 <= $1 released): still nothing.
  // Fill 10 NO @ 0.55: fee 0.1733; -5.50 - 0.1733 = -5.6733 -> -5.68; +10 released: +4.32.
  sim.Submit(Amend(close, kAsk, "0.45", "10"), T(1));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].change.closed, C("10"));
  EXPECT_EQ(sim.fills()[0].change.cash_change, M("4.32"));
  EXPECT_EQ(sim.portfolio().position(), Count());
  EXPECT_EQ(sim.portfolio().cash(), M("4.32"));
}

TEST_F(CollateralTest, AFillThatTakesAnOlderOrdersContractsLeavesItCovered) {
  MarketSim sim(book_, WithCash("10.88"));
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kBid, "0.47", "10"), T(1));  // long 10 YES, cash 10.88 - 4.88 = 6.00
  // A: sell 10 YES @ 0.60, resting: the 10 YES are A's to close; holds nothing.
  const OrderId a = sim.Submit(Place(kAsk, "0.60", "10"), T(1));
  EXPECT_EQ(sim.reserved_cash(), Money());
  // B: sell 10 YES @ 0.45, marketable. The held YES are A's, so B is checked as opening 10 NO
  // @ 0.55: ceil(10 x 0.5674) = 5.68 <= 6.00. Netting closes regardless: +4.32 -> 10.32.
  sim.Submit(Place(kAsk, "0.45", "10"), T(1));
  ASSERT_EQ(sim.fills().size(), 2u);
  EXPECT_EQ(sim.fills()[1].change.closed, C("10"));
  EXPECT_EQ(sim.portfolio().cash(), M("10.32"));
  // A now opens 10 NO @ 0.40 (maker, no fee): holds 4.00, well covered.
  ASSERT_NE(sim.FindOrder(a), nullptr);
  EXPECT_EQ(sim.reserved_cash(), M("4.00"));
  EXPECT_EQ(sim.available_cash(), M("6.32"));
}

TEST_F(CollateralTest, OnlyThePartThatOpensNewExposureNeedsCash) {
  // Long 10 YES, then sell 15 YES @ 0.45 (buy 15 NO @ 0.55): 10 close, 5 open NO.
  // need = ceil_cent(5 x (0.55 + 0.0174) = 2.837) = 2.84 (the closing proceeds are not
  // counted in advance).
  for (const char* start : {"7.71", "7.72"}) {  // 2.83 / 2.84 after the 4.88 buy
    book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
    Snapshot(book, {{"0.45", "50"}}, {{"0.53", "50"}});
    MarketSim sim(book, WithCash(start));
    sim.OnBookUpdate(T(1));
    sim.Submit(Place(kBid, "0.47", "10"), T(1));
    sim.Submit(Place(kAsk, "0.45", "15"), T(1));
    const bool enough = std::string_view(start) == "7.72";
    EXPECT_EQ(sim.counters().insufficient_balance, enough ? 0u : 1u) << start;
    if (enough) {
      // Fill 15 NO @ 0.55: fee 0.07 x 15 x 0.2475 = 0.259875 -> 0.2599; -8.25 - 0.2599 =
      // -8.5099 -> -8.51; 10 pairs release $10: +1.49. Cash 2.84 + 1.49 = 4.33.
      EXPECT_EQ(sim.portfolio().position(), C("-5"));
      EXPECT_EQ(sim.portfolio().cash(), M("4.33"));
    } else {
      EXPECT_EQ(sim.portfolio().position(), C("10"));
      EXPECT_EQ(sim.portfolio().cash(), M("2.83"));
    }
  }
}

TEST_F(CollateralTest, SellingFromFlatNeedsOneMinusTheBidPerContract) {
  // SELL_YES aggressive while flat = ask @ 0.45 = buy 10 NO @ 0.55:
  // need = ceil_cent(10 x (0.55 + 0.0174) = 5.674) = 5.68, never a credit.
  for (const char* start : {"5.67", "5.68"}) {
    book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
    Snapshot(book, {{"0.45", "50"}}, {{"0.53", "50"}});
    MarketSim sim(book, WithCash(start));
    sim.OnBookUpdate(T(1));
    const ActionPlan sell =
        PlanAction(Action::kSellYes, book, sim.working_order(), PriceStrategy::kAggressive);
    ASSERT_EQ(sell.size, 1u);
    sim.Submit(sell.view(), T(1));
    if (std::string_view(start) == "5.68") {
      // -5.50 - 0.1733 = -5.6733 -> -5.68: everything is spent.
      EXPECT_EQ(sim.portfolio().position(), C("-10"));
      EXPECT_EQ(sim.portfolio().cash(), Money());
    } else {
      EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
      EXPECT_EQ(sim.portfolio().position(), Count());
    }
  }
}

TEST_F(CollateralTest, OrdersInFlightAreCheckedOnArrivalAgainstTheCashThen) {
  SimConfig config = WithCash("5");
  config.latency_ns = 10;
  MarketSim sim(book_, config);
  sim.OnBookUpdate(T(0));
  const OrderId a = sim.Submit(Place(kBid, "0.47", "10"), T(0));
  const OrderId b = sim.Submit(Place(kBid, "0.47", "1"), T(0));
  EXPECT_EQ(sim.reserved_cash(), Money());  // not at the exchange yet
  // Both arrive at T(10), in order: A needs 4.88 <= 5 and fills (cash 0.12); B needs
  // ceil(0.4875) = 0.49 > 0.12: refused.
  sim.OnBookUpdate(T(10));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].order_id, a);
  EXPECT_EQ(sim.portfolio().cash(), M("0.12"));
  EXPECT_EQ(sim.order_updates().back().order_id, b);
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
  EXPECT_EQ(sim.order_updates().back().ts, T(10));
}

TEST_F(CollateralTest, ARuleThatBuysForeverStopsWhenTheCashRunsOut) {
  // Deep book: YES ask 0.47 x 1,000,000. BUY_YES aggressive every step for 100 steps from
  // $100. Each order fills 10 @ 0.47 for 4.88 (its own fee accumulator: 0.1744 rounds to the
  // cent every time), so 20 orders spend 97.60; the rest are refused (2.40 < 4.88).
  for (const CollateralMode mode : {CollateralMode::kEnforce, CollateralMode::kOff}) {
    book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
    Snapshot(book, {{"0.45", "1000000"}}, {{"0.53", "1000000"}});
    SimConfig config = WithCash("100");
    config.collateral = mode;
    MarketSim sim(book, config);
    for (int step = 0; step < 100; ++step) {
      sim.OnBookUpdate(T(step));
      const ActionPlan plan =
          PlanAction(Action::kBuyYes, book, sim.working_order(), PriceStrategy::kAggressive);
      sim.Submit(plan.view(), T(step));
      if (mode == CollateralMode::kEnforce) {
        EXPECT_FALSE(sim.portfolio().cash().IsNegative()) << step;
        EXPECT_FALSE(sim.MarkedValue().IsNegative()) << step;
      }
      sim.ClearEvents();
    }
    if (mode == CollateralMode::kEnforce) {
      EXPECT_EQ(sim.portfolio().position(), C("200"));
      EXPECT_EQ(sim.portfolio().cash(), M("2.40"));  // 100 - 20 x 4.88
      EXPECT_EQ(sim.counters().insufficient_balance, 80u);
      // Whatever the result, the loss is bounded by the $100 at stake: NO wins -> 2.40 left;
      // YES wins -> 2.40 + 200 = 202.40.
      sim.Settle(Price(), T(100));
      EXPECT_EQ(sim.portfolio().cash(), M("2.40"));
    } else {
      // The old behaviour: 100 orders, 1000 contracts on $100, cash 100 - 488 = -388.
      EXPECT_EQ(sim.portfolio().position(), C("1000"));
      EXPECT_EQ(sim.portfolio().cash(), M("-388"));
      EXPECT_EQ(sim.counters().insufficient_balance, 0u);
    }
  }
}

TEST_F(CollateralTest, OffReproducesTheUncheckedSimulator) {
  SimConfig config;  // $0
  config.collateral = CollateralMode::kOff;
  MarketSim sim(book_, config);
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kBid, "0.47", "10"), T(1));
  EXPECT_EQ(sim.portfolio().cash(), M("-4.88"));
  sim.Submit(Place(kBid, "0.40", "10"), T(1));  // rests, holding 4.00 (reported, not enforced)
  EXPECT_EQ(sim.reserved_cash(), M("4.00"));
  EXPECT_EQ(sim.available_cash(), M("-8.88"));
  EXPECT_EQ(sim.counters().rejected, 0u);
  // The same orders from $0 with the default (enforce): both refused.
  MarketSim enforced(book_);
  enforced.OnBookUpdate(T(1));
  enforced.Submit(Place(kBid, "0.47", "10"), T(1));
  enforced.Submit(Place(kBid, "0.40", "10"), T(1));
  EXPECT_EQ(enforced.counters().insufficient_balance, 2u);
  EXPECT_EQ(enforced.portfolio().cash(), Money());
}

TEST_F(CollateralTest, OutsideFundsExtendTheCashOrdersMaySpend) {
  // A simulator with no cash of its own, in an account whose other money is the outside
  // funds (trading::PaperOrderManager): the check is reservation <= cash + outside funds.
  MarketSim sim(book_);
  sim.OnBookUpdate(T(1));
  // Buy 10 YES @ 0.47 needs 4.88 (first test): 0 + 4.87 is short, 0 + 4.88 is enough.
  sim.SetOutsideFunds(M("4.87"));
  sim.Submit(Place(kBid, "0.47", "10"), T(1));
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
  sim.SetOutsideFunds(M("4.88"));
  sim.Submit(Place(kBid, "0.47", "10"), T(1));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.portfolio().cash(), M("-4.88"));  // the market's own cash goes negative
  EXPECT_EQ(sim.portfolio().position(), C("10"));
  // A resting bid 10 @ 0.40 holds 4.00: with outside funds 8.87 the account has
  // -4.88 + 8.87 = 3.99 < 4.00 (refused); with 8.88 exactly 4.00 (accepted).
  sim.SetOutsideFunds(M("8.87"));
  sim.Submit(Place(kBid, "0.40", "10"), T(1));
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kInsufficientBalance);
  sim.SetOutsideFunds(M("8.88"));
  const OrderId rest = sim.Submit(Place(kBid, "0.40", "10"), T(1));
  ASSERT_NE(sim.FindOrder(rest), nullptr);
  EXPECT_EQ(sim.reserved_cash(), M("4.00"));
  // Closing needs nothing: accepted even when the rest of the account is deep in debt (the
  // total reservation does not rise). Sell 10 YES @ 0.45 (NO @ 0.55): +4.32 (ClosingAPosition...).
  sim.SetOutsideFunds(M("-100"));
  sim.Submit(Place(kAsk, "0.45", "10"), T(1));
  EXPECT_EQ(sim.portfolio().position(), Count());
  EXPECT_EQ(sim.portfolio().cash(), M("-0.56"));  // -4.88 + 4.32
  EXPECT_EQ(sim.counters().insufficient_balance, 2u);
}

TEST(CollateralMode, StringFormsRoundTrip) {
  EXPECT_EQ(SimConfig{}.collateral, CollateralMode::kEnforce);
  for (const CollateralMode mode : {CollateralMode::kEnforce, CollateralMode::kOff}) {
    EXPECT_EQ(ParseCollateralMode(CollateralModeName(mode)), mode);
  }
  EXPECT_EQ(CollateralModeName(CollateralMode::kEnforce), "enforce");
  EXPECT_EQ(CollateralModeName(CollateralMode::kOff), "off");
  EXPECT_EQ(ParseCollateralMode("Enforce"), std::nullopt);
  EXPECT_EQ(ParseCollateralMode(""), std::nullopt);
  EXPECT_EQ(OrderRejectName(OrderReject::kInsufficientBalance), "insufficient_balance");
  EXPECT_EQ(OrderRejectName(OrderReject::kInvalidOrder), "invalid_order");
}

}  // namespace
}  // namespace kalshiflow::sim
