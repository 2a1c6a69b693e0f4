// Golden tests: every example message of both AsyncAPI files and of PROTOCOL.md, decoded and
// checked field by field (see golden/README.md for where each file comes from).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"
#include "kalshi/tests/test_util.h"

namespace kalshiflow::kalshi {
namespace {

using core::BookSide;
using core::OutcomeSide;
using core::PriceLevel;
using testing::C;
using testing::M;
using testing::P;
using testing::ToVector;

class GoldenTest : public ::testing::Test {
 protected:
  // Decodes golden/<relative>; records a failure (and returns a default Message) on error.
  const Message& DecodeGolden(std::string_view relative) {
    text_ = testing::ReadGolden(relative);
    EXPECT_FALSE(text_.empty()) << "missing golden file " << relative;
    auto result = decoder_.Decode(text_);
    if (!result.ok()) {
      ADD_FAILURE() << relative << ": " << result.error().ToString();
      return empty_;
    }
    return **result;
  }

  Decoder decoder_;
  std::string text_;
  Message empty_;
};

// ---------------------------------------------------------------------------------------------
// Command responses (identical in both files; both are checked).

TEST_F(GoldenTest, Subscribed) {
  for (const char* file : {"current/subscribedResponse.subscriptionConfirmed.json",
                           "legacy/subscribedResponse.subscriptionConfirmed.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kSubscribed);
    EXPECT_EQ(m.id, 1);
    EXPECT_EQ(m.sid, 0);  // the new sid is inside msg
    EXPECT_FALSE(m.seq.has_value());
    EXPECT_EQ(m.format, WireFormat::kFixedPoint);
    EXPECT_EQ(m.subscribed.channel_name, "orderbook_delta");
    EXPECT_EQ(m.subscribed.channel, Channel::kOrderbookDelta);
    EXPECT_EQ(m.subscribed.sid, 1);
  }
}

TEST_F(GoldenTest, Unsubscribed) {
  for (const char* file : {"current/unsubscribedResponse.unsubscriptionConfirmed.json",
                           "legacy/unsubscribedResponse.unsubscriptionConfirmed.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kUnsubscribed);
    EXPECT_EQ(m.id, 102);
    EXPECT_EQ(m.sid, 2);
    EXPECT_EQ(m.seq, 7);
  }
}

TEST_F(GoldenTest, OkUpdateSubscription) {
  for (const char* file :
       {"current/okResponse.updateSuccess.json", "legacy/okResponse.updateSuccess.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kOk);
    EXPECT_EQ(m.id, 123);
    EXPECT_EQ(m.sid, 456);
    EXPECT_EQ(m.seq, 222);
    EXPECT_EQ(m.ok.shape, OkShape::kMarkets);
    EXPECT_EQ(ToVector(m.ok.market_tickers),
              (std::vector<std::string_view>{"MARKET-1", "MARKET-2", "MARKET-3"}));
    EXPECT_TRUE(m.ok.market_ids.empty());
    EXPECT_TRUE(m.ok.subscriptions.empty());
  }
}

TEST_F(GoldenTest, OkListSubscriptions) {
  for (const char* file : {"current/listSubscriptionsResponse.listSubscriptionsResponse.json",
                           "legacy/listSubscriptionsResponse.listSubscriptionsResponse.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kOk);
    EXPECT_EQ(m.id, 3);
    EXPECT_EQ(m.ok.shape, OkShape::kSubscriptionList);
    EXPECT_TRUE(m.ok.market_tickers.empty());
    ASSERT_EQ(m.ok.subscriptions.size(), 3u);
    EXPECT_EQ(m.ok.subscriptions[0].channel_name, "orderbook_delta");
    EXPECT_EQ(m.ok.subscriptions[0].channel, Channel::kOrderbookDelta);
    EXPECT_EQ(m.ok.subscriptions[0].sid, 1);
    EXPECT_EQ(m.ok.subscriptions[1].channel, Channel::kTicker);
    EXPECT_EQ(m.ok.subscriptions[1].sid, 2);
    EXPECT_EQ(m.ok.subscriptions[2].channel, Channel::kFill);
    EXPECT_EQ(m.ok.subscriptions[2].sid, 3);
  }
}

TEST_F(GoldenTest, Errors) {
  struct Case {
    const char* name;
    int64_t id;
    int64_t code;
    const char* message;
    const char* market_ticker;
  };
  const Case cases[] = {
      {"alreadySubscribed", 123, 6, "Already subscribed", ""},
      {"unknownChannel", 124, 8, "Unknown channel name", ""},
      {"paramsRequired", 125, 2, "Params required", ""},
      {"authenticationRequired", 126, 9, "Authentication required", ""},
      {"marketNotFound", 127, 16, "Market not found", "INVALID-MARKET"},
  };
  for (const char* folder : {"current", "legacy"}) {
    for (const Case& c : cases) {
      std::string file = std::string(folder) + "/errorResponse." + c.name + ".json";
      SCOPED_TRACE(file);
      const Message& m = DecodeGolden(file);
      EXPECT_EQ(m.type, MessageType::kError);
      EXPECT_EQ(m.id, c.id);
      EXPECT_EQ(m.error.code, c.code);
      EXPECT_EQ(m.error.message, c.message);
      EXPECT_EQ(m.error.market_ticker, c.market_ticker);
      EXPECT_TRUE(m.error.market_id.empty());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Order book

TEST_F(GoldenTest, SnapshotCurrent) {
  const Message& m = DecodeGolden("current/orderbookSnapshot.orderbookWithBothSides.json");
  EXPECT_EQ(m.type, MessageType::kOrderbookSnapshot);
  EXPECT_EQ(m.format, WireFormat::kFixedPoint);
  EXPECT_EQ(m.sid, 2);
  EXPECT_EQ(m.seq, 2);
  EXPECT_EQ(m.id, 0);
  EXPECT_EQ(m.snapshot.market_ticker, "FED-23DEC-T3.00");
  EXPECT_EQ(m.snapshot.market_id, "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1");
  EXPECT_EQ(ToVector(m.snapshot.yes_bids),
            (std::vector<PriceLevel>{{P(800), C(30000)}, {P(2200), C(33300)}}));
  EXPECT_EQ(ToVector(m.snapshot.no_bids),
            (std::vector<PriceLevel>{{P(5400), C(2000)}, {P(5600), C(14600)}}));
}

TEST_F(GoldenTest, SnapshotLegacyCarryingAllThreeRepresentations) {
  // yes / yes_dollars / yes_dollars_fp all present: the fixed-point one is used.
  const Message& m = DecodeGolden("legacy/orderbookSnapshot.orderbookWithBothSides.json");
  EXPECT_EQ(m.type, MessageType::kOrderbookSnapshot);
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  EXPECT_EQ(m.sid, 2);
  EXPECT_EQ(m.seq, 2);
  EXPECT_EQ(m.snapshot.market_ticker, "FED-23DEC-T3.00");
  EXPECT_EQ(ToVector(m.snapshot.yes_bids),
            (std::vector<PriceLevel>{{P(800), C(30000)}, {P(2200), C(33300)}}));
  EXPECT_EQ(ToVector(m.snapshot.no_bids),
            (std::vector<PriceLevel>{{P(5400), C(2000)}, {P(5600), C(14600)}}));
}

TEST_F(GoldenTest, SnapshotProtocolLegacyWithoutFixedPoint) {
  // §3.7: cents levels plus `yes_dollars` ["0.4500", 100]; no *_fp: uses yes_dollars.
  const Message& m = DecodeGolden("protocol/s3.7_legacy_snapshot.json");
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  EXPECT_EQ(m.sid, 5);
  EXPECT_EQ(m.seq, 1);
  EXPECT_EQ(m.snapshot.market_ticker, "...");
  EXPECT_EQ(ToVector(m.snapshot.yes_bids),
            (std::vector<PriceLevel>{{P(4500), C(10000)}, {P(4600), C(25000)}}));
  EXPECT_EQ(ToVector(m.snapshot.no_bids),
            (std::vector<PriceLevel>{{P(5300), C(12000)}, {P(5400), C(30000)}}));
}

TEST_F(GoldenTest, DeltaCurrent) {
  const Message& m = DecodeGolden("current/orderbookDelta.priceLevelUpdate.json");
  EXPECT_EQ(m.type, MessageType::kOrderbookDelta);
  EXPECT_EQ(m.format, WireFormat::kFixedPoint);
  EXPECT_EQ(m.sid, 2);
  EXPECT_EQ(m.seq, 3);
  EXPECT_EQ(m.delta.market_ticker, "FED-23DEC-T3.00");
  EXPECT_EQ(m.delta.market_id, "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1");
  EXPECT_EQ(m.delta.price, P(9600));  // "0.960": three decimals parse exactly
  EXPECT_EQ(m.delta.delta, C(-5400));
  EXPECT_EQ(m.delta.side, OutcomeSide::kYes);
  EXPECT_EQ(m.delta.ts_ms, 1669149841000);
  EXPECT_TRUE(m.delta.client_order_id.empty());
  EXPECT_FALSE(m.delta.subaccount.has_value());
}

TEST_F(GoldenTest, DeltaLegacy) {
  const Message& m = DecodeGolden("legacy/orderbookDelta.priceLevelUpdate.json");
  EXPECT_EQ(m.type, MessageType::kOrderbookDelta);
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  EXPECT_EQ(m.delta.price, P(9600));
  EXPECT_EQ(m.delta.delta, C(-5400));
  EXPECT_EQ(m.delta.side, OutcomeSide::kYes);
  // No ts_ms in legacy frames: taken from the RFC 3339 `ts` "2022-11-22T20:44:01Z".
  EXPECT_EQ(m.delta.ts_ms, 1669149841000);
}

TEST_F(GoldenTest, DeltaProductionCaptureWithoutMarketId) {
  const Message& m = DecodeGolden("protocol/s3.4_production_delta_without_market_id.json");
  EXPECT_EQ(m.type, MessageType::kOrderbookDelta);
  EXPECT_EQ(m.format, WireFormat::kFixedPoint);
  EXPECT_EQ(m.sid, 1);
  EXPECT_EQ(m.seq, 2399869);
  EXPECT_EQ(m.delta.market_ticker, "KXGOLD15M-26AUG102130-30");
  EXPECT_TRUE(m.delta.market_id.empty());
  EXPECT_EQ(m.delta.price, P(4800));
  EXPECT_EQ(m.delta.delta, C(-4000));
  EXPECT_EQ(m.delta.side, OutcomeSide::kNo);
  EXPECT_EQ(m.delta.ts_ms, 1786410915566);
}

TEST_F(GoldenTest, DeltaProtocolLegacy) {
  const Message& m = DecodeGolden("protocol/s3.7_legacy_delta.json");
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  EXPECT_EQ(m.seq, 42);
  EXPECT_EQ(m.delta.price, P(4600));
  EXPECT_EQ(m.delta.delta, C(-5000));
  EXPECT_EQ(m.delta.ts_ms, 1771083000000);  // 2026-02-14T15:30:00Z
}

// ---------------------------------------------------------------------------------------------
// Market data

TEST_F(GoldenTest, TickerCurrent) {
  const Message& m = DecodeGolden("current/ticker.tickerUpdate.json");
  EXPECT_EQ(m.type, MessageType::kTicker);
  EXPECT_EQ(m.format, WireFormat::kFixedPoint);
  EXPECT_EQ(m.sid, 11);
  EXPECT_FALSE(m.seq.has_value());
  const Ticker& t = m.ticker;
  EXPECT_EQ(t.market_ticker, "FED-23DEC-T3.00");
  EXPECT_EQ(t.market_id, "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1");
  EXPECT_EQ(t.last_price, P(4800));
  EXPECT_EQ(t.yes_bid, P(4500));
  EXPECT_EQ(t.yes_ask, P(5300));
  EXPECT_EQ(t.volume, C(3389600));
  EXPECT_EQ(t.open_interest, C(2042200));
  EXPECT_EQ(t.dollar_volume, 16948);
  EXPECT_EQ(t.dollar_open_interest, 10211);
  EXPECT_EQ(t.yes_bid_size, C(30000));
  EXPECT_EQ(t.yes_ask_size, C(15000));
  EXPECT_EQ(t.last_trade_size, C(2500));
  EXPECT_EQ(t.ts_ms, 1669149841000);
}

TEST_F(GoldenTest, TickerLegacy) {
  const Message& m = DecodeGolden("legacy/ticker.tickerUpdate.json");
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  const Ticker& t = m.ticker;
  EXPECT_EQ(t.last_price, P(4800));
  EXPECT_EQ(t.yes_bid, P(4500));
  EXPECT_EQ(t.yes_ask, P(5300));
  EXPECT_EQ(t.volume, C(3389600));
  EXPECT_EQ(t.open_interest, C(2042200));
  EXPECT_FALSE(t.yes_bid_size.has_value());
  EXPECT_FALSE(t.last_trade_size.has_value());
  EXPECT_EQ(t.ts_ms, 1669149841000);  // from `ts` seconds
}

TEST_F(GoldenTest, TickerProtocolLegacyCentsOnly) {
  const Message& m = DecodeGolden("protocol/s3.7_legacy_ticker.json");
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  const Ticker& t = m.ticker;
  EXPECT_EQ(t.last_price, P(1200));
  EXPECT_EQ(t.yes_bid, P(1100));
  EXPECT_EQ(t.yes_ask, P(1200));
  EXPECT_EQ(t.volume, C(35197000));
  EXPECT_EQ(t.open_interest, C(18264600));
  EXPECT_EQ(t.dollar_volume, 175985);
  EXPECT_EQ(t.dollar_open_interest, 91323);
  EXPECT_EQ(t.ts_ms, 1732579880000);
}

TEST_F(GoldenTest, TradeCurrentExample) {
  // The official example lacks taker_outcome_side/taker_book_side: derived from taker_side.
  const Message& m = DecodeGolden("current/trade.tradeNotification.json");
  EXPECT_EQ(m.type, MessageType::kTrade);
  EXPECT_EQ(m.format, WireFormat::kFixedPoint);
  EXPECT_EQ(m.sid, 11);
  EXPECT_FALSE(m.seq.has_value());
  const Trade& t = m.trade;
  EXPECT_EQ(t.trade_id, "d91bc706-ee49-470d-82d8-11418bda6fed");
  EXPECT_EQ(t.market_ticker, "HIGHNY-22DEC23-B53.5");
  EXPECT_EQ(t.yes_price, P(3600));
  EXPECT_EQ(t.no_price, P(6400));
  EXPECT_EQ(t.count, C(13600));
  EXPECT_EQ(t.taker_outcome_side, OutcomeSide::kNo);
  EXPECT_EQ(t.taker_book_side, BookSide::kAsk);
  EXPECT_FALSE(t.is_block_trade);
  EXPECT_EQ(t.ts_ms, 1669149841000);
}

TEST_F(GoldenTest, TradeProtocolComplete) {
  const Message& m = DecodeGolden("protocol/s3.4_trade.json");
  EXPECT_EQ(m.seq, 5);
  EXPECT_EQ(m.trade.taker_outcome_side, OutcomeSide::kNo);
  EXPECT_EQ(m.trade.taker_book_side, BookSide::kAsk);
  EXPECT_EQ(m.trade.yes_price, P(3600));
  EXPECT_EQ(m.trade.no_price, P(6400));
}

TEST_F(GoldenTest, TradeLegacy) {
  const Message& m = DecodeGolden("legacy/trade.tradeNotification.json");
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  EXPECT_EQ(m.trade.yes_price, P(3600));
  EXPECT_EQ(m.trade.no_price, P(6400));
  EXPECT_EQ(m.trade.count, C(13600));
  EXPECT_EQ(m.trade.taker_outcome_side, OutcomeSide::kNo);
  EXPECT_EQ(m.trade.ts_ms, 1669149841000);

  const Message& p = DecodeGolden("protocol/s3.7_legacy_trade.json");
  EXPECT_EQ(p.format, WireFormat::kLegacyCents);
  EXPECT_EQ(p.trade.trade_id, "...");
  EXPECT_EQ(p.trade.yes_price, P(5500));
  EXPECT_EQ(p.trade.no_price, P(4500));
  EXPECT_EQ(p.trade.count, C(1000));
  EXPECT_EQ(p.trade.taker_outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(p.trade.taker_book_side, BookSide::kBid);
  EXPECT_EQ(p.trade.ts_ms, 1707667200000);
}

// ---------------------------------------------------------------------------------------------
// Private channels

TEST_F(GoldenTest, FillCurrentExample) {
  // No outcome_side/book_side/fee_cost in the official example: outcome derived from
  // side "yes" + action "buy".
  const Message& m = DecodeGolden("current/fill.userFill.json");
  EXPECT_EQ(m.type, MessageType::kFill);
  EXPECT_EQ(m.sid, 13);
  const Fill& f = m.fill;
  EXPECT_EQ(f.trade_id, "d91bc706-ee49-470d-82d8-11418bda6fed");
  EXPECT_EQ(f.order_id, "ee587a1c-8b87-4dcf-b721-9f6f790619fa");
  EXPECT_EQ(f.market_ticker, "HIGHNY-22DEC23-B53.5");
  EXPECT_EQ(f.exchange_index, 2);
  EXPECT_TRUE(f.is_taker);
  EXPECT_EQ(f.outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(f.book_side, BookSide::kBid);
  EXPECT_EQ(f.yes_price, P(7500));
  EXPECT_EQ(f.count, C(27800));
  EXPECT_FALSE(f.fee_cost.has_value());
  EXPECT_EQ(f.post_position, C(50000));
  EXPECT_TRUE(f.client_order_id.empty());
  EXPECT_EQ(f.subaccount, 3);
  EXPECT_EQ(f.ts_ms, 1671899397000);
}

TEST_F(GoldenTest, FillProtocolComplete) {
  const Message& m = DecodeGolden("protocol/s3.4_fill.json");
  const Fill& f = m.fill;
  EXPECT_EQ(f.outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(f.book_side, BookSide::kBid);
  EXPECT_EQ(f.fee_cost, M(41200));  // "0.0412"
  EXPECT_EQ(f.client_order_id, "my-order-1");
  EXPECT_EQ(f.post_position, C(50000));
}

TEST_F(GoldenTest, FillLegacy) {
  const Message& m = DecodeGolden("legacy/fill.userFill.json");
  EXPECT_EQ(m.format, WireFormat::kLegacyCents);
  const Fill& f = m.fill;
  EXPECT_FALSE(f.exchange_index.has_value());
  EXPECT_EQ(f.outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(f.yes_price, P(7500));
  EXPECT_EQ(f.count, C(27800));
  EXPECT_EQ(f.post_position, C(50000));
  EXPECT_EQ(f.ts_ms, 1671899397000);
}

TEST_F(GoldenTest, MarketPositionCurrentAndLegacyAgree) {
  // The legacy example gives the same amounts in centi-cents (500000 = $50).
  for (const char* file :
       {"current/marketPosition.positionUpdate.json", "legacy/marketPosition.positionUpdate.json",
        "protocol/s3.4_market_position.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kMarketPosition);
    EXPECT_EQ(m.sid, 14);
    const MarketPosition& p = m.market_position;
    EXPECT_EQ(p.user_id, "user123");
    EXPECT_EQ(p.market_ticker, "FED-23DEC-T3.00");
    EXPECT_EQ(p.position, C(10000));
    EXPECT_EQ(p.position_cost, M(50'000'000));
    EXPECT_EQ(p.realized_pnl, M(10'000'000));
    EXPECT_EQ(p.fees_paid, M(1'000'000));
    EXPECT_EQ(p.position_fee_cost, M(500'000));
    EXPECT_EQ(p.volume, C(1500));
  }
  EXPECT_EQ(DecodeGolden("legacy/marketPosition.positionUpdate.json").format,
            WireFormat::kLegacyCents);
  EXPECT_EQ(DecodeGolden("protocol/s3.4_market_position.json").market_position.subaccount, 0);
}

TEST_F(GoldenTest, MarketPositionLegacyCentiCentsOnly) {
  // Without the *_dollars twins the centi-cent integers are converted exactly.
  Decoder decoder;
  auto result = decoder.Decode(
      R"({"type":"market_position","sid":14,"msg":{"user_id":"u","market_ticker":"FED-23DEC-T3.00",)"
      R"("position":-7,"position_cost":123457,"realized_pnl":-5,"fees_paid":1,"position_fee_cost":0,)"
      R"("volume":9}})");
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const MarketPosition& p = (*result)->market_position;
  EXPECT_EQ((*result)->format, WireFormat::kLegacyCents);
  EXPECT_EQ(p.position, C(-700));
  EXPECT_EQ(p.position_cost, M(12'345'700));  // $12.3457
  EXPECT_EQ(p.realized_pnl, M(-500));
  EXPECT_EQ(p.fees_paid, M(100));
  EXPECT_EQ(p.volume, C(900));
}

TEST_F(GoldenTest, UserOrderExamples) {
  for (const char* file :
       {"current/userOrder.userOrderCreated.json", "legacy/userOrder.userOrderCreated.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kUserOrder);
    EXPECT_EQ(m.format, WireFormat::kFixedPoint);
    EXPECT_EQ(m.sid, 22);
    const UserOrder& o = m.user_order;
    EXPECT_EQ(o.order_id, "ee587a1c-8b87-4dcf-b721-9f6f790619fa");
    EXPECT_EQ(o.user_id, "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
    EXPECT_EQ(o.market_ticker, "FED-23DEC-T3.00");
    EXPECT_EQ(o.status, OrderStatus::kResting);
    EXPECT_EQ(o.side, OutcomeSide::kYes);
    EXPECT_FALSE(o.outcome_side.has_value());  // `side` alone does not determine it
    EXPECT_FALSE(o.book_side.has_value());
    EXPECT_EQ(o.yes_price, P(3500));
    EXPECT_EQ(o.fill_count, C(0));
    EXPECT_EQ(o.remaining_count, C(1000));
    EXPECT_EQ(o.initial_count, C(1000));
    EXPECT_EQ(o.taker_fill_cost, M(0));
    EXPECT_EQ(o.maker_fill_cost, M(0));
    EXPECT_FALSE(o.taker_fees.has_value());
    EXPECT_EQ(o.client_order_id, "my-order-1");
    EXPECT_EQ(o.order_group_id, "og_123");
    EXPECT_EQ(o.self_trade_prevention_type, "taker_at_cross");
    EXPECT_EQ(o.created_ts_ms, 1733047200000);     // legacy: from created_time
    EXPECT_EQ(o.expiration_ts_ms, 1733050800000);  // legacy: from expiration_time
    EXPECT_EQ(o.subaccount_number, 0);
  }
}

TEST_F(GoldenTest, UserOrderProtocolComplete) {
  const Message& m = DecodeGolden("protocol/s3.4_user_order.json");
  const UserOrder& o = m.user_order;
  EXPECT_EQ(o.outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(o.book_side, BookSide::kBid);
  EXPECT_EQ(o.exchange_index, 0);
  EXPECT_EQ(o.taker_fees, M(0));
  EXPECT_EQ(o.maker_fees, M(0));
  EXPECT_EQ(o.last_updated_ts_ms, 1733047200000);
  EXPECT_EQ(o.last_update_reason, "Trade");
}

TEST_F(GoldenTest, OrderGroupUpdates) {
  for (const char* file : {"current/orderGroupUpdates.orderGroupLimitUpdated.json",
                           "legacy/orderGroupUpdates.orderGroupLimitUpdated.json",
                           "protocol/s3.4_order_group_updates.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kOrderGroupUpdates);
    EXPECT_EQ(m.sid, 21);
    EXPECT_EQ(m.seq, 7);
    EXPECT_EQ(m.order_group.event_type, OrderGroupEventType::kLimitUpdated);
    EXPECT_EQ(m.order_group.order_group_id, "og_123");
    EXPECT_EQ(m.order_group.contracts_limit, C(15000));
  }
  EXPECT_FALSE(DecodeGolden("current/orderGroupUpdates.orderGroupLimitUpdated.json")
                   .order_group.ts_ms.has_value());
  EXPECT_EQ(DecodeGolden("protocol/s3.4_order_group_updates.json").order_group.ts_ms,
            1715793600123);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle channel

TEST_F(GoldenTest, LifecycleCreated) {
  for (const char* file : {"current/marketLifecycleV2.marketCreated.json",
                           "legacy/marketLifecycleV2.marketCreated.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kMarketLifecycleV2);
    EXPECT_EQ(m.sid, 13);
    const MarketLifecycle& l = m.lifecycle;
    EXPECT_EQ(l.market_ticker, "INXD-23SEP14-B4487");
    EXPECT_EQ(l.event_type, LifecycleEventType::kCreated);
    EXPECT_EQ(l.open_ts, 1694635200);
    EXPECT_EQ(l.close_ts, 1694721600);
    auto metadata = nlohmann::json::parse(l.additional_metadata);
    EXPECT_EQ(metadata["name"], "S&P 500 daily return on Sep 14");
    EXPECT_EQ(metadata["floor_strike"], 4487);
    EXPECT_EQ(metadata["can_close_early"], true);
  }
  const Message& m = DecodeGolden("current/marketLifecycleV2.marketCreated.json");
  EXPECT_EQ(m.lifecycle.exchange_index, 0);
  EXPECT_EQ(m.lifecycle.price_level_structure, "linear_cent");
}

TEST_F(GoldenTest, LifecyclePriceLevelStructureUpdated) {
  const Message& m = DecodeGolden("current/marketLifecycleV2.priceLevelStructureUpdated.json");
  EXPECT_EQ(m.lifecycle.event_type, LifecycleEventType::kPriceLevelStructureUpdated);
  EXPECT_EQ(m.lifecycle.price_level_structure, "deci_cent");
  EXPECT_EQ(ToVector(m.lifecycle.price_ranges), (std::vector<PriceRange>{{P(0), P(10000), P(10)}}));
}

TEST_F(GoldenTest, LifecycleMetadataUpdated) {
  const Message& m = DecodeGolden("current/marketLifecycleV2.metadataUpdated.json");
  EXPECT_EQ(m.lifecycle.market_ticker, "KXBTC-25APR30-T0915-B95000");
  EXPECT_EQ(m.lifecycle.event_type, LifecycleEventType::kMetadataUpdated);
  EXPECT_EQ(m.lifecycle.strike_type, "between");
  EXPECT_EQ(m.lifecycle.floor_strike, "95000");
  EXPECT_EQ(m.lifecycle.cap_strike, "95250");
  const Message& s = DecodeGolden("current/marketLifecycleV2.metadataUpdatedSubtitle.json");
  EXPECT_EQ(s.lifecycle.yes_sub_title, "above $95,000");
  EXPECT_TRUE(s.lifecycle.floor_strike.empty());
}

TEST_F(GoldenTest, LifecycleDeterminedAndDeactivated) {
  const Message& d = DecodeGolden("protocol/s3.4_lifecycle_determined.json");
  EXPECT_EQ(d.lifecycle.event_type, LifecycleEventType::kDetermined);
  EXPECT_EQ(d.lifecycle.market_ticker, "X");
  EXPECT_EQ(d.lifecycle.result, "yes");
  EXPECT_EQ(d.lifecycle.determination_ts, 1694722000);
  EXPECT_EQ(d.lifecycle.settlement_value, P(10000));
  const Message& x = DecodeGolden("protocol/s3.4_lifecycle_deactivated.json");
  EXPECT_EQ(x.lifecycle.event_type, LifecycleEventType::kDeactivated);
  EXPECT_EQ(x.lifecycle.is_deactivated, true);
}

TEST_F(GoldenTest, MultivariateLifecycle) {
  const Message& m = DecodeGolden("current/multivariateMarketLifecycle.mveMarketCreated.json");
  EXPECT_EQ(m.type, MessageType::kMultivariateMarketLifecycle);
  EXPECT_EQ(m.sid, 14);
  EXPECT_EQ(m.lifecycle.market_ticker, "KXMVE-TEST-EVENT-M1");
  EXPECT_EQ(m.lifecycle.event_type, LifecycleEventType::kCreated);
  EXPECT_EQ(m.lifecycle.close_ts, 1774022400);
}

TEST_F(GoldenTest, EventLifecycle) {
  for (const char* file :
       {"current/eventLifecycle.eventCreated.json", "legacy/eventLifecycle.eventCreated.json"}) {
    SCOPED_TRACE(file);
    const Message& m = DecodeGolden(file);
    EXPECT_EQ(m.type, MessageType::kEventLifecycle);
    EXPECT_EQ(m.sid, 5);
    const EventLifecycle& e = m.event_lifecycle;
    EXPECT_EQ(e.event_ticker, "KXQUICKSETTLE-26JAN25H2150");
    EXPECT_EQ(e.title, "What will 1+1 equal on Jan 25 at 21:50?");
    EXPECT_EQ(e.subtitle, "Jan 25 at 21:50");
    EXPECT_EQ(e.collateral_return_type, "MECNET");
    EXPECT_EQ(e.series_ticker, "KXQUICKSETTLE");
  }
  EXPECT_EQ(DecodeGolden("current/eventLifecycle.eventCreated.json").event_lifecycle.exchange_index,
            0);
  EXPECT_FALSE(DecodeGolden("legacy/eventLifecycle.eventCreated.json")
                   .event_lifecycle.exchange_index.has_value());
}

TEST_F(GoldenTest, EventFeeUpdate) {
  const Message& set = DecodeGolden("current/eventFeeUpdate.eventFeeOverrideSet.json");
  EXPECT_EQ(set.type, MessageType::kEventFeeUpdate);
  EXPECT_EQ(set.event_fee_update.event_ticker, "KXBTCD-26MAY2018");
  EXPECT_EQ(set.event_fee_update.fee_type_override, "quadratic");
  EXPECT_EQ(set.event_fee_update.fee_multiplier_override, "1");
  const Message& cleared = DecodeGolden("current/eventFeeUpdate.eventFeeOverrideCleared.json");
  EXPECT_EQ(cleared.event_fee_update.event_ticker, "KXBTCD-26MAY2018");
  EXPECT_TRUE(cleared.event_fee_update.fee_type_override.empty());
  EXPECT_TRUE(cleared.event_fee_update.fee_multiplier_override.empty());
}

// ---------------------------------------------------------------------------------------------
// Whole folders

// Message types of the examples this decoder deliberately does not handle (RFQ/quotes,
// benchmark prices, the removed multivariate lookup channel).
bool IsUnsupportedExample(std::string_view file) {
  for (std::string_view prefix : {"rfq", "quote", "cfbenchmarks", "pyth", "multivariateLookup"}) {
    if (file.find("/" + std::string(prefix)) != std::string_view::npos) return true;
  }
  return false;
}

TEST_F(GoldenTest, EveryExampleDecodesOrIsAnUnsupportedType) {
  std::size_t decoded = 0;
  std::size_t unsupported = 0;
  for (const char* folder : {"current", "legacy", "protocol"}) {
    std::vector<std::string> files = testing::GoldenFiles(folder);
    EXPECT_FALSE(files.empty()) << folder;
    for (const std::string& file : files) {
      SCOPED_TRACE(file);
      std::string text = testing::ReadGolden(file);
      auto result = decoder_.Decode(text);
      if (IsUnsupportedExample(file)) {
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error().kind, DecodeErrorKind::kUnknownMessageType);
        EXPECT_EQ(result.error().field, "type");
        ++unsupported;
      } else {
        ASSERT_TRUE(result.ok()) << result.error().ToString();
        ++decoded;
      }
    }
  }
  EXPECT_GE(decoded, 50u);
  EXPECT_GE(unsupported, 10u);
}

TEST_F(GoldenTest, SupportedTypesSurviveEncodeDecode) {
  // decode -> EncodeMessage (current format) -> decode gives the same values.
  Decoder second;
  std::size_t encoded = 0;
  for (const char* folder : {"current", "legacy", "protocol"}) {
    for (const std::string& file : testing::GoldenFiles(folder)) {
      if (IsUnsupportedExample(file)) continue;
      SCOPED_TRACE(file);
      std::string text = testing::ReadGolden(file);
      auto first = decoder_.Decode(text);
      ASSERT_TRUE(first.ok()) << first.error().ToString();
      const Message& a = **first;
      std::string frame;
      core::Status status = EncodeMessage(a, frame);
      if (status.code() == core::StatusCode::kUnimplemented) continue;
      ASSERT_TRUE(status.ok()) << status.ToString();
      auto again = second.Decode(frame);
      ASSERT_TRUE(again.ok()) << again.error().ToString() << " in " << frame;
      const Message& b = **again;
      ++encoded;
      EXPECT_EQ(b.type, a.type);
      EXPECT_EQ(b.format, WireFormat::kFixedPoint);
      EXPECT_EQ(b.sid, a.sid);
      EXPECT_EQ(b.seq, a.seq);
      EXPECT_EQ(b.id, a.id);
      switch (a.type) {
        case MessageType::kOrderbookSnapshot:
          EXPECT_EQ(b.snapshot.market_ticker, a.snapshot.market_ticker);
          EXPECT_EQ(b.snapshot.market_id, a.snapshot.market_id);
          EXPECT_EQ(ToVector(b.snapshot.yes_bids), ToVector(a.snapshot.yes_bids));
          EXPECT_EQ(ToVector(b.snapshot.no_bids), ToVector(a.snapshot.no_bids));
          break;
        case MessageType::kOrderbookDelta:
          EXPECT_EQ(b.delta.price, a.delta.price);
          EXPECT_EQ(b.delta.delta, a.delta.delta);
          EXPECT_EQ(b.delta.side, a.delta.side);
          EXPECT_EQ(b.delta.ts_ms, a.delta.ts_ms);
          EXPECT_EQ(b.delta.market_id, a.delta.market_id);
          break;
        case MessageType::kTicker:
          EXPECT_EQ(b.ticker.last_price, a.ticker.last_price);
          EXPECT_EQ(b.ticker.volume, a.ticker.volume);
          EXPECT_EQ(b.ticker.ts_ms, a.ticker.ts_ms);
          EXPECT_EQ(b.ticker.yes_bid_size, a.ticker.yes_bid_size);
          break;
        case MessageType::kTrade:
          EXPECT_EQ(b.trade.yes_price, a.trade.yes_price);
          EXPECT_EQ(b.trade.no_price, a.trade.no_price);
          EXPECT_EQ(b.trade.taker_outcome_side, a.trade.taker_outcome_side);
          EXPECT_EQ(b.trade.ts_ms, a.trade.ts_ms);
          break;
        case MessageType::kOk:
          EXPECT_EQ(b.ok.shape, a.ok.shape);
          EXPECT_EQ(ToVector(b.ok.market_tickers), ToVector(a.ok.market_tickers));
          EXPECT_EQ(b.ok.subscriptions.size(), a.ok.subscriptions.size());
          break;
        case MessageType::kError:
          EXPECT_EQ(b.error.code, a.error.code);
          EXPECT_EQ(b.error.message, a.error.message);
          EXPECT_EQ(b.error.market_ticker, a.error.market_ticker);
          break;
        case MessageType::kSubscribed:
          EXPECT_EQ(b.subscribed.channel_name, a.subscribed.channel_name);
          EXPECT_EQ(b.subscribed.sid, a.subscribed.sid);
          break;
        default:
          break;
      }
    }
  }
  EXPECT_GE(encoded, 20u);
}

}  // namespace
}  // namespace kalshiflow::kalshi
