// Internal to the exchange module: the trading endpoints of the REST API and the private
// WebSocket frames, as views of the TradingEngine (PROTOCOL.md §3.4 private channels, §4.3 V2
// orders, §4.4 order reads, §4.6 portfolio, §4.7 order groups, §4.10 errors). Wire encoding and
// request parsing are kalshi/trading_messages.h's (the same DTOs the trading client parses).
//
// Routes (all authenticated; the account is the request's API key):
//   POST   /portfolio/events/orders                     201 CreateOrderV2Response
//   POST   /portfolio/events/orders/batched             201 {"orders":[...]} (per-item errors)
//   DELETE /portfolio/events/orders/batched             200 {"orders":[...]}
//   DELETE /portfolio/events/orders/{order_id}          200 CancelOrderV2Response
//   POST   /portfolio/events/orders/{order_id}/amend    200 AmendOrderV2Response
//   POST   /portfolio/events/orders/{order_id}/decrease 200 DecreaseOrderV2Response
//   GET    /portfolio/orders (ticker, status, limit, cursor), /portfolio/orders/{order_id},
//          /portfolio/orders/{order_id}/queue_position
//   GET    /portfolio/positions (ticker, limit, cursor), /portfolio/balance,
//          /portfolio/fills (ticker, order_id, min_ts, max_ts, limit, cursor),
//          /portfolio/settlements, /portfolio/summary/total_resting_order_value
//   GET    /portfolio/order_groups, /portfolio/order_groups/{id}
//   POST   /portfolio/order_groups/create               201
//   DELETE /portfolio/order_groups/{id}; PUT .../{id}/reset, .../{id}/trigger, .../{id}/limit
//   POST   /portfolio/orders (legacy)                   400 "Please switch to the V2 endpoints"
// A body that does not parse is 400 `invalid_parameters` naming the field. Cursors are opaque
// offsets ("" at the end).
//
// Threading: the exchange's I/O thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "exchange/rest_api.h"
#include "exchange/trading_engine.h"
#include "kalshi/trading_messages.h"

namespace kalshiflow::exchange::internal {

/// The §4.4 Order of a record.
kalshi::Order ToWireOrder(const OrderRecord& order);

/// Adds the trading routes above to `api`; handlers call `engine` (which must outlive `api`).
void AddTradingRoutes(RestApi& api, TradingEngine& engine);

/// The private-channel frame of `notice` for subscription `sid` (`seq` only for
/// order_group_updates, PROTOCOL §3.5), addressed to `key_id`.
std::string EncodeNotice(const PrivateNotice& notice, std::string_view key_id, int64_t sid,
                         std::optional<int64_t> seq);

/// The channel a notice goes to and the market it concerns ("" for order groups).
kalshi::Channel NoticeChannel(const PrivateNotice& notice);
std::string_view NoticeMarket(const PrivateNotice& notice);

}  // namespace kalshiflow::exchange::internal
