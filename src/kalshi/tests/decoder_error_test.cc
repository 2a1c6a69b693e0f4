// Decoder rejections (one case per DecodeErrorKind at least, plus the classic malformed inputs)
// and the decoder's general contract: forward compatibility, field order, reuse, padding.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "kalshi/decoder.h"
#include "kalshi/tests/test_util.h"

namespace kalshiflow::kalshi {
namespace {

using testing::C;
using testing::P;
using Kind = DecodeErrorKind;

constexpr std::string_view kDelta =
    R"({"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"KXGOLD-26AUG10-30",)"
    R"("price_dollars":"0.4800","delta_fp":"-40.00","side":"no","ts_ms":1786410915566}})";

// A delta frame with `msg_fields` as its msg body.
std::string DeltaWith(std::string_view msg_fields) {
  return std::string(R"({"type":"orderbook_delta","sid":1,"seq":2,"msg":{)") +
         std::string(msg_fields) + "}}";
}

constexpr std::string_view kDeltaBody =
    R"("market_ticker":"KXGOLD-26AUG10-30","price_dollars":"0.4800","delta_fp":"-40.00",)"
    R"("side":"no")";

std::string SnapshotWithYes(std::string_view yes_levels) {
  return std::string(
             R"({"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"KX-1",)"
             R"("yes_dollars_fp":)") +
         std::string(yes_levels) + "}}";
}

struct ErrorCase {
  std::string name;
  std::string frame;
  Kind kind;
  std::string_view field;
  int32_t index = -1;
};

class DecoderErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(DecoderErrorTest, RejectsWithTypedError) {
  const ErrorCase& c = GetParam();
  Decoder decoder;
  auto result = decoder.Decode(c.frame);
  ASSERT_FALSE(result.ok()) << "accepted: " << c.frame;
  const DecodeError& error = result.error();
  EXPECT_EQ(DecodeErrorKindName(error.kind), DecodeErrorKindName(c.kind)) << error.ToString();
  EXPECT_EQ(error.field, c.field) << error.ToString();
  EXPECT_EQ(error.index, c.index) << error.ToString();
  // The message names the field.
  EXPECT_NE(error.ToString().find(std::string(c.field)), std::string::npos) << error.ToString();
  // The decoder is still usable afterwards.
  auto good = decoder.Decode(kDelta);
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_EQ((*good)->delta.price, P(4800));
}

