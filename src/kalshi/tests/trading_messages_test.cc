// Tests of the trading DTOs: every PROTOCOL.md example (§3.4 private channels, §4.3, §4.6,
// §4.10) and the openapi.reconstructed.v3.28.0 examples parse to the values written in them;
// ToJson → Parse round trips; bad fields are named; fixed-point edge cases.
#include "kalshi/trading_messages.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kalshi/decoder.h"
#include "kalshi/tests/test_util.h"

namespace kalshiflow::kalshi {
namespace {

using core::BookSide;
using core::OutcomeSide;
using core::StatusCode;
using testing::C;
using testing::M;
using testing::P;
using Json = nlohmann::json;

Order SampleOrderForSides() {
  Order o;
  o.order_id = "o";
  o.ticker = "KX";
  o.yes_price = core::Price::FromUnits(5'000);
  return o;
}

// ---- golden: private WebSocket frames (PROTOCOL §3.4, verbatim) -------------------------------

TEST(PrivateMessageGoldenTest, Fill) {
  const std::string frame =
      R"({"type":"fill","sid":13,"msg":{"trade_id":"d91bc706-...","order_id":"ee587a1c-...",
 "market_ticker":"HIGHNY-22DEC23-B53.5","exchange_index":2,"is_taker":true,
 "side":"yes","action":"buy","purchased_side":"yes",
 "outcome_side":"yes","book_side":"bid",
 "yes_price_dollars":"0.750","count_fp":"278.00","fee_cost":"0.0412",
 "post_position_fp":"500.00","client_order_id":"my-order-1","subaccount":3,
 "ts":1671899397,"ts_ms":1671899397000}})";
  auto parsed = ParsePrivateMessage(frame);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_TRUE(std::holds_alternative<FillMessage>(*parsed));
  const auto& m = std::get<FillMessage>(*parsed);
  EXPECT_EQ(m.sid, 13);
  EXPECT_EQ(m.trade_id, "d91bc706-...");
  EXPECT_EQ(m.order_id, "ee587a1c-...");
  EXPECT_EQ(m.market_ticker, "HIGHNY-22DEC23-B53.5");
  EXPECT_EQ(m.exchange_index, 2);
  EXPECT_TRUE(m.is_taker);
  EXPECT_EQ(m.outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(m.book_side, BookSide::kBid);
  EXPECT_EQ(m.yes_price, P(7'500));       // "0.750" = 0.75 $ = 7,500 / 10,000
  EXPECT_EQ(m.count, C(27'800));          // "278.00" = 27,800 / 100
  EXPECT_EQ(m.fee_cost, M(41'200));       // "0.0412" $ = 41,200 / 1e6
  EXPECT_EQ(m.post_position, C(50'000));  // "500.00"
  EXPECT_EQ(m.client_order_id, "my-order-1");
  EXPECT_EQ(m.subaccount, 3);
  EXPECT_EQ(m.ts_ms, 1671899397000);
}

TEST(PrivateMessageGoldenTest, MarketPosition) {
  const std::string frame =
      R"({"type":"market_position","sid":14,"msg":{"user_id":"user123","market_ticker":"FED-23DEC-T3.00",
 "position_fp":"100.00","position_cost_dollars":"50.0000","realized_pnl_dollars":"10.0000",
 "fees_paid_dollars":"1.0000","position_fee_cost_dollars":"0.5000","volume_fp":"15.00","subaccount":0}})";
  auto parsed = ParsePrivateMessage(frame);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  const auto& m = std::get<MarketPositionMessage>(*parsed);
  EXPECT_EQ(m.sid, 14);
  EXPECT_EQ(m.user_id, "user123");
  EXPECT_EQ(m.market_ticker, "FED-23DEC-T3.00");
  EXPECT_EQ(m.position, C(10'000));            // 100.00 contracts
  EXPECT_EQ(m.position_cost, M(50'000'000));   // $50 = 50 x 1e6
  EXPECT_EQ(m.realized_pnl, M(10'000'000));    // $10
  EXPECT_EQ(m.fees_paid, M(1'000'000));        // $1
  EXPECT_EQ(m.position_fee_cost, M(500'000));  // $0.50
  EXPECT_EQ(m.volume, C(1'500));               // 15.00
  EXPECT_EQ(m.subaccount, 0);
}

TEST(PrivateMessageGoldenTest, UserOrder) {
  const std::string frame =
      R"({"type":"user_order","sid":22,"msg":{"order_id":"ee587a1c-...","user_id":"a1b2...","ticker":"FED-23DEC-T3.00",
 "exchange_index":0,"status":"resting","side":"yes","is_yes":true,"outcome_side":"yes","book_side":"bid",
 "yes_price_dollars":"0.3500","fill_count_fp":"0.00","remaining_count_fp":"10.00","initial_count_fp":"10.00",
 "taker_fill_cost_dollars":"0.0000","maker_fill_cost_dollars":"0.0000","taker_fees_dollars":"0.0000","maker_fees_dollars":"0.0000",
 "client_order_id":"my-order-1","order_group_id":"og_123","self_trade_prevention_type":"taker_at_cross",
 "created_time":"2024-12-01T10:00:00Z","created_ts_ms":1733047200000,"last_updated_ts_ms":1733047200000,
 "expiration_time":"2024-12-01T11:00:00Z","expiration_ts_ms":1733050800000,
 "last_update_reason":"Trade","subaccount_number":0}})";
  auto parsed = ParsePrivateMessage(frame);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  const auto& m = std::get<UserOrderMessage>(*parsed);
  EXPECT_EQ(m.sid, 22);
  const Order& o = m.order;
  EXPECT_EQ(o.order_id, "ee587a1c-...");
  EXPECT_EQ(o.user_id, "a1b2...");
  EXPECT_EQ(o.ticker, "FED-23DEC-T3.00");
  EXPECT_EQ(o.exchange_index, 0);
  EXPECT_EQ(o.status, OrderStatus::kResting);
  EXPECT_EQ(o.outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(o.book_side, BookSide::kBid);
  EXPECT_EQ(o.type, "limit");  // absent in user_order: default
  EXPECT_EQ(o.yes_price, P(3'500));
  EXPECT_EQ(o.fill_count, C(0));
  EXPECT_EQ(o.remaining_count, C(1'000));
  EXPECT_EQ(o.initial_count, C(1'000));
  EXPECT_EQ(o.taker_fill_cost, M(0));
  EXPECT_EQ(o.maker_fees, M(0));
  EXPECT_EQ(o.client_order_id, "my-order-1");
  EXPECT_EQ(o.order_group_id, "og_123");
  EXPECT_EQ(o.self_trade_prevention, SelfTradePrevention::kTakerAtCross);
  EXPECT_EQ(o.created_time, "2024-12-01T10:00:00Z");
  EXPECT_EQ(o.expiration_time, std::optional<std::string>("2024-12-01T11:00:00Z"));
  EXPECT_EQ(o.subaccount_number, 0);
  EXPECT_EQ(m.created_ts_ms, 1733047200000);
  EXPECT_EQ(m.last_updated_ts_ms, 1733047200000);
  EXPECT_EQ(m.expiration_ts_ms, 1733050800000);
  EXPECT_EQ(m.last_update_reason, "Trade");
}

TEST(PrivateMessageGoldenTest, OrderGroupUpdates) {
  const std::string frame =
      R"({"type":"order_group_updates","sid":21,"seq":7,"msg":{"event_type":"limit_updated","order_group_id":"og_123",
 "contracts_limit_fp":"150.00","ts_ms":1715793600123}})";
  auto parsed = ParsePrivateMessage(frame);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  const auto& m = std::get<OrderGroupUpdateMessage>(*parsed);
  EXPECT_EQ(m.sid, 21);
  EXPECT_EQ(m.seq, 7);
  EXPECT_EQ(m.event_type, OrderGroupEventType::kLimitUpdated);
  EXPECT_EQ(m.order_group_id, "og_123");
  EXPECT_EQ(m.contracts_limit, C(15'000));
  EXPECT_EQ(m.ts_ms, 1715793600123);
}

TEST(PrivateMessageTest, OtherFramesAreNotFoundAndMalformedIsInvalid) {
  // PROTOCOL §3.4 orderbook_delta example and a §3.3 response: well formed, not private.
  auto delta = ParsePrivateMessage(
      R"({"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"FED-23DEC-T3.00","price_dollars":"0.960","delta_fp":"-54.00","side":"yes"}})");
  ASSERT_FALSE(delta.ok());
  EXPECT_EQ(delta.error().code(), StatusCode::kNotFound);
  EXPECT_NE(delta.error().message().find("not a private message"), std::string::npos);
  auto subscribed =
      ParsePrivateMessage(R"({"id":1,"type":"subscribed","msg":{"channel":"fill","sid":1}})");
  ASSERT_FALSE(subscribed.ok());
  EXPECT_EQ(subscribed.error().code(), StatusCode::kNotFound);

  for (const char* bad : {"{not json", "[]", R"({"sid":1})", R"({"type":5})",
                          R"({"type":"fill","msg":{}})", R"({"type":"fill","sid":1})"}) {
    auto r = ParsePrivateMessage(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto no_sid = ParsePrivateMessage(R"({"type":"fill","msg":{}})");
  EXPECT_EQ(no_sid.error().message(), "fill.sid: missing");
}

// The decoder (the collector's hot-path parser, messages.h) and these DTOs read the same golden
// frames (src/kalshi/tests/golden) to the same values.
TEST(PrivateMessageGoldenTest, AgreesWithTheDecoderOnGoldenFrames) {
  const std::vector<std::string> files = {"protocol/s3.4_fill.json",
                                          "protocol/s3.4_user_order.json",
                                          "protocol/s3.4_market_position.json",
                                          "protocol/s3.4_order_group_updates.json",
                                          "current/fill.userFill.json",
                                          "current/marketPosition.positionUpdate.json",
                                          "current/orderGroupUpdates.orderGroupLimitUpdated.json"};
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    const std::string frame = testing::ReadGolden(file);
    ASSERT_FALSE(frame.empty());
    Decoder decoder;
    auto decoded = decoder.Decode(frame);
    ASSERT_TRUE(decoded.ok());
    const Message& d = **decoded;
    auto parsed = ParsePrivateMessage(frame);
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    if (const auto* f = std::get_if<FillMessage>(&*parsed)) {
      EXPECT_EQ(f->sid, d.sid);
      EXPECT_EQ(f->order_id, d.fill.order_id);
      EXPECT_EQ(f->yes_price, d.fill.yes_price);
      EXPECT_EQ(f->count, d.fill.count);
      EXPECT_EQ(f->post_position, d.fill.post_position);
      EXPECT_EQ(f->outcome_side, d.fill.outcome_side);
      EXPECT_EQ(f->book_side, d.fill.book_side);
      EXPECT_EQ(f->fee_cost, d.fill.fee_cost.value_or(core::Money()));
      EXPECT_EQ(f->ts_ms, d.fill.ts_ms);
    } else if (const auto* u = std::get_if<UserOrderMessage>(&*parsed)) {
      EXPECT_EQ(u->order.order_id, d.user_order.order_id);
      EXPECT_EQ(u->order.status, d.user_order.status);
      EXPECT_EQ(u->order.yes_price, d.user_order.yes_price);
      EXPECT_EQ(u->order.remaining_count, d.user_order.remaining_count);
      EXPECT_EQ(u->order.initial_count, d.user_order.initial_count);
      if (d.user_order.book_side) {
        EXPECT_EQ(u->order.book_side, *d.user_order.book_side);
      }
      EXPECT_EQ(u->created_ts_ms, d.user_order.created_ts_ms);
    } else if (const auto* p = std::get_if<MarketPositionMessage>(&*parsed)) {
      EXPECT_EQ(p->position, d.market_position.position);
      EXPECT_EQ(p->position_cost, d.market_position.position_cost);
      EXPECT_EQ(p->realized_pnl, d.market_position.realized_pnl);
      EXPECT_EQ(p->fees_paid, d.market_position.fees_paid);
      EXPECT_EQ(p->volume, d.market_position.volume);
    } else {
      const auto& g = std::get<OrderGroupUpdateMessage>(*parsed);
      EXPECT_EQ(g.seq, d.seq);
      EXPECT_EQ(g.event_type, d.order_group.event_type);
      EXPECT_EQ(g.order_group_id, d.order_group.order_group_id);
      EXPECT_EQ(g.contracts_limit, d.order_group.contracts_limit);
    }
  }
}

TEST(PrivateMessageTest, OneSideIsDerivedFromTheOther) {
  // AsyncAPI's user_order example has only the deprecated side/is_yes: not enough (a sell-YES
  // order has side yes, outcome no), so it is an error naming outcome_side.
  auto legacy_order =
      ParsePrivateMessage(testing::ReadGolden("current/userOrder.userOrderCreated.json"));
  ASSERT_FALSE(legacy_order.ok());
  EXPECT_EQ(legacy_order.error().message(), "user_order.outcome_side: missing (and no book_side)");
  // A fill with only the deprecated side + action: sell NO = YES outcome (bid).
  auto legacy_fill = ParsePrivateMessage(
      R"({"type":"fill","sid":1,"msg":{"trade_id":"t","order_id":"o","market_ticker":"KX","is_taker":true,"side":"no","action":"sell","yes_price_dollars":"0.5","count_fp":"1"}})");
  ASSERT_TRUE(legacy_fill.ok()) << legacy_fill.error().ToString();
  EXPECT_EQ(std::get<FillMessage>(*legacy_fill).outcome_side, OutcomeSide::kYes);
  EXPECT_EQ(std::get<FillMessage>(*legacy_fill).book_side, BookSide::kBid);

  const Json order = ToJson(SampleOrderForSides());
  Json only_book = order;
  only_book.erase("outcome_side");
  only_book["book_side"] = "ask";
  EXPECT_EQ(ParseOrder(only_book)->outcome_side, OutcomeSide::kNo);
  Json only_outcome = order;
  only_outcome.erase("book_side");
  only_outcome["outcome_side"] = "yes";
  EXPECT_EQ(ParseOrder(only_outcome)->book_side, BookSide::kBid);
  Json neither = order;
  neither.erase("book_side");
  neither.erase("outcome_side");
  EXPECT_EQ(ParseOrder(neither).error().message(),
            "order.outcome_side: missing (and no book_side)");
}

// ---- golden: REST bodies ----------------------------------------------------------------------

TEST(RestGoldenTest, CreateOrderRequestExample) {  // PROTOCOL §4.3
  const Json json = Json::parse(
      R"({"ticker":"HIGHNY-24JAN01-T60","client_order_id":"8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
 "side":"bid","count":"10.00","price":"0.5600","time_in_force":"good_till_canceled",
 "self_trade_prevention_type":"taker_at_cross","post_only":false,"cancel_order_on_pause":false,
 "reduce_only":false,"subaccount":0,"exchange_index":0})");
  auto q = ParseCreateOrderRequest(json);
  ASSERT_TRUE(q.ok()) << q.error().ToString();
  EXPECT_EQ(q->ticker, "HIGHNY-24JAN01-T60");
  EXPECT_EQ(q->client_order_id, "8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1");
  EXPECT_EQ(q->side, BookSide::kBid);
  EXPECT_EQ(q->count, C(1'000));
  EXPECT_EQ(q->price, P(5'600));
  EXPECT_EQ(q->time_in_force, TimeInForce::kGoodTillCanceled);
  EXPECT_EQ(q->self_trade_prevention, SelfTradePrevention::kTakerAtCross);
  EXPECT_FALSE(q->post_only);
  EXPECT_FALSE(q->expiration_time_s.has_value());
  EXPECT_EQ(q->subaccount, 0);
  EXPECT_EQ(q->exchange_index, 0);
  // The encoder writes the same wire values back.
  const Json back = ToJson(*q);
  EXPECT_EQ(back["count"], "10.00");
  EXPECT_EQ(back["price"], "0.5600");
  EXPECT_EQ(back["side"], "bid");
  EXPECT_EQ(back, json);
}

TEST(RestGoldenTest, CreateOrderResponseExamples) {  // PROTOCOL §4.3 + openapi batch example
  auto s = ParseCreateOrderResponse(Json::parse(
      R"({"order_id":"3b23c1c7-…","client_order_id":"8c35…","fill_count":"0.00","remaining_count":"10.00","ts_ms":1715793600123})"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->order_id, "3b23c1c7-…");
  EXPECT_EQ(s->fill_count, C(0));
  EXPECT_EQ(s->remaining_count, C(1'000));
  EXPECT_FALSE(s->average_fill_price.has_value());
  EXPECT_EQ(s->ts_ms, 1715793600123);

  auto batch = ParseBatchCreateResponse(Json::parse(R"({"orders":[
    {"order_id":"3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d","client_order_id":"8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
     "fill_count":"0.00","remaining_count":"10.00","ts_ms":1715793600123},
    {"order_id":"a6d6010d-6d5f-40a1-a7e7-5501386bb621","client_order_id":"2a0e3fc9-b593-4aa3-96e5-82f7f7566c2a",
     "fill_count":"5.00","remaining_count":"0.00","average_fill_price":"0.5800","average_fee_paid":"0.0012",
     "ts_ms":1715793600456},
    {"client_order_id":"x","fill_count":null,"remaining_count":null,
     "error":{"code":"invalid order","message":"invalid order","details":"post only cross"}}]})"));
  ASSERT_TRUE(batch.ok()) << batch.error().ToString();
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ((*batch)[1].fill_count, C(500));
  EXPECT_EQ((*batch)[1].average_fill_price, P(5'800));
  EXPECT_EQ((*batch)[1].average_fee_paid, M(1'200));  // $0.0012 = 1,200 / 1e6
  EXPECT_FALSE((*batch)[1].error.has_value());
  ASSERT_TRUE((*batch)[2].error.has_value());
  EXPECT_EQ((*batch)[2].error->code, "invalid order");
  EXPECT_EQ((*batch)[2].error->details, "post only cross");
  EXPECT_EQ((*batch)[2].error->ToStatus().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*batch)[2].error->ToStatus().message(),
            "invalid order: invalid order (post only cross)");
}

TEST(RestGoldenTest, CancelAmendDecreaseExamples) {  // openapi v3.28 examples
  auto cancel = ParseCancelOrderResponse(Json::parse(
      R"({"order_id":"3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d","client_order_id":"8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1","reduced_by":"10.00","ts_ms":1715793660456})"));
  ASSERT_TRUE(cancel.ok()) << cancel.error().ToString();
  EXPECT_EQ(cancel->reduced_by, C(1'000));
  EXPECT_EQ(cancel->ts_ms, 1715793660456);

  auto amend = ParseAmendOrderResponse(Json::parse(
      R"({"order_id":"3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d","client_order_id":"2a0e3fc9-b593-4aa3-96e5-82f7f7566c2a","remaining_count":"8.00","fill_count":"0.00","ts_ms":1715793690123})"));
  ASSERT_TRUE(amend.ok()) << amend.error().ToString();
  EXPECT_EQ(amend->remaining_count, C(800));
  EXPECT_EQ(amend->fill_count, C(0));

  auto decrease = ParseDecreaseOrderResponse(Json::parse(
      R"({"order_id":"3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d","client_order_id":"8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1","remaining_count":"8.00","ts_ms":1715793680789})"));
  ASSERT_TRUE(decrease.ok()) << decrease.error().ToString();
  EXPECT_EQ(decrease->remaining_count, C(800));
}

TEST(RestGoldenTest, BalanceExample) {  // PROTOCOL §4.6
  auto b = ParseBalance(Json::parse(
      R"({"balance":10000,"balance_dollars":"100.0000","portfolio_value":2500,"updated_ts":1715793600,
 "balance_breakdown":[{"exchange_index":0,"balance":"80.0000"},{"exchange_index":2,"balance":"20.0000"}]})"));
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_EQ(b->balance_cents, 10'000);
  EXPECT_EQ(b->balance, M(100'000'000));  // $100 = 100 x 1e6
  EXPECT_EQ(b->portfolio_value_cents, 2'500);
  EXPECT_EQ(b->updated_ts, 1715793600);
  // Without balance_dollars the cents are used: 12,345 cents = $123.45 = 123,450,000 / 1e6.
  auto cents_only = ParseBalance(Json::parse(R"({"balance":12345})"));
  ASSERT_TRUE(cents_only.ok());
  EXPECT_EQ(cents_only->balance, M(123'450'000));
}

TEST(RestGoldenTest, ErrorBodies) {  // PROTOCOL §1.4, §4.9, §4.10
  auto auth = ParseApiErrorBody(
      401,
      R"({"error":{"code":"authentication_error","message":"authentication_error","details":"rpc error: code = Unauthenticated desc = INCORRECT_API_KEY_SIGNATURE"}})");
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_EQ(auth->code, "authentication_error");
  EXPECT_EQ(auth->ToStatus().code(), StatusCode::kUnauthenticated);

  auto balance = ParseApiErrorBody(
      400, R"({"error":{"code":"insufficient_balance","message":"insufficient balance"}})");
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->ToStatus(),
            core::FailedPreconditionError("insufficient_balance: insufficient balance"));

  auto rate = ParseApiErrorBody(429, R"({"error": "too many requests"})");
  ASSERT_TRUE(rate.ok());
  EXPECT_EQ(rate->code, "too_many_requests");
  EXPECT_EQ(rate->message, "too many requests");
  EXPECT_EQ(rate->ToStatus().code(), StatusCode::kResourceExhausted);

  const ApiError html = ApiErrorFromHttp(502, "<html>bad gateway</html>");
  EXPECT_EQ(html.code, "http_502");
  EXPECT_EQ(html.ToStatus().code(), StatusCode::kUnavailable);
  EXPECT_NE(html.ToStatus().message().find("bad gateway"), std::string::npos);

  const std::string body = ErrorBodyJson("market_closed", "market is closed", "KX-1");
  auto back = ParseApiErrorBody(409, body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->code, "market_closed");
  EXPECT_EQ(back->details, "KX-1");
  EXPECT_EQ(back->ToStatus(), core::AlreadyExistsError("market_closed: market is closed (KX-1)"));
}

TEST(ApiErrorTest, StatusMapping) {
  struct Case {
    int http;
    std::string code;
    StatusCode expected;
  };
  const std::vector<Case> cases = {
      {400, "invalid_order", StatusCode::kInvalidArgument},
      {401, "authentication_error", StatusCode::kUnauthenticated},
      {403, "forbidden", StatusCode::kPermissionDenied},
      {404, "not_found", StatusCode::kNotFound},
      {409, "conflict", StatusCode::kAlreadyExists},
      {429, "too_many_requests", StatusCode::kResourceExhausted},
      {500, "internal", StatusCode::kUnavailable},
      {503, "x", StatusCode::kUnavailable},
      {422, "x", StatusCode::kInvalidArgument},
      {0, "invalid order", StatusCode::kInvalidArgument},
      {302, "x", StatusCode::kInternal},
      {400, "available_balance_too_low", StatusCode::kFailedPrecondition},
      {409, "insufficient_balance", StatusCode::kFailedPrecondition},
  };
  for (const auto& c : cases) {
    ApiError e{c.http, c.code, "m", ""};
    EXPECT_EQ(e.ToStatus().code(), c.expected) << c.http << " " << c.code;
    EXPECT_NE(e.ToStatus().message().find(c.code), std::string::npos);
  }
}

TEST(RestGoldenTest, OrderModelAndPages) {
  const Json order = Json::parse(R"({"order_id":"o1","user_id":"u1","client_order_id":"c1",
    "ticker":"KX-A","side":"no","action":"buy","outcome_side":"no","book_side":"ask","type":"limit",
    "status":"executed","yes_price_dollars":"0.0550","no_price_dollars":"0.9450",
    "fill_count_fp":"3.00","remaining_count_fp":"0.00","initial_count_fp":"3.00",
    "taker_fill_cost_dollars":"2.835000","maker_fill_cost_dollars":"0.000000",
    "taker_fees_dollars":"0.015000","maker_fees_dollars":"0.000000",
    "created_time":"2026-01-01T00:00:00Z","last_update_time":"2026-01-01T00:00:01Z",
    "self_trade_prevention_type":"maker","cancel_order_on_pause":true,"subaccount_number":2,
    "exchange_index":1})");
  auto page = ParseOrdersPage(Json{{"orders", {order, order}}, {"cursor", "abc"}});
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  ASSERT_EQ(page->orders.size(), 2u);
  EXPECT_EQ(page->cursor, "abc");
  const Order& o = page->orders[0];
  EXPECT_EQ(o.status, OrderStatus::kExecuted);
  EXPECT_EQ(o.outcome_side, OutcomeSide::kNo);
  EXPECT_EQ(o.book_side, BookSide::kAsk);
  EXPECT_EQ(o.yes_price, P(550));              // sub-cent "0.0550" = 550 / 10,000
  EXPECT_EQ(o.taker_fill_cost, M(2'835'000));  // 3 x (1 - 0.055) = $2.835
  EXPECT_EQ(o.taker_fees, M(15'000));          // $0.015 (6 dp string)
  EXPECT_EQ(o.self_trade_prevention, SelfTradePrevention::kMaker);
  EXPECT_TRUE(o.cancel_order_on_pause);
  EXPECT_EQ(o.subaccount_number, 2);
  EXPECT_EQ(o.exchange_index, 1);
  EXPECT_EQ(ToJson(o)["no_price_dollars"], "0.9450");  // 1 - 0.0550
}

// ---- round trips ------------------------------------------------------------------------------

template <typename T, typename F>
void ExpectRoundTrip(const T& value, F parse) {
  const Json json = ToJson(value);
  auto back = parse(Json::parse(json.dump()));
  ASSERT_TRUE(back.ok()) << back.error().ToString() << " for " << json.dump();
  EXPECT_TRUE(*back == value) << json.dump();
}

Order SampleOrder() {
  Order o;
  o.order_id = "o-1";
  o.user_id = "u-1";
  o.client_order_id = "c-1";
  o.ticker = "KXHIGHNY-25DEC05-B32.5";
  o.outcome_side = OutcomeSide::kNo;
  o.book_side = BookSide::kAsk;
  o.status = OrderStatus::kCanceled;
  o.yes_price = P(4'455);
  o.fill_count = C(250);
  o.remaining_count = C(0);
  o.initial_count = C(1'000);
  o.taker_fill_cost = M(1'387'500);
  o.maker_fill_cost = M(1);
  o.taker_fees = M(17'500);
  o.maker_fees = M(4'375);
  o.expiration_time = "2026-01-01T00:00:00Z";
  o.created_time = "2025-12-31T00:00:00Z";
  o.last_update_time = "2025-12-31T00:00:05Z";
  o.self_trade_prevention = SelfTradePrevention::kMaker;
  o.order_group_id = "og";
  o.cancel_order_on_pause = true;
  o.subaccount_number = 5;
  o.exchange_index = 2;
  return o;
}

TEST(RoundTripTest, Requests) {
  CreateOrderRequest create{"KX-A",         "cid",
                            BookSide::kAsk, C(1'234),
                            P(550),         TimeInForce::kFillOrKill,
                            1'800'000'000,  SelfTradePrevention::kMaker,
                            true,           true,
                            true,           7,
                            "og-1",         3};
  ExpectRoundTrip(create, ParseCreateOrderRequest);
  CreateOrderRequest minimal;
  minimal.ticker = "KX-B";
  minimal.count = C(1);
  minimal.price = P(1);
  ExpectRoundTrip(minimal, ParseCreateOrderRequest);

  ExpectRoundTrip(AmendOrderRequest{"KX-A", BookSide::kAsk, P(9'999), C(500), "a", "b", 0},
                  ParseAmendOrderRequest);
  ExpectRoundTrip(DecreaseOrderRequest{C(100), std::nullopt, 1, "KX-A"}, ParseDecreaseOrderRequest);
  ExpectRoundTrip(DecreaseOrderRequest{std::nullopt, C(0), std::nullopt, ""},
                  ParseDecreaseOrderRequest);
  ExpectRoundTrip(BatchCancelItem{"o", 2, -1, "KX-A"}, ParseBatchCancelItem);
  ExpectRoundTrip(OrderGroupLimitRequest{C(15'000), 1, 2}, ParseOrderGroupLimitRequest);

  const std::vector<CreateOrderRequest> orders = {create, minimal};
  auto batch = ParseBatchCreateRequest(BatchCreateRequestToJson(orders));
  ASSERT_TRUE(batch.ok()) << batch.error().ToString();
  EXPECT_EQ(*batch, orders);
  const std::vector<BatchCancelItem> items = {{"a", std::nullopt, std::nullopt, ""},
                                              {"b", 1, 0, "KX"}};
  auto cancels = ParseBatchCancelRequest(BatchCancelRequestToJson(items));
  ASSERT_TRUE(cancels.ok());
  EXPECT_EQ(*cancels, items);
}

TEST(RoundTripTest, Responses) {
  ExpectRoundTrip(CreateOrderResponse{"o", "c", C(500), C(500), P(5'633), M(17'500), 1},
                  ParseCreateOrderResponse);
  ExpectRoundTrip(CreateOrderResponse{"o", "", C(0), C(1'000), std::nullopt, std::nullopt, 2},
                  ParseCreateOrderResponse);
  ExpectRoundTrip(CancelOrderResponse{"o", "c", C(1'000), 3}, ParseCancelOrderResponse);
  ExpectRoundTrip(AmendOrderResponse{"o", "c", C(800), C(200), P(4'000), M(12), 4},
                  ParseAmendOrderResponse);
  ExpectRoundTrip(DecreaseOrderResponse{"o", "c", C(1), 5}, ParseDecreaseOrderResponse);
  ExpectRoundTrip(BatchCreateResult{"o", "c", C(1), C(2), P(3), M(4), 5, std::nullopt},
                  ParseBatchCreateResult);
  ExpectRoundTrip(BatchCreateResult{"", "c", C(0), C(0), std::nullopt, std::nullopt, 0,
                                    ApiError{0, "invalid order", "invalid order", "post only"}},
                  ParseBatchCreateResult);
  ExpectRoundTrip(BatchCancelResult{"o", "c", C(7), 8, std::nullopt}, ParseBatchCancelResult);
  ExpectRoundTrip(BatchCancelResult{"o", "", C(0), 0, ApiError{0, "not_found", "gone", ""}},
                  ParseBatchCancelResult);
  const std::vector<BatchCreateResult> creates = {
      {"o", "c", C(1), C(2), std::nullopt, std::nullopt, 5, std::nullopt}};
  auto parsed_creates = ParseBatchCreateResponse(BatchCreateResponseToJson(creates));
  ASSERT_TRUE(parsed_creates.ok());
  EXPECT_EQ(*parsed_creates, creates);
  const std::vector<BatchCancelResult> cancels = {{"o", "c", C(7), 8, std::nullopt}};
  auto parsed_cancels = ParseBatchCancelResponse(BatchCancelResponseToJson(cancels));
  ASSERT_TRUE(parsed_cancels.ok());
  EXPECT_EQ(*parsed_cancels, cancels);
}

TEST(RoundTripTest, ReadsAndPortfolio) {
  ExpectRoundTrip(SampleOrder(), ParseOrder);
  ExpectRoundTrip(OrdersPage{{SampleOrder(), Order{}}, "next"},
                  [](const Json& j) { return ParseOrdersPage(j); });
  MarketPositionRecord position{"KX-A",       2,           M(12'345'678), C(-1'500),
                                M(7'500'000), M(-250'000), M(175'000),    "2026-01-01T00:00:00Z"};
  ExpectRoundTrip(position, ParseMarketPositionRecord);
  EventPositionRecord event{"KX", M(1), C(2), M(3), M(-4), M(5)};
  ExpectRoundTrip(event, ParseEventPositionRecord);
  ExpectRoundTrip(PositionsPage{{position, position}, {event}, "c"}, ParsePositionsPage);
  ExpectRoundTrip(Balance{10'000, M(100'001'234), 2'500, 1715793600}, ParseBalance);
  FillRecord fill{"f",
                  "o",
                  "KX-A",
                  1,
                  OutcomeSide::kNo,
                  BookSide::kAsk,
                  C(300),
                  P(550),
                  true,
                  "2026-01-01T00:00:00Z",
                  M(8'500),
                  0,
                  1'700'000'000};
  ExpectRoundTrip(fill, ParseFillRecord);
  ExpectRoundTrip(FillsPage{{fill}, ""}, ParseFillsPage);
  SettlementRecord settlement{"KX-A",       0,    "KX", "yes", C(1'000),
                              M(5'600'000), C(0), M(0), 1'000, "2026-01-02T00:00:00Z",
                              M(0),         100};
  ExpectRoundTrip(settlement, ParseSettlementRecord);
  ExpectRoundTrip(SettlementsPage{{settlement}, "x"}, ParseSettlementsPage);
}

TEST(RoundTripTest, OrderGroups) {
  OrderGroup group{"og-1", C(15'000), true, 2};
  ExpectRoundTrip(group, ParseOrderGroup);
  ExpectRoundTrip(OrderGroup{"og-2", std::nullopt, false, 0}, ParseOrderGroup);
  const std::vector<OrderGroup> groups = {group};
  auto list = ParseOrderGroups(OrderGroupsToJson(groups));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, groups);
  ExpectRoundTrip(OrderGroupDetail{"", C(100), true, {"o1", "o2"}, 1}, ParseOrderGroupDetail);
  ExpectRoundTrip(CreateOrderGroupResponse{"og", 1, 2}, ParseCreateOrderGroupResponse);
  // The integer form of the limit is accepted: 150 contracts = 15,000 units.
  auto whole = ParseOrderGroupLimitRequest(Json::parse(R"({"contracts_limit":150})"));
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->contracts_limit, C(15'000));
}

TEST(RoundTripTest, PrivateFramesEncodeAndParse) {
  FillMessage fill{0,      "t",    "o",    "KX-A",  2,     false, OutcomeSide::kNo, BookSide::kAsk,
                   P(550), C(100), M(850), C(-100), "cid", 3,     1'700'000'000'123};
  auto f = ParsePrivateMessage(EncodePrivateMessage(13, std::nullopt, fill));
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  fill.sid = 13;
  EXPECT_EQ(std::get<FillMessage>(*f), fill);

  UserOrderMessage order{0, SampleOrder(), "PostOnlyCrossCancel", 1, 2, std::nullopt};
  auto u = ParsePrivateMessage(EncodePrivateMessage(22, std::nullopt, order));
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  order.sid = 22;
  EXPECT_EQ(std::get<UserOrderMessage>(*u), order);

  MarketPositionMessage position{0,    "u",  "KX-A", C(-500),  M(2'250'000),
                                 M(1), M(2), M(3),   C(1'000), 4};
  auto p = ParsePrivateMessage(EncodePrivateMessage(14, std::nullopt, position));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  position.sid = 14;
  EXPECT_EQ(std::get<MarketPositionMessage>(*p), position);

  OrderGroupUpdateMessage group{0,    std::nullopt, OrderGroupEventType::kTriggered,
                                "og", std::nullopt, 99};
  const std::string frame = EncodePrivateMessage(21, 8, group);
  const Json envelope = Json::parse(frame);
  EXPECT_EQ(envelope["type"], "order_group_updates");
  EXPECT_EQ(envelope["sid"], 21);
  EXPECT_EQ(envelope["seq"], 8);
  auto g = ParsePrivateMessage(frame);
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  group.sid = 21;
  group.seq = 8;
  EXPECT_EQ(std::get<OrderGroupUpdateMessage>(*g), group);
  // No seq argument: no "seq" key.
  EXPECT_FALSE(Json::parse(EncodePrivateMessage(1, std::nullopt, fill)).contains("seq"));
}

// ---- bad fields are named ---------------------------------------------------------------------

TEST(ParseErrorTest, EachBadFieldIsNamed) {
  const Json order = ToJson(SampleOrder());
  struct Case {
    std::string key;
    Json value;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"fill_count_fp", "x", "order.fill_count_fp: not a decimal: 'x'"},
      {"yes_price_dollars", "0.12345", "order.yes_price_dollars: more than 4 decimals: '0.12345'"},
      {"remaining_count_fp", 10, "order.remaining_count_fp: expected a string, got number"},
      {"status", "pending",
       "order.status: expected 'resting', 'canceled', 'executed' or 'unknown', got 'pending'"},
      {"book_side", "buy", "order.book_side: expected 'bid' or 'ask', got 'buy'"},
      {"outcome_side", "YES", "order.outcome_side: expected 'yes' or 'no', got 'YES'"},
      {"cancel_order_on_pause", "true",
       "order.cancel_order_on_pause: expected a boolean, got string"},
      {"exchange_index", 1.5, "order.exchange_index: expected an integer, got number '1.5'"},
      {"subaccount_number", 1LL << 40, "order.subaccount_number: out of range: 1099511627776"},
      {"taker_fees_dollars", "1e-3", "order.taker_fees_dollars: not a decimal: '1e-3'"},
      {"maker_fill_cost_dollars", "0.0000001",
       "order.maker_fill_cost_dollars: more than 6 decimals: '0.0000001'"},
  };
  for (const auto& c : cases) {
    Json bad = order;
    bad[c.key] = c.value;
    auto r = ParseOrder(bad);
    ASSERT_FALSE(r.ok()) << c.key;
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.error().message(), c.expected);
  }
  for (const char* key : {"order_id", "ticker", "status", "yes_price_dollars", "fill_count_fp"}) {
    Json missing = order;
    missing.erase(key);
    auto r = ParseOrder(missing);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().message(), std::string("order.") + key + ": missing");
  }
  // null counts as absent.
  Json null_id = order;
  null_id["order_id"] = nullptr;
  EXPECT_EQ(ParseOrder(null_id).error().message(), "order.order_id: missing");
  EXPECT_EQ(ParseOrder(Json::array()).error().message(), "order: expected an object, got array");
}

TEST(ParseErrorTest, RequestsAndFrames) {
  Json create = ToJson(CreateOrderRequest{"KX", "", BookSide::kBid, C(100), P(5'000)});
  create["time_in_force"] = "gtc";
  EXPECT_EQ(ParseCreateOrderRequest(create).error().message(),
            "create_order.time_in_force: expected 'good_till_canceled', 'immediate_or_cancel' "
            "or 'fill_or_kill', got 'gtc'");
  create.erase("time_in_force");
  EXPECT_EQ(ParseCreateOrderRequest(create).error().message(),
            "create_order.time_in_force: missing");

  Json batch = BatchCreateRequestToJson(std::vector<CreateOrderRequest>{
      {"KX", "", BookSide::kBid, C(100), P(5'000)}, {"KX", "", BookSide::kBid, C(100), P(5'000)}});
  batch["orders"][1]["count"] = "ten";
  EXPECT_EQ(ParseBatchCreateRequest(batch).error().message(),
            "batch_create.orders[1].count: not a decimal: 'ten'");

  auto both = ParseDecreaseOrderRequest(Json::parse(R"({"reduce_by":"1.00","reduce_to":"2.00"})"));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message().find("exactly one"), std::string::npos);
  auto neither = ParseDecreaseOrderRequest(Json::object());
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.error().message().find("required"), std::string::npos);

  auto fill = ParsePrivateMessage(
      R"({"type":"fill","sid":1,"msg":{"trade_id":"t","order_id":"o","market_ticker":"KX","is_taker":"yes","outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.5","count_fp":"1"}})");
  EXPECT_EQ(fill.error().message(), "fill.is_taker: expected a boolean, got string");
  auto group = ParsePrivateMessage(
      R"({"type":"order_group_updates","sid":1,"seq":2,"msg":{"event_type":"paused","order_group_id":"g"}})");
  EXPECT_EQ(group.error().message(),
            "order_group_updates.event_type: expected 'created', 'triggered', 'reset', "
            "'deleted' or 'limit_updated', got 'paused'");
  auto position = ParsePrivateMessage(
      R"({"type":"market_position","sid":1,"msg":{"market_ticker":"KX","position_fp":"1.005"}})");
  EXPECT_EQ(position.error().message(),
            "market_position.position_fp: more than 2 decimals: '1.005'");

  EXPECT_EQ(ParseApiErrorBody(400, R"({"error":{"message":"m"}})").error().message(),
            "error.code: missing");
  EXPECT_EQ(ParseApiErrorBody(400, "nope").error().code(), StatusCode::kInvalidArgument);
}

// ---- fixed-point edge cases -------------------------------------------------------------------

TEST(FixedPointEdgeTest, SubCentPricesAndSixDecimalMoney) {
  Json fill = ToJson(FillRecord{"f", "o", "KX", 0, OutcomeSide::kYes, BookSide::kBid, C(1), P(1)});
  fill["yes_price_dollars"] = "0.0550";  // 5.5 cents = 550 / 10,000
  fill["fee_cost"] = "0.008500";         // 6-dp money: $0.0085 = 8,500 / 1e6
  fill["count_fp"] = "3";                // 0 dp count: 300 / 100
  auto f = ParseFillRecord(fill);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->yes_price, P(550));
  EXPECT_EQ(f->fee_cost, M(8'500));
  EXPECT_EQ(f->count, C(300));
  // Trailing zeros beyond 4 dp are exact, a non-zero 5th decimal is not a Price.
  fill["yes_price_dollars"] = "0.055000";
  EXPECT_EQ(ParseFillRecord(fill)->yes_price, P(550));
  fill["yes_price_dollars"] = "0.05501";
  EXPECT_FALSE(ParseFillRecord(fill).ok());
  // Money with 6 non-zero decimals: "5.175001" = 5,175,001 / 1e6.
  auto balance = ParseBalance(Json::parse(R"({"balance":517,"balance_dollars":"5.175001"})"));
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance, M(5'175'001));
  EXPECT_EQ(ToJson(*balance)["balance_dollars"], "5.175001");
  // Negative money and counts (P&L, NO positions).
  Json pos = ToJson(MarketPositionRecord{"KX"});
  pos["realized_pnl_dollars"] = "-0.017500";
  pos["position_fp"] = "-12.34";
  auto p = ParseMarketPositionRecord(pos);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->realized_pnl, M(-17'500));
  EXPECT_EQ(p->position, C(-1'234));
}

TEST(FixedPointEdgeTest, AveragePriceIsRoundedToTheNearestTenThousandth) {
  // Averages need not be on a tick: 3 fills at 0.56, 0.56, 0.57 average 0.563333...
  // "0.563333" = 563,333 micro-$ → 5,633.33 Price units → 5,633; "0.563350" → 5,633.5 → 5,634.
  Json r = ToJson(CreateOrderResponse{"o", "", C(300), C(0)});
  r["average_fill_price"] = "0.563333";
  EXPECT_EQ(ParseCreateOrderResponse(r)->average_fill_price, P(5'633));
  r["average_fill_price"] = "0.563350";
  EXPECT_EQ(ParseCreateOrderResponse(r)->average_fill_price, P(5'634));
  r["average_fill_price"] = "0.5633501";
  EXPECT_EQ(ParseCreateOrderResponse(r).error().message(),
            "create_order_response.average_fill_price: more than 6 decimals: '0.5633501'");
}

TEST(EnumTest, NamesRoundTrip) {
  for (auto v : {TimeInForce::kGoodTillCanceled, TimeInForce::kImmediateOrCancel,
                 TimeInForce::kFillOrKill}) {
    EXPECT_EQ(ParseTimeInForce(TimeInForceName(v)), v);
  }
  EXPECT_EQ(TimeInForceName(TimeInForce::kImmediateOrCancel), "immediate_or_cancel");
  for (auto v : {SelfTradePrevention::kTakerAtCross, SelfTradePrevention::kMaker}) {
    EXPECT_EQ(ParseSelfTradePrevention(SelfTradePreventionName(v)), v);
  }
  for (auto v : {OrderStatus::kResting, OrderStatus::kCanceled, OrderStatus::kExecuted,
                 OrderStatus::kUnknown}) {
    EXPECT_EQ(ParseOrderStatus(OrderStatusName(v)), v);
  }
  for (auto v :
       {OrderGroupEventType::kCreated, OrderGroupEventType::kTriggered, OrderGroupEventType::kReset,
        OrderGroupEventType::kDeleted, OrderGroupEventType::kLimitUpdated}) {
    EXPECT_EQ(ParseOrderGroupEventType(OrderGroupEventTypeName(v)), v);
  }
  EXPECT_FALSE(ParseTimeInForce("GTC").has_value());
  EXPECT_FALSE(ParseOrderStatus("pending").has_value());
}

}  // namespace
}  // namespace kalshiflow::kalshi
