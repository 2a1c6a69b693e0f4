// PaperOrderManager: one account across per-market simulators. Every number is hand-computed
// with the arithmetic in the comments. Fees: the default schedule (quadratic, multiplier 1,
// kalshi/fees.h), as MarketSim charges them:
//   taker trade fee = ceil_$0.0001(0.07 x C x P x (1 - P)); quadratic makers pay 0;
//   a fill's cash change = floor_cent(-price x C - trade fee) (the order's fee accumulator
//   keeps the rounding; no rebate below $0.01); net fee = -cash change - price x C.
// Collateral (MarketSim "Collateral"): an opening order needs ceil_cent(C x (p + F1)), F1 the
// fee of one contract at the leg price p (taker when it crosses, maker while it rests).
//
// The standard book (both markets unless a test says otherwise): YES bid 0.45 x50, NO bid
// 0.53 x50, so the YES ask is 1 - 0.53 = 0.47 x50 and the NO ask 1 - 0.45 = 0.55 x50.
#include "trading/paper_order_manager.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/tests/test_util.h"

namespace kalshiflow::trading {
namespace {

using core::Count;
using core::Money;
using core::Price;
using sim::Action;
using sim::OrderReject;
using sim::OrderState;
using sim::PlanNote;
using sim::PriceStrategy;
using sim::testing::C;
using sim::testing::Delta;
using sim::testing::kAsk;
using sim::testing::kBid;
using sim::testing::kNo;
using sim::testing::kYes;
using sim::testing::M;
using sim::testing::P;
using sim::testing::Snapshot;
using sim::testing::T;

constexpr std::string_view kA = "KXA-26JAN01-T50";
constexpr std::string_view kB = "KXB-26JAN01-T50";
constexpr Count kTen = Count::FromContracts(10);
constexpr PriceStrategy kAggressive = PriceStrategy::kAggressive;
constexpr PriceStrategy kPassive = PriceStrategy::kPassive;

PaperConfig WithCash(const char* dollars, int64_t latency_ns = 0) {
  PaperConfig config;
  config.initial_cash = M(dollars);
  config.sim.latency_ns = latency_ns;
  return config;
}

struct Events {
  std::vector<FillEvent> fills;
  std::vector<OrderEvent> orders;
};
Events Drain(PaperOrderManager& manager) {
  Events events;
  manager.DrainEvents(&events.fills, &events.orders);
  return events;
}

class PaperOrderManagerTest : public ::testing::Test {
 protected:
  PaperOrderManagerTest() {
    Snapshot(book_a_, {{"0.45", "50"}}, {{"0.53", "50"}});
    Snapshot(book_b_, {{"0.45", "50"}}, {{"0.53", "50"}});
  }
  // Tells the manager about both books at `ts` (as the actor does after each update).
  void UpdateBoth(PaperOrderManager& manager, core::Timestamp ts) {
    manager.OnBookUpdate(kA, book_a_, ts);
    manager.OnBookUpdate(kB, book_b_, ts);
  }
  book::OrderBook book_a_{kA, book::PriceGrid::LinearCent()};
  book::OrderBook book_b_{kB, book::PriceGrid::LinearCent()};
};

TEST_F(PaperOrderManagerTest, ModeAndDefaults) {
  PaperOrderManager manager;
  EXPECT_EQ(manager.mode(), "paper");
  EXPECT_EQ(manager.config().initial_cash, M("1000"));  // the documented default
  EXPECT_EQ(manager.cash(), M("1000"));
  EXPECT_EQ(manager.available_cash(), M("1000"));
  EXPECT_EQ(manager.portfolio_value(), M("1000"));
  EXPECT_EQ(manager.position(kA), Count());
  EXPECT_EQ(manager.cost_basis(kA), Money());
  EXPECT_TRUE(manager.positions().empty());
  EXPECT_EQ(manager.working_order(kA), std::nullopt);
  EXPECT_EQ(manager.FindSim(kA), nullptr);
}

TEST_F(PaperOrderManagerTest, BuyYesAggressiveFillsAtTheAskAndIsMarkedAtTheYesBid) {
  PaperOrderManager manager;
  manager.OnBookUpdate(kA, book_a_, T(1));
  const ExecutionResult r =
      manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(1));
  EXPECT_EQ(r.note, PlanNote::kPlace);
  EXPECT_EQ(r.ops_sent, 1);
  EXPECT_FALSE(r.error.has_value());