std::vector<ErrorCase> Cases() {
  std::string body(kDeltaBody);
  return {
      // --- malformed JSON
      {"Empty", "", Kind::kMalformedJson, "<root>"},
      {"OnlyWhitespace", "   \n", Kind::kMalformedJson, "<root>"},
      {"Truncated", std::string(kDelta.substr(0, kDelta.size() / 2)), Kind::kMalformedJson,
       "<root>"},
      {"TruncatedInsideMsg", std::string(kDelta.substr(0, kDelta.size() - 2)), Kind::kMalformedJson,
       "<root>"},
      {"MissingClosingBrace", std::string(kDelta.substr(0, kDelta.size() - 1)),
       Kind::kMalformedJson, "<root>"},
      {"TrailingGarbage", std::string(kDelta) + " x", Kind::kMalformedJson, "<root>"},
      {"TwoObjects", std::string(kDelta) + std::string(kDelta), Kind::kMalformedJson, "<root>"},
      {"UnclosedString", R"({"type":"orderbook_delta)", Kind::kMalformedJson, "<root>"},
      {"InvalidUtf8", "{\"type\":\"ticker\",\"x\":\"\xff\xfe\"}", Kind::kMalformedJson, "<root>"},
      {"BadLiteral", R"({"type":"trade","sid":1,"msg":{"is_block_trade":tru}})",
       Kind::kMalformedJson, "msg.is_block_trade"},
      {"BadNullLiteral", DeltaWith(std::string(kDeltaBody) + R"(,"market_id":nul)"),
       Kind::kMalformedJson, "msg.market_id"},
      {"SeqExponent", R"({"type":"orderbook_delta","sid":1,"seq":1e3,"msg":{)" + body + "}}",
       Kind::kWrongType, "seq"},
      // --- wrong top level
      {"TopLevelArray", "[1,2,3]", Kind::kWrongType, "<root>"},
      {"TopLevelString", R"("orderbook_delta")", Kind::kWrongType, "<root>"},
      {"TopLevelNumber", "42", Kind::kWrongType, "<root>"},
      {"TopLevelNull", "null", Kind::kWrongType, "<root>"},
      // --- envelope
      {"MissingType", R"({"sid":1,"seq":2,"msg":{}})", Kind::kMissingField, "type"},
      {"UnknownType", R"({"type":"orderbook_deltaX","sid":1,"msg":{}})", Kind::kUnknownMessageType,
       "type"},
      {"TypeNotString", R"({"type":7,"sid":1,"msg":{}})", Kind::kWrongType, "type"},
      {"SeqAsString", R"({"type":"orderbook_delta","sid":1,"seq":"2","msg":{)" + body + "}}",
       Kind::kWrongType, "seq"},
      {"SeqZero", R"({"type":"orderbook_delta","sid":1,"seq":0,"msg":{)" + body + "}}",
       Kind::kOutOfRange, "seq"},
      {"SeqNegative", R"({"type":"orderbook_delta","sid":1,"seq":-5,"msg":{)" + body + "}}",
       Kind::kOutOfRange, "seq"},
      {"SeqHuge",
       R"({"type":"orderbook_delta","sid":1,"seq":123456789012345678901234567890,"msg":{)" + body +
           "}}",
       Kind::kOutOfRange, "seq"},
      {"SeqFractional", R"({"type":"orderbook_delta","sid":1,"seq":2.5,"msg":{)" + body + "}}",
       Kind::kWrongType, "seq"},
      {"SidZero", R"({"type":"orderbook_delta","sid":0,"seq":2,"msg":{)" + body + "}}",
       Kind::kOutOfRange, "sid"},
      {"IdNegative", R"({"id":-1,"type":"subscribed","msg":{"channel":"ticker","sid":1}})",
       Kind::kOutOfRange, "id"},
      {"DeltaWithoutSeq", R"({"type":"orderbook_delta","sid":1,"msg":{)" + body + "}}",
       Kind::kMissingField, "seq"},
      {"TickerWithoutSid",
       R"({"type":"ticker","msg":{"market_ticker":"A","price_dollars":"0.1","yes_bid_dollars":"0.1",)"
       R"("yes_ask_dollars":"0.2","volume_fp":"1.00","open_interest_fp":"1.00","dollar_volume":1,)"
       R"("dollar_open_interest":1,"ts_ms":5}})",
       Kind::kMissingField, "sid"},
      {"DeltaWithoutMsg", R"({"type":"orderbook_delta","sid":1,"seq":2})", Kind::kMissingField,
       "msg"},
      {"MsgNotObject", R"({"type":"orderbook_delta","sid":1,"seq":2,"msg":[1]})", Kind::kWrongType,
       "msg"},
      {"ConflictingTypes",
       R"({"type":"orderbook_delta","sid":1,"seq":2,"type":"ticker","msg":{)" + body + "}}",
       Kind::kBadValue, "type"},
      // --- delta fields
      {"PriceTooManyDecimals",
       DeltaWith(R"("market_ticker":"A","price_dollars":"0.12345","delta_fp":"1.00","side":"no")"),
       Kind::kBadNumber, "msg.price_dollars"},
      {"PriceNotADecimal",
       DeltaWith(R"("market_ticker":"A","price_dollars":"abc","delta_fp":"1.00","side":"no")"),
       Kind::kBadNumber, "msg.price_dollars"},
      {"PriceEmpty",
       DeltaWith(R"("market_ticker":"A","price_dollars":"","delta_fp":"1.00","side":"no")"),
       Kind::kBadNumber, "msg.price_dollars"},
      {"PriceAsJsonNumber",
       DeltaWith(R"("market_ticker":"A","price_dollars":0.48,"delta_fp":"1.00","side":"no")"),
       Kind::kWrongType, "msg.price_dollars"},
      {"PriceAboveOneDollar",
       DeltaWith(R"("market_ticker":"A","price_dollars":"1.0001","delta_fp":"1.00","side":"no")"),
       Kind::kOutOfRange, "msg.price_dollars"},
      {"PriceNegative",
       DeltaWith(R"("market_ticker":"A","price_dollars":"-0.01","delta_fp":"1.00","side":"no")"),
       Kind::kOutOfRange, "msg.price_dollars"},
      {"DeltaHugeDecimal",
       DeltaWith(
           R"("market_ticker":"A","price_dollars":"0.5","delta_fp":"99999999999999999999.00","side":"no")"),
       Kind::kBadNumber, "msg.delta_fp"},
      {"DeltaCountThreeDecimals",
       DeltaWith(R"("market_ticker":"A","price_dollars":"0.5","delta_fp":"1.001","side":"no")"),
       Kind::kBadNumber, "msg.delta_fp"},
      {"SideMaybe",
       DeltaWith(R"("market_ticker":"A","price_dollars":"0.5","delta_fp":"1.00","side":"maybe")"),
       Kind::kBadValue, "msg.side"},
      {"SideUpperCase",
       DeltaWith(R"("market_ticker":"A","price_dollars":"0.5","delta_fp":"1.00","side":"YES")"),
       Kind::kBadValue, "msg.side"},
      {"TickerWithSpace",
       DeltaWith(
           R"("market_ticker":"BAD TICKER","price_dollars":"0.5","delta_fp":"1.00","side":"no")"),
       Kind::kBadValue, "msg.market_ticker"},
      {"TickerEmpty",
       DeltaWith(R"("market_ticker":"","price_dollars":"0.5","delta_fp":"1.00","side":"no")"),
       Kind::kBadValue, "msg.market_ticker"},
      {"TickerLowerCase",
       DeltaWith(R"("market_ticker":"kxgold","price_dollars":"0.5","delta_fp":"1.00","side":"no")"),
       Kind::kBadValue, "msg.market_ticker"},
      {"MissingSide", DeltaWith(R"("market_ticker":"A","price_dollars":"0.5","delta_fp":"1.00")"),
       Kind::kMissingField, "msg.side"},
      {"MissingPrice", DeltaWith(R"("market_ticker":"A","delta_fp":"1.00","side":"no")"),
       Kind::kMissingField, "msg.price_dollars"},
      {"MissingTicker", DeltaWith(R"("price_dollars":"0.5","delta_fp":"1.00","side":"no")"),
       Kind::kMissingField, "msg.market_ticker"},
      {"TsMsAsString", DeltaWith(body + R"(,"ts_ms":"1786410915566")"), Kind::kWrongType,
       "msg.ts_ms"},
      {"TsNotRfc3339", DeltaWith(body + R"(,"ts":"yesterday")"), Kind::kBadValue, "msg.ts"},
      {"LegacyCentsAbove100",
       DeltaWith(R"("market_ticker":"A","price":150,"delta":-5,"side":"yes")"), Kind::kOutOfRange,
       "msg.price"},
      {"LegacyDeltaAsString",
       DeltaWith(R"("market_ticker":"A","price":15,"delta":"-5","side":"yes")"), Kind::kWrongType,
       "msg.delta"},
      {"LegacyDeltaOverflow",
       DeltaWith(R"("market_ticker":"A","price":15,"delta":-9223372036854775807,"side":"yes")"),
       Kind::kOutOfRange, "msg.delta"},
      // --- snapshot levels
      {"LevelNotAPair", SnapshotWithYes(R"([["0.5000","1.00"],["0.6000"]])"), Kind::kBadValue,
       "msg.yes_dollars_fp", 1},
      {"LevelTriple", SnapshotWithYes(R"([["0.5000","1.00","2.00"]])"), Kind::kBadValue,
       "msg.yes_dollars_fp", 0},
      {"LevelEmpty", SnapshotWithYes(R"([[]])"), Kind::kBadValue, "msg.yes_dollars_fp", 0},
      {"LevelNotAnArray", SnapshotWithYes(R"(["0.5000"])"), Kind::kWrongType, "msg.yes_dollars_fp",
       0},
      {"LevelsNotAnArray", SnapshotWithYes(R"({"0.5":"1"})"), Kind::kWrongType,
       "msg.yes_dollars_fp"},
      {"LevelNegativeSize", SnapshotWithYes(R"([["0.5000","1.00"],["0.5100","-3.00"]])"),
       Kind::kOutOfRange, "msg.yes_dollars_fp", 1},
      {"LevelPriceAboveOne", SnapshotWithYes(R"([["1.0100","1.00"]])"), Kind::kOutOfRange,
       "msg.yes_dollars_fp", 0},
      {"LevelPriceNumber", SnapshotWithYes(R"([[0.5,"1.00"]])"), Kind::kWrongType,
       "msg.yes_dollars_fp", 0},
      {"LevelBadDecimal", SnapshotWithYes(R"([["0.5000","1.0.0"]])"), Kind::kBadNumber,
       "msg.yes_dollars_fp", 0},
      {"LegacyLevelNegativeQty",
       R"({"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"A","yes":[[45,-1]]}})",
       Kind::kOutOfRange, "msg.yes", 0},
      {"SnapshotMissingTicker",
       R"({"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"yes_dollars_fp":[]}})",
       Kind::kMissingField, "msg.market_ticker"},
      // --- other bodies
      {"SubscribedWithoutSid", R"({"id":1,"type":"subscribed","msg":{"channel":"ticker"}})",
       Kind::kMissingField, "msg.sid"},
      {"ListEntryNotObject", R"({"id":3,"type":"ok","msg":[{"channel":"ticker","sid":2},5]})",
       Kind::kWrongType, "msg", 1},
      {"OkTickersNotStrings",
       R"({"id":3,"sid":1,"seq":2,"type":"ok","msg":{"market_tickers":[1]}})", Kind::kWrongType,
       "msg.market_tickers", 0},
      {"ErrorWithoutCode", R"({"id":3,"type":"error","msg":{"msg":"x"}})", Kind::kMissingField,
       "msg.code"},
      {"TradeBookSideContradictsOutcome",
       R"({"type":"trade","sid":1,"msg":{"trade_id":"t","market_ticker":"A","yes_price_dollars":"0.3",)"
       R"("count_fp":"1.00","taker_outcome_side":"yes","taker_book_side":"ask","ts_ms":1}})",
       Kind::kBadValue, "msg.taker_book_side"},
      {"TradeBookSideUnknown",
       R"({"type":"trade","sid":1,"msg":{"trade_id":"t","market_ticker":"A","yes_price_dollars":"0.3",)"
       R"("count_fp":"1.00","taker_outcome_side":"yes","taker_book_side":"middle","ts_ms":1}})",
       Kind::kBadValue, "msg.taker_book_side"},
      {"FillWithoutDirection",
       R"({"type":"fill","sid":1,"msg":{"trade_id":"t","order_id":"o","market_ticker":"A",)"
       R"("is_taker":false,"yes_price_dollars":"0.3","count_fp":"1.00","post_position_fp":"1.00","ts_ms":1}})",
       Kind::kMissingField, "msg.outcome_side"},
      {"FillFeeCostBad", R"({"type":"fill","sid":1,"msg":{"fee_cost":"0.1234567"}})",
       Kind::kBadNumber, "msg.fee_cost"},
      {"UserOrderBadStatus", R"({"type":"user_order","sid":1,"msg":{"status":"pending"}})",
       Kind::kBadValue, "msg.status"},
      {"OrderGroupBadEvent",
       R"({"type":"order_group_updates","sid":1,"seq":1,"msg":{"event_type":"x"}})",
       Kind::kBadValue, "msg.event_type"},
      {"LifecycleBadEvent",
       R"({"type":"market_lifecycle_v2","sid":1,"msg":{"market_ticker":"A","event_type":"exploded"}})",
       Kind::kBadValue, "msg.event_type"},
      {"LifecycleRangeMissingStep",
       R"({"type":"market_lifecycle_v2","sid":1,"msg":{"market_ticker":"A","event_type":"created",)"
       R"("price_ranges":[{"start":"0.0000","end":"1.0000"}]}})",
       Kind::kMissingField, "msg.price_ranges.step", 0},
      {"LifecycleStrikeAsString",
       R"({"type":"market_lifecycle_v2","sid":1,"msg":{"market_ticker":"A","event_type":"metadata_updated",)"
       R"("floor_strike":"95000"}})",
       Kind::kWrongType, "msg.floor_strike"},
      {"EventFeeMultiplierAsString",
       R"({"type":"event_fee_update","sid":1,"msg":{"event_ticker":"E","fee_multiplier_override":"1"}})",
       Kind::kWrongType, "msg.fee_multiplier_override"},
      {"MarketPositionMissingVolume",
       R"({"type":"market_position","sid":1,"msg":{"user_id":"u","market_ticker":"A","position_fp":"1.00",)"
       R"("position_cost_dollars":"1","realized_pnl_dollars":"0","fees_paid_dollars":"0",)"
       R"("position_fee_cost_dollars":"0"}})",
       Kind::kMissingField, "msg.volume_fp"},
  };
}

