// Frame encoders: exact output for known frames, and the round-trip property
// decode(encode(m)) == m for random valid messages (RapidCheck).
#include "kalshi/frame_encoder.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "kalshi/decoder.h"
#include "kalshi/tests/test_util.h"

namespace kalshiflow::kalshi {
namespace {

using core::BookSide;
using core::OutcomeSide;
using core::PriceLevel;
using testing::C;
using testing::P;
using testing::ToVector;

// ---------------------------------------------------------------------------------------------
// Exact output

TEST(FrameEncoder, DeltaReproducesTheProductionCaptureByteForByte) {
  std::string expected =
      testing::ReadGolden("protocol/s3.4_production_delta_without_market_id.json");
  ASSERT_FALSE(expected.empty());
  expected.pop_back();  // trailing newline of the file
  OrderbookDelta delta;
  delta.market_ticker = "KXGOLD15M-26AUG102130-30";
  delta.price = P(4800);
  delta.delta = C(-4000);
  delta.side = OutcomeSide::kNo;
  delta.ts_ms = 1786410915566;
  std::string out;
  EncodeOrderbookDelta(1, 2399869, delta, out);
  EXPECT_EQ(out, expected);
}

TEST(FrameEncoder, DeltaOptionalFieldsAndAppending) {
  OrderbookDelta delta;
  delta.market_ticker = "A-B";
  delta.market_id = "9b0f";
  delta.price = P(5);
  delta.delta = C(12345);
  delta.side = OutcomeSide::kYes;
  delta.client_order_id = "my \"id\"";
  delta.subaccount = 3;
  std::string out = "prefix|";
  EncodeOrderbookDelta(7, 8, delta, out);
  EXPECT_EQ(out, R"(prefix|{"type":"orderbook_delta","sid":7,"seq":8,"msg":{"market_ticker":"A-B",)"
                 R"("market_id":"9b0f","price_dollars":"0.0005","delta_fp":"123.45","side":"yes",)"
                 R"("client_order_id":"my \"id\"","subaccount":3}})");
}

TEST(FrameEncoder, SnapshotMatchesTheOfficialExampleAndOmitsEmptySides) {
  std::vector<PriceLevel> yes = {{P(800), C(30000)}, {P(2200), C(33300)}};
  std::vector<PriceLevel> no = {{P(5400), C(2000)}, {P(5600), C(14600)}};
  OrderbookSnapshot snapshot;
  snapshot.market_ticker = "FED-23DEC-T3.00";
  snapshot.market_id = "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1";
  snapshot.yes_bids = yes;
  snapshot.no_bids = no;
  std::string out;
  EncodeOrderbookSnapshot(2, 2, snapshot, out);
  // Same JSON value as the AsyncAPI example (whose text has 4-dp prices and 2-dp counts).
  std::string golden = testing::ReadGolden("current/orderbookSnapshot.orderbookWithBothSides.json");
  EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(golden)) << out;

  snapshot.no_bids = {};
  snapshot.market_id = {};
  out.clear();
  EncodeOrderbookSnapshot(2, 3, snapshot, out);
  EXPECT_EQ(
      out,
      R"({"type":"orderbook_snapshot","sid":2,"seq":3,"msg":{"market_ticker":"FED-23DEC-T3.00",)"
      R"("yes_dollars_fp":[["0.0800","300.00"],["0.2200","333.00"]]}})");
  snapshot.yes_bids = {};
  out.clear();
  EncodeOrderbookSnapshot(2, 4, snapshot, out);
  EXPECT_EQ(
      out,
      R"({"type":"orderbook_snapshot","sid":2,"seq":4,"msg":{"market_ticker":"FED-23DEC-T3.00"}})");
}

TEST(FrameEncoder, TickerMatchesTheOfficialExample) {
  Ticker t;
  t.market_ticker = "FED-23DEC-T3.00";
  t.market_id = "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1";
  t.last_price = P(4800);
  t.yes_bid = P(4500);
  t.yes_ask = P(5300);
  t.volume = C(3389600);
  t.open_interest = C(2042200);
  t.dollar_volume = 16948;
  t.dollar_open_interest = 10211;
  t.yes_bid_size = C(30000);
  t.yes_ask_size = C(15000);
  t.last_trade_size = C(2500);
  t.ts_ms = 1669149841000;
  std::string out;
  EncodeTicker(11, t, out);
  auto json = nlohmann::json::parse(out);
  auto golden = nlohmann::json::parse(testing::ReadGolden("current/ticker.tickerUpdate.json"));
  // The example writes "0.480"; we write "0.4800" (same decimal value). Compare the rest
  // exactly and the prices as decimals.
  for (const char* key : {"price_dollars", "yes_bid_dollars", "yes_ask_dollars"}) {
    EXPECT_EQ(core::Price::Parse(json["msg"][key].get<std::string>())->units(),
              core::Price::Parse(golden["msg"][key].get<std::string>())->units())
        << key;
    json["msg"].erase(key);
    golden["msg"].erase(key);
  }
  EXPECT_EQ(json, golden) << out;
}