  // Bid 10 @ 0.47 lifts the YES ask 0.47 (NO bid 0.53): taker fee 0.07 x 10 x 0.47 x 0.53 =
  // 0.17437 -> 0.1744; cash change floor_cent(-4.70 - 0.1744 = -4.8744) = -4.88; net fee
  // 4.88 - 4.70 = 0.18. Cash 1000 - 4.88 = 995.12, cost basis 10 x 0.47 = 4.70.
  EXPECT_EQ(manager.cash(), M("995.12"));
  EXPECT_EQ(manager.available_cash(), M("995.12"));  // nothing rests
  EXPECT_EQ(manager.position(kA), C("10"));
  EXPECT_EQ(manager.cost_basis(kA), M("4.70"));
  // Marked at the YES bid (sellable now): 995.12 + 10 x 0.45 = 999.62.
  EXPECT_EQ(manager.portfolio_value(), M("999.62"));

  const Events e = Drain(manager);
  ASSERT_EQ(e.fills.size(), 1u);
  EXPECT_EQ(e.fills[0].market_ticker, kA);
  EXPECT_EQ(e.fills[0].order_id, 1u);
  EXPECT_EQ(e.fills[0].side, kBid);
  EXPECT_EQ(e.fills[0].yes_price, P("0.47"));
  EXPECT_EQ(e.fills[0].count, C("10"));
  EXPECT_EQ(e.fills[0].fee, M("0.18"));
  EXPECT_TRUE(e.fills[0].taker);
  EXPECT_EQ(e.fills[0].ts, T(1));
  ASSERT_EQ(e.orders.size(), 1u);
  EXPECT_EQ(e.orders[0].order_id, 1u);
  EXPECT_EQ(e.orders[0].state, OrderState::kFilled);
  EXPECT_EQ(e.orders[0].reject, OrderReject::kNone);

  const std::vector<MarketPosition> positions = manager.positions();
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].market_ticker, kA);
  EXPECT_EQ(positions[0].position, C("10"));
  EXPECT_EQ(positions[0].cost_basis, M("4.70"));
  EXPECT_EQ(positions[0].realized_pnl, Money());
  EXPECT_EQ(positions[0].fees_paid, M("0.18"));
  EXPECT_EQ(positions[0].fills, 1);
}

TEST_F(PaperOrderManagerTest, SellYesFromFlatOpensNoAtOneMinusTheBid) {
  PaperOrderManager manager;
  manager.OnBookUpdate(kA, book_a_, T(1));
  const ExecutionResult r =
      manager.ExecuteAction(kA, Action::kSellYes, book_a_, kAggressive, kTen, T(1));
  EXPECT_EQ(r.note, PlanNote::kPlace);
  EXPECT_FALSE(r.error.has_value());
  // Ask 10 @ 0.45 = buy 10 NO @ 1 - 0.45 = 0.55 against the YES bid: fee 0.07 x 10 x 0.55 x
  // 0.45 = 0.17325 -> 0.1733; floor_cent(-5.50 - 0.1733 = -5.6733) = -5.68 (a cost, never a
  // credit). Cash 994.32; position -10 (NO); cost 10 x 0.55 = 5.50.
  EXPECT_EQ(manager.position(kA), C("-10"));
  EXPECT_EQ(manager.cost_basis(kA), M("5.50"));
  EXPECT_EQ(manager.cash(), M("994.32"));
  // NO is marked at the NO bid 0.53: 994.32 + 10 x 0.53 = 999.62.
  EXPECT_EQ(manager.portfolio_value(), M("999.62"));
  const Events e = Drain(manager);
  ASSERT_EQ(e.fills.size(), 1u);
  EXPECT_EQ(e.fills[0].side, kAsk);
  EXPECT_EQ(e.fills[0].yes_price, P("0.45"));
  EXPECT_EQ(e.fills[0].fee, M("0.18"));  // 5.68 - 5.50
}