INSTANTIATE_TEST_SUITE_P(All, DecoderErrorTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& p) { return p.param.name; });

TEST(DecoderErrors, EveryKindIsCoveredAndNamed) {
  std::set<Kind> kinds;
  for (const ErrorCase& c : Cases()) kinds.insert(c.kind);
  EXPECT_EQ(kinds.size(), static_cast<std::size_t>(kNumDecodeErrorKinds));
  std::set<std::string_view> names;
  for (int i = 0; i < kNumDecodeErrorKinds; ++i) {
    names.insert(DecodeErrorKindName(static_cast<Kind>(i)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kNumDecodeErrorKinds));
  EXPECT_EQ(DecodeErrorKindName(Kind::kBadNumber), "bad_number");
}

TEST(DecoderErrors, ToStringNamesFieldAndReason) {
  Decoder decoder;
  auto result = decoder.Decode(
      DeltaWith(R"("market_ticker":"A","price_dollars":"0.12345","delta_fp":"1.00","side":"no")"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().decimal_error, core::DecimalError::kTooManyDecimals);
  EXPECT_EQ(result.error().ToString(),
            "bad number in msg.price_dollars: too many decimal places (\"0.12345\")");

  result = decoder.Decode(SnapshotWithYes(R"([["0.5000","1.00"],["0.6000"]])"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().ToString(),
            "bad value in msg.yes_dollars_fp[1]: level has 1 elements, not [price, count]");

  result = decoder.Decode(R"({"type":"rfq_created","sid":15,"msg":{}})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().ToString(), "unknown message type in type: \"rfq_created\"");
}

TEST(DecoderErrors, HugeFieldIsQuotedShortened) {
  Decoder decoder;
  std::string long_text(100'000, '7');
  auto result = decoder.Decode(DeltaWith(R"("market_ticker":"A","price_dollars":")" + long_text +
                                         R"(","delta_fp":"1.00","side":"no")"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kBadNumber);
  EXPECT_LT(result.error().ToString().size(), 200u);
}

TEST(DecoderErrors, FrameLargerThanLimitIsRejected) {
  Decoder decoder(/*max_frame_bytes=*/64);
  std::string frame(kDelta);
  ASSERT_GT(frame.size(), 64u);
  auto result = decoder.Decode(frame);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kMalformedJson);
  EXPECT_NE(result.error().detail.find("exceeds"), std::string::npos);
  EXPECT_TRUE(decoder.Decode(R"({"id":3,"type":"ok","msg":[]})").ok());
}

TEST(DecoderErrors, DeepNestingDoesNotCrash) {
  std::string nest = std::string(5000, '[') + std::string(5000, ']');
  Decoder decoder;
  // Skipped unknown field: structurally valid, so the frame decodes.
  auto result = decoder.Decode(DeltaWith(std::string(kDeltaBody) + R"(,"x":)" + nest));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->delta.price, P(4800));
  // Inside a field the decoder reads: a typed error.
  result = decoder.Decode(SnapshotWithYes(nest));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kWrongType) << result.error().ToString();
  EXPECT_EQ(result.error().field, "msg.yes_dollars_fp");
  // Unbalanced deep nesting: malformed.
  result = decoder.Decode(DeltaWith(std::string(kDeltaBody) + R"(,"x":)" + std::string(5000, '[')));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kMalformedJson) << result.error().ToString();
}