TEST(FrameEncoder, TradeWritesCurrentAndDeprecatedDirectionFields) {
  Trade t;
  t.trade_id = "d91bc706-ee49-470d-82d8-11418bda6fed";
  t.market_ticker = "HIGHNY-22DEC23-B53.5";
  t.yes_price = P(3600);
  t.no_price = P(6400);
  t.count = C(13600);
  t.taker_outcome_side = OutcomeSide::kNo;
  t.taker_book_side = BookSide::kAsk;
  t.ts_ms = 1669149841000;
  std::string out;
  EncodeTrade(11, 5, t, out);
  EXPECT_EQ(nlohmann::json::parse(out),
            nlohmann::json::parse(
                R"({"type":"trade","sid":11,"seq":5,"msg":{)"
                R"("trade_id":"d91bc706-ee49-470d-82d8-11418bda6fed",)"
                R"("market_ticker":"HIGHNY-22DEC23-B53.5","yes_price_dollars":"0.3600",)"
                R"("no_price_dollars":"0.6400","count_fp":"136.00","taker_side":"no",)"
                R"("taker_outcome_side":"no","taker_book_side":"ask",)"
                R"("is_block_trade":false,"ts":1669149841,"ts_ms":1669149841000}})"))
      << out;
}

TEST(FrameEncoder, CommandResponsesMatchProtocolSection33) {
  std::string out;
  EncodeSubscribed(1, "orderbook_delta", 1, out);
  EXPECT_EQ(out, R"({"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}})");

  out.clear();
  EncodeUnsubscribed(102, 2, 7, out);
  EXPECT_EQ(out, R"({"id":102,"sid":2,"seq":7,"type":"unsubscribed"})");

  std::vector<std::string_view> tickers = {"MARKET-1", "MARKET-2", "MARKET-3"};
  out.clear();
  EncodeOkMarkets(123, 456, 222, tickers, {}, out);
  EXPECT_EQ(
      out,
      R"({"id":123,"sid":456,"seq":222,"type":"ok","msg":{"market_tickers":["MARKET-1","MARKET-2","MARKET-3"]}})");

  std::vector<SubscriptionEntry> subs = {{"orderbook_delta", Channel::kOrderbookDelta, 1},
                                         {"ticker", Channel::kTicker, 2},
                                         {"fill", Channel::kFill, 3}};
  out.clear();
  EncodeOkSubscriptionList(3, subs, out);
  EXPECT_EQ(
      out,
      R"({"id":3,"type":"ok","msg":[{"channel":"orderbook_delta","sid":1},{"channel":"ticker","sid":2},{"channel":"fill","sid":3}]})");

  ErrorBody error;
  error.code = 16;
  error.message = "Market not found";
  error.market_ticker = "INVALID-MARKET";
  out.clear();
  EncodeError(127, 0, std::nullopt, error, out);
  EXPECT_EQ(
      out,
      R"({"id":127,"type":"error","msg":{"code":16,"msg":"Market not found","market_ticker":"INVALID-MARKET"}})");

  out.clear();
  EncodeSubscribed(0, "fill", 9, out);  // id 0 = no id
  EXPECT_EQ(out, R"({"type":"subscribed","msg":{"channel":"fill","sid":9}})");
}