TEST_F(PaperOrderManagerTest, TwoMarketsShareOneAccount) {
  PaperOrderManager manager;
  UpdateBoth(manager, T(1));
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(1));
  // Only the account moves: B's simulator is untouched; A's own cash is A's cash flow.
  EXPECT_EQ(manager.cash(), M("995.12"));  // 1000 - 4.88
  EXPECT_EQ(manager.FindSim(kA)->portfolio().cash(), M("-4.88"));
  EXPECT_EQ(manager.FindSim(kB)->portfolio().cash(), Money());

  (void)manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1));
  // 1000 - 4.88 - 5.68 = 989.44, each fill counted once.
  EXPECT_EQ(manager.cash(), M("989.44"));
  EXPECT_EQ(manager.available_cash(), M("989.44"));
  EXPECT_EQ(manager.position(kA), C("10"));
  EXPECT_EQ(manager.position(kB), C("-10"));
  // 989.44 + 10 x 0.45 (A: YES bid) + 10 x 0.53 (B: NO bid) = 999.24.
  EXPECT_EQ(manager.portfolio_value(), M("999.24"));
  const std::vector<MarketPosition> positions = manager.positions();
  ASSERT_EQ(positions.size(), 2u);  // sorted by ticker
  EXPECT_EQ(positions[0].market_ticker, kA);
  EXPECT_EQ(positions[0].cost_basis, M("4.70"));
  EXPECT_EQ(positions[1].market_ticker, kB);
  EXPECT_EQ(positions[1].cost_basis, M("5.50"));
  // The allocation-free visit lists the same open positions in the same order.
  std::vector<std::pair<std::string, Count>> visited;
  manager.ForEachOpenPosition([&](std::string_view t, Count position, Money cost_basis) {
    visited.emplace_back(std::string(t), position);
    EXPECT_EQ(cost_basis, t == kA ? M("4.70") : M("5.50"));
  });
  EXPECT_EQ(visited, (std::vector<std::pair<std::string, Count>>{{std::string(kA), C("10")},
                                                                 {std::string(kB), C("-10")}}));

  // Order ids run across markets.
  const Events e = Drain(manager);
  ASSERT_EQ(e.fills.size(), 2u);
  EXPECT_EQ(e.fills[0].market_ticker, kA);
  EXPECT_EQ(e.fills[0].order_id, 1u);
  EXPECT_EQ(e.fills[1].market_ticker, kB);
  EXPECT_EQ(e.fills[1].order_id, 2u);
}

TEST_F(PaperOrderManagerTest, AnOrderTheAccountCannotCoverBecauseAnotherMarketHoldsCashIsRefused) {
  // A: passive BUY_YES = bid 10 @ 0.45 (the YES bid; the ask is 0.47): it rests and holds
  // 10 x 0.45 = 4.50 (quadratic makers pay no fee). B: aggressive SELL_YES = buy 10 NO @ 0.55
  // as a taker: needs ceil_cent(10 x (0.55 + F1)), F1 = ceil(0.07 x 0.55 x 0.45 = 0.017325)
  // = 0.0174: 10 x 0.5674 = 5.674 -> 5.68. Together 4.50 + 5.68 = 10.18.
  for (const char* start : {"10.17", "10.18"}) {
    SCOPED_TRACE(start);
    PaperOrderManager manager(WithCash(start));
    UpdateBoth(manager, T(1));
    const ExecutionResult a =
        manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1));
    EXPECT_FALSE(a.error.has_value());
    EXPECT_EQ(manager.reserved_cash(), M("4.50"));
    const ExecutionResult b =
        manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1));
    EXPECT_EQ(b.ops_sent, 1);
    const Events e = Drain(manager);
    if (std::string_view(start) == "10.17") {
      // Available 10.17 - 4.50 = 5.67 < 5.68 (B alone, with 10.17, would have been fine).
      ASSERT_TRUE(b.error.has_value());
      EXPECT_EQ(b.error->code(), core::StatusCode::kFailedPrecondition);
      EXPECT_TRUE(b.error->message().starts_with("insufficient_balance")) << b.error->message();
      ASSERT_EQ(e.orders.size(), 2u);  // A resting, B rejected
      EXPECT_EQ(e.orders[1].market_ticker, kB);
      EXPECT_EQ(e.orders[1].state, OrderState::kRejected);
      EXPECT_EQ(e.orders[1].reject, OrderReject::kInsufficientBalance);
      EXPECT_EQ(e.orders[1].reason, "insufficient_balance");
      EXPECT_TRUE(e.fills.empty());
      EXPECT_EQ(manager.position(kB), Count());
      EXPECT_EQ(manager.cash(), M("10.17"));
      EXPECT_EQ(manager.working_order(kB), std::nullopt);
      EXPECT_EQ(manager.counters().orders_rejected, 1);
    } else {
      // Exactly covered: B fills, the account has 10.18 - 5.68 = 4.50 left, all held by A.
      EXPECT_FALSE(b.error.has_value());
      EXPECT_EQ(manager.position(kB), C("-10"));
      EXPECT_EQ(manager.cash(), M("4.50"));
      EXPECT_EQ(manager.available_cash(), Money());
      EXPECT_EQ(manager.counters().orders_rejected, 0);
    }
  }
}

