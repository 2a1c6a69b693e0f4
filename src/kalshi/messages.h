// Typed server -> client Kalshi WebSocket messages, as produced by kalshi::Decoder and consumed
// by the frame encoders (frame_encoder.h).
//
// Lifetime: every std::string_view and std::span in these structs points into memory owned by
// the Decoder that produced the Message (its parser string buffer and scratch vectors). They stay
// valid until the next Decode() call on that Decoder, or its destruction. Copy what you keep.
// When you build a Message yourself (e.g. to encode a frame), the views point wherever you
// made them point.
//
// Units: prices are core::Price (1/10,000 $), sizes core::Count (1/100 contract), cash/fees/costs
// core::Money (1e-6 $). Timestamps are int64 Unix milliseconds (`*_ts_ms`) or Unix seconds
// (`*_ts`), as named.
//
// Optional strings: an empty std::string_view means "absent" (or JSON null).
//
// Source: ../shared/kalshi-api/PROTOCOL.md §3.3 (responses), §3.4 (channel messages, current
// fixed-point format), §3.7 (legacy integer-cent format); asyncapi.2026-08-22.yaml and
// asyncapi.legacy-int-fields.2026-02-25.yaml.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/fixed_point.h"
#include "core/market.h"
#include "kalshi/channel.h"

