// The exchange's matching engine and accounts, in process (no sockets): V2 order semantics,
// fills against the replayed book, fees, balance, positions, order groups and notices.
// Fee arithmetic (PROTOCOL §5, quadratic, taker 0.07): shown next to each expectation.
#include "exchange/trading_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sim/tests/test_util.h"

namespace kalshiflow::exchange::internal {
namespace {

using core::Count;
using core::Money;
using core::Timestamp;
using sim::testing::C;
using sim::testing::kAsk;
using sim::testing::kBid;
using sim::testing::kNo;
using sim::testing::kYes;
using sim::testing::M;
using sim::testing::P;

constexpr std::string_view kKey = "key-1";
constexpr std::string_view kTicker = "KXTEST-26DEC01-T50";

class TradingEngineTest : public ::testing::Test {
 protected:
  TradingEngineTest()
      : store_({{std::string(kTicker), MarketSpan{}}}), engine_(TradingOptions{}, store_) {
    engine_.AddAccount(kKey, M("100"));
    engine_.set_notice_sink([this](std::string_view key, const PrivateNotice& notice) {
      notices_.emplace_back(std::string(key), notice);
    });
    // YES bids 0.40 x 100; NO bids 0.55 x 50 (= YES asks at 0.45 x 50).
    sim::testing::Snapshot(book(), {{"0.40", "100"}}, {{"0.55", "50"}});
    Update(1'000);
  }

  book::OrderBook& book() { return store_.Find(kTicker)->book; }
  void Update(int64_t ms) {
    engine_.OnBookUpdate(*store_.Find(kTicker), Timestamp::FromMillis(ms));
  }
  NewOrder Order(core::BookSide side, const char* price, const char* count,
                 TimeInForce tif = TimeInForce::kGoodTillCanceled) {
    NewOrder o;
    o.ticker = std::string(kTicker);
    o.side = side;
    o.price = P(price);
    o.count = C(count);
    o.time_in_force = tif;
    return o;
  }
  OrderOutcome MustCreate(const NewOrder& o) {
    auto r = engine_.CreateOrder(kKey, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
    return r.ok() ? *r : OrderOutcome{};
  }
  template <typename T>
  int CountNotices() const {
    int n = 0;
    for (const auto& [key, notice] : notices_) n += std::holds_alternative<T>(notice) ? 1 : 0;
    return n;
  }

  MarketStore store_;
  TradingEngine engine_;
  std::vector<std::pair<std::string, PrivateNotice>> notices_;
};

TEST_F(TradingEngineTest, MarketableBidTakesTheAskAtTheMakersPriceAndPaysTheTakerFee) {
  const OrderOutcome out = MustCreate(Order(kBid, "0.50", "10"));
  ASSERT_NE(out.order, nullptr);
  EXPECT_EQ(out.filled_now, C("10"));
  EXPECT_EQ(out.order->status, OrderStatus::kExecuted);
  EXPECT_EQ(out.order->remaining_count, C("0"));
  // Executes at the maker's YES price 0.45: cost 10 x 0.45 = 4.50.
  EXPECT_EQ(out.fill_cost_now, M("4.50"));
  // Fee: 0.07 x 10 x 0.45 x 0.55 = 0.17325 → 0.1733; balance change −4.6733 floored to
  // −4.68 → net fee 0.18.
  EXPECT_EQ(out.fees_now, M("0.18"));
  EXPECT_EQ(engine_.Balance(kKey)->balance, M("95.32"));
  const auto positions = engine_.Positions(kKey);
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].position, C("10"));
  EXPECT_EQ(positions[0].exposure, M("4.50"));
  EXPECT_EQ(positions[0].fees_paid, M("0.18"));
  EXPECT_EQ(positions[0].volume, C("10"));
  ASSERT_EQ(engine_.Fills(kKey)->size(), 1u);
  const FillRecord& fill = engine_.Fills(kKey)->front();
  EXPECT_EQ(fill.yes_price, P("0.45"));
  EXPECT_TRUE(fill.is_taker);
  EXPECT_EQ(fill.post_position, C("10"));
  EXPECT_EQ(fill.order_id, out.order->order_id);
  // Notices: one fill, one position, and the order's executed update, all to this key.
  EXPECT_EQ(CountNotices<FillNotice>(), 1);
  EXPECT_EQ(CountNotices<PositionNotice>(), 1);
  EXPECT_GE(CountNotices<OrderNotice>(), 1);
  for (const auto& [key, n] : notices_) EXPECT_EQ(key, kKey);
}

TEST_F(TradingEngineTest, TakenDepthCannotBeTakenTwice) {
  MustCreate(Order(kBid, "0.45", "30", TimeInForce::kImmediateOrCancel));
  // 20 of the 50 at 0.45 are left for this account.
  const OrderOutcome second =
      MustCreate(Order(kBid, "0.45", "30", TimeInForce::kImmediateOrCancel));
  EXPECT_EQ(second.filled_now, C("20"));
  EXPECT_EQ(second.order->status, OrderStatus::kCanceled);
  EXPECT_EQ(second.order->fill_count, C("20"));
}

TEST_F(TradingEngineTest, RestingBidWaitsBehindDisplayedSizeAndFillsFromTrades) {
  const OrderOutcome out = MustCreate(Order(kBid, "0.40", "5"));
  EXPECT_EQ(out.order->status, OrderStatus::kResting);
  EXPECT_EQ(*engine_.QueuePosition(kKey, out.order->order_id), C("100"));
  const MarketState& market = *store_.Find(kTicker);
  // A taker sells YES at 0.40 (buys NO): the maker leg is YES at 0.40, our level.
  engine_.OnTrade(market, {P("0.40"), C("100"), kNo}, Timestamp::FromMillis(2'000));
  EXPECT_EQ(*engine_.QueuePosition(kKey, out.order->order_id), C("0"));
  EXPECT_EQ(out.order->fill_count, C("0"));
  engine_.OnTrade(market, {P("0.40"), C("3"), kNo}, Timestamp::FromMillis(2'001));
  const OrderRecord* order = engine_.FindOrder(kKey, out.order->order_id);
  EXPECT_EQ(order->fill_count, C("3"));
  EXPECT_EQ(order->remaining_count, C("2"));
  EXPECT_EQ(order->maker_fill_cost, M("1.20"));  // 3 x 0.40
  EXPECT_EQ(order->maker_fees, M("0"));          // quadratic: makers pay nothing
  EXPECT_FALSE(engine_.Fills(kKey)->back().is_taker);
  // Balance: 100 − 1.20 = 98.80; the remaining 2 hold 2 x (0.40 + maker fee 0) = 0.80.
  EXPECT_EQ(engine_.Balance(kKey)->balance, M("98.80"));
  EXPECT_EQ(engine_.Balance(kKey)->reserved, M("0.80"));
}

TEST_F(TradingEngineTest, ReplayedDecreasesAheadMoveTheQueue) {
  const OrderOutcome out = MustCreate(Order(kBid, "0.40", "5"));
  // The whole level is cancelled away in the replay: nothing can be ahead any more.
  sim::testing::Delta(book(), kYes, "0.40", "-100");
  Update(2'000);
  EXPECT_EQ(*engine_.QueuePosition(kKey, out.order->order_id), C("0"));
}

TEST_F(TradingEngineTest, DuplicateClientOrderIdIsAConflict) {
  NewOrder o = Order(kBid, "0.30", "1");
  o.client_order_id = "abc";
  MustCreate(o);
  auto again = engine_.CreateOrder(kKey, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().http_status, 409);
  EXPECT_EQ(engine_.Orders(kKey).size(), 1u);
}

TEST_F(TradingEngineTest, PostOnlyThatWouldTakeIsRefused) {
  NewOrder o = Order(kBid, "0.45", "1");
  o.post_only = true;
  auto r = engine_.CreateOrder(kKey, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid order");
  EXPECT_EQ(r.error().details, "post only cross");
  o.price = P("0.44");  // does not cross the 0.45 ask: rests
  EXPECT_EQ(MustCreate(o).order->status, OrderStatus::kResting);
}

TEST_F(TradingEngineTest, FillOrKillFillsAllOrNothing) {
  const OrderOutcome killed = MustCreate(Order(kBid, "0.45", "60", TimeInForce::kFillOrKill));
  EXPECT_EQ(killed.order->status, OrderStatus::kCanceled);
  EXPECT_EQ(killed.order->fill_count, C("0"));
  EXPECT_EQ(engine_.Balance(kKey)->balance, M("100"));
  const OrderOutcome filled = MustCreate(Order(kBid, "0.45", "50", TimeInForce::kFillOrKill));
  EXPECT_EQ(filled.order->status, OrderStatus::kExecuted);
  EXPECT_EQ(filled.filled_now, C("50"));
}

TEST_F(TradingEngineTest, OrderTheBalanceCannotCoverIsRefusedWhole) {
  // 300 x (0.40 + one contract's maker fee 0) = $120 > $100.
  auto r = engine_.CreateOrder(kKey, Order(kBid, "0.40", "300"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insufficient_balance");
  EXPECT_TRUE(engine_.Orders(kKey).empty());
  EXPECT_EQ(engine_.counters().orders_refused, 1u);
}

TEST_F(TradingEngineTest, ReduceOnlyIsCappedAtThePosition) {
  NewOrder reduce = Order(kAsk, "0.40", "20", TimeInForce::kImmediateOrCancel);
  reduce.reduce_only = true;
  auto flat = engine_.CreateOrder(kKey, reduce);
  ASSERT_FALSE(flat.ok());
  EXPECT_EQ(flat.error().details, "ReduceOnlyCancel");
  MustCreate(Order(kBid, "0.45", "10"));  // long 10 YES
  const OrderOutcome closed = MustCreate(reduce);
  EXPECT_EQ(closed.order->initial_count, C("10"));
  EXPECT_EQ(closed.filled_now, C("10"));  // sold YES at the 0.40 bid
  EXPECT_EQ(engine_.Positions(kKey)[0].position, C("0"));
}

TEST_F(TradingEngineTest, SelfTradePreventionCancelsTakerOrMaker) {
  const OrderOutcome resting_bid = MustCreate(Order(kBid, "0.42", "5"));
  // An ask at 0.42 would sell YES to our own bid.
  const OrderOutcome taker = MustCreate(Order(kAsk, "0.42", "5"));
  EXPECT_EQ(taker.order->status, OrderStatus::kCanceled);
  EXPECT_EQ(taker.order->last_update_reason, "SelfTradePrevention");
  EXPECT_EQ(engine_.FindOrder(kKey, resting_bid.order->order_id)->status, OrderStatus::kResting);
  NewOrder maker = Order(kAsk, "0.42", "5");
  maker.self_trade_prevention = SelfTradePrevention::kMaker;
  const OrderOutcome kept = MustCreate(maker);
  EXPECT_EQ(engine_.FindOrder(kKey, resting_bid.order->order_id)->status, OrderStatus::kCanceled);
  EXPECT_EQ(kept.order->status, OrderStatus::kResting);  // 0.42 ask does not reach the 0.40 bid
}

TEST_F(TradingEngineTest, AmendTakesTheNewTotalAndDecreaseKeepsTheQueue) {
  const OrderOutcome out = MustCreate(Order(kBid, "0.40", "10"));
  const std::string id = out.order->order_id;
  auto dec = engine_.DecreaseOrder(kKey, id, C("4"), std::nullopt);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec->reduced_by, C("4"));
  EXPECT_EQ(engine_.FindOrder(kKey, id)->remaining_count, C("6"));
  EXPECT_EQ(*engine_.QueuePosition(kKey, id), C("100"));  // same place in the queue
  // Amend to 0.45 with count 8 (nothing filled yet: 8 to rest) crosses the 0.45 ask: fills 8.
  auto amended = engine_.AmendOrder(kKey, id, kTicker, kBid, P("0.45"), C("8"), "");
  ASSERT_TRUE(amended.ok());
  EXPECT_EQ(amended->filled_now, C("8"));
  EXPECT_EQ(engine_.FindOrder(kKey, id)->status, OrderStatus::kExecuted);
  auto mismatch = engine_.AmendOrder(kKey, id, kTicker, kAsk, P("0.45"), C("8"), "");
  ASSERT_FALSE(mismatch.ok());  // executed: no longer amendable
}

TEST_F(TradingEngineTest, CancelReportsTheRemainderAndReleasesTheHold) {
  const OrderOutcome out = MustCreate(Order(kBid, "0.40", "10"));
  EXPECT_EQ(engine_.Balance(kKey)->reserved, M("4.00"));
  auto canceled = engine_.CancelOrder(kKey, out.order->order_id);
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(canceled->reduced_by, C("10"));
  EXPECT_EQ(canceled->order->status, OrderStatus::kCanceled);
  EXPECT_EQ(engine_.Balance(kKey)->reserved, M("0"));
  auto twice = engine_.CancelOrder(kKey, out.order->order_id);
  ASSERT_FALSE(twice.ok());
  auto unknown = engine_.CancelOrder(kKey, "nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().http_status, 404);
}

TEST_F(TradingEngineTest, OrderGroupTriggersOnMatchedContractsAndBlocksUntilReset) {
  auto group = engine_.CreateOrderGroup(kKey, C("5"));
  ASSERT_TRUE(group.ok());
  NewOrder resting = Order(kBid, "0.30", "2");
  resting.order_group_id = *group;
  const OrderOutcome rest = MustCreate(resting);
  NewOrder taker = Order(kBid, "0.45", "6");
  taker.order_group_id = *group;
  MustCreate(taker);  // 6 matched > 5 → triggered: the resting 0.30 order is cancelled
  EXPECT_TRUE(engine_.FindOrderGroup(kKey, *group)->triggered);
  EXPECT_EQ(engine_.FindOrder(kKey, rest.order->order_id)->status, OrderStatus::kCanceled);
  EXPECT_EQ(engine_.FindOrder(kKey, rest.order->order_id)->last_update_reason,
            "OrderGroupTriggered");
  auto blocked = engine_.CreateOrder(kKey, resting);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, "order_group_triggered");
  ASSERT_TRUE(engine_.ResetOrderGroup(kKey, *group).ok());
  EXPECT_EQ(MustCreate(resting).order->status, OrderStatus::kResting);
  EXPECT_EQ(CountNotices<OrderGroupNotice>(), 3);  // created, triggered, reset
}

TEST_F(TradingEngineTest, ExpiredOrderIsCancelledAtItsTime) {
  NewOrder o = Order(kBid, "0.30", "1");
  o.expiration_time_s = 2;  // market time is 1 s
  const OrderOutcome out = MustCreate(o);
  Update(1'500);
  EXPECT_EQ(engine_.FindOrder(kKey, out.order->order_id)->status, OrderStatus::kResting);
  Update(2'000);
  EXPECT_EQ(engine_.FindOrder(kKey, out.order->order_id)->status, OrderStatus::kCanceled);
  EXPECT_EQ(engine_.FindOrder(kKey, out.order->order_id)->last_update_reason, "Expired");
  o.expiration_time_s = 1;  // now 2 s: in the past
  auto past = engine_.CreateOrder(kKey, o);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().message, "Expiration timestamp must be in the future");
}

TEST_F(TradingEngineTest, SettlementPaysWinningContracts) {
  MustCreate(Order(kBid, "0.45", "10"));  // balance 95.32 (first test)
  ASSERT_TRUE(engine_.Settle(kTicker, /*yes_won=*/true).ok());
  ASSERT_EQ(engine_.Settlements(kKey)->size(), 1u);
  const SettlementRecord& s = engine_.Settlements(kKey)->front();
  EXPECT_EQ(s.yes_count, C("10"));
  EXPECT_EQ(s.revenue, M("10"));
  EXPECT_EQ(engine_.Balance(kKey)->balance, M("105.32"));
  EXPECT_FALSE(engine_.CreateOrder(kKey, Order(kBid, "0.40", "1")).ok());
}

// Settlement from the data: undecided books (best bids 0.40 / 0.55) settle nothing; once the
// YES side bids 0.96 the market settles YES and pays the 10 YES contracts.
TEST_F(TradingEngineTest, DecidedMarketsSettleFromTheirFinalBooks) {
  MustCreate(Order(kBid, "0.45", "10"));  // balance 95.32
  EXPECT_TRUE(engine_.SettleDecidedMarkets(P("0.95")).empty());
  EXPECT_TRUE(engine_.Settlements(kKey)->empty());
  sim::testing::Snapshot(book(), {{"0.96", "100"}}, {{"0.02", "50"}});
  Update(2'000);
  EXPECT_EQ(engine_.SettleDecidedMarkets(P("0.95")),
            std::vector<std::string>{std::string(kTicker) + "=yes"});
  ASSERT_EQ(engine_.Settlements(kKey)->size(), 1u);
  EXPECT_EQ(engine_.Balance(kKey)->balance, M("105.32"));
}

TEST_F(TradingEngineTest, InvalidRequestsAreTypedErrors) {
  auto unknown_market = engine_.CreateOrder(kKey, [&] {
    NewOrder o = Order(kBid, "0.40", "1");
    o.ticker = "NOPE";
    return o;
  }());
  ASSERT_FALSE(unknown_market.ok());
  EXPECT_EQ(unknown_market.error().http_status, 404);
  auto bad_price = engine_.CreateOrder(kKey, Order(kBid, "1.00", "1"));
  ASSERT_FALSE(bad_price.ok());
  EXPECT_EQ(bad_price.error().code, "invalid_order");
  auto bad_count = engine_.CreateOrder(kKey, Order(kBid, "0.40", "0"));
  ASSERT_FALSE(bad_count.ok());
  EXPECT_EQ(bad_count.error().code, "invalid_order_size");
  auto no_account = engine_.CreateOrder("other", Order(kBid, "0.40", "1"));
  ASSERT_FALSE(no_account.ok());
  EXPECT_EQ(no_account.error().http_status, 403);
}

}  // namespace
}  // namespace kalshiflow::exchange::internal
