// Encoders for server -> client Kalshi WebSocket frames in the CURRENT fixed-point format
// (PROTOCOL.md §3.3, §3.4). Used by the recording converter (legacy recordings -> current
// frames) and by the local exchange's WebSocket server.
//
// Every function APPENDS one complete JSON text frame to `out` (it does not clear it) and
// allocates nothing once `out` has enough capacity. Prices are written with 4 decimals
// ("0.4800"), counts with 2 ("-40.00"), money with 6; strings are JSON-escaped. Field order
// follows Kalshi's examples. The frames decode back to the same values with kalshi::Decoder.
//
// Inputs are trusted (our own data): values are not range-checked beyond KF_DCHECKs.
// Threading: pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "kalshi/messages.h"

namespace kalshiflow::kalshi {

/// {"type":"orderbook_snapshot","sid":S,"seq":Q,"msg":{"market_ticker":..,["market_id":..,]
///  ["yes_dollars_fp":[["0.0800","300.00"],..],]["no_dollars_fp":[..]]}}
/// A side with no levels is omitted, as Kalshi does; market_id is omitted when empty.
void EncodeOrderbookSnapshot(int64_t sid, int64_t seq, const OrderbookSnapshot& snapshot,
                             std::string& out);

/// {"type":"orderbook_delta","sid":S,"seq":Q,"msg":{"market_ticker":..,["market_id":..,]
///  "price_dollars":"0.4800","delta_fp":"-40.00","side":"no",["client_order_id":..,]
///  ["subaccount":N,]["ts_ms":T]}}. Optional fields are written only when set / non-empty.
void EncodeOrderbookDelta(int64_t sid, int64_t seq, const OrderbookDelta& delta, std::string& out);

/// {"type":"trade","sid":S,["seq":Q,]"msg":{"trade_id":..,"market_ticker":..,
///  "yes_price_dollars":..,"no_price_dollars":..,"count_fp":..,"taker_side":..,
///  "taker_outcome_side":..,"taker_book_side":..,"is_block_trade":false,"ts":sec,"ts_ms":ms}}
/// (deprecated `taker_side` and `ts` are still written, as the 2026 spec requires them).
void EncodeTrade(int64_t sid, std::optional<int64_t> seq, const Trade& trade, std::string& out);

/// {"type":"ticker","sid":S,"msg":{"market_ticker":..,["market_id":..,]"price_dollars":..,
///  "yes_bid_dollars":..,"yes_ask_dollars":..,"volume_fp":..,"open_interest_fp":..,
///  "dollar_volume":N,"dollar_open_interest":N,[size fields when set,]"ts":sec,"ts_ms":ms,
///  "time":"2022-11-22T20:44:01Z"}}
void EncodeTicker(int64_t sid, const Ticker& ticker, std::string& out);

/// {["id":I,]"type":"subscribed","msg":{"channel":"orderbook_delta","sid":S}}
/// (`id` omitted when 0, which means "no id").
void EncodeSubscribed(int64_t id, std::string_view channel_name, int64_t sid, std::string& out);

/// update_subscription answer: {["id":I,]["sid":S,]["seq":Q,]"type":"ok",
/// "msg":{"market_tickers":[..][,"market_ids":[..]]}} (sid omitted when 0, market_ids when
/// empty).
void EncodeOkMarkets(int64_t id, int64_t sid, std::optional<int64_t> seq,
                     std::span<const std::string_view> market_tickers,
                     std::span<const std::string_view> market_ids, std::string& out);

/// list_subscriptions answer: {["id":I,]"type":"ok","msg":[{"channel":..,"sid":..},..]}
void EncodeOkSubscriptionList(int64_t id, std::span<const SubscriptionEntry> subscriptions,
                              std::string& out);

/// {["id":I,]["sid":S,]["seq":Q,]"type":"error","msg":{"code":C,"msg":..,
///  ["market_ticker":..,]["market_id":..,]["market_tickers":[..]]}}
void EncodeError(int64_t id, int64_t sid, std::optional<int64_t> seq, const ErrorBody& error,
                 std::string& out);

/// {["id":I,]"sid":S,"seq":Q,"type":"unsubscribed"}
void EncodeUnsubscribed(int64_t id, int64_t sid, int64_t seq, std::string& out);

/// Encodes `message` (envelope + the body matching its type) with the functions above.
/// Supported types: orderbook_snapshot, orderbook_delta, trade, ticker, subscribed, ok, error,
/// unsubscribed. Returns Unimplemented for other types, InvalidArgument when a required
/// envelope field is missing (seq on snapshot/delta/unsubscribed). `out` is untouched on error.
core::Status EncodeMessage(const Message& message, std::string& out);

}  // namespace kalshiflow::kalshi