TEST_F(PaperOrderManagerTest, CancelAllReleasesReservedCash) {
  PaperOrderManager manager(WithCash("10"));
  UpdateBoth(manager, T(1));
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1));
  EXPECT_EQ(manager.cash(), M("10"));
  EXPECT_EQ(manager.reserved_cash(), M("4.50"));  // bid 10 @ 0.45 rests
  EXPECT_EQ(manager.available_cash(), M("5.50"));
  // B's SELL_YES needs 5.68 > 5.50: refused while A's order holds its cash.
  EXPECT_TRUE(manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1)).error);
  (void)Drain(manager);

  manager.CancelAll(kA, T(1));
  EXPECT_EQ(manager.reserved_cash(), Money());
  EXPECT_EQ(manager.available_cash(), M("10"));
  EXPECT_EQ(manager.working_order(kA), std::nullopt);
  const Events e = Drain(manager);
  ASSERT_EQ(e.orders.size(), 1u);
  EXPECT_EQ(e.orders[0].order_id, 1u);
  EXPECT_EQ(e.orders[0].state, OrderState::kCanceled);
  EXPECT_EQ(e.orders[0].reason, "canceled");
  EXPECT_EQ(manager.counters().orders_canceled, 1);
  manager.CancelAll(kA, T(1));        // nothing left: no op
  manager.CancelAll("KXNONE", T(1));  // unknown market: no-op
  EXPECT_EQ(manager.counters().orders_canceled, 1);

  // Now 5.68 <= 10: B fills; 10 - 5.68 = 4.32.
  EXPECT_FALSE(manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1)).error);
  EXPECT_EQ(manager.cash(), M("4.32"));
}

TEST_F(PaperOrderManagerTest, ARestingOrderFillsWhenTheQueueAheadGoesAndTheBookTradesThrough) {
  PaperOrderManager manager;
  manager.OnBookUpdate(kA, book_a_, T(1));
  // Passive BUY_YES: bid 10 @ 0.45 at the back of the 0.45 level: 50 ahead.
  const ExecutionResult r =
      manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1));
  EXPECT_EQ(r.note, PlanNote::kPlace);
  ASSERT_NE(manager.FindSim(kA), nullptr);
  ASSERT_EQ(manager.FindSim(kA)->orders().size(), 1u);
  EXPECT_EQ(manager.FindSim(kA)->orders()[0].ahead, C("50"));

  // 20 leave the 0.45 level with nobody behind us: all 20 were ahead (power:3: share
  // 50^3 / (50^3 + 0^3) = 1): 30 ahead.
  Delta(book_a_, kYes, "0.45", "-20");
  manager.OnBookUpdate(kA, book_a_, T(2));
  EXPECT_EQ(manager.FindSim(kA)->orders()[0].ahead, C("30"));
  // A NO bid 0.55 x30 appears: YES ask 0.45 x30 meets our price. Those 30 sellers fill the 30
  // ahead of us first: no fill, nobody ahead any more.
  Delta(book_a_, kNo, "0.55", "30");
  manager.OnBookUpdate(kA, book_a_, T(3));
  EXPECT_TRUE(Drain(manager).fills.empty());
  EXPECT_EQ(manager.FindSim(kA)->orders()[0].ahead, Count());
  EXPECT_EQ(manager.position(kA), Count());
  EXPECT_EQ(manager.reserved_cash(), M("4.50"));
  // 15 more join at NO 0.55 (the 30 are taken): 10 of them fill us as a maker at our price.
  Delta(book_a_, kNo, "0.55", "15");
  manager.OnBookUpdate(kA, book_a_, T(4));
  const Events e = Drain(manager);
  ASSERT_EQ(e.fills.size(), 1u);
  EXPECT_EQ(e.fills[0].order_id, 1u);
  EXPECT_EQ(e.fills[0].yes_price, P("0.45"));
  EXPECT_EQ(e.fills[0].count, C("10"));
  EXPECT_FALSE(e.fills[0].taker);
  EXPECT_EQ(e.fills[0].fee, Money());  // quadratic: makers pay nothing
  EXPECT_EQ(e.fills[0].ts, T(4));
  ASSERT_EQ(e.orders.size(), 1u);
  EXPECT_EQ(e.orders[0].state, OrderState::kFilled);
  // Cash 1000 - 10 x 0.45 = 995.50; the hold became the spend; marked at the YES bid 0.45:
  // 995.50 + 4.50 = 1000.
  EXPECT_EQ(manager.position(kA), C("10"));
  EXPECT_EQ(manager.cash(), M("995.50"));
  EXPECT_EQ(manager.reserved_cash(), Money());
  EXPECT_EQ(manager.portfolio_value(), M("1000"));
  EXPECT_EQ(manager.working_order(kA), std::nullopt);
}

