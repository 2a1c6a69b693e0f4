// MarketSim: matching, depth consumption, queue position, latency, fees, netting, marking and
// settlement, each pinned with hand-computed numbers (arithmetic in the comments).
#include "sim/market_sim.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sim/actions.h"
#include "sim/tests/test_util.h"

namespace kalshiflow::sim {
namespace {

using core::Count;
using core::Money;
using core::Price;
using kalshi::Liquidity;
using testing::Amend;
using testing::C;
using testing::Cancel;
using testing::Delta;
using testing::kAsk;
using testing::kBid;
using testing::kNo;
using testing::kYes;
using testing::M;
using testing::P;
using testing::Place;
using testing::Snapshot;
using testing::T;

// The matching, fee and accounting tests are not about collateral: they start with $1,000
// (kFunds, far more than any of their orders needs) and assert cash relative to it.
constexpr Money kFunds = Money::FromCents(100'000);
SimConfig Funded(SimConfig config = {}) {
  config.initial_cash = kFunds;
  return config;
}
Money CashChange(const MarketSim& sim) {
  return sim.portfolio().cash() - sim.portfolio().initial_cash();
}
Money MarkedPnl(const MarketSim& sim) { return sim.MarkedValue() - sim.portfolio().initial_cash(); }

class MarketSimTest : public ::testing::Test {
 protected:
  book::OrderBook book_{"KXTEST-26JAN01-T50", book::PriceGrid::LinearCent()};
};

// ---------------------------------------------------------------------------------------------
// Marketable orders

TEST_F(MarketSimTest, MarketableBuyWalksTheLadderAtMakerPricesAndRestsTheRest) {
  // YES bids 0.44 x20, 0.45 x30; NO bids 0.52 x10, 0.53 x4, 0.54 x3, so YES asks are
  // 0.46 x3, 0.47 x4, 0.48 x10.
  Snapshot(book_, {{"0.44", "20"}, {"0.45", "30"}}, {{"0.52", "10"}, {"0.53", "4"}, {"0.54", "3"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(100));
  const OrderId id = sim.Submit(Place(kBid, "0.47", "10"), T(100));

  const auto fills = sim.fills();
  ASSERT_EQ(fills.size(), 2u);
  // Level 1: 3 @ 0.46. Fee 0.07 x 3 x 0.46 x 0.54 = 0.052164 -> 0.0522; -1.38 - 0.0522 =
  // -1.4322 -> -1.44: rounding 0.0078 (accumulator 0.0078), net 0.06.
  EXPECT_EQ(fills[0].order_id, id);
  EXPECT_EQ(fills[0].price, P("0.46"));
  EXPECT_EQ(fills[0].count, C("3"));
  EXPECT_EQ(fills[0].liquidity, Liquidity::kTaker);
  EXPECT_EQ(fills[0].fee.trade_fee, M("0.0522"));
  EXPECT_EQ(fills[0].fee.net_fee, M("0.06"));
  EXPECT_EQ(fills[0].change.cash_change, M("-1.44"));
  EXPECT_EQ(fills[0].ts, T(100));
  // Level 2: 4 @ 0.47. Fee 0.07 x 4 x 0.47 x 0.53 = 0.069748 -> 0.0698; -1.88 - 0.0698 =
  // -1.9498 -> -1.95: rounding 0.0002 (accumulator 0.0080 < 0.01, no rebate), net 0.07.
  EXPECT_EQ(fills[1].price, P("0.47"));
  EXPECT_EQ(fills[1].count, C("4"));
  EXPECT_EQ(fills[1].fee.net_fee, M("0.07"));
  EXPECT_EQ(fills[1].change.cash_change, M("-1.95"));
  EXPECT_EQ(fills[1].position_after, C("7"));
  // VWAP 3.26 / 7; cash -3.39; the 0.48 level is above the limit; 3 rest at 0.47.
  EXPECT_EQ(CashChange(sim), M("-3.39"));
  EXPECT_EQ(sim.portfolio().cost_basis(), M("3.26"));
  EXPECT_EQ(sim.portfolio().fees_paid(), M("0.13"));
  EXPECT_EQ(sim.portfolio().position(), C("7"));
  const SimOrder* order = sim.FindOrder(id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->state, OrderState::kResting);
  EXPECT_EQ(order->remaining, C("3"));
  EXPECT_EQ(order->ahead, Count());  // nobody bids 0.47 in the book
  EXPECT_EQ(sim.working_order(), (WorkingOrder{id, kBid, P("0.47"), C("3")}));
  // What we took is gone from our view of the NO ladder.
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.54")), C("3"));
  EXPECT_EQ(sim.AvailableAt(kNo, P("0.53")), Count());
  EXPECT_EQ(sim.AvailableAt(kNo, P("0.52")), C("10"));
  EXPECT_EQ(sim.counters().taker_fills, 2u);
}

TEST_F(MarketSimTest, AnAskBuysNoAgainstTheYesBids) {
  // Sell 40 YES @ 0.44 = buy NO @ 0.56: hits YES bids 0.45 x30 then 0.44 x10 (NO @ 0.55, 0.56).
  Snapshot(book_, {{"0.44", "20"}, {"0.45", "30"}}, {{"0.54", "3"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kAsk, "0.44", "40", TimeInForce::kImmediateOrCancel), T(1));
  ASSERT_EQ(sim.fills().size(), 2u);
  EXPECT_EQ(sim.fills()[0].price, P("0.45"));
  EXPECT_EQ(sim.fills()[0].leg(), kNo);
  EXPECT_EQ(sim.fills()[0].leg_price(), P("0.55"));
  EXPECT_EQ(sim.fills()[0].count, C("30"));
  EXPECT_EQ(sim.fills()[1].price, P("0.44"));
  EXPECT_EQ(sim.fills()[1].count, C("10"));
  EXPECT_EQ(sim.portfolio().position(), C("-40"));
  // Cost 30 x 0.55 + 10 x 0.56 = 16.50 + 5.60 = 22.10 (NO contracts).
  EXPECT_EQ(sim.portfolio().cost_basis(), M("22.10"));
  EXPECT_TRUE(sim.orders().empty());  // IOC: nothing rests
}

TEST_F(MarketSimTest, ImmediateOrCancelCancelsTheRest) {
  Snapshot(book_, {{"0.45", "30"}}, {{"0.54", "3"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  const OrderId id = sim.Submit(Place(kBid, "0.46", "10", TimeInForce::kImmediateOrCancel), T(1));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].count, C("3"));
  ASSERT_FALSE(sim.order_updates().empty());
  const OrderUpdate& last = sim.order_updates().back();
  EXPECT_EQ(last.order_id, id);
  EXPECT_EQ(last.state, OrderState::kCanceled);
  EXPECT_EQ(last.filled, C("3"));
  EXPECT_EQ(last.remaining, C("7"));
  EXPECT_EQ(sim.FindOrder(id), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Depth consumption

TEST_F(MarketSimTest, TakenLiquidityStaysTakenUntilTheBookRemovesIt) {
  Snapshot(book_, {{"0.45", "30"}}, {{"0.53", "10"}, {"0.54", "3"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kBid, "0.46", "3", TimeInForce::kImmediateOrCancel), T(1));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.54")), C("3"));
  sim.ClearEvents();

  // Time passes and unrelated levels change: the 0.46 ask stays taken.
  Delta(book_, kYes, "0.45", "5");
  sim.OnBookUpdate(T(1'000'000'000));
  sim.Submit(Place(kBid, "0.46", "3", TimeInForce::kImmediateOrCancel), T(1'000'000'000));
  EXPECT_TRUE(sim.fills().empty());

  // 2 new contracts join the level (displayed 5): they are new liquidity; 3 stay taken.
  Delta(book_, kNo, "0.54", "2");
  sim.OnBookUpdate(T(2'000'000'000));
  EXPECT_EQ(sim.AvailableAt(kNo, P("0.54")), C("2"));
  sim.Submit(Place(kBid, "0.46", "3", TimeInForce::kImmediateOrCancel), T(2'000'000'000));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].count, C("2"));
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.54")), C("5"));

  // The book removes 4 (displayed 1): consumed is capped at what is displayed.
  Delta(book_, kNo, "0.54", "-4");
  sim.OnBookUpdate(T(3'000'000'000));
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.54")), C("1"));
  EXPECT_EQ(sim.AvailableAt(kNo, P("0.54")), Count());
  // The level disappears: nothing is consumed any more; a new level is fully available.
  Delta(book_, kNo, "0.54", "-1");
  sim.OnBookUpdate(T(4'000'000'000));
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.54")), Count());
  Delta(book_, kNo, "0.54", "6");
  sim.OnBookUpdate(T(5'000'000'000));
  EXPECT_EQ(sim.AvailableAt(kNo, P("0.54")), C("6"));
}

// ---------------------------------------------------------------------------------------------
// Latency

TEST_F(MarketSimTest, OrdersArriveAtTheFirstBookEventAtOrAfterDecisionPlusLatency) {
  Snapshot(book_, {{"0.45", "30"}}, {{"0.53", "10"}, {"0.54", "3"}});
  SimConfig config;
  config.latency_ns = 50;
  MarketSim sim(book_, Funded(config));
  sim.OnBookUpdate(T(100));
  const OrderId id = sim.Submit(Place(kBid, "0.46", "3", TimeInForce::kImmediateOrCancel), T(100));
  EXPECT_TRUE(sim.fills().empty());
  ASSERT_NE(sim.FindOrder(id), nullptr);
  EXPECT_EQ(sim.FindOrder(id)->state, OrderState::kPending);
  EXPECT_EQ(sim.working_order()->id, id);  // the planner sees the order in flight

  // T(149) < 150: still in flight.
  Delta(book_, kYes, "0.45", "1");
  sim.OnBookUpdate(T(149));
  EXPECT_TRUE(sim.fills().empty());
  // T(150): arrives and fills against the book after that event.
  Delta(book_, kYes, "0.45", "1");
  sim.OnBookUpdate(T(150));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].ts, T(150));
  EXPECT_EQ(sim.fills()[0].price, P("0.46"));
}

TEST_F(MarketSimTest, ADecisionAfterTheLastBookEventWaitsForTheNextOne) {
  // No latency, but decided at T(200) while the last book event was T(100): the book at
  // T(200) is not known yet, so the order acts at the next book event.
  Snapshot(book_, {{"0.45", "30"}}, {{"0.53", "10"}, {"0.54", "3"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(100));
  sim.Submit(Place(kBid, "0.46", "3"), T(200));
  EXPECT_TRUE(sim.fills().empty());
  sim.OnBookUpdate(T(250));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].ts, T(250));
}

TEST_F(MarketSimTest, LatencyCanMissLiquidityThatLeftMeanwhile) {
  Snapshot(book_, {{"0.45", "30"}}, {{"0.53", "10"}, {"0.54", "3"}});
  SimConfig config;
  config.latency_ns = 50;
  MarketSim sim(book_, Funded(config));
  sim.OnBookUpdate(T(100));
  sim.Submit(Place(kBid, "0.46", "3", TimeInForce::kImmediateOrCancel), T(100));
  // The 0.46 ask (NO 0.54) leaves at T(120), before our order arrives at T(150)+.
  Delta(book_, kNo, "0.54", "-3");
  sim.OnBookUpdate(T(120));
  Delta(book_, kYes, "0.45", "1");
  sim.OnBookUpdate(T(170));
  EXPECT_TRUE(sim.fills().empty());  // best ask is now 0.47 > 0.46: IOC cancelled
  EXPECT_EQ(sim.order_updates().back().state, OrderState::kCanceled);

  // The same decision with no latency fills at once.
  book::OrderBook fast_book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
  Snapshot(fast_book, {{"0.45", "30"}}, {{"0.53", "10"}, {"0.54", "3"}});
  MarketSim fast(fast_book, Funded());
  fast.OnBookUpdate(T(100));
  fast.Submit(Place(kBid, "0.46", "3", TimeInForce::kImmediateOrCancel), T(100));
  EXPECT_EQ(fast.fills().size(), 1u);
}

TEST_F(MarketSimTest, OpsActInSubmissionOrderAndCancelsInFlightHideTheOrder) {
  Snapshot(book_, {{"0.40", "20"}}, {{"0.55", "10"}});  // YES ask 0.45
  SimConfig config;
  config.latency_ns = 10;
  MarketSim sim(book_, Funded(config));
  sim.OnBookUpdate(T(0));
  const OrderId first = sim.Submit(Place(kBid, "0.41", "10"), T(0));
  EXPECT_EQ(sim.Submit(Cancel(first), T(0)), first);
  const OrderId second = sim.Submit(Place(kAsk, "0.44", "10"), T(0));
  // The planner now sees only the second order (the first has a cancel in flight).
  ASSERT_TRUE(sim.working_order().has_value());
  EXPECT_EQ(sim.working_order()->id, second);
  // A second cancel of the same order is refused at once.
  EXPECT_EQ(sim.Submit(Cancel(first), T(0)), 0u);
  Delta(book_, kYes, "0.40", "1");
  sim.OnBookUpdate(T(10));
  // first: placed (rested) then cancelled; second: rests at 0.44 ask (YES bid 0.40 < 0.44).
  EXPECT_EQ(sim.FindOrder(first), nullptr);
  ASSERT_NE(sim.FindOrder(second), nullptr);
  EXPECT_EQ(sim.FindOrder(second)->state, OrderState::kResting);
  EXPECT_EQ(sim.counters().cancels, 1u);
  EXPECT_EQ(sim.counters().rejected, 1u);
  EXPECT_TRUE(sim.fills().empty());
}

// ---------------------------------------------------------------------------------------------
// Resting orders: crossing, trades, queue model

TEST_F(MarketSimTest, RestingOrderFillsAsMakerWhenTheOppositeSideCrossesIt) {
  // YES bid 0.40 x20, YES ask 0.45 (NO 0.55 x10). Bid 10 @ 0.42 rests alone at its level.
  Snapshot(book_, {{"0.40", "20"}}, {{"0.55", "10"}});
  SimConfig config;
  config.fees =
      kalshi::FeeSchedule{kalshi::FeeType::kQuadraticWithMakerFees, kalshi::kMultiplierScale};
  MarketSim sim(book_, Funded(config));
  sim.OnBookUpdate(T(1));
  const OrderId id = sim.Submit(Place(kBid, "0.42", "10"), T(1));
  EXPECT_TRUE(sim.fills().empty());
  EXPECT_EQ(sim.FindOrder(id)->ahead, Count());

  // A NO bid at 0.58 x6 appears: YES ask 0.42 meets our bid. We fill 6 at OUR price 0.42.
  // Maker fee 0.0175 x 6 x 0.42 x 0.58 = 0.025578 -> 0.0256; -2.52 - 0.0256 = -2.5456 ->
  // -2.55: net 0.03.
  Delta(book_, kNo, "0.58", "6");
  sim.OnBookUpdate(T(2));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].liquidity, Liquidity::kMaker);
  EXPECT_EQ(sim.fills()[0].price, P("0.42"));
  EXPECT_EQ(sim.fills()[0].count, C("6"));
  EXPECT_EQ(sim.fills()[0].fee.trade_fee, M("0.0256"));
  EXPECT_EQ(sim.fills()[0].fee.net_fee, M("0.03"));
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.58")), C("6"));
  sim.ClearEvents();

  // The same crossing level on the next event is already used up: no second fill.
  Delta(book_, kYes, "0.40", "1");
  sim.OnBookUpdate(T(3));
  EXPECT_TRUE(sim.fills().empty());

  // A NO bid at 0.59 x10 (YES ask 0.41) trades through: the last 4 fill at 0.42, not 0.41.
  Delta(book_, kNo, "0.59", "10");
  sim.OnBookUpdate(T(4));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].price, P("0.42"));
  EXPECT_EQ(sim.fills()[0].count, C("4"));
  EXPECT_EQ(sim.FindOrder(id), nullptr);
  EXPECT_EQ(sim.order_updates().back().state, OrderState::kFilled);
  EXPECT_EQ(sim.portfolio().position(), C("10"));
  EXPECT_EQ(sim.counters().maker_fills, 2u);
}

TEST_F(MarketSimTest, QuadraticSeriesMakersPayNoFee) {
  Snapshot(book_, {{"0.40", "20"}}, {{"0.55", "10"}});
  MarketSim sim(book_, Funded());  // default fee type: quadratic
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kBid, "0.42", "6"), T(1));
  Delta(book_, kNo, "0.58", "6");
  sim.OnBookUpdate(T(2));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].fee.net_fee, Money());
  EXPECT_EQ(CashChange(sim), M("-2.52"));  // 6 x 0.42, whole cents: no rounding
}

TEST_F(MarketSimTest, OneOrdersFeeAccumulatorCarriesFromTakerToMakerFillsOnASubCentGrid) {
  // tapered_deci_cent: YES bid 0.050 x10, YES ask 0.055 x7 (NO bid 0.945).
  book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::TaperedDeciCent());
  Snapshot(book, {{"0.050", "10"}}, {{"0.945", "7"}});
  SimConfig config;
  config.fees =
      kalshi::FeeSchedule{kalshi::FeeType::kQuadraticWithMakerFees, kalshi::kMultiplierScale};
  MarketSim sim(book, Funded(config));
  sim.OnBookUpdate(T(1));
  const OrderId id = sim.Submit(Place(kBid, "0.055", "17"), T(1));
  // Taker 7 @ 0.055: fee 0.07 x 7 x 0.055 x 0.945 = 0.02546775 -> 0.0255; -0.385 - 0.0255 =
  // -0.4105 -> -0.42: rounding 0.0095 (accumulator 0.0095), net 0.035.
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].fee.trade_fee, M("0.0255"));
  EXPECT_EQ(sim.fills()[0].fee.net_fee, M("0.035"));
  EXPECT_EQ(sim.fills()[0].change.cash_change, M("-0.42"));
  EXPECT_EQ(sim.FindOrder(id)->fee_accumulator.accumulated(), M("0.0095"));
  // The other 10 rest alone at 0.055; someone sells 10 YES there: a maker fill of 10.
  // Maker fee 0.0175 x 10 x 0.051975 = 0.009095625 -> 0.0091; -0.55 - 0.0091 = -0.5591 ->
  // -0.56: rounding 0.0009, accumulator 0.0104 -> a $0.01 rebate (gross 0.0100 allows it):
  // net 0.0000, cash -0.55.
  sim.OnTrade({P("0.055"), C("10"), kNo}, T(2));
  ASSERT_EQ(sim.fills().size(), 2u);
  const Fill& maker = sim.fills()[1];
  EXPECT_EQ(maker.liquidity, Liquidity::kMaker);
  EXPECT_EQ(maker.fee.trade_fee, M("0.0091"));
  EXPECT_EQ(maker.fee.rounding_fee, M("0.0009"));
  EXPECT_EQ(maker.fee.rebate, M("0.01"));
  EXPECT_EQ(maker.fee.net_fee, Money());
  EXPECT_EQ(maker.change.cash_change, M("-0.55"));
  EXPECT_EQ(CashChange(sim), M("-0.97"));
  EXPECT_EQ(sim.portfolio().fees_paid(), M("0.035"));
  EXPECT_EQ(sim.portfolio().position(), C("17"));
}

TEST_F(MarketSimTest, CrossingLiquidityServesBetterBidsAndTheQueueAheadFirst) {
  // A momentarily crossed book: YES bid 0.45 x30 stays while a NO bid 0.56 (ask 0.44) shows.
  Snapshot(book_, {{"0.44", "5"}, {"0.45", "30"}}, {{"0.50", "10"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  const OrderId id = sim.Submit(Place(kBid, "0.44", "10"), T(1));  // ahead 5 at 0.44
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("5"));
  // 20 crossing: 30 better bids absorb it all (and 20 of them are used up in our view).
  Delta(book_, kNo, "0.56", "20");
  sim.OnBookUpdate(T(2));
  EXPECT_TRUE(sim.fills().empty());
  EXPECT_EQ(sim.ConsumedAt(kNo, P("0.56")), C("20"));
  EXPECT_EQ(sim.ConsumedAt(kYes, P("0.45")), C("20"));
  // 20 more: 10 left for the better bids, then 5 ahead of us, then 5 for us.
  Delta(book_, kNo, "0.56", "20");
  sim.OnBookUpdate(T(3));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].count, C("5"));
  EXPECT_EQ(sim.fills()[0].price, P("0.44"));
  EXPECT_EQ(sim.FindOrder(id)->ahead, Count());
  EXPECT_EQ(sim.FindOrder(id)->remaining, C("5"));
}

TEST_F(MarketSimTest, TradesAtTheLevelAdvanceTheQueueThenFillUs) {
  // YES bid 0.45 x30; we join it: ahead 30.
  Snapshot(book_, {{"0.45", "30"}}, {{"0.53", "10"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  const OrderId id = sim.Submit(Place(kBid, "0.45", "10"), T(1));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("30"));

  // Someone sells 20 YES at 0.45 (taker bought NO): ahead 10. The book then shows the level
  // down by those 20: explained by the trade, so the queue model does not move us again.
  sim.OnTrade({P("0.45"), C("20"), kNo}, T(2));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("10"));
  Delta(book_, kYes, "0.45", "-20");
  sim.OnBookUpdate(T(3));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("10"));
  EXPECT_TRUE(sim.fills().empty());

  // A YES taker at 0.47 trades the other leg: irrelevant to our bid.
  sim.OnTrade({P("0.47"), C("50"), kYes}, T(4));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("10"));

  // 15 more sold at 0.45: 10 ahead, then 5 reach us (maker, at 0.45).
  sim.OnTrade({P("0.45"), C("15"), kNo}, T(5));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].count, C("5"));
  EXPECT_EQ(sim.fills()[0].price, P("0.45"));
  EXPECT_EQ(sim.fills()[0].liquidity, Liquidity::kMaker);
  EXPECT_EQ(sim.fills()[0].ts, T(5));
  EXPECT_EQ(sim.FindOrder(id)->ahead, Count());

  // Someone sells 3 YES at 0.44, below our bid: traded through, we fill 3 at 0.45.
  sim.OnTrade({P("0.44"), C("3"), kNo}, T(6));
  ASSERT_EQ(sim.fills().size(), 2u);
  EXPECT_EQ(sim.fills()[1].count, C("3"));
  EXPECT_EQ(sim.fills()[1].price, P("0.45"));
  EXPECT_EQ(sim.FindOrder(id)->remaining, C("2"));
}

TEST_F(MarketSimTest, UnexplainedDecreasesAreSplitByTheQueueModel) {
  for (const bool power : {true, false}) {
    book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
    Snapshot(book, {{"0.45", "20"}}, {{"0.53", "10"}});
    SimConfig config;
    config.queue_model = power ? QueueModel::Power(3) : QueueModel::RiskAverse();
    MarketSim sim(book, Funded(config));
    sim.OnBookUpdate(T(1));
    const OrderId id = sim.Submit(Place(kBid, "0.45", "10"), T(1));  // ahead 20
    Delta(book, kYes, "0.45", "10");                                 // 10 join behind us
    sim.OnBookUpdate(T(2));
    EXPECT_EQ(sim.FindOrder(id)->ahead, C("20"));
    // 9 leave without a trade. power:3: 20^3 / (20^3 + 10^3) = 8/9 of 9 = 8 from ahead -> 12.
    // risk_averse: none from ahead -> 20 (capped at the level's 21).
    Delta(book, kYes, "0.45", "-9");
    sim.OnBookUpdate(T(3));
    EXPECT_EQ(sim.FindOrder(id)->ahead, power ? C("12") : C("20")) << config.queue_model.ToString();
    // The level drops to 6: nobody can be ahead of us beyond what is displayed.
    Delta(book, kYes, "0.45", "-15");
    sim.OnBookUpdate(T(4));
    EXPECT_LE(sim.FindOrder(id)->ahead, C("6"));
    EXPECT_TRUE(sim.fills().empty());  // decreases alone never fill us
  }
}

// ---------------------------------------------------------------------------------------------
// Amend and cancel

TEST_F(MarketSimTest, AmendKeepsPriorityOnlyForASmallerSizeAtTheSamePrice) {
  Snapshot(book_, {{"0.40", "20"}}, {{"0.55", "10"}});  // YES ask 0.45
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  const OrderId id = sim.Submit(Place(kBid, "0.40", "10"), T(1));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("20"));
  sim.OnTrade({P("0.40"), C("5"), kNo}, T(2));  // ahead 15
  Delta(book_, kYes, "0.40", "-5");
  sim.OnBookUpdate(T(3));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("15"));

  // Smaller size, same price: keeps its place.
  sim.Submit(Amend(id, kBid, "0.40", "6"), T(3));
  EXPECT_EQ(sim.FindOrder(id)->remaining, C("6"));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("15"));
  // Larger size: back of the queue (ahead = the level's displayed 19).
  Delta(book_, kYes, "0.40", "4");  // 4 join behind us: level 19
  sim.OnBookUpdate(T(4));
  sim.Submit(Amend(id, kBid, "0.40", "8"), T(4));
  EXPECT_EQ(sim.FindOrder(id)->ahead, C("19"));
  // New price across the spread: it takes the 0.45 ask (10) as a taker... for 8.
  sim.Submit(Amend(id, kBid, "0.45", "8"), T(4));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].price, P("0.45"));
  EXPECT_EQ(sim.fills()[0].liquidity, Liquidity::kTaker);
  EXPECT_EQ(sim.FindOrder(id), nullptr);  // filled
  EXPECT_EQ(sim.counters().amends, 3u);
  // Amending the side is refused; so is touching a finished order.
  const OrderId other = sim.Submit(Place(kBid, "0.40", "10"), T(4));
  EXPECT_EQ(sim.Submit(Amend(other, kAsk, "0.50", "10"), T(4)), 0u);
  EXPECT_EQ(sim.Submit(Amend(id, kBid, "0.41", "10"), T(4)), 0u);
  EXPECT_EQ(sim.Submit(Cancel(id), T(4)), 0u);
}

TEST_F(MarketSimTest, RejectsBadOrdersAndOrdersBeforeASnapshot) {
  MarketSim sim(book_, Funded());
  // Off the linear-cent grid, at 0 and 1, zero count: rejected at once.
  EXPECT_NE(sim.Submit(Place(kBid, "0.455", "10"), T(0)), 0u);
  sim.Submit(Place(kBid, "0", "10"), T(0));
  sim.Submit(Place(kBid, "1", "10"), T(0));
  sim.Submit(Place(kBid, "0.45", "0"), T(0));
  EXPECT_EQ(sim.counters().rejected, 4u);
  for (const OrderUpdate& u : sim.order_updates()) {
    EXPECT_EQ(u.state, OrderState::kRejected);
    EXPECT_EQ(u.reject, OrderReject::kInvalidOrder);
  }
  // A valid order waits for a book event; the book has no snapshot: rejected on arrival.
  const OrderId id = sim.Submit(Place(kBid, "0.45", "10"), T(0));
  EXPECT_EQ(sim.FindOrder(id)->state, OrderState::kPending);
  sim.OnBookUpdate(T(1));
  EXPECT_EQ(sim.FindOrder(id), nullptr);
  EXPECT_EQ(sim.order_updates().back().state, OrderState::kRejected);
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kNoBookSnapshot);
  EXPECT_EQ(sim.counters().rejected, 5u);
  EXPECT_EQ(sim.counters().insufficient_balance, 0u);
}

// ---------------------------------------------------------------------------------------------
// Economics: netting, marking, settlement

TEST_F(MarketSimTest, SellFromFlatThenFlattenLosesExactlySpreadPlusFees) {
  // The original Python simulator booked ~+$1 per contract of phantom profit here.
  // YES bid 0.45 x50, NO bid 0.53 x50 (YES ask 0.47): spread 0.02.
  Snapshot(book_, {{"0.45", "50"}}, {{"0.53", "50"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));

  // SELL_YES (aggressive) while flat = ask @ 0.45 = buy 10 NO @ 0.55.
  const ActionPlan sell =
      PlanAction(Action::kSellYes, book_, sim.working_order(), PriceStrategy::kAggressive);
  ASSERT_EQ(sell.size, 1u);
  sim.Submit(sell.view(), T(1));
  ASSERT_EQ(sim.fills().size(), 1u);
  // Fee 0.07 x 10 x 0.55 x 0.45 = 0.17325 -> 0.1733; -5.50 - 0.1733 = -5.6733 -> -5.68.
  EXPECT_EQ(sim.fills()[0].fee.net_fee, M("0.18"));
  EXPECT_EQ(CashChange(sim), M("-5.68"));  // paid for NO: no credit for "selling"
  EXPECT_EQ(sim.portfolio().position(), C("-10"));
  // Marked at the NO bid 0.53: -5.68 + 5.30 = -0.38 = -(spread 0.20 + fee 0.18).
  EXPECT_EQ(sim.MarkPrice(), P("0.53"));
  EXPECT_EQ(MarkedPnl(sim), M("-0.38"));
  sim.ClearEvents();

  // Flatten with BUY_YES (aggressive) @ 0.47: fee 0.07 x 10 x 0.47 x 0.53 = 0.17437 -> 0.1744;
  // -4.70 - 0.1744 = -4.8744 -> -4.88; 10 YES+NO pairs release $10: +5.12.
  // (Decided at the time of the last book event: with no latency it acts at once.)
  const ActionPlan buy =
      PlanAction(Action::kBuyYes, book_, sim.working_order(), PriceStrategy::kAggressive);
  sim.Submit(buy.view(), T(1));
  ASSERT_EQ(sim.fills().size(), 1u);
  EXPECT_EQ(sim.fills()[0].change.closed, C("10"));
  EXPECT_EQ(sim.fills()[0].change.cash_change, M("5.12"));
  EXPECT_EQ(sim.portfolio().position(), Count());
  // Round trip: -5.68 + 5.12 = -0.56 = -(0.47 - 0.45) x 10 - (0.18 + 0.18).
  EXPECT_EQ(CashChange(sim), M("-0.56"));
  EXPECT_EQ(sim.portfolio().fees_paid(), M("0.36"));
  EXPECT_EQ(sim.portfolio().realized_pnl(), M("-0.20"));
  EXPECT_EQ(MarkedPnl(sim), M("-0.56"));
  EXPECT_LT(CashChange(sim), Money());  // never a gain, let alone ~$1/contract
}

TEST_F(MarketSimTest, BuyThenSellYesIsTheMirrorRoundTrip) {
  Snapshot(book_, {{"0.45", "50"}}, {{"0.53", "50"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  sim.Submit(PlanAction(Action::kBuyYes, book_, std::nullopt, PriceStrategy::kAggressive).view(),
             T(1));
  // Long YES marks at the YES bid: -4.88 + 10 x 0.45 = -0.38.
  EXPECT_EQ(sim.MarkPrice(), P("0.45"));
  EXPECT_EQ(MarkedPnl(sim), M("-0.38"));
  sim.Submit(PlanAction(Action::kSellYes, book_, std::nullopt, PriceStrategy::kAggressive).view(),
             T(1));
  // -4.88, then -5.68 + 10 = +4.32: -0.56 again.
  EXPECT_EQ(sim.portfolio().position(), Count());
  EXPECT_EQ(CashChange(sim), M("-0.56"));
}

TEST_F(MarketSimTest, MarkFallsBackWhenTheHeldSideEmpties) {
  for (const MarkFallback fallback : {MarkFallback::kLastBid, MarkFallback::kZero}) {
    book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
    Snapshot(book, {{"0.45", "50"}}, {{"0.53", "50"}});
    SimConfig config;
    config.mark_fallback = fallback;
    MarketSim sim(book, Funded(config));
    sim.OnBookUpdate(T(1));
    sim.Submit(Place(kBid, "0.47", "10"), T(1));  // long 10 YES, cash -4.88
    // Every YES bid leaves.
    Delta(book, kYes, "0.45", "-50");
    sim.OnBookUpdate(T(2));
    const bool last = fallback == MarkFallback::kLastBid;
    EXPECT_EQ(sim.MarkPrice(), last ? P("0.45") : Price()) << MarkFallbackName(fallback);
    EXPECT_EQ(MarkedPnl(sim), last ? M("-0.38") : M("-4.88"));
  }
}

TEST_F(MarketSimTest, SettlementPaysOutAndCancelsOrders) {
  Snapshot(book_, {{"0.45", "50"}}, {{"0.53", "50"}});
  MarketSim sim(book_, Funded());
  sim.OnBookUpdate(T(1));
  sim.Submit(Place(kBid, "0.47", "10"), T(1));  // long 10 YES, cash -4.88
  const OrderId resting = sim.Submit(Place(kAsk, "0.60", "5"), T(1));
  ASSERT_NE(sim.FindOrder(resting), nullptr);
  sim.Settle(Price::OneDollar(), T(9));                  // YES won
  EXPECT_EQ(CashChange(sim), M("5.12"));                 // -4.88 + 10
  EXPECT_EQ(sim.portfolio().realized_pnl(), M("5.30"));  // 10 - 4.70
  EXPECT_EQ(sim.portfolio().position(), Count());
  EXPECT_EQ(sim.FindOrder(resting), nullptr);
  EXPECT_EQ(sim.order_updates().back().reason, "settled");
  EXPECT_TRUE(sim.settled());
  sim.Submit(Place(kBid, "0.47", "10"), T(10));
  EXPECT_EQ(sim.order_updates().back().state, OrderState::kRejected);
  EXPECT_EQ(sim.order_updates().back().reject, OrderReject::kMarketSettled);
}

// ---------------------------------------------------------------------------------------------
// Properties: invariants and determinism over random event streams

struct Event {
  int kind;  // 0 delta, 1 trade, 2 action
  bool yes;
  int64_t price_cents;
  int64_t amount;
  int action;
  int strategy;
};

struct RunResult {
  std::vector<Fill> fills;
  Money cash;
  Count position;
  uint64_t insufficient_balance = 0;
};

RunResult Run(const std::vector<Event>& events, const SimConfig& config) {
  book::OrderBook book("KXTEST-26JAN01-T50", book::PriceGrid::LinearCent());
  Snapshot(book, {{"0.44", "20"}, {"0.45", "30"}}, {{"0.52", "10"}, {"0.53", "4"}});
  MarketSim sim(book, config);
  RunResult out;
  int64_t ts = 0;
  int64_t last_book_ts = 0;  // the environment decides right after a book event
  sim.OnBookUpdate(T(ts));
  for (const Event& e : events) {
    ts += 7;
    const auto side = e.yes ? kYes : kNo;
    const Price price = Price::FromCents(e.price_cents);
    if (e.kind == 0) {
      if (book.ApplyDelta(side, price, Count::FromContracts(e.amount)).ok()) {
        sim.OnBookUpdate(T(ts));
        last_book_ts = ts;
      }
    } else if (e.kind == 1) {
      sim.OnTrade({price, Count::FromContracts(std::abs(e.amount) + 1), side}, T(ts));
    } else {
      const auto plan = PlanAction(static_cast<Action>(e.action), book, sim.working_order(),
                                   static_cast<PriceStrategy>(e.strategy));
      sim.Submit(plan.view(), T(last_book_ts));
    }
    // Invariants after every event.
    const Portfolio& p = sim.portfolio();
    RC_ASSERT(p.cash() == p.initial_cash() - p.cost_basis() + p.realized_pnl() - p.fees_paid());
    RC_ASSERT(!sim.reserved_cash().IsNegative());
    if (config.collateral == CollateralMode::kEnforce) {
      // Whole-cent prices, whole contracts, cent balance: the reservation bound is exact, so
      // no sequence of fills can spend money the account does not have.
      RC_ASSERT(!p.cash().IsNegative());
      RC_ASSERT(!sim.available_cash().IsNegative());
    }
    for (const SimOrder& o : sim.orders()) {
      RC_ASSERT(!o.remaining.IsNegative());
      RC_ASSERT(!o.ahead.IsNegative());
    }
    for (const auto leg : {kYes, kNo}) {
      for (const core::PriceLevel& level : book.Bids(leg)) {
        RC_ASSERT(sim.ConsumedAt(leg, level.price) <= level.count);
      }
    }
    for (const Fill& f : sim.fills()) out.fills.push_back(f);
    sim.ClearEvents();
  }
  Count position;
  for (const Fill& f : out.fills) {
    position += f.side == kBid ? f.count : -f.count;
    RC_ASSERT(f.fee.net_fee >= Money());
  }
  RC_ASSERT(position == sim.portfolio().position());
  RC_ASSERT(sim.counters().insufficient_balance <= sim.counters().rejected);
  if (config.collateral == CollateralMode::kOff)
    RC_ASSERT(sim.counters().insufficient_balance == 0u);
  out.insufficient_balance = sim.counters().insufficient_balance;
  out.cash = sim.portfolio().cash();
  out.position = sim.portfolio().position();
  return out;
}

rc::Gen<Event> GenEvent() {
  return rc::gen::build<Event>(rc::gen::set(&Event::kind, rc::gen::inRange(0, 3)),
                               rc::gen::set(&Event::yes, rc::gen::arbitrary<bool>()),
                               rc::gen::set(&Event::price_cents, rc::gen::inRange<int64_t>(40, 61)),
                               rc::gen::set(&Event::amount, rc::gen::inRange<int64_t>(-15, 16)),
                               rc::gen::set(&Event::action, rc::gen::inRange(0, kNumActions)),
                               rc::gen::set(&Event::strategy, rc::gen::inRange(0, 3)));
}

RC_GTEST_PROP(MarketSimProperty, InvariantsHoldAndRunsAreDeterministic, ()) {
  // Full-size events from the first run (gen::inRange scales with the test size).
  const auto events =
      *rc::gen::container<std::vector<Event>>(120, rc::gen::resize(rc::kNominalSize, GenEvent()));
  SimConfig config;
  config.latency_ns = *rc::gen::inRange<int64_t>(0, 3) * 10;
  config.queue_model = *rc::gen::arbitrary<bool>() ? QueueModel() : QueueModel::RiskAverse();
  config.fees.type =
      *rc::gen::element(kalshi::FeeType::kQuadratic, kalshi::FeeType::kQuadraticWithMakerFees,
                        kalshi::FeeType::kQuadraticWithComboMakerFees);
  // $0-$30: a few 10-contract orders, so the collateral check binds in most runs.
  config.initial_cash = Money::FromCents(*rc::gen::inRange<int64_t>(0, 3001));
  config.collateral = *rc::gen::arbitrary<bool>() ? CollateralMode::kEnforce : CollateralMode::kOff;
  const RunResult a = Run(events, config);
  const RunResult b = Run(events, config);
  RC_TAG(a.fills.empty() ? "no fills" : "fills", std::string(CollateralModeName(config.collateral)),
         a.insufficient_balance > 0 ? "cash binds" : "cash ample");
  RC_ASSERT(a.insufficient_balance == b.insufficient_balance);
  RC_ASSERT(a.cash == b.cash);
  RC_ASSERT(a.position == b.position);
  RC_ASSERT(a.fills.size() == b.fills.size());
  for (std::size_t i = 0; i < a.fills.size(); ++i) {
    RC_ASSERT(a.fills[i].order_id == b.fills[i].order_id);
    RC_ASSERT(a.fills[i].price == b.fills[i].price);
    RC_ASSERT(a.fills[i].count == b.fills[i].count);
    RC_ASSERT(a.fills[i].ts == b.fills[i].ts);
    RC_ASSERT(a.fills[i].fee == b.fills[i].fee);
  }
}

}  // namespace
}  // namespace kalshiflow::sim