// ---------------------------------------------------------------------------------------------
// Contract

TEST(DecoderContract, IgnoresUnknownFieldsAnywhere) {
  Decoder decoder;
  auto result = decoder.Decode(
      R"({"new_top":{"a":[1,{"b":null}]},"type":"orderbook_delta","sid":1,"seq":2,"msg":{)"
      R"("future":[["x"]],"market_ticker":"KX-A","price_dollars":"0.4800","Clock":123,)"
      R"("delta_fp":"-40.00","side":"no","subaccount":2,"nested":{"deep":{"deeper":true}}},"z":1.5})");
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->delta.price, P(4800));
  EXPECT_EQ((*result)->delta.subaccount, 2);
}

TEST(DecoderContract, MsgBeforeTypeIsDecoded) {
  Decoder decoder;
  auto result = decoder.Decode(
      R"({"msg":{"market_ticker":"KX-A","price_dollars":"0.1200","delta_fp":"5.00","side":"yes"},)"
      R"("seq":9,"sid":3,"type":"orderbook_delta"})");
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->type, MessageType::kOrderbookDelta);
  EXPECT_EQ((*result)->seq, 9);
  EXPECT_EQ((*result)->sid, 3);
  EXPECT_EQ((*result)->delta.market_ticker, "KX-A");
  EXPECT_EQ((*result)->delta.price, P(1200));
  EXPECT_EQ((*result)->delta.delta, C(500));
  // A bad msg found on the second pass is still reported.
  result = decoder.Decode(
      R"({"msg":{"market_ticker":"KX-A"},"seq":9,"sid":3,"type":"orderbook_delta"})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "msg.price_dollars");
}