TEST_F(PaperOrderManagerTest, HoldRepricesAnOrderThatDriftedMoreThanOneTick) {
  book::OrderBook book("KXC-26JAN01-T50", book::PriceGrid::LinearCent());
  Snapshot(book, {{"0.43", "40"}, {"0.44", "30"}, {"0.45", "50"}}, {{"0.53", "50"}});
  PaperOrderManager manager;
  manager.OnBookUpdate(book.ticker(), book, T(1));
  (void)manager.ExecuteAction(book.ticker(), Action::kBuyYes, book, kPassive, kTen, T(1));
  const std::optional<sim::WorkingOrder> placed = manager.working_order(book.ticker());
  ASSERT_TRUE(placed.has_value());
  EXPECT_EQ(*placed, (sim::WorkingOrder{1, kBid, P("0.45"), C("10")}));

  // The best bid falls one tick (0.44): HOLD leaves the order.
  Delta(book, kYes, "0.45", "-50");
  manager.OnBookUpdate(book.ticker(), book, T(2));
  ExecutionResult r =
      manager.ExecuteAction(book.ticker(), Action::kHold, book, kPassive, kTen, T(2));
  EXPECT_EQ(r.note, PlanNote::kHold);
  EXPECT_EQ(r.ops_sent, 0);
  // Two ticks (0.43 < 0.44, the next grid price below 0.45): HOLD amends it to 0.43, same 10.
  Delta(book, kYes, "0.44", "-30");
  manager.OnBookUpdate(book.ticker(), book, T(3));
  r = manager.ExecuteAction(book.ticker(), Action::kHold, book, kPassive, kTen, T(3));
  EXPECT_EQ(r.note, PlanNote::kRepriced);
  EXPECT_EQ(r.ops_sent, 1);
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(manager.working_order(book.ticker()), (sim::WorkingOrder{1, kBid, P("0.43"), C("10")}));
  EXPECT_EQ(manager.FindSim(book.ticker())->orders()[0].ahead, C("40"));  // back of 0.43
  EXPECT_EQ(manager.reserved_cash(), M("4.30"));                          // 10 x 0.43
  EXPECT_EQ(manager.counters().orders_amended, 1);
  const Events e = Drain(manager);
  ASSERT_EQ(e.orders.size(), 2u);
  EXPECT_EQ(e.orders[0].state, OrderState::kResting);
  EXPECT_EQ(e.orders[0].reason, "");
  EXPECT_EQ(e.orders[1].order_id, 1u);
  EXPECT_EQ(e.orders[1].state, OrderState::kResting);
  EXPECT_EQ(e.orders[1].reason, "amend");
  EXPECT_EQ(e.orders[1].ts, T(3));
}

TEST_F(PaperOrderManagerTest, DrainEventsReturnsEachEventOnceAndAppends) {
  PaperOrderManager manager;
  UpdateBoth(manager, T(1));
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(1));  // fills
  (void)manager.ExecuteAction(kB, Action::kBuyYes, book_b_, kPassive, kTen, T(1));     // rests

  std::vector<FillEvent> fills(1);  // existing content is kept
  std::vector<OrderEvent> orders(1);
  manager.DrainEvents(&fills, &orders);
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[1].market_ticker, kA);
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_EQ(orders[1].market_ticker, kA);
  EXPECT_EQ(orders[1].order_id, 1u);
  EXPECT_EQ(orders[1].state, OrderState::kFilled);
  EXPECT_EQ(orders[2].market_ticker, kB);
  EXPECT_EQ(orders[2].order_id, 2u);
  EXPECT_EQ(orders[2].state, OrderState::kResting);

  // Nothing new: nothing appended.
  manager.DrainEvents(&fills, &orders);
  EXPECT_EQ(fills.size(), 2u);
  EXPECT_EQ(orders.size(), 3u);
  // Book updates without fills add nothing either; the next event comes once.
  UpdateBoth(manager, T(2));
  EXPECT_TRUE(Drain(manager).orders.empty());
  manager.CancelAll(kB, T(2));
  EXPECT_EQ(Drain(manager).orders.size(), 1u);
  EXPECT_TRUE(Drain(manager).orders.empty());
}