namespace kalshiflow::kalshi {

/// Which wire format a frame used.
///  * kFixedPoint: current format (since 2026-03-12): `*_dollars` price strings, `*_fp` count
///    strings, 6-dp money strings.
///  * kLegacyCents: the frame carried at least one legacy integer field of PROTOCOL §3.7
///    (integer cents `price`/`yes_price`/`yes_bid`..., integer `delta`/`count`/`volume`...,
///    `yes`/`no` [[cents, qty]] levels, `yes_dollars` [["0.45", qty]] levels, centi-cent
///    `position_cost`...). Legacy frames usually carried the fixed-point twins as well; the
///    decoder then takes the values from the fixed-point fields, but still reports kLegacyCents.
enum class WireFormat : uint8_t { kFixedPoint, kLegacyCents };
/// "fixed_point" / "legacy_cents".
std::string_view WireFormatName(WireFormat format);

/// The `type` of a server -> client message.
enum class MessageType : uint8_t {
  // Command responses (PROTOCOL §3.3).
  kSubscribed,    // "subscribed"
  kUnsubscribed,  // "unsubscribed"
  kOk,            // "ok" (update_subscription answer, or list_subscriptions answer)
  kError,         // "error"
  // Channel messages (PROTOCOL §3.4).
  kOrderbookSnapshot,            // "orderbook_snapshot"        (orderbook_delta channel)
  kOrderbookDelta,               // "orderbook_delta"           (orderbook_delta channel)
  kTicker,                       // "ticker"
  kTrade,                        // "trade"
  kFill,                         // "fill"
  kMarketPosition,               // "market_position"           (market_positions channel)
  kUserOrder,                    // "user_order"                (user_orders channel)
  kOrderGroupUpdates,            // "order_group_updates"
  kMarketLifecycleV2,            // "market_lifecycle_v2"
  kMultivariateMarketLifecycle,  // "multivariate_market_lifecycle" (same body as v2)
  kEventLifecycle,               // "event_lifecycle"           (market_lifecycle_v2 channel)
  kEventFeeUpdate,               // "event_fee_update"          (market_lifecycle_v2 channel)
};
inline constexpr int kNumMessageTypes = 16;

/// The exact wire `type` string, e.g. "orderbook_delta".
std::string_view MessageTypeName(MessageType type);
/// Parses an exact wire `type` string; nullopt for unknown types.
std::optional<MessageType> ParseMessageType(std::string_view name);

// ---------------------------------------------------------------------------------------------
// Command responses

/// One {channel, sid} pair of a list_subscriptions answer, or the body of `subscribed`.
struct SubscriptionEntry {
  std::string_view channel_name;   // as sent, e.g. "orderbook_delta"
  std::optional<Channel> channel;  // nullopt for a channel name this build does not know
  int64_t sid = 0;                 // >= 1
};

/// `subscribed`: {"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}.
/// (The new sid is inside msg; the envelope has no sid.)
using SubscribedBody = SubscriptionEntry;

/// The two shapes of an `ok` answer.
enum class OkShape : uint8_t {
  kMarkets,           // update_subscription answer: msg {"market_tickers":[...]} (or no msg /
                      // empty lists with skip_ticker_ack); envelope carries sid and seq.
  kSubscriptionList,  // list_subscriptions answer: msg [{"channel":..,"sid":..}, ...]
};

/// `ok`. Only the spans matching `shape` are filled; the others are empty.
struct OkBody {
  OkShape shape = OkShape::kMarkets;
  std::span<const std::string_view> market_tickers;  // full list after the update
  std::span<const std::string_view> market_ids;      // (ticker channel by UUID)
  std::span<const SubscriptionEntry> subscriptions;  // kSubscriptionList only
};

/// `error`: {"id":127,"type":"error","msg":{"code":16,"msg":"Market not found",
/// "market_ticker":"INVALID-MARKET"}}. The envelope may also carry sid/seq when the error is
/// scoped to a subscription (newest spec). Codes: PROTOCOL §3.3 table (10, 25 and 17 are
/// terminal: resubscribe).
struct ErrorBody {
  int64_t code = 0;
  std::string_view message;                          // msg.msg
  std::string_view market_ticker;                    // optional; echoes client input, not validated
  std::string_view market_id;                        // optional
  std::span<const std::string_view> market_tickers;  // optional (newest spec)
};

// ---------------------------------------------------------------------------------------------
// Channel messages

/// `orderbook_snapshot`: the full bids-only book of one market. Levels are in wire order
/// (Kalshi sends ascending price). Each level has 0 <= price <= $1 and count >= 0.
/// NO levels are in NO-leg prices unless the subscription set use_yes_price=true (§3.6); the
/// decoder cannot tell, the subscriber knows.
struct OrderbookSnapshot {
  std::string_view market_ticker;              // validated (core::ValidateTicker)
  std::string_view market_id;                  // UUID; optional (empty if absent)
  std::span<const core::PriceLevel> yes_bids;  // `yes_dollars_fp` (legacy `yes_dollars`/`yes`)
  std::span<const core::PriceLevel> no_bids;   // `no_dollars_fp` (legacy `no_dollars`/`no`)
};

/// `orderbook_delta`: level_qty += delta at (side, price); remove the level when <= 0.
struct OrderbookDelta {
  std::string_view market_ticker;  // validated
  std::string_view market_id;      // optional: real captures omit it (§3.4)
  core::Price price;               // 0..$1 (`price_dollars`; legacy `price` cents)
  core::Count delta;               // signed (`delta_fp`; legacy integer `delta`)
  core::OutcomeSide side = core::OutcomeSide::kYes;  // which bid ladder: yes or no
  std::optional<int64_t> ts_ms;       // exchange time, Unix ms (`ts_ms`, else parsed RFC3339 `ts`)
  std::string_view client_order_id;   // only when your order caused the change
  std::optional<int64_t> subaccount;  // likewise
};

/// `ticker`: top of book and market statistics (no seq).
struct Ticker {
  std::string_view market_ticker;              // validated
  std::string_view market_id;                  // optional
  core::Price last_price;                      // `price_dollars` (last trade); legacy `price`
  core::Price yes_bid;                         // `yes_bid_dollars`; legacy `yes_bid`
  core::Price yes_ask;                         // `yes_ask_dollars`; legacy `yes_ask`
  core::Count volume;                          // `volume_fp`; legacy `volume`
  core::Count open_interest;                   // `open_interest_fp`; legacy `open_interest`
  int64_t dollar_volume = 0;                   // whole dollars
  int64_t dollar_open_interest = 0;            // whole dollars
  std::optional<core::Count> yes_bid_size;     // `yes_bid_size_fp` (absent in legacy frames)
  std::optional<core::Count> yes_ask_size;     // `yes_ask_size_fp`
  std::optional<core::Count> last_trade_size;  // `last_trade_size_fp`
  int64_t ts_ms = 0;  // Unix ms (`ts_ms`, else deprecated `ts` seconds x 1000)
};

/// `trade` (public).
struct Trade {
  std::string_view trade_id;
  std::string_view market_ticker;  // validated
  core::Price yes_price;           // `yes_price_dollars`; legacy `yes_price` cents
  core::Price no_price;            // `no_price_dollars`; legacy `no_price`; else 1 - yes_price
  core::Count count;               // `count_fp`; legacy `count`
  /// `taker_outcome_side`, else the deprecated `taker_side` (same meaning).
  core::OutcomeSide taker_outcome_side = core::OutcomeSide::kYes;
  /// `taker_book_side`, else derived: yes -> bid, no -> ask.
  core::BookSide taker_book_side = core::BookSide::kBid;
  bool is_block_trade = false;  // absent in legacy frames -> false
  int64_t ts_ms = 0;            // Unix ms (`ts_ms`, else `ts` seconds x 1000)
};

/// Deprecated `action` of fills (still sent in the 2026 spec).
enum class OrderAction : uint8_t { kBuy, kSell };

/// `fill` (private).
struct Fill {
  std::string_view trade_id;
  std::string_view order_id;
  std::string_view market_ticker;  // validated
  std::optional<int64_t> exchange_index;
  bool is_taker = false;
  /// `outcome_side`; else derived from the deprecated `side` + `action` (buy-yes and sell-no
  /// -> yes; buy-no and sell-yes -> no); else `purchased_side`.
  core::OutcomeSide outcome_side = core::OutcomeSide::kYes;
  /// `book_side`; else derived from outcome_side (yes -> bid, no -> ask).
  core::BookSide book_side = core::BookSide::kBid;
  core::Price yes_price;  // `yes_price_dollars`; legacy `yes_price` cents. NO = 1 - yes.
  core::Count count;      // `count_fp`; legacy `count`
  std::optional<core::Money> fee_cost;  // `fee_cost` (dollar string; added 2026-01-29)
  core::Count post_position;            // `post_position_fp`; legacy `post_position`; +YES / -NO
  std::string_view client_order_id;     // optional
  std::optional<int64_t> subaccount;    // optional
  int64_t ts_ms = 0;                    // Unix ms (`ts_ms`, else `ts` seconds x 1000)
};

/// `market_position` (channel market_positions, private).
struct MarketPosition {
  std::string_view user_id;
  std::string_view market_ticker;  // validated
  core::Count position;            // `position_fp`; legacy `position`; +YES / -NO
  core::Money position_cost;       // `position_cost_dollars`; legacy `position_cost` centi-cents
  core::Money realized_pnl;        // `realized_pnl_dollars`; legacy `realized_pnl` centi-cents
  core::Money fees_paid;           // `fees_paid_dollars`; legacy `fees_paid` centi-cents
  core::Money position_fee_cost;   // `position_fee_cost_dollars`; legacy centi-cents
  core::Count volume;              // `volume_fp`; legacy `volume`
  std::optional<int64_t> subaccount;
};

/// `user_order` status.
enum class OrderStatus : uint8_t { kResting, kCanceled, kExecuted, kUnknown };

/// `user_order` (channel user_orders, private).
struct UserOrder {
  std::string_view order_id;
  std::string_view user_id;
  std::string_view market_ticker;  // wire field `ticker`; validated
  OrderStatus status = OrderStatus::kUnknown;
  /// `outcome_side` (else derived from book_side); nullopt when neither is sent (the deprecated
  /// `side` alone does not determine it: a sell-YES order has side yes, outcome no).
  std::optional<core::OutcomeSide> outcome_side;
  std::optional<core::BookSide> book_side;  // `book_side` (else derived from outcome_side)
  std::optional<core::OutcomeSide> side;    // deprecated `side`, as sent
  core::Price yes_price;                    // `yes_price_dollars`
  core::Count fill_count;                   // `fill_count_fp`
  core::Count remaining_count;              // `remaining_count_fp`
  core::Count initial_count;                // `initial_count_fp`
  core::Money taker_fill_cost;              // `taker_fill_cost_dollars`
  core::Money maker_fill_cost;              // `maker_fill_cost_dollars`
  std::optional<core::Money> taker_fees;    // `taker_fees_dollars`
  std::optional<core::Money> maker_fees;    // `maker_fees_dollars`
  std::string_view client_order_id;
  std::string_view order_group_id;
  std::string_view self_trade_prevention_type;  // "taker_at_cross" | "maker" (as sent)
  std::string_view last_update_reason;          // e.g. "Trade", "PostOnlyCrossCancel"
  std::optional<int64_t> created_ts_ms;         // `created_ts_ms`, else parsed `created_time`
  std::optional<int64_t> last_updated_ts_ms;    // `last_updated_ts_ms`, else `last_update_time`
  std::optional<int64_t> expiration_ts_ms;      // `expiration_ts_ms`, else `expiration_time`
  std::optional<int64_t> exchange_index;
  std::optional<int64_t> subaccount_number;
};

/// `order_group_updates` event type.
enum class OrderGroupEventType : uint8_t { kCreated, kTriggered, kReset, kDeleted, kLimitUpdated };

/// `order_group_updates` (private; has seq).
struct OrderGroupUpdate {
  OrderGroupEventType event_type = OrderGroupEventType::kCreated;
  std::string_view order_group_id;
  std::optional<core::Count> contracts_limit;  // `contracts_limit_fp`: created / limit_updated
  std::optional<int64_t> ts_ms;                // matching-engine time, Unix ms
};

/// `market_lifecycle_v2` event type.
enum class LifecycleEventType : uint8_t {
  kCreated,
  kActivated,
  kDeactivated,
  kCloseDateUpdated,
  kDetermined,
  kSettled,
  kPriceLevelStructureUpdated,
  kMetadataUpdated,
};

/// Kalshi `price_ranges` band (defined once in core/market.h).
using core::PriceRange;

/// `market_lifecycle_v2` / `multivariate_market_lifecycle`. Field presence depends on
/// event_type (PROTOCOL §3.4).
struct MarketLifecycle {
  std::string_view market_ticker;  // validated
  LifecycleEventType event_type = LifecycleEventType::kCreated;
  std::optional<int64_t> exchange_index;        // created
  std::optional<int64_t> open_ts;               // created; Unix seconds
  std::optional<int64_t> close_ts;              // created, close_date_updated; Unix seconds
  std::string_view result;                      // determined ("yes", "no", ...)
  std::optional<int64_t> determination_ts;      // determined; Unix seconds
  std::optional<core::Price> settlement_value;  // determined; dollars
  std::optional<int64_t> settled_ts;            // settled; Unix seconds
  std::optional<bool> is_deactivated;           // deactivated / activated
  std::string_view price_level_structure;       // e.g. "linear_cent"
  std::span<const PriceRange> price_ranges;     // created, price_level_structure_updated
  std::string_view strike_type;                 // metadata_updated
  std::string_view floor_strike;                // metadata_updated; raw JSON number text
  std::string_view cap_strike;                  // metadata_updated; raw JSON number text
  std::string_view yes_sub_title;               // metadata_updated
  std::string_view additional_metadata;         // created; the raw JSON object text
};

/// `event_lifecycle` (market_lifecycle_v2 channel).
struct EventLifecycle {
  std::string_view event_ticker;  // validated
  std::optional<int64_t> exchange_index;
  std::string_view title;
  std::string_view subtitle;
  std::string_view collateral_return_type;  // "MECNET" | "DIRECNET" | ""
  std::string_view series_ticker;
  std::optional<int64_t> strike_date;  // Unix seconds
  std::string_view strike_period;
};

/// `event_fee_update` (market_lifecycle_v2 channel). Both overrides are null when cleared.
struct EventFeeUpdate {
  std::string_view event_ticker;             // validated
  std::string_view fee_type_override;        // e.g. "quadratic"; empty when null (cleared)
  std::string_view fee_multiplier_override;  // raw JSON number text; empty when null
};

// ---------------------------------------------------------------------------------------------

/// One decoded server -> client message: the envelope plus one body per type. Only the body
/// matching `type` is meaningful (the others hold stale or default values).
struct Message {
  MessageType type = MessageType::kOk;
  WireFormat format = WireFormat::kFixedPoint;
  int64_t sid = 0;             // envelope `sid` (0 if absent); >= 1 when present
  std::optional<int64_t> seq;  // envelope `seq`; >= 1 when present
  int64_t id = 0;              // envelope `id` echoing the command id (0 if absent)

  SubscribedBody subscribed;
  OkBody ok;
  ErrorBody error;
  OrderbookSnapshot snapshot;
  OrderbookDelta delta;
  Ticker ticker;
  Trade trade;
  Fill fill;
  MarketPosition market_position;
  UserOrder user_order;
  OrderGroupUpdate order_group;
  MarketLifecycle lifecycle;  // kMarketLifecycleV2 and kMultivariateMarketLifecycle
  EventLifecycle event_lifecycle;
  EventFeeUpdate event_fee_update;
};

}  // namespace kalshiflow::kalshi