TEST(DecoderContract, FixedPointWinsOverLegacyTwin) {
  Decoder decoder;
  auto result = decoder.Decode(DeltaWith(
      R"("market_ticker":"A","price":46,"delta":-50,"side":"yes","price_dollars":"0.4650","delta_fp":"-50.25")"));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->format, WireFormat::kLegacyCents);
  EXPECT_EQ((*result)->delta.price, P(4650));
  EXPECT_EQ((*result)->delta.delta, C(-5025));

  // Order does not matter.
  result = decoder.Decode(DeltaWith(
      R"("market_ticker":"A","price_dollars":"0.4650","delta_fp":"-50.25","price":46,"delta":-50,"side":"yes")"));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->delta.price, P(4650));

  // Legacy only: converted exactly.
  result = decoder.Decode(DeltaWith(R"("market_ticker":"A","price":46,"delta":-50,"side":"yes")"));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->format, WireFormat::kLegacyCents);
  EXPECT_EQ((*result)->delta.price, P(4600));
  EXPECT_EQ((*result)->delta.delta, C(-5000));

  // Snapshot: *_fp beats the cents levels even when they differ.
  result = decoder.Decode(
      R"({"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"A","yes":[[1,1]],)"
      R"("yes_dollars_fp":[["0.0150","2.50"]],"no":[[7,7]]}})");
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(testing::ToVector((*result)->snapshot.yes_bids),
            (std::vector<core::PriceLevel>{{P(150), C(250)}}));
  EXPECT_EQ(testing::ToVector((*result)->snapshot.no_bids),
            (std::vector<core::PriceLevel>{{P(700), C(700)}}));
}