TEST_F(PaperOrderManagerTest, CountersCountActionsOpsRefusalsAndFills) {
  PaperOrderManager manager(WithCash("10"));
  UpdateBoth(manager, T(1));
  // 1: A aggressive buy fills 10 @ 0.47 for 4.88 (net fee 0.18): cash 5.12.
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(1));
  // 2: A passive buy rests (bid 10 @ 0.45 holds 4.50 <= 5.12).
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1));
  // 3: B sell needs 5.68 > 5.12 - 4.50 = 0.62: refused.
  (void)manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1));
  // 4: HOLD on A: the order sits at the target (0.45): nothing.
  (void)manager.ExecuteAction(kA, Action::kHold, book_a_, kPassive, kTen, T(1));
  manager.CancelAll(kA, T(1));
  const OrderManagerCounters& c = manager.counters();
  EXPECT_EQ(c.actions, 4);
  EXPECT_EQ(c.orders_placed, 3);
  EXPECT_EQ(c.orders_amended, 0);
  EXPECT_EQ(c.orders_canceled, 1);
  EXPECT_EQ(c.orders_rejected, 1);
  EXPECT_EQ(c.fills, 1);
  EXPECT_EQ(c.contracts_filled, C("10"));
  EXPECT_EQ(c.fees_paid, M("0.18"));
  EXPECT_EQ(manager.cash(), M("5.12"));
}

TEST_F(PaperOrderManagerTest, InFlightOrdersAreCheckedAgainstTheAccountWhenTheyArrive) {
  // 10 ns of latency: orders decided at 1 act at the first update of their market at >= 11.
  PaperOrderManager manager(WithCash("10", /*latency_ns=*/10));
  UpdateBoth(manager, T(1));
  const ExecutionResult b =
      manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1));
  EXPECT_FALSE(b.error.has_value());  // in flight: not checked yet
  EXPECT_EQ(manager.working_order(kB), (sim::WorkingOrder{1, kAsk, P("0.45"), C("10")}));
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1));
  EXPECT_EQ(manager.reserved_cash(), Money());  // orders in flight hold nothing

  // A's bid arrives first (4.50 <= 10: rests); then B's sell needs 5.68 > 10 - 4.50 = 5.50.
  Delta(book_a_, kYes, "0.40", "1");
  manager.OnBookUpdate(kA, book_a_, T(11));
  EXPECT_EQ(manager.reserved_cash(), M("4.50"));
  Delta(book_b_, kYes, "0.40", "1");
  manager.OnBookUpdate(kB, book_b_, T(11));
  const Events e = Drain(manager);
  ASSERT_EQ(e.orders.size(), 2u);
  EXPECT_EQ(e.orders[0].market_ticker, kA);
  EXPECT_EQ(e.orders[0].state, OrderState::kResting);
  EXPECT_EQ(e.orders[1].market_ticker, kB);
  EXPECT_EQ(e.orders[1].order_id, 1u);
  EXPECT_EQ(e.orders[1].state, OrderState::kRejected);
  EXPECT_EQ(e.orders[1].reject, OrderReject::kInsufficientBalance);
  EXPECT_EQ(e.orders[1].ts, T(11));
  EXPECT_EQ(manager.position(kB), Count());
  EXPECT_EQ(manager.working_order(kB), std::nullopt);
  EXPECT_EQ(manager.cash(), M("10"));
  EXPECT_EQ(manager.counters().orders_rejected, 1);
}

TEST_F(PaperOrderManagerTest, AStrategyThatBuysForeverStopsWhenTheAccountRunsOut) {
  // Deep books; BUY_YES aggressive every step, alternating A and B, from $100. Each order
  // fills 10 @ 0.47 for 4.88, so 20 orders spend 97.60 and the rest are refused (2.40 left):
  // the limit is the one account's, not $100 per market.
  Snapshot(book_a_, {{"0.45", "1000000"}}, {{"0.53", "1000000"}});
  Snapshot(book_b_, {{"0.45", "1000000"}}, {{"0.53", "1000000"}});
  PaperOrderManager manager(WithCash("100"));
  int refused = 0;
  for (int step = 0; step < 100; ++step) {
    const bool a = step % 2 == 0;
    const std::string_view ticker = a ? kA : kB;
    const book::OrderBook& book = a ? book_a_ : book_b_;
    manager.OnBookUpdate(ticker, book, T(step));
    const ExecutionResult r =
        manager.ExecuteAction(ticker, Action::kBuyYes, book, kAggressive, kTen, T(step));
    if (r.error) {
      EXPECT_TRUE(r.error->message().starts_with("insufficient_balance")) << step;
      ++refused;
    }
    EXPECT_FALSE(manager.cash().IsNegative()) << step;
    EXPECT_FALSE(manager.available_cash().IsNegative()) << step;
  }
  EXPECT_EQ(refused, 80);
  EXPECT_EQ(manager.position(kA), C("100"));  // steps 0, 2, ..., 18
  EXPECT_EQ(manager.position(kB), C("100"));  // steps 1, 3, ..., 19
  EXPECT_EQ(manager.cash(), M("2.40"));       // 100 - 20 x 4.88
  EXPECT_EQ(manager.counters().fills, 20);
  EXPECT_EQ(manager.counters().orders_rejected, 80);
}

