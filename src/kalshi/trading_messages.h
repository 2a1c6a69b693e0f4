// Typed DTOs for Kalshi trading: V2 order requests/responses, portfolio reads, order groups,
// API errors, and the private WebSocket messages (fill, market_position, user_order,
// order_group_updates). Each type converts both ways:
//
//   nlohmann::json ToJson(const T&)               // the wire JSON (newest fixed-point format)
//   core::Result<T> ParseT(const nlohmann::json&)  // e.g. ParseOrder, ParseFillMessage
//
// Used by trading::KalshiTradingClient (client side: encode requests, parse responses) and by
// the local exchange (server side: parse requests, encode responses and frames).
//
// Wire conventions (PROTOCOL.md §0.1, §4.1): prices are FixedPointDollars strings ("0.5600",
// up to 6 dp, always exact here) → core::Price (1/10,000 $); counts are FixedPointCount strings
// ("10.00") → core::Count (1/100 contract); money (costs, fees, P&L, balances; up to 6 dp)
// → core::Money (1e-6 $). Encoders write prices with 4 dp, counts with 2 dp, money with 6 dp.
//
// Parsing rules: unknown fields are ignored; deprecated fields (side/action/is_yes/
// purchased_side, legacy integer cents) are neither required nor read; `null` counts as
// absent. Errors are InvalidArgument naming the context, the field and the bad value, e.g.
// "order.fill_count_fp: not a decimal: 'x'", "fill.is_taker: expected a boolean, got string",
// "create_order.ticker: missing". Parsers check structure and types only; business rules
// (price range, tick size, count > 0) are the exchange's job.
//
// Sources: PROTOCOL.md §3.4 (private channels), §4.1, §4.3 (V2 orders), §4.4 (Order model),
// §4.6 (portfolio), §4.7 (order groups), §4.10 (errors); openapi.reconstructed.v3.28.0.
// Threading: pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/fixed_point.h"
#include "core/market.h"
#include "core/status.h"
#include "kalshi/messages.h"  // OrderStatus, OrderGroupEventType (shared with the decoder)

