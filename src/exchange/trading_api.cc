#include "exchange/trading_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "core/check.h"

namespace kalshiflow::exchange::internal {

using core::Count;
using core::Money;
using core::Price;
using Json = nlohmann::json;

namespace {

RestResponse JsonAnswer(const Json& j, int status = 200) {
  return RestResponse{status, j.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

RestResponse Refusal(const OrderError& error) {
  return RestResponse{error.http_status, ErrorBody(error.code, error.message, error.details)};
}

RestResponse BadBody(std::string_view details) {
  return RestResponse{400, ErrorBody("invalid_parameters", "invalid parameters", details)};
}

std::optional<Json> ParseBody(std::string_view body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<std::string> QueryValue(const QueryParams& query, std::string_view key) {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> ToInt(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

// limit (1–1000, default 100) and cursor (an offset) of a list read.
struct Page {
  std::size_t offset = 0;
  std::size_t limit = 100;
};
std::optional<Page> ReadPage(const QueryParams& query) {
  Page page;
  if (auto v = QueryValue(query, "limit")) {
    auto n = ToInt(*v);
    if (!n || *n < 1 || *n > 1000) return std::nullopt;
    page.limit = static_cast<std::size_t>(*n);
  }
  if (auto v = QueryValue(query, "cursor")) {
    auto n = ToInt(*v);
    if (!n || *n < 0) return std::nullopt;
    page.offset = static_cast<std::size_t>(*n);
  }
  return page;
}
std::string NextCursor(const Page& page, std::size_t total) {
  const std::size_t next = page.offset + page.limit;
  return next < total ? std::to_string(next) : std::string();
}

int64_t Seconds(core::Timestamp ts) { return ts.nanos() / 1'000'000'000; }

// Average YES price of fills costing `leg_cost` on the order's leg over `count` contracts.
std::optional<Price> AverageYesPrice(core::BookSide side, Money leg_cost, Count count) {
  if (!count.IsPositive()) return std::nullopt;
  // Money units (1e-6 $) per Count unit (1/100 contract) = 1e-4 $ per contract = Price units.
  const Price leg = Price::FromUnits(leg_cost.units() / count.units());
  return side == core::BookSide::kBid ? leg : leg.Complement();
}
std::optional<Money> AverageFee(Money fees, Count count) {
  if (!count.IsPositive()) return std::nullopt;
  return Money::FromUnits(fees.units() * Count::FromContracts(1).units() / count.units());
}

kalshi::FillRecord ToWireFill(const FillRecord& f) {
  kalshi::FillRecord w;
  w.fill_id = f.fill_id;
  w.order_id = f.order_id;
  w.ticker = f.ticker;
  w.outcome_side = sim::LegOf(f.side);
  w.book_side = f.side;
  w.count = f.count;
  w.yes_price = f.yes_price;
  w.is_taker = f.is_taker;
  w.created_time = FormatRfc3339(f.ts);
  w.fee_cost = f.fee;
  w.ts = Seconds(f.ts);
  return w;
}

kalshi::MarketPositionRecord ToWirePosition(const PositionRecord& p) {
  kalshi::MarketPositionRecord w;
  w.ticker = p.ticker;
  w.total_traded = p.total_traded;
  w.position = p.position;
  w.market_exposure = p.exposure;
  w.realized_pnl = p.realized_pnl;
  w.fees_paid = p.fees_paid;
  w.last_updated_ts = FormatRfc3339(p.last_updated);
  return w;
}

// ---- handlers ----------------------------------------------------------------------------------

RestResponse CreateOne(TradingEngine& engine, std::string_view key, const Json& body,
                       kalshi::BatchCreateResult* batch_item) {
  auto request = kalshi::ParseCreateOrderRequest(body);
  if (!request.ok()) {
    if (batch_item != nullptr) {
      batch_item->error = kalshi::ApiError{0, "invalid_parameters", request.error().message(), ""};
    }
    return BadBody(request.error().message());
  }
  auto outcome = engine.CreateOrder(key, *request);
  if (!outcome.ok()) {
    if (batch_item != nullptr) {
      batch_item->client_order_id = request->client_order_id;
      batch_item->error = kalshi::ApiError{0, outcome.error().code, outcome.error().message,
                                           outcome.error().details};
    }
    return Refusal(outcome.error());
  }
  const OrderRecord& order = *outcome->order;
  kalshi::CreateOrderResponse response;
  response.order_id = order.order_id;
  response.client_order_id = order.client_order_id;
  response.fill_count = order.fill_count;
  response.remaining_count = order.remaining_count;
  response.average_fill_price =
      AverageYesPrice(order.side, outcome->fill_cost_now, outcome->filled_now);
  response.average_fee_paid = AverageFee(outcome->fees_now, outcome->filled_now);
  response.ts_ms = engine.Now().millis();
  if (batch_item != nullptr) {
    batch_item->order_id = response.order_id;
    batch_item->client_order_id = response.client_order_id;
    batch_item->fill_count = response.fill_count;
    batch_item->remaining_count = response.remaining_count;
    batch_item->average_fill_price = response.average_fill_price;
    batch_item->average_fee_paid = response.average_fee_paid;
    batch_item->ts_ms = response.ts_ms;
  }
  return JsonAnswer(kalshi::ToJson(response), 201);
}

RestResponse CancelOne(TradingEngine& engine, std::string_view key, std::string_view order_id,
                       kalshi::BatchCancelResult* batch_item) {
  auto outcome = engine.CancelOrder(key, order_id);
  if (!outcome.ok()) {
    if (batch_item != nullptr) {
      batch_item->order_id = std::string(order_id);
      batch_item->error = kalshi::ApiError{0, outcome.error().code, outcome.error().message,
                                           outcome.error().details};
    }
    return Refusal(outcome.error());
  }
  kalshi::CancelOrderResponse response;
  response.order_id = outcome->order->order_id;
  response.client_order_id = outcome->order->client_order_id;
  response.reduced_by = outcome->reduced_by;
  response.ts_ms = engine.Now().millis();
  if (batch_item != nullptr) {
    batch_item->order_id = response.order_id;
    batch_item->client_order_id = response.client_order_id;
    batch_item->reduced_by = response.reduced_by;
    batch_item->ts_ms = response.ts_ms;
  }
  return JsonAnswer(kalshi::ToJson(response));
}

}  // namespace

kalshi::Order ToWireOrder(const OrderRecord& o) {
  kalshi::Order w;
  w.order_id = o.order_id;
  w.user_id = o.user_id;
  w.client_order_id = o.client_order_id;
  w.ticker = o.ticker;
  w.outcome_side = sim::LegOf(o.side);
  w.book_side = o.side;
  w.status = o.status;
  w.yes_price = o.yes_price;
  w.fill_count = o.fill_count;
  w.remaining_count = o.remaining_count;
  w.initial_count = o.initial_count;
  w.taker_fill_cost = o.taker_fill_cost;
  w.maker_fill_cost = o.maker_fill_cost;
  w.taker_fees = o.taker_fees;
  w.maker_fees = o.maker_fees;
  if (o.expiration_time_s) {
    w.expiration_time = FormatRfc3339(core::Timestamp::FromSeconds(*o.expiration_time_s));
  }
  w.created_time = FormatRfc3339(o.created);
  w.last_update_time = FormatRfc3339(o.last_update);
  w.self_trade_prevention = o.self_trade_prevention;
  w.order_group_id = o.order_group_id;
  w.cancel_order_on_pause = o.cancel_order_on_pause;
  return w;
}

void AddTradingRoutes(RestApi& api, TradingEngine& engine) {
  TradingEngine* e = &engine;
  // ---- V2 orders (literal "batched" before "{order_id}") ----
  api.AddRoute("POST", "/portfolio/events/orders/batched", true, [e](const RouteRequest& r) {
    auto body = ParseBody(r.body);
    if (!body || !body->contains("orders") || !(*body)["orders"].is_array()) {
      return BadBody("batched: expected {\"orders\":[...]}");
    }
    std::vector<kalshi::BatchCreateResult> results;
    for (const Json& item : (*body)["orders"]) {
      kalshi::BatchCreateResult result;
      (void)CreateOne(*e, r.key_id, item, &result);
      results.push_back(std::move(result));
    }
    return JsonAnswer(kalshi::BatchCreateResponseToJson(results), 201);
  });
  api.AddRoute("DELETE", "/portfolio/events/orders/batched", true, [e](const RouteRequest& r) {
    auto body = ParseBody(r.body);
    if (!body) return BadBody("batched: expected {\"orders\":[...]}");
    auto items = kalshi::ParseBatchCancelRequest(*body);
    if (!items.ok()) return BadBody(items.error().message());
    std::vector<kalshi::BatchCancelResult> results;
    for (const kalshi::BatchCancelItem& item : *items) {
      kalshi::BatchCancelResult result;
      (void)CancelOne(*e, r.key_id, item.order_id, &result);
      results.push_back(std::move(result));
    }
    return JsonAnswer(kalshi::BatchCancelResponseToJson(results));
  });
  api.AddRoute("POST", "/portfolio/events/orders", true, [e](const RouteRequest& r) {
    auto body = ParseBody(r.body);
    if (!body) return BadBody("create_order: the body is not a JSON object");
    return CreateOne(*e, r.key_id, *body, nullptr);
  });
  api.AddRoute("DELETE", "/portfolio/events/orders/{order_id}", true,
               [e](const RouteRequest& r) { return CancelOne(*e, r.key_id, r.args[0], nullptr); });
  api.AddRoute(
      "POST", "/portfolio/events/orders/{order_id}/amend", true, [e](const RouteRequest& r) {
        auto body = ParseBody(r.body);
        if (!body) return BadBody("amend_order: the body is not a JSON object");
        auto request = kalshi::ParseAmendOrderRequest(*body);
        if (!request.ok()) return BadBody(request.error().message());
        auto outcome =
            e->AmendOrder(r.key_id, r.args[0], request->ticker, request->side, request->price,
                          request->count, request->updated_client_order_id);
        if (!outcome.ok()) return Refusal(outcome.error());
        const OrderRecord& order = *outcome->order;
        kalshi::AmendOrderResponse response;
        response.order_id = order.order_id;
        response.client_order_id = order.client_order_id;
        response.remaining_count = order.remaining_count;
        response.fill_count = outcome->filled_now;
        response.average_fill_price =
            AverageYesPrice(order.side, outcome->fill_cost_now, outcome->filled_now);
        response.average_fee_paid = AverageFee(outcome->fees_now, outcome->filled_now);
        response.ts_ms = e->Now().millis();
        return JsonAnswer(kalshi::ToJson(response));
      });
  api.AddRoute("POST", "/portfolio/events/orders/{order_id}/decrease", true,
               [e](const RouteRequest& r) {
                 auto body = ParseBody(r.body);
                 if (!body) return BadBody("decrease_order: the body is not a JSON object");
                 auto request = kalshi::ParseDecreaseOrderRequest(*body);
                 if (!request.ok()) return BadBody(request.error().message());
                 auto outcome =
                     e->DecreaseOrder(r.key_id, r.args[0], request->reduce_by, request->reduce_to);
                 if (!outcome.ok()) return Refusal(outcome.error());
                 kalshi::DecreaseOrderResponse response;
                 response.order_id = outcome->order->order_id;
                 response.client_order_id = outcome->order->client_order_id;
                 response.remaining_count = outcome->order->remaining_count;
                 response.ts_ms = e->Now().millis();
                 return JsonAnswer(kalshi::ToJson(response));
               });
  api.AddRoute("POST", "/portfolio/orders", true, [](const RouteRequest&) {
    return RestResponse{400, ErrorBody("deprecated", "Please switch to the V2 endpoints",
                                       "POST /portfolio/events/orders")};
  });

  // ---- order reads ----
  api.AddRoute("GET", "/portfolio/orders", true, [e](const RouteRequest& r) {
    auto page = ReadPage(r.query);
    if (!page) return BadBody("limit must be 1-1000 and cursor a value this server gave");
    const auto ticker = QueryValue(r.query, "ticker");
    std::optional<kalshi::OrderStatus> status;
    if (auto s = QueryValue(r.query, "status")) {
      status = kalshi::ParseOrderStatus(*s);
      if (!status) return BadBody(fmt::format("status: unknown value '{}'", *s));
    }
    std::vector<const OrderRecord*> selected;
    for (const OrderRecord* order : e->Orders(r.key_id)) {
      if (ticker && order->ticker != *ticker) continue;
      if (status && order->status != *status) continue;
      selected.push_back(order);
    }
    kalshi::OrdersPage out;
    for (std::size_t i = page->offset; i < selected.size() && i < page->offset + page->limit; ++i) {
      out.orders.push_back(ToWireOrder(*selected[i]));
    }
    out.cursor = NextCursor(*page, selected.size());
    return JsonAnswer(kalshi::ToJson(out));
  });
  api.AddRoute("GET", "/portfolio/orders/{order_id}", true, [e](const RouteRequest& r) {
    const OrderRecord* order = e->FindOrder(r.key_id, r.args[0]);
    if (order == nullptr) {
      return RestResponse{404, ErrorBody("not_found", "order not found", r.args[0])};
    }
    return JsonAnswer(Json{{"order", kalshi::ToJson(ToWireOrder(*order))}});
  });
  api.AddRoute("GET", "/portfolio/orders/{order_id}/queue_position", true,
               [e](const RouteRequest& r) {
                 auto ahead = e->QueuePosition(r.key_id, r.args[0]);
                 if (!ahead.ok()) return Refusal(ahead.error());
                 return JsonAnswer(Json{{"queue_position_fp", ahead->ToString()}});
               });

  // ---- portfolio ----
  api.AddRoute("GET", "/portfolio/positions", true, [e](const RouteRequest& r) {
    auto page = ReadPage(r.query);
    if (!page) return BadBody("limit must be 1-1000 and cursor a value this server gave");
    const auto ticker = QueryValue(r.query, "ticker");
    std::vector<PositionRecord> positions = e->Positions(r.key_id);
    if (ticker) std::erase_if(positions, [&](const auto& p) { return p.ticker != *ticker; });
    kalshi::PositionsPage out;
    for (std::size_t i = page->offset; i < positions.size() && i < page->offset + page->limit;
         ++i) {
      out.market_positions.push_back(ToWirePosition(positions[i]));
    }
    out.cursor = NextCursor(*page, positions.size());
    return JsonAnswer(kalshi::ToJson(out));
  });
  api.AddRoute("GET", "/portfolio/balance", true, [e](const RouteRequest& r) {
    auto view = e->Balance(r.key_id);
    if (!view) return RestResponse{403, ErrorBody("forbidden", "no account for this key")};
    kalshi::Balance out;
    out.balance = view->balance;
    out.balance_cents = view->balance.units() / Money::FromCents(1).units();  // truncates
    out.portfolio_value_cents = view->positions_value.units() / Money::FromCents(1).units();
    out.updated_ts = Seconds(e->Now());
    return JsonAnswer(kalshi::ToJson(out));
  });
  api.AddRoute(
      "GET", "/portfolio/summary/total_resting_order_value", true, [e](const RouteRequest& r) {
        auto view = e->Balance(r.key_id);
        if (!view) return RestResponse{403, ErrorBody("forbidden", "no account")};
        return JsonAnswer(Json{
            {"total_resting_order_value", view->reserved.units() / Money::FromCents(1).units()}});
      });
  api.AddRoute("GET", "/portfolio/fills", true, [e](const RouteRequest& r) {
    auto page = ReadPage(r.query);
    if (!page) return BadBody("limit must be 1-1000 and cursor a value this server gave");
    const auto ticker = QueryValue(r.query, "ticker");
    const auto order_id = QueryValue(r.query, "order_id");
    std::optional<int64_t> min_ts, max_ts;
    if (auto v = QueryValue(r.query, "min_ts")) min_ts = ToInt(*v);
    if (auto v = QueryValue(r.query, "max_ts")) max_ts = ToInt(*v);
    std::vector<const FillRecord*> selected;
    if (const auto* fills = e->Fills(r.key_id)) {
      for (const FillRecord& f : *fills) {
        if (ticker && f.ticker != *ticker) continue;
        if (order_id && f.order_id != *order_id) continue;
        if (min_ts && Seconds(f.ts) < *min_ts) continue;
        if (max_ts && Seconds(f.ts) > *max_ts) continue;
        selected.push_back(&f);
      }
    }
    kalshi::FillsPage out;
    for (std::size_t i = page->offset; i < selected.size() && i < page->offset + page->limit; ++i) {
      out.fills.push_back(ToWireFill(*selected[i]));
    }
    out.cursor = NextCursor(*page, selected.size());
    return JsonAnswer(kalshi::ToJson(out));
  });
  api.AddRoute("GET", "/portfolio/settlements", true, [e](const RouteRequest& r) {
    kalshi::SettlementsPage out;
    if (const auto* settlements = e->Settlements(r.key_id)) {
      for (const SettlementRecord& s : *settlements) {
        kalshi::SettlementRecord w;
        w.ticker = s.ticker;
        w.event_ticker = s.event_ticker;
        w.market_result = s.yes_won ? "yes" : "no";
        w.yes_count = s.yes_count;
        w.yes_total_cost = s.yes_total_cost;
        w.no_count = s.no_count;
        w.no_total_cost = s.no_total_cost;
        w.revenue_cents = s.revenue.units() / Money::FromCents(1).units();
        w.settled_time = FormatRfc3339(s.settled);
        w.value_cents = s.yes_won ? 100 : 0;
        out.settlements.push_back(std::move(w));
      }
    }
    return JsonAnswer(kalshi::ToJson(out));
  });

  // ---- order groups (literal "create" before "{id}") ----
  api.AddRoute("GET", "/portfolio/order_groups", true, [e](const RouteRequest& r) {
    std::vector<kalshi::OrderGroup> groups;
    for (const OrderGroupRecord* g : e->OrderGroups(r.key_id)) {
      groups.push_back({g->id, g->contracts_limit, true, 0});
    }
    return JsonAnswer(kalshi::OrderGroupsToJson(groups));
  });
  api.AddRoute("POST", "/portfolio/order_groups/create", true, [e](const RouteRequest& r) {
    auto body = ParseBody(r.body);
    if (!body) return BadBody("create_order_group: the body is not a JSON object");
    auto request = kalshi::ParseOrderGroupLimitRequest(*body);
    if (!request.ok()) return BadBody(request.error().message());
    auto id = e->CreateOrderGroup(r.key_id, request->contracts_limit);
    if (!id.ok()) return Refusal(id.error());
    return JsonAnswer(kalshi::ToJson(kalshi::CreateOrderGroupResponse{*id, 0, 0}), 201);
  });
  api.AddRoute("GET", "/portfolio/order_groups/{id}", true, [e](const RouteRequest& r) {
    const OrderGroupRecord* g = e->FindOrderGroup(r.key_id, r.args[0]);
    if (g == nullptr) {
      return RestResponse{404, ErrorBody("not_found", "order group not found", r.args[0])};
    }
    kalshi::OrderGroupDetail detail;
    detail.contracts_limit = g->contracts_limit;
    detail.is_auto_cancel_enabled = true;
    detail.orders = e->OrderGroupOrders(r.key_id, r.args[0]);
    return JsonAnswer(kalshi::ToJson(detail));
  });
  api.AddRoute("DELETE", "/portfolio/order_groups/{id}", true, [e](const RouteRequest& r) {
    auto done = e->DeleteOrderGroup(r.key_id, r.args[0]);
    return done.ok() ? JsonAnswer(Json::object()) : Refusal(done.error());
  });
  api.AddRoute("PUT", "/portfolio/order_groups/{id}/reset", true, [e](const RouteRequest& r) {
    auto done = e->ResetOrderGroup(r.key_id, r.args[0]);
    return done.ok() ? JsonAnswer(Json::object()) : Refusal(done.error());
  });
  api.AddRoute("PUT", "/portfolio/order_groups/{id}/trigger", true, [e](const RouteRequest& r) {
    auto done = e->TriggerOrderGroup(r.key_id, r.args[0]);
    return done.ok() ? JsonAnswer(Json::object()) : Refusal(done.error());
  });
  api.AddRoute("PUT", "/portfolio/order_groups/{id}/limit", true, [e](const RouteRequest& r) {
    auto body = ParseBody(r.body);
    if (!body) return BadBody("order_group_limit: the body is not a JSON object");
    auto request = kalshi::ParseOrderGroupLimitRequest(*body);
    if (!request.ok()) return BadBody(request.error().message());
    auto done = e->UpdateOrderGroupLimit(r.key_id, r.args[0], request->contracts_limit);
    return done.ok() ? JsonAnswer(Json::object()) : Refusal(done.error());
  });
}

// ---- private frames ----------------------------------------------------------------------------

kalshi::Channel NoticeChannel(const PrivateNotice& notice) {
  switch (notice.index()) {
    case 0:
      return kalshi::Channel::kFill;
    case 1:
      return kalshi::Channel::kUserOrders;
    case 2:
      return kalshi::Channel::kMarketPositions;
    default:
      return kalshi::Channel::kOrderGroupUpdates;
  }
}

std::string_view NoticeMarket(const PrivateNotice& notice) {
  if (const auto* f = std::get_if<FillNotice>(&notice)) return f->fill.ticker;
  if (const auto* o = std::get_if<OrderNotice>(&notice)) return o->order.ticker;
  if (const auto* p = std::get_if<PositionNotice>(&notice)) return p->position.ticker;
  return {};
}

std::string EncodeNotice(const PrivateNotice& notice, std::string_view key_id, int64_t sid,
                         std::optional<int64_t> seq) {
  if (const auto* f = std::get_if<FillNotice>(&notice)) {
    kalshi::FillMessage m;
    m.trade_id = f->fill.fill_id;
    m.order_id = f->fill.order_id;
    m.market_ticker = f->fill.ticker;
    m.is_taker = f->fill.is_taker;
    m.outcome_side = sim::LegOf(f->fill.side);
    m.book_side = f->fill.side;
    m.yes_price = f->fill.yes_price;
    m.count = f->fill.count;
    m.fee_cost = f->fill.fee;
    m.post_position = f->fill.post_position;
    m.client_order_id = f->fill.client_order_id;
    m.ts_ms = f->fill.ts.millis();
    return kalshi::EncodePrivateMessage(sid, std::nullopt, m);
  }
  if (const auto* o = std::get_if<OrderNotice>(&notice)) {
    kalshi::UserOrderMessage m;
    m.order = ToWireOrder(o->order);
    m.last_update_reason = o->order.last_update_reason;
    m.created_ts_ms = o->order.created.millis();
    m.last_updated_ts_ms = o->order.last_update.millis();
    if (o->order.expiration_time_s) m.expiration_ts_ms = *o->order.expiration_time_s * 1000;
    return kalshi::EncodePrivateMessage(sid, std::nullopt, m);
  }
  if (const auto* p = std::get_if<PositionNotice>(&notice)) {
    kalshi::MarketPositionMessage m;
    m.user_id = std::string(key_id);
    m.market_ticker = p->position.ticker;
    m.position = p->position.position;
    m.position_cost = p->position.exposure;
    m.realized_pnl = p->position.realized_pnl;
    m.fees_paid = p->position.fees_paid;
    m.volume = p->position.volume;
    return kalshi::EncodePrivateMessage(sid, std::nullopt, m);
  }
  const auto& g = std::get<OrderGroupNotice>(notice);
  kalshi::OrderGroupUpdateMessage m;
  m.event_type = g.event;
  m.order_group_id = g.order_group_id;
  m.contracts_limit = g.contracts_limit;
  m.ts_ms = g.ts.millis();
  return kalshi::EncodePrivateMessage(sid, seq, m);
}

}  // namespace kalshiflow::exchange::internal