TEST_F(PaperOrderManagerTest, CollateralOffLeavesTheAccountUnchecked) {
  PaperConfig config = WithCash("5");
  config.sim.collateral = sim::CollateralMode::kOff;
  PaperOrderManager manager(config);
  UpdateBoth(manager, T(1));
  // 4.88 + 5.68 = 10.56 from $5: both fill, cash 5 - 10.56 = -5.56.
  EXPECT_FALSE(manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(1)).error);
  EXPECT_FALSE(manager.ExecuteAction(kB, Action::kSellYes, book_b_, kAggressive, kTen, T(1)).error);
  EXPECT_EQ(manager.cash(), M("-5.56"));
}

TEST_F(PaperOrderManagerTest, ExecuteActionOnAnUnseenMarketCreatesItsSimulator) {
  PaperOrderManager manager;
  // No OnBookUpdate for A: the simulator is created over book_a_ as of T(5) and the order
  // meets that book at once (1000 - 4.88).
  const ExecutionResult r =
      manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(5));
  EXPECT_EQ(r.note, PlanNote::kPlace);
  EXPECT_FALSE(r.error.has_value());
  ASSERT_NE(manager.FindSim(kA), nullptr);
  EXPECT_EQ(manager.FindSim(kA)->now(), T(5));
  EXPECT_EQ(manager.position(kA), C("10"));
  EXPECT_EQ(manager.cash(), M("995.12"));
}

