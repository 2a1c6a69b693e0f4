// The 5-action spec and PlanAction: every action under every strategy, the one-working-order
// rule, HOLD re-pricing, and sub-cent price grids.
#include "sim/actions.h"

#include <gtest/gtest.h>

#include "sim/tests/test_util.h"

namespace kalshiflow::sim {
namespace {

using book::OrderBook;
using book::PriceGrid;
using core::Count;
using core::Price;
using testing::C;
using testing::kAsk;
using testing::kBid;
using testing::P;
using testing::Snapshot;

constexpr PriceStrategy kAggressive = PriceStrategy::kAggressive;
constexpr PriceStrategy kPassive = PriceStrategy::kPassive;
constexpr PriceStrategy kMid = PriceStrategy::kMid;

OrderOp PlaceOp(core::BookSide side, const char* price) {
  return {OrderOpType::kPlace, 0, side, P(price), kActionContracts};
}

// YES bid 0.42 (best), YES ask 0.45 (NO bid 0.55): spread 3 cents, mid 0.435.
OrderBook LinearBook() {
  OrderBook book("KXTEST-26JAN01-T50", PriceGrid::LinearCent());
  Snapshot(book, {{"0.40", "10"}, {"0.42", "5"}}, {{"0.50", "10"}, {"0.55", "7"}});
  return book;
}

TEST(ActionSpec, IndicesNamesAndSize) {
  EXPECT_EQ(kNumActions, 5);
  EXPECT_EQ(kActionContracts, C("10"));
  const char* names[] = {"HOLD", "BUY_YES", "SELL_YES", "BUY_NO", "SELL_NO"};
  for (int i = 0; i < kNumActions; ++i) {
    const auto action = ActionFromIndex(i);
    ASSERT_TRUE(action.has_value());
    EXPECT_EQ(static_cast<int>(*action), i);
    EXPECT_EQ(ActionName(*action), names[i]);
  }
  EXPECT_FALSE(ActionFromIndex(-1).has_value());
  EXPECT_FALSE(ActionFromIndex(5).has_value());
  EXPECT_EQ(ActionSide(Action::kHold), std::nullopt);
  EXPECT_EQ(ActionSide(Action::kBuyYes), kBid);
  EXPECT_EQ(ActionSide(Action::kSellNo), kBid);  // selling NO = buying YES
  EXPECT_EQ(ActionSide(Action::kSellYes), kAsk);
  EXPECT_EQ(ActionSide(Action::kBuyNo), kAsk);  // buying NO = selling YES
  for (PriceStrategy s : {kAggressive, kPassive, kMid}) {
    EXPECT_EQ(ParsePriceStrategy(PriceStrategyName(s)), s);
  }
  EXPECT_FALSE(ParsePriceStrategy("market").has_value());
}

TEST(StrategyPrice, EachStrategyOnALinearCentBook) {
  const OrderBook book = LinearBook();
  // Aggressive: buy YES at the ask 0.45 (1 - NO bid 0.55), sell YES at the bid 0.42.
  EXPECT_EQ(StrategyPrice(book, kBid, kAggressive), P("0.45"));
  EXPECT_EQ(StrategyPrice(book, kAsk, kAggressive), P("0.42"));
  // Passive: join our own side.
  EXPECT_EQ(StrategyPrice(book, kBid, kPassive), P("0.42"));
  EXPECT_EQ(StrategyPrice(book, kAsk, kPassive), P("0.45"));
  // Mid 0.435 is off the cent grid: a bid rounds down to 0.43, an ask up to 0.44.
  EXPECT_EQ(StrategyPrice(book, kBid, kMid), P("0.43"));
  EXPECT_EQ(StrategyPrice(book, kAsk, kMid), P("0.44"));
}

TEST(StrategyPrice, NoLegActionsPriceOnTheNoLadder) {
  // BUY_NO aggressive pays the best NO ask = 1 - best YES bid = 0.58, i.e. ask @ YES 0.42;
  // BUY_NO passive joins the best NO bid 0.55, i.e. ask @ YES 0.45.
  const OrderBook book = LinearBook();
  const auto aggressive = StrategyPrice(book, *ActionSide(Action::kBuyNo), kAggressive);
  ASSERT_TRUE(aggressive.has_value());
  EXPECT_EQ(aggressive->Complement(), book.BestAsk(testing::kNo)->price);
  EXPECT_EQ(aggressive->Complement(), P("0.58"));
  const auto passive = StrategyPrice(book, *ActionSide(Action::kBuyNo), kPassive);
  EXPECT_EQ(passive->Complement(), P("0.55"));
  // SELL_NO aggressive sells NO at its bid 0.55 = bid @ YES 0.45.
  EXPECT_EQ(StrategyPrice(book, *ActionSide(Action::kSellNo), kAggressive)->Complement(),
            P("0.55"));
}

TEST(StrategyPrice, MissingSidesCannotBePriced) {
  OrderBook no_asks("KXTEST-26JAN01-T50", PriceGrid::LinearCent());
  Snapshot(no_asks, {{"0.42", "5"}}, {});  // no NO bids: no YES ask
  EXPECT_EQ(StrategyPrice(no_asks, kBid, kAggressive), std::nullopt);
  EXPECT_EQ(StrategyPrice(no_asks, kBid, kMid), std::nullopt);
  EXPECT_EQ(StrategyPrice(no_asks, kBid, kPassive), P("0.42"));
  EXPECT_EQ(StrategyPrice(no_asks, kAsk, kAggressive), P("0.42"));
  EXPECT_EQ(StrategyPrice(no_asks, kAsk, kPassive), std::nullopt);
}

TEST(StrategyPrice, SubCentGrids) {
  // tapered_deci_cent: $0.001 ticks below 0.10. YES bid 0.055, YES ask 0.07 (NO bid 0.93).
  OrderBook tapered("KXTEST-26JAN01-T50", PriceGrid::TaperedDeciCent());
  Snapshot(tapered, {{"0.055", "10"}}, {{"0.93", "10"}});
  EXPECT_EQ(StrategyPrice(tapered, kBid, kAggressive), P("0.07"));
  EXPECT_EQ(StrategyPrice(tapered, kBid, kPassive), P("0.055"));
  // Mid (0.055 + 0.07) / 2 = 0.0625: bid 0.062, ask 0.063.
  EXPECT_EQ(StrategyPrice(tapered, kBid, kMid), P("0.062"));
  EXPECT_EQ(StrategyPrice(tapered, kAsk, kMid), P("0.063"));

  // Across the 0.10 band boundary: bid 0.095, ask 0.12 (NO 0.88); mid 0.1075 lies in the
  // cent band: a bid snaps down to 0.10 (the shared boundary), an ask up to 0.11.
  OrderBook boundary("KXTEST-26JAN01-T50", PriceGrid::TaperedDeciCent());
  Snapshot(boundary, {{"0.095", "10"}}, {{"0.88", "10"}});
  EXPECT_EQ(StrategyPrice(boundary, kBid, kMid), P("0.10"));
  EXPECT_EQ(StrategyPrice(boundary, kAsk, kMid), P("0.11"));

  // deci_cent: bid 0.412, ask 0.415 (NO 0.585): mid 0.4135 -> bid 0.413, ask 0.414.
  OrderBook deci("KXTEST-26JAN01-T50", PriceGrid::DeciCent());
  Snapshot(deci, {{"0.412", "10"}}, {{"0.585", "10"}});
  EXPECT_EQ(StrategyPrice(deci, kBid, kAggressive), P("0.415"));
  EXPECT_EQ(StrategyPrice(deci, kBid, kMid), P("0.413"));
  EXPECT_EQ(StrategyPrice(deci, kAsk, kMid), P("0.414"));

  // center_deci_edge_centi_cent: $0.0001 ticks below 0.01. Bid 0.0052, ask 0.0057 (NO
  // 0.9943): mid 0.00545 is half a unit: a bid takes 0.0054, an ask 0.0055.
  OrderBook edge("KXTEST-26JAN01-T50", PriceGrid::CenterDeciEdgeCentiCent());
  Snapshot(edge, {{"0.0052", "10"}}, {{"0.9943", "10"}});
  EXPECT_EQ(StrategyPrice(edge, kBid, kAggressive), P("0.0057"));
  EXPECT_EQ(StrategyPrice(edge, kBid, kMid), P("0.0054"));
  EXPECT_EQ(StrategyPrice(edge, kAsk, kMid), P("0.0055"));
}

TEST(DriftedMoreThanOneTick, UsesTheGridAroundThePrice) {
  const PriceGrid cent = PriceGrid::LinearCent();
  EXPECT_FALSE(DriftedMoreThanOneTick(cent, P("0.42"), P("0.42")));
  EXPECT_FALSE(DriftedMoreThanOneTick(cent, P("0.42"), P("0.43")));
  EXPECT_FALSE(DriftedMoreThanOneTick(cent, P("0.42"), P("0.41")));
  EXPECT_TRUE(DriftedMoreThanOneTick(cent, P("0.42"), P("0.44")));
  EXPECT_TRUE(DriftedMoreThanOneTick(cent, P("0.42"), P("0.40")));
  // tapered: one tick above 0.098 is 0.099, so 0.10 is two ticks; above 0.10 a tick is 0.01.
  const PriceGrid tapered = PriceGrid::TaperedDeciCent();
  EXPECT_FALSE(DriftedMoreThanOneTick(tapered, P("0.098"), P("0.099")));
  EXPECT_TRUE(DriftedMoreThanOneTick(tapered, P("0.098"), P("0.10")));
  EXPECT_FALSE(DriftedMoreThanOneTick(tapered, P("0.10"), P("0.11")));
  EXPECT_FALSE(DriftedMoreThanOneTick(tapered, P("0.10"), P("0.099")));
  EXPECT_TRUE(DriftedMoreThanOneTick(tapered, P("0.10"), P("0.098")));
}

TEST(PlanAction, EveryActionFromFlatUnderEveryStrategy) {
  const OrderBook book = LinearBook();
  struct Case {
    Action action;
    PriceStrategy strategy;
    core::BookSide side;
    const char* price;
  };
  const Case cases[] = {
      {Action::kBuyYes, kAggressive, kBid, "0.45"}, {Action::kBuyYes, kPassive, kBid, "0.42"},
      {Action::kBuyYes, kMid, kBid, "0.43"},        {Action::kSellYes, kAggressive, kAsk, "0.42"},
      {Action::kSellYes, kPassive, kAsk, "0.45"},   {Action::kSellYes, kMid, kAsk, "0.44"},
      {Action::kBuyNo, kAggressive, kAsk, "0.42"},  {Action::kBuyNo, kPassive, kAsk, "0.45"},
      {Action::kBuyNo, kMid, kAsk, "0.44"},         {Action::kSellNo, kAggressive, kBid, "0.45"},
      {Action::kSellNo, kPassive, kBid, "0.42"},    {Action::kSellNo, kMid, kBid, "0.43"},
  };
  for (const Case& c : cases) {
    const ActionPlan plan = PlanAction(c.action, book, std::nullopt, c.strategy);
    ASSERT_EQ(plan.size, 1u) << ActionName(c.action) << " " << PriceStrategyName(c.strategy);
    EXPECT_EQ(plan.note, PlanNote::kPlace);
    EXPECT_EQ(plan.ops[0], PlaceOp(c.side, c.price))
        << ActionName(c.action) << " " << PriceStrategyName(c.strategy);
  }
  const ActionPlan hold = PlanAction(Action::kHold, book, std::nullopt, kAggressive);
  EXPECT_EQ(hold.size, 0u);
  EXPECT_EQ(hold.note, PlanNote::kHold);
}

TEST(PlanAction, OneWorkingOrderPerMarket) {
  const OrderBook book = LinearBook();
  const WorkingOrder bid{7, kBid, P("0.45"), C("4")};
  // Same side, same price: nothing to do (keeps the queue position).
  const ActionPlan same = PlanAction(Action::kBuyYes, book, bid, kAggressive);
  EXPECT_EQ(same.size, 0u);
  EXPECT_EQ(same.note, PlanNote::kUnchanged);
  // Same side, another price: amend the price, keep the remaining 4.
  const ActionPlan passive = PlanAction(Action::kBuyYes, book, bid, kPassive);
  ASSERT_EQ(passive.size, 1u);
  EXPECT_EQ(passive.note, PlanNote::kAmend);
  EXPECT_EQ(passive.ops[0], (OrderOp{OrderOpType::kAmend, 7, kBid, P("0.42"), C("4")}));
  // SELL_NO is the same side as BUY_YES: same rule.
  EXPECT_EQ(PlanAction(Action::kSellNo, book, bid, kAggressive).note, PlanNote::kUnchanged);
  // Other side: cancel first, then place the full size.
  const ActionPlan flip = PlanAction(Action::kSellYes, book, bid, kAggressive);
  ASSERT_EQ(flip.size, 2u);
  EXPECT_EQ(flip.note, PlanNote::kReplace);
  EXPECT_EQ(flip.ops[0].type, OrderOpType::kCancel);
  EXPECT_EQ(flip.ops[0].order_id, 7u);
  EXPECT_EQ(flip.ops[1], PlaceOp(kAsk, "0.42"));
  EXPECT_EQ(flip.view().size(), 2u);
}

TEST(PlanAction, HoldRepricesOnlyOrdersThatDriftedMoreThanOneTick) {
  const OrderBook book = LinearBook();  // aggressive bid target 0.45
  // 0.44 is one tick from 0.45: left alone.
  const ActionPlan near =
      PlanAction(Action::kHold, book, WorkingOrder{3, kBid, P("0.44"), C("10")}, kAggressive);
  EXPECT_EQ(near.size, 0u);
  EXPECT_EQ(near.note, PlanNote::kHold);
  // 0.42 is three ticks away: amended to 0.45 with the same remaining.
  const ActionPlan far =
      PlanAction(Action::kHold, book, WorkingOrder{3, kBid, P("0.42"), C("6")}, kAggressive);
  ASSERT_EQ(far.size, 1u);
  EXPECT_EQ(far.note, PlanNote::kRepriced);
  EXPECT_EQ(far.ops[0], (OrderOp{OrderOpType::kAmend, 3, kBid, P("0.45"), C("6")}));
  // An ask re-prices against the ask target (aggressive: the bid 0.42).
  const ActionPlan ask =
      PlanAction(Action::kHold, book, WorkingOrder{4, kAsk, P("0.47"), C("10")}, kAggressive);
  ASSERT_EQ(ask.size, 1u);
  EXPECT_EQ(ask.ops[0].price, P("0.42"));

  // Sub-cent: a bid at 0.098 on a tapered grid whose passive target moved to 0.10 (two ticks).
  OrderBook tapered("KXTEST-26JAN01-T50", PriceGrid::TaperedDeciCent());
  Snapshot(tapered, {{"0.10", "10"}}, {{"0.85", "10"}});
  const ActionPlan sub =
      PlanAction(Action::kHold, tapered, WorkingOrder{5, kBid, P("0.098"), C("10")}, kPassive);
  ASSERT_EQ(sub.size, 1u);
  EXPECT_EQ(sub.ops[0].price, P("0.10"));
  EXPECT_EQ(
      PlanAction(Action::kHold, tapered, WorkingOrder{5, kBid, P("0.099"), C("10")}, kPassive).size,
      0u);
}

TEST(PlanAction, UnpriceableActionsStillCancelTheOtherSide) {
  OrderBook book("KXTEST-26JAN01-T50", PriceGrid::LinearCent());
  Snapshot(book, {{"0.42", "5"}}, {});  // no YES ask
  const ActionPlan flat = PlanAction(Action::kBuyYes, book, std::nullopt, kAggressive);
  EXPECT_EQ(flat.size, 0u);
  EXPECT_EQ(flat.note, PlanNote::kNoPrice);
  const ActionPlan with_ask =
      PlanAction(Action::kBuyYes, book, WorkingOrder{9, kAsk, P("0.50"), C("10")}, kAggressive);
  ASSERT_EQ(with_ask.size, 1u);
  EXPECT_EQ(with_ask.ops[0].type, OrderOpType::kCancel);
  EXPECT_EQ(with_ask.note, PlanNote::kNoPrice);
  // Same side without a price: the working order is kept as it is.
  const ActionPlan keep =
      PlanAction(Action::kBuyYes, book, WorkingOrder{9, kBid, P("0.41"), C("10")}, kAggressive);
  EXPECT_EQ(keep.size, 0u);
  // HOLD without a price leaves the order alone.
  EXPECT_EQ(
      PlanAction(Action::kHold, book, WorkingOrder{9, kBid, P("0.30"), C("10")}, kAggressive).size,
      0u);
}

TEST(PlanAction, CustomSizeIsUsed) {
  const ActionPlan plan =
      PlanAction(Action::kBuyYes, LinearBook(), std::nullopt, kAggressive, C("2.5"));
  ASSERT_EQ(plan.size, 1u);
  EXPECT_EQ(plan.ops[0].count, C("2.5"));
}

}  // namespace
}  // namespace kalshiflow::sim