TEST(FrameEncoder, EncodeMessageRejectsWhatItCannotWrite) {
  Message m;
  m.type = MessageType::kFill;
  std::string out = "keep";
  EXPECT_EQ(EncodeMessage(m, out).code(), core::StatusCode::kUnimplemented);
  m.type = MessageType::kOrderbookDelta;  // no seq
  EXPECT_EQ(EncodeMessage(m, out).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

TEST(FrameEncoder, NoAllocationOnceCapacityIsReserved) {
  OrderbookDelta delta;
  delta.market_ticker = "KXGOLD15M-26AUG102130-30";
  delta.price = P(4800);
  delta.delta = C(-4000);
  delta.ts_ms = 1786410915566;
  std::string out;
  out.reserve(512);
  const char* data = out.data();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    EncodeOrderbookDelta(1, i + 1, delta, out);
  }
  EXPECT_EQ(out.data(), data);  // never reallocated
}

// ---------------------------------------------------------------------------------------------
// Round trip (RapidCheck)

rc::Gen<core::Price> GenPrice() {
  return rc::gen::map(rc::gen::inRange<int64_t>(0, core::Price::kUnitsPerDollar + 1),
                      [](int64_t u) { return core::Price::FromUnits(u); });
}
rc::Gen<core::Count> GenCount(int64_t lo, int64_t hi) {
  return rc::gen::map(rc::gen::inRange<int64_t>(lo, hi),
                      [](int64_t u) { return core::Count::FromUnits(u); });
}

template <typename T>
rc::Gen<std::optional<T>> GenOptional(rc::Gen<T> gen) {
  return rc::gen::map(rc::gen::maybe(std::move(gen)), [](const rc::Maybe<T>& m) {
    return m ? std::optional<T>(*m) : std::optional<T>();
  });
}

// A valid ticker: 1..40 characters of [A-Z0-9.-_].
rc::Gen<std::string> GenTicker() {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
  auto indices = rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 41), [](std::size_t n) {
    return rc::gen::container<std::vector<std::size_t>>(
        n, rc::gen::inRange<std::size_t>(0, kAlphabet.size()));
  });
  return rc::gen::map(std::move(indices), [](const std::vector<std::size_t>& picks) {
    std::string s;
    for (std::size_t p : picks) s.push_back(kAlphabet[p]);
    return s;
  });
}

// Free text (ids, messages) including characters that need JSON escaping and multibyte UTF-8.
rc::Gen<std::string> GenText() {
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   "0",
                                                   "-",
                                                   " ",
                                                   "\"",
                                                   "\\",
                                                   "/",
                                                   "\n",
                                                   "\t",
                                                   "\x01",
                                                   "\x1f",
                                                   "\xc3\xa9",
                                                   "\xe2\x82\xac",
                                                   "\xf0\x9f\x98\x80"};
  return rc::gen::map(rc::gen::container<std::vector<std::size_t>>(
                          rc::gen::inRange<std::size_t>(0, kPieces.size())),
                      [](const std::vector<std::size_t>& picks) {
                        std::string s;
                        for (std::size_t p : picks) s += kPieces[p];
                        return s;
                      });
}