namespace kalshiflow::kalshi {

// ---------------------------------------------------------------------------------------------
// Enums

/// `time_in_force` (PROTOCOL §4.3): "good_till_canceled" | "immediate_or_cancel" |
/// "fill_or_kill". A good-till-time order is GTC plus `expiration_time`.
enum class TimeInForce { kGoodTillCanceled, kImmediateOrCancel, kFillOrKill };
std::string_view TimeInForceName(TimeInForce value);
std::optional<TimeInForce> ParseTimeInForce(std::string_view text);

/// `self_trade_prevention_type`: "taker_at_cross" (cancel the taker, partial fills stand) |
/// "maker" (cancel the resting maker and continue).
enum class SelfTradePrevention { kTakerAtCross, kMaker };
std::string_view SelfTradePreventionName(SelfTradePrevention value);
std::optional<SelfTradePrevention> ParseSelfTradePrevention(std::string_view text);

/// Order `status` names for kalshi::OrderStatus (messages.h: kResting, kCanceled, kExecuted,
/// kUnknown): "resting" | "canceled" | "executed" | "unknown" (the newest spec's addition;
/// `pending` was removed 2025-11-27 and is a parse error).
std::string_view OrderStatusName(OrderStatus value);
std::optional<OrderStatus> ParseOrderStatus(std::string_view text);

/// `order_group_updates` `event_type` names for kalshi::OrderGroupEventType (messages.h):
/// "created" | "triggered" | "reset" | "deleted" | "limit_updated".
std::string_view OrderGroupEventTypeName(OrderGroupEventType value);
std::optional<OrderGroupEventType> ParseOrderGroupEventType(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Errors (PROTOCOL §4.10, §4.9)

/// An error answer from the REST API, or a per-item error in a batch response.
/// Bodies: `{"error":{"code":"insufficient_balance","message":"insufficient balance",
/// "details":"..."}}`; the 429 body is the plain `{"error":"too many requests"}` (parsed as
/// code "too_many_requests").
struct ApiError {
  int http_status = 0;  // 0 for a per-item batch error
  std::string code;     // Kalshi's snake_case code, e.g. "insufficient_balance"
  std::string message;
  std::string details;  // optional; "" when absent

  /// Maps to a core::Status whose message is "<code>: <message>" plus " (<details>)" when
  /// details are present, e.g. "insufficient_balance: insufficient balance (shard 2)".
  /// Codes insufficient_balance / available_balance_too_low → FailedPrecondition; otherwise by
  /// HTTP status: 400 → InvalidArgument, 401 → Unauthenticated, 403 → PermissionDenied,
  /// 404 → NotFound, 409 → AlreadyExists, 429 → ResourceExhausted, 5xx → Unavailable, other
  /// 4xx and 0 (batch items) → InvalidArgument, anything else → Internal.
  core::Status ToStatus() const;
  friend bool operator==(const ApiError&, const ApiError&) = default;
};

/// The inner object {"code","message","details"} (details omitted when empty).
nlohmann::json ToJson(const ApiError& error);
/// Parses the inner object {"code","message"[, "details"]} (as found in batch items).
/// `http_status` is copied into the result.
core::Result<ApiError> ParseApiErrorObject(const nlohmann::json& json, int http_status = 0);
/// Parses a full error body: `{"error":{...}}` or the plain `{"error":"too many requests"}`.
core::Result<ApiError> ParseApiErrorBody(int http_status, std::string_view body);
/// Never fails: ParseApiErrorBody, or for a body that is not a Kalshi error (an HTML 502 page,
/// empty) code "http_<status>" and the body's first 200 bytes as the message.
ApiError ApiErrorFromHttp(int http_status, std::string_view body);
/// `{"error":{"code":...,"message":...[,"details":...]}}` as text (the exchange's error body).
std::string ErrorBodyJson(std::string_view code, std::string_view message,
                          std::string_view details = {});

// ---------------------------------------------------------------------------------------------
// V2 order endpoints (PROTOCOL §4.3)

/// POST /portfolio/events/orders body (CreateOrderV2Request). `side` is the YES-leg book side:
/// bid = buy YES at `price`; ask = sell YES at `price` (≡ buy NO at 1 − price).
struct CreateOrderRequest {
  std::string ticker;           // required
  std::string client_order_id;  // "" = none (omitted on the wire)
  core::BookSide side = core::BookSide::kBid;
  core::Count count;  // FixedPointCount "count"
  core::Price price;  // YES price, FixedPointDollars "price"
  TimeInForce time_in_force = TimeInForce::kGoodTillCanceled;
  std::optional<int64_t> expiration_time_s;  // "expiration_time", Unix seconds (GTT)
  SelfTradePrevention self_trade_prevention = SelfTradePrevention::kTakerAtCross;
  bool post_only = false;
  bool cancel_order_on_pause = false;
  bool reduce_only = false;
  int subaccount = 0;                 // 0 = primary
  std::string order_group_id;         // "" = none (omitted)
  std::optional<int> exchange_index;  // absent = auto-route by ticker
  friend bool operator==(const CreateOrderRequest&, const CreateOrderRequest&) = default;
};
nlohmann::json ToJson(const CreateOrderRequest& request);
core::Result<CreateOrderRequest> ParseCreateOrderRequest(const nlohmann::json& json);

/// 201 CreateOrderV2Response. There is no status: resting iff remaining_count > 0.
struct CreateOrderResponse {
  std::string order_id;
  std::string client_order_id;
  core::Count fill_count;
  core::Count remaining_count;
  std::optional<core::Price> average_fill_price;  // present when fill_count > 0
  std::optional<core::Money> average_fee_paid;    // per contract; present when fill_count > 0
  int64_t ts_ms = 0;                              // matching-engine time
  friend bool operator==(const CreateOrderResponse&, const CreateOrderResponse&) = default;
};
nlohmann::json ToJson(const CreateOrderResponse& response);
core::Result<CreateOrderResponse> ParseCreateOrderResponse(const nlohmann::json& json);

/// DELETE /portfolio/events/orders/{id} → CancelOrderV2Response. `reduced_by` = the remaining
/// count at cancel time.
struct CancelOrderResponse {
  std::string order_id;
  std::string client_order_id;
  core::Count reduced_by;
  int64_t ts_ms = 0;
  friend bool operator==(const CancelOrderResponse&, const CancelOrderResponse&) = default;
};
nlohmann::json ToJson(const CancelOrderResponse& response);
core::Result<CancelOrderResponse> ParseCancelOrderResponse(const nlohmann::json& json);

/// POST /portfolio/events/orders/{id}/amend body. `count` is the new total = already filled +
/// desired resting remainder.
struct AmendOrderRequest {
  std::string ticker;
  core::BookSide side = core::BookSide::kBid;
  core::Price price;  // YES price
  core::Count count;
  std::string client_order_id;          // "" = omitted
  std::string updated_client_order_id;  // "" = omitted
  std::optional<int> exchange_index;
  friend bool operator==(const AmendOrderRequest&, const AmendOrderRequest&) = default;
};
nlohmann::json ToJson(const AmendOrderRequest& request);
core::Result<AmendOrderRequest> ParseAmendOrderRequest(const nlohmann::json& json);

/// AmendOrderV2Response. The spec marks the counts nullable ("present when the amend caused a
/// fill or changed the resting size"); an absent or null count parses as zero.
struct AmendOrderResponse {
  std::string order_id;
  std::string client_order_id;
  core::Count remaining_count;  // actual resting after the amend
  core::Count fill_count;       // fills caused by the amend crossing
  std::optional<core::Price> average_fill_price;
  std::optional<core::Money> average_fee_paid;
  int64_t ts_ms = 0;
  friend bool operator==(const AmendOrderResponse&, const AmendOrderResponse&) = default;
};
nlohmann::json ToJson(const AmendOrderResponse& response);
core::Result<AmendOrderResponse> ParseAmendOrderResponse(const nlohmann::json& json);

/// POST /portfolio/events/orders/{id}/decrease body: exactly one of reduce_by / reduce_to
/// (parsing enforces it; ToJson writes what is set).
struct DecreaseOrderRequest {
  std::optional<core::Count> reduce_by;
  std::optional<core::Count> reduce_to;
  std::optional<int> exchange_index;
  std::string market_ticker;  // "" = omitted
  friend bool operator==(const DecreaseOrderRequest&, const DecreaseOrderRequest&) = default;
};
nlohmann::json ToJson(const DecreaseOrderRequest& request);
core::Result<DecreaseOrderRequest> ParseDecreaseOrderRequest(const nlohmann::json& json);

struct DecreaseOrderResponse {
  std::string order_id;
  std::string client_order_id;
  core::Count remaining_count;
  int64_t ts_ms = 0;
  friend bool operator==(const DecreaseOrderResponse&, const DecreaseOrderResponse&) = default;
};
nlohmann::json ToJson(const DecreaseOrderResponse& response);
core::Result<DecreaseOrderResponse> ParseDecreaseOrderResponse(const nlohmann::json& json);

/// One item of the batched-create response. On a per-item error, `error` is set and the
/// counts (nullable on the wire) are zero.
struct BatchCreateResult {
  std::string order_id;
  std::string client_order_id;
  core::Count fill_count;
  core::Count remaining_count;
  std::optional<core::Price> average_fill_price;
  std::optional<core::Money> average_fee_paid;
  int64_t ts_ms = 0;
  std::optional<ApiError> error;
  friend bool operator==(const BatchCreateResult&, const BatchCreateResult&) = default;
};
nlohmann::json ToJson(const BatchCreateResult& result);
core::Result<BatchCreateResult> ParseBatchCreateResult(const nlohmann::json& json);

/// One item of the batched-cancel response.
struct BatchCancelResult {
  std::string order_id;
  std::string client_order_id;
  core::Count reduced_by;
  int64_t ts_ms = 0;
  std::optional<ApiError> error;
  friend bool operator==(const BatchCancelResult&, const BatchCancelResult&) = default;
};
nlohmann::json ToJson(const BatchCancelResult& result);
core::Result<BatchCancelResult> ParseBatchCancelResult(const nlohmann::json& json);

/// One item of the DELETE /portfolio/events/orders/batched body.
struct BatchCancelItem {
  std::string order_id;
  std::optional<int> subaccount;
  std::optional<int> exchange_index;
  std::string market_ticker;  // "" = omitted
  friend bool operator==(const BatchCancelItem&, const BatchCancelItem&) = default;
};
nlohmann::json ToJson(const BatchCancelItem& item);
core::Result<BatchCancelItem> ParseBatchCancelItem(const nlohmann::json& json);

/// Batch bodies, both ways: {"orders":[...]}.
nlohmann::json BatchCreateRequestToJson(std::span<const CreateOrderRequest> orders);
core::Result<std::vector<CreateOrderRequest>> ParseBatchCreateRequest(const nlohmann::json& json);
nlohmann::json BatchCreateResponseToJson(std::span<const BatchCreateResult> results);
core::Result<std::vector<BatchCreateResult>> ParseBatchCreateResponse(const nlohmann::json& json);
nlohmann::json BatchCancelRequestToJson(std::span<const BatchCancelItem> items);
core::Result<std::vector<BatchCancelItem>> ParseBatchCancelRequest(const nlohmann::json& json);
nlohmann::json BatchCancelResponseToJson(std::span<const BatchCancelResult> results);
core::Result<std::vector<BatchCancelResult>> ParseBatchCancelResponse(const nlohmann::json& json);

// ---------------------------------------------------------------------------------------------
// Orders: reads (PROTOCOL §4.4)

/// The REST Order model. `yes_price` is the YES price; the encoder also writes
/// `no_price_dollars` = 1 − yes. Times are RFC 3339 strings as Kalshi sends them.
struct Order {
  std::string order_id;
  std::string user_id;
  std::string client_order_id;
  std::string ticker;
  core::OutcomeSide outcome_side = core::OutcomeSide::kYes;
  core::BookSide book_side = core::BookSide::kBid;
  std::string type = "limit";
  OrderStatus status = OrderStatus::kResting;
  core::Price yes_price;  // yes_price_dollars
  core::Count fill_count;
  core::Count remaining_count;
  core::Count initial_count;  // absent → fill_count + remaining_count
  core::Money taker_fill_cost;
  core::Money maker_fill_cost;
  core::Money taker_fees;
  core::Money maker_fees;
  std::optional<std::string> expiration_time;
  std::string created_time;      // "" = absent
  std::string last_update_time;  // "" = absent
  std::optional<SelfTradePrevention> self_trade_prevention;
  std::string order_group_id;  // "" = none
  bool cancel_order_on_pause = false;
  int subaccount_number = 0;
  int exchange_index = 0;
  friend bool operator==(const Order&, const Order&) = default;
};
nlohmann::json ToJson(const Order& order);
/// Required: order_id, ticker, status, yes_price_dollars, fill_count_fp, remaining_count_fp,
/// and outcome_side or book_side (when only one is sent the other is derived: yes ↔ bid,
/// no ↔ ask; the same rule applies to fills). Everything else defaults when absent.
core::Result<Order> ParseOrder(const nlohmann::json& json);

/// GET /portfolio/orders → {"orders":[Order],"cursor"}; "" cursor = last page.
struct OrdersPage {
  std::vector<Order> orders;
  std::string cursor;
  friend bool operator==(const OrdersPage&, const OrdersPage&) = default;
};
nlohmann::json ToJson(const OrdersPage& page);
core::Result<OrdersPage> ParseOrdersPage(const nlohmann::json& json);

// ---------------------------------------------------------------------------------------------
// Portfolio (PROTOCOL §4.6)

/// GET /portfolio/positions MarketPosition. `position` is signed: + YES, − NO contracts.
struct MarketPositionRecord {
  std::string ticker;
  int exchange_index = 0;
  core::Money total_traded;     // total_traded_dollars
  core::Count position;         // position_fp
  core::Money market_exposure;  // market_exposure_dollars (cost of the position)
  core::Money realized_pnl;     // realized_pnl_dollars
  core::Money fees_paid;        // fees_paid_dollars
  std::string last_updated_ts;  // RFC 3339; "" = absent
  friend bool operator==(const MarketPositionRecord&, const MarketPositionRecord&) = default;
};
nlohmann::json ToJson(const MarketPositionRecord& record);
core::Result<MarketPositionRecord> ParseMarketPositionRecord(const nlohmann::json& json);

/// GET /portfolio/positions EventPosition.
struct EventPositionRecord {
  std::string event_ticker;
  core::Money total_cost;         // total_cost_dollars
  core::Count total_cost_shares;  // total_cost_shares_fp
  core::Money event_exposure;     // event_exposure_dollars
  core::Money realized_pnl;
  core::Money fees_paid;
  friend bool operator==(const EventPositionRecord&, const EventPositionRecord&) = default;
};
nlohmann::json ToJson(const EventPositionRecord& record);
core::Result<EventPositionRecord> ParseEventPositionRecord(const nlohmann::json& json);

struct PositionsPage {
  std::vector<MarketPositionRecord> market_positions;
  std::vector<EventPositionRecord> event_positions;
  std::string cursor;
  friend bool operator==(const PositionsPage&, const PositionsPage&) = default;
};
nlohmann::json ToJson(const PositionsPage& page);
core::Result<PositionsPage> ParsePositionsPage(const nlohmann::json& json);

/// GET /portfolio/balance. `balance_cents` truncates sub-cent amounts; `balance` is exact.
struct Balance {
  int64_t balance_cents = 0;          // "balance" (integer cents, available balance)
  core::Money balance;                // "balance_dollars"
  int64_t portfolio_value_cents = 0;  // "portfolio_value"
  int64_t updated_ts = 0;             // Unix seconds
  friend bool operator==(const Balance&, const Balance&) = default;
};
nlohmann::json ToJson(const Balance& balance);
/// `balance_dollars` absent → balance = balance_cents (exact in Money).
core::Result<Balance> ParseBalance(const nlohmann::json& json);

/// GET /portfolio/fills Fill. The encoder writes trade_id = fill_id, market_ticker = ticker
/// and no_price_dollars = 1 − yes.
struct FillRecord {
  std::string fill_id;  // "trade_id" when fill_id is absent
  std::string order_id;
  std::string ticker;  // "market_ticker" when ticker is absent
  int exchange_index = 0;
  core::OutcomeSide outcome_side = core::OutcomeSide::kYes;
  core::BookSide book_side = core::BookSide::kBid;
  core::Count count;      // count_fp
  core::Price yes_price;  // yes_price_dollars
  bool is_taker = false;
  std::string created_time;  // RFC 3339; "" = absent
  core::Money fee_cost;      // dollars
  int subaccount_number = 0;
  int64_t ts = 0;  // Unix seconds
  friend bool operator==(const FillRecord&, const FillRecord&) = default;
};
nlohmann::json ToJson(const FillRecord& record);
core::Result<FillRecord> ParseFillRecord(const nlohmann::json& json);

struct FillsPage {
  std::vector<FillRecord> fills;
  std::string cursor;
  friend bool operator==(const FillsPage&, const FillsPage&) = default;
};
nlohmann::json ToJson(const FillsPage& page);
core::Result<FillsPage> ParseFillsPage(const nlohmann::json& json);

/// GET /portfolio/settlements Settlement.
struct SettlementRecord {
  std::string ticker;
  int exchange_index = 0;
  std::string event_ticker;
  std::string market_result;  // "yes" | "no" | "scalar" (kept as text)
  core::Count yes_count;      // yes_count_fp
  core::Money yes_total_cost;
  core::Count no_count;
  core::Money no_total_cost;
  int64_t revenue_cents = 0;  // "revenue": 100 per winning contract
  std::string settled_time;   // RFC 3339
  core::Money fee_cost;
  std::optional<int64_t> value_cents;  // "value": payout of one YES contract (cents)
  friend bool operator==(const SettlementRecord&, const SettlementRecord&) = default;
};
nlohmann::json ToJson(const SettlementRecord& record);
core::Result<SettlementRecord> ParseSettlementRecord(const nlohmann::json& json);

struct SettlementsPage {
  std::vector<SettlementRecord> settlements;
  std::string cursor;
  friend bool operator==(const SettlementsPage&, const SettlementsPage&) = default;
};
nlohmann::json ToJson(const SettlementsPage& page);
core::Result<SettlementsPage> ParseSettlementsPage(const nlohmann::json& json);

// ---------------------------------------------------------------------------------------------
// Order groups (PROTOCOL §4.7)

/// An item of GET /portfolio/order_groups.
struct OrderGroup {
  std::string id;
  std::optional<core::Count> contracts_limit;  // contracts_limit_fp
  bool is_auto_cancel_enabled = false;
  int exchange_index = 0;
  friend bool operator==(const OrderGroup&, const OrderGroup&) = default;
};
nlohmann::json ToJson(const OrderGroup& group);
core::Result<OrderGroup> ParseOrderGroup(const nlohmann::json& json);
/// {"order_groups":[...]} both ways.
nlohmann::json OrderGroupsToJson(std::span<const OrderGroup> groups);
core::Result<std::vector<OrderGroup>> ParseOrderGroups(const nlohmann::json& json);

/// GET /portfolio/order_groups/{id}. The wire body has no id; ParseOrderGroupDetail leaves
/// `id` empty (the client fills it in) and ToJson does not write it.
struct OrderGroupDetail {
  std::string id;
  std::optional<core::Count> contracts_limit;
  bool is_auto_cancel_enabled = false;
  std::vector<std::string> orders;  // order ids
  int exchange_index = 0;
  friend bool operator==(const OrderGroupDetail&, const OrderGroupDetail&) = default;
};
nlohmann::json ToJson(const OrderGroupDetail& detail);
core::Result<OrderGroupDetail> ParseOrderGroupDetail(const nlohmann::json& json);

/// POST /portfolio/order_groups/create body; also the PUT .../limit body (subaccount and
/// exchange_index unset). Written as contracts_limit_fp; parsing also accepts the integer
/// `contracts_limit`.
struct OrderGroupLimitRequest {
  core::Count contracts_limit;
  std::optional<int> subaccount;
  std::optional<int> exchange_index;
  friend bool operator==(const OrderGroupLimitRequest&, const OrderGroupLimitRequest&) = default;
};
nlohmann::json ToJson(const OrderGroupLimitRequest& request);
core::Result<OrderGroupLimitRequest> ParseOrderGroupLimitRequest(const nlohmann::json& json);

/// 201 answer to create: {"order_group_id","subaccount","exchange_index"}.
struct CreateOrderGroupResponse {
  std::string order_group_id;
  int subaccount = 0;
  int exchange_index = 0;
  friend bool operator==(const CreateOrderGroupResponse&,
                         const CreateOrderGroupResponse&) = default;
};
nlohmann::json ToJson(const CreateOrderGroupResponse& response);
core::Result<CreateOrderGroupResponse> ParseCreateOrderGroupResponse(const nlohmann::json& json);

// ---------------------------------------------------------------------------------------------
// Private WebSocket messages (PROTOCOL §3.4). ToJson gives the `msg` object; the envelope
// ({"type","sid"[, "seq"],"msg"}) is written by EncodePrivateMessage. `sid` / `seq` are filled
// by ParsePrivateMessage from the envelope.

/// `fill` channel (no seq). `post_position` is the signed net position after the fill.
struct FillMessage {
  int64_t sid = 0;
  std::string trade_id;
  std::string order_id;
  std::string market_ticker;
  int exchange_index = 0;
  bool is_taker = false;
  core::OutcomeSide outcome_side = core::OutcomeSide::kYes;
  core::BookSide book_side = core::BookSide::kBid;
  core::Price yes_price;        // yes_price_dollars
  core::Count count;            // count_fp
  core::Money fee_cost;         // dollars
  core::Count post_position;    // post_position_fp: + YES, − NO
  std::string client_order_id;  // "" = absent
  int subaccount = 0;
  int64_t ts_ms = 0;
  friend bool operator==(const FillMessage&, const FillMessage&) = default;
};
nlohmann::json ToJson(const FillMessage& message);
/// Parses the `msg` object (sid stays 0).
core::Result<FillMessage> ParseFillMessage(const nlohmann::json& msg);

/// `user_orders` channel, message type `user_order` (no seq): the order plus the update.
/// The embedded order is parsed like ParseOrder (type defaults to "limit").
struct UserOrderMessage {
  int64_t sid = 0;
  Order order;
  std::string last_update_reason;  // e.g. "Trade", "PostOnlyCrossCancel"; "" = absent
  std::optional<int64_t> created_ts_ms;
  std::optional<int64_t> last_updated_ts_ms;
  std::optional<int64_t> expiration_ts_ms;
  friend bool operator==(const UserOrderMessage&, const UserOrderMessage&) = default;
};
nlohmann::json ToJson(const UserOrderMessage& message);
core::Result<UserOrderMessage> ParseUserOrderMessage(const nlohmann::json& msg);

/// `market_positions` channel, message type `market_position` (no seq).
struct MarketPositionMessage {
  int64_t sid = 0;
  std::string user_id;
  std::string market_ticker;
  core::Count position;           // position_fp
  core::Money position_cost;      // position_cost_dollars
  core::Money realized_pnl;       // realized_pnl_dollars
  core::Money fees_paid;          // fees_paid_dollars
  core::Money position_fee_cost;  // position_fee_cost_dollars
  core::Count volume;             // volume_fp
  int subaccount = 0;
  friend bool operator==(const MarketPositionMessage&, const MarketPositionMessage&) = default;
};
nlohmann::json ToJson(const MarketPositionMessage& message);
core::Result<MarketPositionMessage> ParseMarketPositionMessage(const nlohmann::json& msg);

/// `order_group_updates` channel (has seq). contracts_limit only on created / limit_updated.
struct OrderGroupUpdateMessage {
  int64_t sid = 0;
  std::optional<int64_t> seq;
  OrderGroupEventType event_type = OrderGroupEventType::kCreated;
  std::string order_group_id;
  std::optional<core::Count> contracts_limit;  // contracts_limit_fp
  int64_t ts_ms = 0;
  friend bool operator==(const OrderGroupUpdateMessage&, const OrderGroupUpdateMessage&) = default;
};
nlohmann::json ToJson(const OrderGroupUpdateMessage& message);
core::Result<OrderGroupUpdateMessage> ParseOrderGroupUpdateMessage(const nlohmann::json& msg);

using PrivateMessage =
    std::variant<FillMessage, UserOrderMessage, MarketPositionMessage, OrderGroupUpdateMessage>;

/// Wire `type` names: "fill", "user_order", "market_position", "order_group_updates".
inline constexpr std::string_view kFillType = "fill";
inline constexpr std::string_view kUserOrderType = "user_order";
inline constexpr std::string_view kMarketPositionType = "market_position";
inline constexpr std::string_view kOrderGroupUpdatesType = "order_group_updates";

/// Parses one WebSocket text frame. Errors: InvalidArgument for malformed JSON, a missing or
/// non-string `type`, a missing `sid`/`msg` or a bad field (named as "<type>.<field>");
/// NotFound with message "not a private message: type '<type>'" for any other well-formed
/// frame (orderbook_delta, subscribed, error, ...), so callers can hand it to the public
/// decoder.
core::Result<PrivateMessage> ParsePrivateMessage(std::string_view frame);

/// One frame: {"type":...,"sid":sid[,"seq":seq],"msg":ToJson(message)}. The message's own
/// sid/seq fields are ignored in favour of the arguments.
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const FillMessage& message);
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const UserOrderMessage& message);
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const MarketPositionMessage& message);
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const OrderGroupUpdateMessage& message);

}  // namespace kalshiflow::kalshi