TEST(DecoderContract, LegacyRfc3339TimestampsWithOffsetsAndFractions) {
  Decoder decoder;
  struct Case {
    const char* ts;
    std::optional<int64_t> ms;
  };
  const Case cases[] = {
      {"2026-02-14T15:30:00Z", 1771083000000},
      {"2026-02-14T15:30:00.123456Z", 1771083000123},  // sub-ms digits truncated
      {"2026-02-14T16:30:00.5+01:00", 1771083000500},
      {"2026-02-14T10:00:00-05:30", 1771083000000},
      {"2026-02-14 15:30:00", 1771083000000},  // no zone: UTC
      {"9999-12-31T23:59:59Z", std::nullopt},  // outside core::Timestamp (1678..2261): rejected
      {"2026-02-30T15:30:00Z", std::nullopt},
      {"2026-02-14T24:00:00Z", std::nullopt},
      {"2026-02-14T15:30:00+1:00", std::nullopt},
      {"2026-02-14T15:30:00.Z", std::nullopt},
      {"2026-02-14", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ts);
    auto result = decoder.Decode(DeltaWith(std::string(kDeltaBody) + R"(,"ts":")" + c.ts + "\""));
    if (c.ms.has_value()) {
      ASSERT_TRUE(result.ok()) << result.error().ToString();
      EXPECT_EQ((*result)->delta.ts_ms, *c.ms);
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().kind, Kind::kBadValue);
      EXPECT_EQ(result.error().field, "msg.ts");
    }
  }
  // ts_ms wins over ts when both are present.
  auto result = decoder.Decode(
      DeltaWith(std::string(kDeltaBody) + R"(,"ts":"2026-02-14T15:30:00Z","ts_ms":42)"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)->delta.ts_ms, 42);
}