rc::Gen<std::vector<PriceLevel>> GenLevels() {
  return rc::gen::container<std::vector<PriceLevel>>(
      rc::gen::map(rc::gen::pair(GenPrice(), GenCount(0, 100'000'000'000)),
                   [](const std::pair<core::Price, core::Count>& p) {
                     return PriceLevel{p.first, p.second};
                   }));
}

const Message& DecodeOrFail(Decoder& decoder, const std::string& frame) {
  auto result = decoder.Decode(frame);
  RC_ASSERT(result.ok());
  RC_ASSERT((*result)->format == WireFormat::kFixedPoint);
  return **result;
}

RC_GTEST_PROP(FrameRoundTrip, OrderbookDelta, ()) {
  const auto ticker = *GenTicker();
  const auto market_id = *GenText();
  const auto client_order_id = *GenText();
  OrderbookDelta d;
  d.market_ticker = ticker;
  d.market_id = market_id;
  d.price = *GenPrice();
  d.delta = *GenCount(-1'000'000'000'000, 1'000'000'000'000);
  d.side = *rc::gen::element(OutcomeSide::kYes, OutcomeSide::kNo);
  d.ts_ms = *GenOptional(rc::gen::inRange<int64_t>(0, 4'000'000'000'000));
  d.client_order_id = client_order_id;
  d.subaccount = *GenOptional(rc::gen::inRange<int64_t>(0, 64));
  const int64_t sid = *rc::gen::inRange<int64_t>(1, 1'000'000);
  const int64_t seq = *rc::gen::inRange<int64_t>(1, int64_t{1} << 62);
  std::string frame;
  EncodeOrderbookDelta(sid, seq, d, frame);
  Decoder decoder;
  const Message& m = DecodeOrFail(decoder, frame);
  RC_ASSERT(m.type == MessageType::kOrderbookDelta);
  RC_ASSERT(m.sid == sid);
  RC_ASSERT(m.seq == seq);
  RC_ASSERT(m.delta.market_ticker == d.market_ticker);
  RC_ASSERT(m.delta.market_id == d.market_id);
  RC_ASSERT(m.delta.price == d.price);
  RC_ASSERT(m.delta.delta == d.delta);
  RC_ASSERT(m.delta.side == d.side);
  RC_ASSERT(m.delta.ts_ms == d.ts_ms);
  RC_ASSERT(m.delta.client_order_id == d.client_order_id);
  RC_ASSERT(m.delta.subaccount == d.subaccount);
}

RC_GTEST_PROP(FrameRoundTrip, OrderbookSnapshot, ()) {
  const auto ticker = *GenTicker();
  const auto market_id = *GenText();
  const auto yes = *GenLevels();
  const auto no = *GenLevels();
  OrderbookSnapshot s;
  s.market_ticker = ticker;
  s.market_id = market_id;
  s.yes_bids = yes;
  s.no_bids = no;
  std::string frame;
  EncodeOrderbookSnapshot(3, 1, s, frame);
  Decoder decoder;
  const Message& m = DecodeOrFail(decoder, frame);
  RC_ASSERT(m.type == MessageType::kOrderbookSnapshot);
  RC_ASSERT(m.snapshot.market_ticker == s.market_ticker);
  RC_ASSERT(m.snapshot.market_id == s.market_id);
  RC_ASSERT(ToVector(m.snapshot.yes_bids) == yes);
  RC_ASSERT(ToVector(m.snapshot.no_bids) == no);
}

RC_GTEST_PROP(FrameRoundTrip, Trade, ()) {
  const auto ticker = *GenTicker();
  const auto trade_id = *GenText();
  Trade t;
  t.trade_id = trade_id;
  t.market_ticker = ticker;
  t.yes_price = *GenPrice();
  t.no_price = *GenPrice();
  t.count = *GenCount(0, 1'000'000'000);
  t.taker_outcome_side = *rc::gen::element(OutcomeSide::kYes, OutcomeSide::kNo);
  t.taker_book_side = t.taker_outcome_side == OutcomeSide::kYes ? BookSide::kBid : BookSide::kAsk;
  t.is_block_trade = *rc::gen::arbitrary<bool>();
  t.ts_ms = *rc::gen::inRange<int64_t>(0, 4'000'000'000'000);
  const auto seq = *GenOptional(rc::gen::inRange<int64_t>(1, 1'000'000));
  std::string frame;
  EncodeTrade(11, seq, t, frame);
  Decoder decoder;
  const Message& m = DecodeOrFail(decoder, frame);
  RC_ASSERT(m.type == MessageType::kTrade);
  RC_ASSERT(m.seq == seq);
  RC_ASSERT(m.trade.trade_id == t.trade_id);
  RC_ASSERT(m.trade.market_ticker == t.market_ticker);
  RC_ASSERT(m.trade.yes_price == t.yes_price);
  RC_ASSERT(m.trade.no_price == t.no_price);
  RC_ASSERT(m.trade.count == t.count);
  RC_ASSERT(m.trade.taker_outcome_side == t.taker_outcome_side);
  RC_ASSERT(m.trade.taker_book_side == t.taker_book_side);
  RC_ASSERT(m.trade.is_block_trade == t.is_block_trade);
  RC_ASSERT(m.trade.ts_ms == t.ts_ms);
}

RC_GTEST_PROP(FrameRoundTrip, Ticker, ()) {
  const auto ticker = *GenTicker();
  Ticker t;
  t.market_ticker = ticker;
  t.last_price = *GenPrice();
  t.yes_bid = *GenPrice();
  t.yes_ask = *GenPrice();
  t.volume = *GenCount(0, int64_t{1} << 50);
  t.open_interest = *GenCount(0, int64_t{1} << 50);
  t.dollar_volume = *rc::gen::inRange<int64_t>(-1'000'000'000, 1'000'000'000);
  t.dollar_open_interest = *rc::gen::inRange<int64_t>(-1'000'000'000, 1'000'000'000);
  t.yes_bid_size = *GenOptional(GenCount(0, 1'000'000'000));
  t.yes_ask_size = *GenOptional(GenCount(0, 1'000'000'000));
  t.last_trade_size = *GenOptional(GenCount(0, 1'000'000'000));
  // core::Timestamp (ns in int64) only spans years 1677..2262; stay inside for the check below.
  t.ts_ms = *rc::gen::inRange<int64_t>(-1'000'000'000'000, 9'000'000'000'000);
  std::string frame;
  EncodeTicker(4, t, frame);
  Decoder decoder;
  const Message& m = DecodeOrFail(decoder, frame);
  RC_ASSERT(m.type == MessageType::kTicker);
  RC_ASSERT(m.ticker.market_ticker == t.market_ticker);
  RC_ASSERT(m.ticker.market_id.empty());
  RC_ASSERT(m.ticker.last_price == t.last_price);
  RC_ASSERT(m.ticker.yes_bid == t.yes_bid);
  RC_ASSERT(m.ticker.yes_ask == t.yes_ask);
  RC_ASSERT(m.ticker.volume == t.volume);
  RC_ASSERT(m.ticker.open_interest == t.open_interest);
  RC_ASSERT(m.ticker.dollar_volume == t.dollar_volume);
  RC_ASSERT(m.ticker.dollar_open_interest == t.dollar_open_interest);
  RC_ASSERT(m.ticker.yes_bid_size == t.yes_bid_size);
  RC_ASSERT(m.ticker.yes_ask_size == t.yes_ask_size);
  RC_ASSERT(m.ticker.last_trade_size == t.last_trade_size);
  RC_ASSERT(m.ticker.ts_ms == t.ts_ms);
  // The deprecated `time` field is the same instant, to the second.
  auto json = nlohmann::json::parse(frame);
  auto time = core::Timestamp::ParseIso8601(json["msg"]["time"].get<std::string>());
  RC_ASSERT(time.ok());
  RC_ASSERT(time->seconds() == json["msg"]["ts"].get<int64_t>());
}

RC_GTEST_PROP(FrameRoundTrip, CommandResponses, ()) {
  const int64_t id = *rc::gen::inRange<int64_t>(0, 1'000'000);
  const int64_t sid = *rc::gen::inRange<int64_t>(1, 1'000'000);
  const int64_t seq = *rc::gen::inRange<int64_t>(1, 1'000'000);
  const auto tickers = *rc::gen::container<std::vector<std::string>>(GenTicker());
  const auto message_text = *GenText();
  const auto channel = *rc::gen::inRange(0, kNumChannels);
  std::vector<std::string_view> views(tickers.begin(), tickers.end());
  Decoder decoder;

  std::string frame;
  EncodeOkMarkets(id, sid, seq, views, {}, frame);
  const Message& ok = DecodeOrFail(decoder, frame);
  RC_ASSERT(ok.type == MessageType::kOk);
  RC_ASSERT(ok.id == id && ok.sid == sid && ok.seq == seq);
  RC_ASSERT(ok.ok.shape == OkShape::kMarkets);
  RC_ASSERT(ToVector(ok.ok.market_tickers) == views);

  frame.clear();
  std::string_view channel_name = ChannelName(static_cast<Channel>(channel));
  std::vector<SubscriptionEntry> entries = {{channel_name, std::nullopt, sid}};
  EncodeOkSubscriptionList(id, entries, frame);
  const Message& list = DecodeOrFail(decoder, frame);
  RC_ASSERT(list.ok.shape == OkShape::kSubscriptionList);
  RC_ASSERT(list.ok.subscriptions.size() == 1u);
  RC_ASSERT(list.ok.subscriptions[0].channel == static_cast<Channel>(channel));
  RC_ASSERT(list.ok.subscriptions[0].sid == sid);

  frame.clear();
  ErrorBody error;
  error.code = *rc::gen::inRange<int64_t>(1, 29);
  error.message = message_text;
  EncodeError(id, sid, seq, error, frame);
  const Message& e = DecodeOrFail(decoder, frame);
  RC_ASSERT(e.type == MessageType::kError);
  RC_ASSERT(e.sid == sid && e.seq == seq && e.id == id);
  RC_ASSERT(e.error.code == error.code);
  RC_ASSERT(e.error.message == error.message);

  frame.clear();
  EncodeUnsubscribed(id, sid, seq, frame);
  const Message& u = DecodeOrFail(decoder, frame);
  RC_ASSERT(u.type == MessageType::kUnsubscribed);
  RC_ASSERT(u.id == id && u.sid == sid && u.seq == seq);
}

}  // namespace
}  // namespace kalshiflow::kalshi