TEST_F(PaperOrderManagerTest, OrderFeaturesShowTheWorkingOrder) {
  PaperOrderManager manager;
  manager.OnBookUpdate(kA, book_a_, T(1'000'000'000));
  EXPECT_EQ(manager.order_features(kA).open_buy_price, std::nullopt);
  EXPECT_EQ(manager.order_features(kB).placed_ts_ms, std::nullopt);  // unknown market

  // Passive bid @ 0.45 decided at 1.5 s.
  manager.OnBookUpdate(kA, book_a_, T(1'500'000'000));
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1'500'000'000));
  features::WorkingOrderState s = manager.order_features(kA);
  EXPECT_EQ(s.open_buy_price, P("0.45"));
  EXPECT_EQ(s.open_sell_price, std::nullopt);
  EXPECT_EQ(s.placed_ts_ms, 1500);

  // Passive SELL_YES at 2.7 s: the bid is cancelled and an ask at the YES ask 0.47 rests
  // (buy NO @ 0.53: the YES bid 0.45 < 0.47, no cross).
  manager.OnBookUpdate(kA, book_a_, T(2'700'000'000));
  const ExecutionResult r =
      manager.ExecuteAction(kA, Action::kSellYes, book_a_, kPassive, kTen, T(2'700'000'000));
  EXPECT_EQ(r.note, PlanNote::kReplace);
  EXPECT_EQ(r.ops_sent, 2);
  s = manager.order_features(kA);
  EXPECT_EQ(s.open_buy_price, std::nullopt);
  EXPECT_EQ(s.open_sell_price, P("0.47"));
  EXPECT_EQ(s.placed_ts_ms, 2700);
  EXPECT_EQ(manager.working_order(kA), (sim::WorkingOrder{2, kAsk, P("0.47"), C("10")}));
  EXPECT_EQ(manager.reserved_cash(), M("5.30"));  // 10 NO x 0.53
}

TEST_F(PaperOrderManagerTest, RefusedOperationsAreReportedAsErrors) {
  PaperOrderManager manager;
  manager.OnBookUpdate(kA, book_a_, T(1));
  // A size of 0: the place is refused at once as an invalid order.
  ExecutionResult r =
      manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, Count(), T(1));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.error->message().starts_with("invalid_order")) << r.error->message();
  Events e = Drain(manager);
  ASSERT_EQ(e.orders.size(), 1u);
  EXPECT_EQ(e.orders[0].reject, OrderReject::kInvalidOrder);

  // No snapshot: nothing can be priced.
  book::OrderBook empty("KXC-26JAN01-T50", book::PriceGrid::LinearCent());
  r = manager.ExecuteAction(empty.ticker(), Action::kBuyYes, empty, kAggressive, kTen, T(1));
  EXPECT_EQ(r.note, PlanNote::kNoPrice);
  EXPECT_EQ(r.ops_sent, 0);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code(), core::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(r.error->message().starts_with("no_book_snapshot")) << r.error->message();

  // A snapshot with no NO bids (no YES ask): an aggressive buy cannot be priced, no error.
  book::OrderBook one_sided("KXD-26JAN01-T50", book::PriceGrid::LinearCent());
  Snapshot(one_sided, {{"0.45", "50"}}, {});
  r = manager.ExecuteAction(one_sided.ticker(), Action::kBuyYes, one_sided, kAggressive, kTen,
                            T(1));
  EXPECT_EQ(r.note, PlanNote::kNoPrice);
  EXPECT_FALSE(r.error.has_value());

  // After settlement every op is refused.
  manager.Settle(kA, Price::OneDollar(), T(2));
  r = manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kAggressive, kTen, T(2));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_TRUE(r.error->message().starts_with("market_settled")) << r.error->message();
  EXPECT_EQ(manager.counters().orders_rejected, 2);
}

TEST_F(PaperOrderManagerTest, TradesFillRestingOrdersAndSettlementPaysTheAccount) {
  PaperOrderManager manager;
  manager.OnTrade(kA, {P("0.45"), C("60"), kNo}, T(1));  // unknown market: ignored
  manager.Settle(kA, Price::OneDollar(), T(1));          // unknown market: ignored
  EXPECT_EQ(manager.FindSim(kA), nullptr);

  manager.OnBookUpdate(kA, book_a_, T(1));
  (void)manager.ExecuteAction(kA, Action::kBuyYes, book_a_, kPassive, kTen, T(1));  // 50 ahead
  // Someone sells 60 YES at 0.45 (taker bought NO): the 50 ahead trade first, 10 reach us
  // (maker, no fee): cash 1000 - 4.50 = 995.50.
  manager.OnTrade(kA, {P("0.45"), C("60"), kNo}, T(2));
  Events e = Drain(manager);
  ASSERT_EQ(e.fills.size(), 1u);
  EXPECT_EQ(e.fills[0].count, C("10"));
  EXPECT_FALSE(e.fills[0].taker);
  EXPECT_EQ(manager.cash(), M("995.50"));
  // YES wins: 10 x $1 paid in: 1005.50; realized 10 - 4.50 = 5.50.
  manager.Settle(kA, Price::OneDollar(), T(3));
  EXPECT_EQ(manager.cash(), M("1005.50"));
  EXPECT_EQ(manager.portfolio_value(), M("1005.50"));
  EXPECT_EQ(manager.position(kA), Count());
  const std::vector<MarketPosition> positions = manager.positions();
  ASSERT_EQ(positions.size(), 1u);  // flat, but it had a fill
  EXPECT_EQ(positions[0].realized_pnl, M("5.50"));
  EXPECT_EQ(positions[0].cost_basis, Money());
  EXPECT_EQ(positions[0].fills, 1);
}

TEST(PaperConfigTest, ValidationNamesTheBadField) {
  EXPECT_TRUE(ValidatePaperConfig(PaperConfig{}).ok());
  PaperConfig config;
  config.initial_cash = Money::FromCents(-1);
  core::Status s = ValidatePaperConfig(config);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("initial_cash")) << s.message();

  config = PaperConfig{};
  config.sim.latency_ns = -1;
  s = ValidatePaperConfig(config);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("sim.latency_ns")) << s.message();

  config = PaperConfig{};
  config.sim.fees.multiplier = -1;
  s = ValidatePaperConfig(config);
  EXPECT_TRUE(s.message().starts_with("sim.fees.multiplier")) << s.message();

  config = PaperConfig{};
  config.sim.initial_cash = Money::FromCents(100);
  s = ValidatePaperConfig(config);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("sim.initial_cash")) << s.message();

  config = PaperConfig{};
  config.initial_cash = Money();  // $0 is a valid (if useless) account
  EXPECT_TRUE(ValidatePaperConfig(config).ok());
}

}  // namespace
}  // namespace kalshiflow::trading