TEST(DecoderContract, OptionalFieldsMayBeNull) {
  Decoder decoder;
  auto result = decoder.Decode(DeltaWith(
      std::string(kDeltaBody) + R"(,"market_id":null,"ts_ms":null,"client_order_id":null)"));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_TRUE((*result)->delta.market_id.empty());
  EXPECT_FALSE((*result)->delta.ts_ms.has_value());
}

TEST(DecoderContract, EscapedStringsAreUnescaped) {
  Decoder decoder;
  auto result = decoder.Decode(
      DeltaWith(std::string(kDeltaBody) + R"(,"client_order_id":"a\"b\\c\u00e9\n")"));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->delta.client_order_id, "a\"b\\c\xc3\xa9\n");
}

TEST(DecoderContract, SnapshotSidesMayBeOmitted) {
  Decoder decoder;
  auto result = decoder.Decode(
      R"({"type":"orderbook_snapshot","sid":4,"seq":1,"msg":{"market_ticker":"A","market_id":"m"}})");
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_TRUE((*result)->snapshot.yes_bids.empty());
  EXPECT_TRUE((*result)->snapshot.no_bids.empty());
  // A previous snapshot's levels do not leak into the next one.
  result = decoder.Decode(SnapshotWithYes(R"([["0.5000","1.00"]])"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)->snapshot.yes_bids.size(), 1u);
  result = decoder.Decode(
      R"({"type":"orderbook_snapshot","sid":4,"seq":2,"msg":{"market_ticker":"A","no_dollars_fp":[["0.2000","3.00"]]}})");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE((*result)->snapshot.yes_bids.empty());
  EXPECT_EQ((*result)->snapshot.no_bids.size(), 1u);
}

TEST(DecoderContract, OkWithoutMsgIsAnEmptyMarketsAck) {
  Decoder decoder;
  auto result = decoder.Decode(R"({"id":5,"sid":2,"seq":3,"type":"ok"})");
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->ok.shape, OkShape::kMarkets);
  EXPECT_TRUE((*result)->ok.market_tickers.empty());
}

TEST(DecoderContract, DecodePaddedReadsInPlace) {
  Decoder decoder;
  std::string storage(kDelta);
  storage.resize(kDelta.size() + Decoder::kPadding, ' ');
  std::string_view frame(storage.data(), kDelta.size());
  auto result = decoder.DecodePadded(frame, storage.size());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->delta.price, P(4800));
  // Too little padding: falls back to copying.
  result = decoder.DecodePadded(frame, frame.size());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)->delta.delta, C(-4000));
}

TEST(DecoderContract, MovedDecoderKeepsWorking) {
  Decoder a;
  Decoder b = std::move(a);
  auto result = b.Decode(kDelta);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)->delta.side, core::OutcomeSide::kNo);
}

TEST(DecoderContract, NamesAreStable) {
  EXPECT_EQ(MessageTypeName(MessageType::kOrderbookDelta), "orderbook_delta");
  EXPECT_EQ(MessageTypeName(MessageType::kMarketPosition), "market_position");
  for (int i = 0; i < kNumMessageTypes; ++i) {
    auto type = static_cast<MessageType>(i);
    EXPECT_EQ(ParseMessageType(MessageTypeName(type)), type);
  }
  for (int i = 0; i < kNumChannels; ++i) {
    auto channel = static_cast<Channel>(i);
    EXPECT_EQ(ParseChannel(ChannelName(channel)), channel);
  }
  EXPECT_FALSE(ParseChannel("orderbook").has_value());
  EXPECT_EQ(WireFormatName(WireFormat::kLegacyCents), "legacy_cents");
}

}  // namespace
}  // namespace kalshiflow::kalshi
