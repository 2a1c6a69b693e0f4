#include "exchange/trading_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace kalshiflow::exchange::internal {

using core::BookSide;
using core::Count;
using core::Money;
using core::OutcomeSide;
using core::Price;
using core::Timestamp;

namespace {

core::Unexpected<OrderError> Error(int http_status, std::string code, std::string message,
                                   std::string details = {}) {
  return core::Err(
      OrderError{http_status, std::move(code), std::move(message), std::move(details)});
}

Count Min(Count a, Count b) { return a < b ? a : b; }
Count Max(Count a, Count b) { return a < b ? b : a; }

// Kalshi's last_update_reason for a cancel the simulator made on its own.
std::string_view SimCancelReason(std::string_view reason) {
  if (reason == "immediate_or_cancel" || reason == "ioc") return "ImmediateOrCancel";
  if (reason == "settled") return "Settled";
  return "Canceled";
}

core::Unexpected<OrderError> NotFoundOrder(std::string_view order_id) {
  return Error(404, "not_found", fmt::format("order {} not found", order_id));
}

// Size of the opposite ladder an order at (side, YES price) would take now: the levels that
// cross it, minus what this account's simulator already consumed there.
Count CrossableSize(const sim::MarketSim& sim, const book::OrderBook& book, BookSide side,
                    Price yes_price) {
  const OutcomeSide leg = sim::LegOf(side);
  const OutcomeSide other = core::Opposite(leg);
  const Price leg_price = sim::LegPrice(side, yes_price);
  Count total;
  for (const core::PriceLevel& level : book.Bids(other)) {
    // Buying `leg` at leg_price lifts other-leg bids at q >= 1 - leg_price.
    if (level.price.units() + leg_price.units() >= Price::OneDollar().units()) {
      total += sim.AvailableAt(other, level.price);
    }
  }
  return total;
}

// Whether a resting order of the account at (rest_side, rest_price) would trade with a new
// order at (side, price): opposite book sides whose YES prices cross.
bool SelfCrosses(BookSide side, Price price, BookSide rest_side, Price rest_price) {
  if (side == rest_side) return false;
  return side == BookSide::kBid ? price >= rest_price : price <= rest_price;
}

}  // namespace

TradingEngine::TradingEngine(TradingOptions options, MarketStore& markets)
    : options_(std::move(options)), markets_(markets) {
  KF_CHECK(options_.sim.latency_ns == 0, "exchange simulator latency must be 0, got {}",
           options_.sim.latency_ns);
  KF_CHECK(options_.sim.initial_cash.IsZero(), "exchange simulator initial_cash must be 0");
  KF_CHECK(options_.order_group_window_ns > 0, "order group window must be > 0");
}

void TradingEngine::AddAccount(std::string_view key_id, Money starting_balance) {
  KF_CHECK(!starting_balance.IsNegative(), "starting balance of {} must be >= 0", key_id);
  if (accounts_.find(key_id) != accounts_.end()) return;
  accounts_.emplace(std::string(key_id),
                    std::make_unique<Account>(std::string(key_id), starting_balance));
}

bool TradingEngine::HasAccount(std::string_view key_id) const {
  return accounts_.find(key_id) != accounts_.end();
}

TradingEngine::Account* TradingEngine::FindAccount(std::string_view key_id) {
  auto it = accounts_.find(key_id);
  return it == accounts_.end() ? nullptr : it->second.get();
}

const TradingEngine::Account* TradingEngine::FindAccount(std::string_view key_id) const {
  auto it = accounts_.find(key_id);
  return it == accounts_.end() ? nullptr : it->second.get();
}

TradingEngine::AccountMarket& TradingEngine::MarketOf(Account& account, const MarketState& market) {
  auto it = account.markets.find(market.ticker);
  if (it != account.markets.end()) return *it->second;
  auto am = std::make_unique<AccountMarket>(market, options_.sim);
  am->position.ticker = market.ticker;
  AccountMarket& ref = *am;
  account.markets.emplace(market.ticker, std::move(am));
  by_market_[market.ticker].emplace_back(&account, &ref);
  if (market.book.has_snapshot()) {
    // The simulator has seen no book event: the book as it is now is the market at now_.
    ref.last_book_ts = now_;
    ref.primed = true;
    Drive(account, ref, [&](sim::MarketSim& sim) { sim.OnBookUpdate(now_); });
  }
  return ref;
}

void TradingEngine::Notify(const Account& account, PrivateNotice notice) {
  if (sink_) sink_(account.key_id, notice);
}

std::string TradingEngine::NextOrderId() {
  return fmt::format("0e0c0000-0000-4000-8000-{:012x}", next_order_++);
}

std::string TradingEngine::NextFillId() {
  return fmt::format("0f111000-0000-4000-8000-{:012x}", next_fill_++);
}

// ---- driving the simulators ------------------------------------------------------------------

void TradingEngine::Drive(Account& account, AccountMarket& am,
                          const std::function<void(sim::MarketSim&)>& op) {
  account.totals.ShareWith(am.sim, am.share);
  op(am.sim);
  Collect(account, am);
}

void TradingEngine::Collect(Account& account, AccountMarket& am) {
  sim::MarketSim& sim = am.sim;
  std::vector<std::string> groups_filled;
  for (const sim::Fill& fill : sim.fills()) {
    auto it = am.live.find(fill.order_id);
    KF_CHECK(it != am.live.end(), "fill of unknown order {} in {}", fill.order_id,
             am.market->ticker);
    OrderRecord& order = *it->second;
    const bool taker = fill.liquidity == kalshi::Liquidity::kTaker;
    const Money cost = core::Notional(fill.leg_price(), fill.count);
    order.fill_count += fill.count;
    order.remaining_count = Max(order.remaining_count - fill.count, Count());
    (taker ? order.taker_fill_cost : order.maker_fill_cost) += cost;
    (taker ? order.taker_fees : order.maker_fees) += fill.fee.net_fee;
    order.last_update = fill.ts;
    order.last_update_reason = "Trade";

    PositionRecord& position = am.position;
    position.total_traded += cost;
    position.volume += fill.count;
    position.last_updated = fill.ts;
    am.traded = true;

    FillRecord record{NextFillId(),        order.order_id, order.client_order_id,
                      order.ticker,        order.side,     fill.price,
                      fill.count,          taker,          fill.fee.net_fee,
                      fill.position_after, fill.ts};
    account.fills.push_back(record);
    ++counters_.fills;
    counters_.contracts_filled += fill.count;
    Notify(account, FillNotice{std::move(record)});
    if (!order.order_group_id.empty()) {
      CountGroupFill(account, order.order_group_id, fill.count);
      groups_filled.push_back(order.order_group_id);
    }
  }
  if (!sim.fills().empty()) {
    const sim::Portfolio& p = sim.portfolio();
    am.position.position = p.position();
    am.position.exposure = p.cost_basis();
    am.position.realized_pnl = p.realized_pnl();
    am.position.fees_paid = p.fees_paid();
    Notify(account, PositionNotice{am.position});
  }
  for (const sim::OrderUpdate& update : sim.order_updates()) {
    auto it = am.live.find(update.order_id);
    if (it == am.live.end()) continue;  // an op on an order we no longer track
    OrderRecord& order = *it->second;
    order.last_update = update.ts;
    switch (update.state) {
      case sim::OrderState::kPending:
        break;
      case sim::OrderState::kResting:
        order.status = OrderStatus::kResting;
        order.remaining_count = update.remaining;
        if (update.reject == sim::OrderReject::kNone && order.last_update_reason.empty()) {
          order.last_update_reason = "Created";
        }
        break;
      case sim::OrderState::kFilled:
        order.status = OrderStatus::kExecuted;
        order.remaining_count = Count();
        break;
      case sim::OrderState::kCanceled:
        order.status = OrderStatus::kCanceled;
        order.remaining_count = Count();
        order.last_update_reason = order.cancel_reason.empty()
                                       ? std::string(SimCancelReason(update.reason))
                                       : order.cancel_reason;
        break;
      case sim::OrderState::kRejected:
        order.status = OrderStatus::kCanceled;
        order.remaining_count = Count();
        order.last_update_reason = fmt::format("Rejected:{}", sim::OrderRejectName(update.reject));
        break;
    }
    if (update.state != sim::OrderState::kRejected) Notify(account, OrderNotice{order});
    if (!sim::IsLive(update.state)) am.live.erase(it);
  }
  sim.ClearEvents();
  account.totals.Fold(sim, am.share);
  for (const std::string& id : groups_filled) {
    auto git = account.groups.find(id);
    if (git != account.groups.end() && !git->second.triggered &&
        git->second.window_total > git->second.contracts_limit) {
      TriggerGroup(account, git->second);
    }
  }
}

void TradingEngine::OnBookUpdate(const MarketState& market, Timestamp ts) {
  now_ = std::max(now_, ts);
  auto it = by_market_.find(market.ticker);
  if (it == by_market_.end()) return;
  for (auto& [account, am] : it->second) {
    am->last_book_ts = ts;
    am->primed = true;
    Drive(*account, *am, [&](sim::MarketSim& sim) { sim.OnBookUpdate(ts); });
    ExpireOrders(*account, *am);
  }
}

void TradingEngine::OnTrade(const MarketState& market, const sim::TradePrint& trade, Timestamp ts) {
  now_ = std::max(now_, ts);
  auto it = by_market_.find(market.ticker);
  if (it == by_market_.end()) return;
  for (auto& [account, am] : it->second) {
    Drive(*account, *am, [&](sim::MarketSim& sim) { sim.OnTrade(trade, ts); });
  }
}

void TradingEngine::ExpireOrders(Account& account, AccountMarket& am) {
  const int64_t now_s = now_.nanos() / 1'000'000'000;
  std::vector<OrderRecord*> expired;
  for (auto& [sim_id, order] : am.live) {
    if (order->expiration_time_s && *order->expiration_time_s <= now_s) expired.push_back(order);
  }
  for (OrderRecord* order : expired) CancelRecord(account, am, *order, "Expired");
}

core::Status TradingEngine::Settle(std::string_view ticker, bool yes_won) {
  const MarketState* market = markets_.Find(ticker);
  if (market == nullptr) return core::NotFoundError(fmt::format("market {} not found", ticker));
  auto it = by_market_.find(ticker);
  if (it == by_market_.end()) return core::Status::Ok();
  for (auto& [account, am] : it->second) {
    const sim::Portfolio& p = am->sim.portfolio();
    SettlementRecord record;
    record.ticker = std::string(ticker);
    record.event_ticker = market->event_ticker;
    record.yes_won = yes_won;
    if (p.position().IsPositive()) {
      record.yes_count = p.position();
      record.yes_total_cost = p.cost_basis();
    } else {
      record.no_count = -p.position();
      record.no_total_cost = p.cost_basis();
    }
    const Money cash_before = p.cash();
    for (auto& [sim_id, order] : am->live) order->cancel_reason = "Settled";
    Drive(*account, *am,
          [&](sim::MarketSim& sim) { sim.Settle(yes_won ? Price::OneDollar() : Price(), now_); });
    record.revenue = am->sim.portfolio().cash() - cash_before;
    record.settled = now_;
    am->position.position = am->sim.portfolio().position();
    am->position.exposure = am->sim.portfolio().cost_basis();
    am->position.realized_pnl = am->sim.portfolio().realized_pnl();
    account->settlements.push_back(std::move(record));
  }
  return core::Status::Ok();
}

std::vector<std::string> TradingEngine::SettleDecidedMarkets(core::Price decisive) {
  std::vector<std::string> settled;
  for (const auto& market : markets_.all()) {
    const auto yes = market->book.BestBid(core::OutcomeSide::kYes);
    const auto no = market->book.BestBid(core::OutcomeSide::kNo);
    std::optional<bool> yes_won;
    if (yes && yes->price >= decisive) yes_won = true;
    if (no && no->price >= decisive) yes_won = yes_won ? std::optional<bool>() : false;
    if (!yes_won) continue;  // undecided (or both sides claim it): left open
    if (Settle(market->ticker, *yes_won).ok()) {
      settled.push_back(market->ticker + (*yes_won ? "=yes" : "=no"));
    }
  }
  return settled;
}

// ---- orders ----------------------------------------------------------------------------------

OrderResult<OrderOutcome> TradingEngine::CreateOrder(std::string_view key_id,
                                                     const NewOrder& request) {
  Account* account = FindAccount(key_id);
  auto refuse = [&](core::Unexpected<OrderError> error) -> OrderResult<OrderOutcome> {
    ++counters_.orders_refused;
    return error;
  };
  if (account == nullptr) {
    return refuse(Error(403, "forbidden", fmt::format("API key {} has no account", key_id)));
  }
  const MarketState* market = markets_.Find(request.ticker);
  if (market == nullptr) {
    return refuse(
        Error(404, "market_not_found", fmt::format("market {} not found", request.ticker)));
  }
  if (!market->book.has_snapshot()) {
    return refuse(Error(409, "market_closed",
                        fmt::format("market {} is not open yet in the replay", request.ticker)));
  }
  if (!request.count.IsPositive()) {
    return refuse(Error(400, "invalid_order_size", "count must be positive"));
  }
  if (request.price.units() <= 0 || request.price >= Price::OneDollar() ||
      !market->book.grid().IsValidBookPrice(request.price)) {
    return refuse(Error(400, "invalid_order",
                        fmt::format("price {} is not a valid price of {}", request.price.ToString(),
                                    request.ticker)));
  }
  if (!request.client_order_id.empty() &&
      account->by_client_id.find(request.client_order_id) != account->by_client_id.end()) {
    return refuse(Error(409, "duplicate_client_order_id",
                        "Order with this client_order_id already exists", request.client_order_id));
  }
  if (request.expiration_time_s) {
    if (request.time_in_force != TimeInForce::kGoodTillCanceled) {
      return refuse(
          Error(400, "invalid_order", "Cannot specify both immediate_or_cancel and expiration_ts"));
    }
    if (*request.expiration_time_s * 1'000'000'000 <= now_.nanos()) {
      return refuse(Error(400, "invalid_order", "Expiration timestamp must be in the future"));
    }
  }
  OrderGroupRecord* group = nullptr;
  if (!request.order_group_id.empty()) {
    auto git = account->groups.find(request.order_group_id);
    if (git == account->groups.end()) {
      return refuse(
          Error(404, "not_found", fmt::format("order group {} not found", request.order_group_id)));
    }
    group = &git->second;
    if (group->triggered) {
      return refuse(Error(400, "order_group_triggered",
                          fmt::format("order group {} is triggered; reset it first", group->id)));
    }
  }

  AccountMarket& am = MarketOf(*account, *market);
  Count count = request.count;
  if (request.reduce_only) {
    const Count position = am.sim.portfolio().position();
    const Count reducible = request.side == BookSide::kBid
                                ? (position.IsNegative() ? -position : Count())
                                : (position.IsPositive() ? position : Count());
    if (!reducible.IsPositive()) {
      return refuse(Error(400, "invalid_order", "reduce only order would increase the position",
                          "ReduceOnlyCancel"));
    }
    count = Min(count, reducible);
  }
  const Count crossable = CrossableSize(am.sim, market->book, request.side, request.price);
  if (request.post_only && crossable.IsPositive()) {
    return refuse(Error(400, "invalid order", "post only order would cross", "post only cross"));
  }

  auto record = std::make_unique<OrderRecord>();
  OrderRecord& order = *record;
  order.order_id = NextOrderId();
  order.client_order_id = request.client_order_id;
  order.user_id = account->key_id;
  order.ticker = request.ticker;
  order.side = request.side;
  order.yes_price = request.price;
  order.initial_count = count;
  order.remaining_count = count;
  order.time_in_force = request.time_in_force;
  order.expiration_time_s = request.expiration_time_s;
  order.self_trade_prevention = request.self_trade_prevention;
  order.post_only = request.post_only;
  order.cancel_order_on_pause = request.cancel_order_on_pause;
  order.order_group_id = request.order_group_id;
  order.created = order.last_update = now_;

  // Self-trade prevention against the account's own resting orders in this market.
  std::vector<OrderRecord*> self_crossed;
  for (auto& [sim_id, live] : am.live) {
    if (SelfCrosses(request.side, request.price, live->side, live->yes_price)) {
      self_crossed.push_back(live);
    }
  }
  bool cancel_incoming = false;
  if (!self_crossed.empty()) {
    if (request.self_trade_prevention == SelfTradePrevention::kTakerAtCross) {
      cancel_incoming = true;
    } else {
      for (OrderRecord* live : self_crossed) {
        CancelRecord(*account, am, *live, "SelfTradePrevention");
      }
    }
  }
  if (!cancel_incoming && request.time_in_force == TimeInForce::kFillOrKill && crossable < count) {
    cancel_incoming = true;  // fill or kill: not enough to fill it all now
  }
  OrderRecord* stored = record.get();
  account->orders.push_back(std::move(record));
  account->by_id.emplace(stored->order_id, stored);
  if (!stored->client_order_id.empty())
    account->by_client_id.emplace(stored->client_order_id, stored);
  ++counters_.orders_created;

  OrderOutcome outcome;
  outcome.order = stored;
  if (cancel_incoming) {
    stored->status = OrderStatus::kCanceled;
    stored->remaining_count = Count();
    stored->last_update_reason =
        request.time_in_force == TimeInForce::kFillOrKill && self_crossed.empty()
            ? "FillOrKillCancel"
            : "SelfTradePrevention";
    Notify(*account, OrderNotice{*stored});
    return outcome;
  }

  const sim::OrderOp op{sim::OrderOpType::kPlace,
                        0,
                        request.side,
                        request.price,
                        count,
                        request.time_in_force == TimeInForce::kGoodTillCanceled
                            ? sim::TimeInForce::kGoodTillCanceled
                            : sim::TimeInForce::kImmediateOrCancel};
  const Count fills_before = stored->fill_count;
  const Money cost_before = stored->taker_fill_cost + stored->maker_fill_cost;
  const Money fees_before = stored->taker_fees + stored->maker_fees;
  Drive(*account, am, [&](sim::MarketSim& sim) {
    const sim::OrderId id = sim.Submit(op, am.last_book_ts);
    stored->sim_id = id;
    am.live[id] = stored;
  });
  if (stored->last_update_reason.starts_with("Rejected:")) {
    const bool balance = stored->last_update_reason.ends_with("insufficient_balance");
    // The refused order is not kept (Kalshi returns an error, not an order).
    account->by_id.erase(stored->order_id);
    if (!stored->client_order_id.empty()) account->by_client_id.erase(stored->client_order_id);
    account->orders.pop_back();
    --counters_.orders_created;
    return refuse(balance ? Error(400, "insufficient_balance", "insufficient balance")
                          : Error(400, "invalid_order", "order refused by the matching engine"));
  }
  outcome.filled_now = stored->fill_count - fills_before;
  outcome.fill_cost_now = stored->taker_fill_cost + stored->maker_fill_cost - cost_before;
  outcome.fees_now = stored->taker_fees + stored->maker_fees - fees_before;
  return outcome;
}

OrderRecord* TradingEngine::FindLive(Account& account, std::string_view order_id,
                                     OrderError* error) {
  auto it = account.by_id.find(order_id);
  if (it == account.by_id.end()) {
    *error = NotFoundOrder(order_id).error;
    return nullptr;
  }
  OrderRecord* order = it->second;
  if (order->status != OrderStatus::kResting) {
    *error = Error(400, "invalid_order",
                   fmt::format("order {} is {}", order_id, OrderStatusName(order->status)))
                 .error;
    return nullptr;
  }
  return order;
}

void TradingEngine::CancelRecord(Account& account, AccountMarket& am, OrderRecord& order,
                                 std::string_view reason) {
  order.cancel_reason = std::string(reason);
  const sim::OrderOp op{sim::OrderOpType::kCancel, order.sim_id, order.side, order.yes_price, {}};
  Drive(account, am, [&](sim::MarketSim& sim) { (void)sim.Submit(op, am.last_book_ts); });
  ++counters_.cancels;
}

OrderResult<OrderOutcome> TradingEngine::CancelOrder(std::string_view key_id,
                                                     std::string_view order_id) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  OrderError error;
  OrderRecord* order = FindLive(*account, order_id, &error);
  if (order == nullptr) return core::Err(std::move(error));
  AccountMarket& am = *account->markets.find(order->ticker)->second;
  OrderOutcome outcome;
  outcome.order = order;
  outcome.reduced_by = order->remaining_count;
  CancelRecord(*account, am, *order, "Canceled");
  return outcome;
}

OrderResult<OrderOutcome> TradingEngine::AmendOrder(std::string_view key_id,
                                                    std::string_view order_id,
                                                    std::string_view ticker, BookSide side,
                                                    Price price, Count count,
                                                    std::string_view updated_client_order_id) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  OrderError error;
  OrderRecord* order = FindLive(*account, order_id, &error);
  if (order == nullptr) return core::Err(std::move(error));
  if (order->ticker != ticker) {
    return Error(400, "order_ticker_mismatch",
                 fmt::format("order {} is in {}, not {}", order_id, order->ticker, ticker));
  }
  if (order->side != side) {
    return Error(400, "order_side_mismatch", fmt::format("order {} has the other side", order_id));
  }
  const Count remainder = count - order->fill_count;
  if (!remainder.IsPositive()) {
    return Error(400, "invalid_order_size",
                 fmt::format("count {} does not exceed the filled {}", count.ToString(),
                             order->fill_count.ToString()));
  }
  AccountMarket& am = *account->markets.find(order->ticker)->second;
  if (price.units() <= 0 || price >= Price::OneDollar() ||
      !am.market->book.grid().IsValidBookPrice(price)) {
    return Error(400, "invalid_order", fmt::format("price {} is not valid", price.ToString()));
  }
  if (!updated_client_order_id.empty() && updated_client_order_id != order->client_order_id) {
    if (account->by_client_id.find(updated_client_order_id) != account->by_client_id.end()) {
      return Error(409, "duplicate_client_order_id",
                   "Order with this client_order_id already exists",
                   std::string(updated_client_order_id));
    }
  }
  const Count fills_before = order->fill_count;
  const Money cost_before = order->taker_fill_cost + order->maker_fill_cost;
  const Money fees_before = order->taker_fees + order->maker_fees;
  const uint64_t refusals_before = am.sim.counters().insufficient_balance;
  const sim::OrderOp op{sim::OrderOpType::kAmend, order->sim_id, side, price, remainder};
  order->last_update_reason = "Amended";
  Drive(*account, am, [&](sim::MarketSim& sim) { (void)sim.Submit(op, am.last_book_ts); });
  if (am.sim.counters().insufficient_balance != refusals_before) {
    return Error(400, "insufficient_balance", "insufficient balance");
  }
  ++counters_.amends;
  order->yes_price = price;
  order->initial_count = count;
  if (!updated_client_order_id.empty() && updated_client_order_id != order->client_order_id) {
    account->by_client_id.erase(order->client_order_id);
    order->client_order_id = std::string(updated_client_order_id);
    account->by_client_id.emplace(order->client_order_id, order);
  }
  OrderOutcome outcome;
  outcome.order = order;
  outcome.filled_now = order->fill_count - fills_before;
  outcome.fill_cost_now = order->taker_fill_cost + order->maker_fill_cost - cost_before;
  outcome.fees_now = order->taker_fees + order->maker_fees - fees_before;
  return outcome;
}

OrderResult<OrderOutcome> TradingEngine::DecreaseOrder(std::string_view key_id,
                                                       std::string_view order_id,
                                                       std::optional<Count> reduce_by,
                                                       std::optional<Count> reduce_to) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  if (reduce_by.has_value() == reduce_to.has_value()) {
    return Error(400, "invalid_order", "exactly one of reduce_by and reduce_to is required");
  }
  if ((reduce_by && !reduce_by->IsPositive()) || (reduce_to && reduce_to->IsNegative())) {
    return Error(400, "invalid_order_size", "reduce_by must be > 0 and reduce_to >= 0");
  }
  OrderError error;
  OrderRecord* order = FindLive(*account, order_id, &error);
  if (order == nullptr) return core::Err(std::move(error));
  AccountMarket& am = *account->markets.find(order->ticker)->second;
  const Count before = order->remaining_count;
  const Count target = reduce_to ? Min(*reduce_to, before) : Max(before - *reduce_by, Count());
  OrderOutcome outcome;
  outcome.order = order;
  outcome.reduced_by = before - target;
  ++counters_.decreases;
  if (target.IsZero()) {
    CancelRecord(*account, am, *order, "Canceled");
  } else if (target < before) {
    // Same price, smaller size: keeps the queue position (sim/order.h kAmend).
    const sim::OrderOp op{sim::OrderOpType::kAmend, order->sim_id, order->side, order->yes_price,
                          target};
    order->last_update_reason = "Decreased";
    Drive(*account, am, [&](sim::MarketSim& sim) { (void)sim.Submit(op, am.last_book_ts); });
    order->initial_count = order->fill_count + target;
  }
  return outcome;
}

// ---- reads -----------------------------------------------------------------------------------

std::vector<const OrderRecord*> TradingEngine::Orders(std::string_view key_id) const {
  std::vector<const OrderRecord*> out;
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return out;
  out.reserve(account->orders.size());
  for (const auto& order : account->orders) out.push_back(order.get());
  return out;
}

const OrderRecord* TradingEngine::FindOrder(std::string_view key_id,
                                            std::string_view order_id) const {
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return nullptr;
  auto it = account->by_id.find(order_id);
  return it == account->by_id.end() ? nullptr : it->second;
}

OrderResult<Count> TradingEngine::QueuePosition(std::string_view key_id,
                                                std::string_view order_id) const {
  const Account* account = FindAccount(key_id);
  const OrderRecord* order = FindOrder(key_id, order_id);
  if (account == nullptr || order == nullptr) return NotFoundOrder(order_id);
  if (order->status != OrderStatus::kResting) {
    return Error(400, "invalid_order", fmt::format("order {} is not resting", order_id));
  }
  const AccountMarket& am = *account->markets.find(order->ticker)->second;
  const sim::SimOrder* sim_order = am.sim.FindOrder(order->sim_id);
  KF_CHECK(sim_order != nullptr, "resting order {} has no simulator order", order_id);
  return sim_order->ahead;
}

std::vector<PositionRecord> TradingEngine::Positions(std::string_view key_id) const {
  std::vector<PositionRecord> out;
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return out;
  for (const auto& [ticker, am] : account->markets) {  // sorted by ticker
    if (am->traded) out.push_back(am->position);
  }
  return out;
}

const std::vector<FillRecord>* TradingEngine::Fills(std::string_view key_id) const {
  const Account* account = FindAccount(key_id);
  return account == nullptr ? nullptr : &account->fills;
}

const std::vector<SettlementRecord>* TradingEngine::Settlements(std::string_view key_id) const {
  const Account* account = FindAccount(key_id);
  return account == nullptr ? nullptr : &account->settlements;
}

std::optional<TradingEngine::BalanceView> TradingEngine::Balance(std::string_view key_id) const {
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return std::nullopt;
  const sim::AccountTotals& t = account->totals;
  return BalanceView{t.cash(), t.reserved_cash(), t.portfolio_value() - t.cash()};
}

// ---- order groups ----------------------------------------------------------------------------

OrderResult<std::string> TradingEngine::CreateOrderGroup(std::string_view key_id, Count limit) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  if (limit < Count::FromContracts(1) || limit > Count::FromContracts(1'000'000)) {
    return Error(400, "invalid_parameters", "contracts_limit must be in [1, 1000000]");
  }
  OrderGroupRecord group;
  group.id = fmt::format("0a000000-0000-4000-8000-{:012x}", next_group_++);
  group.contracts_limit = limit;
  const std::string id = group.id;
  account->groups.emplace(id, std::move(group));
  Notify(*account, OrderGroupNotice{OrderGroupEventType::kCreated, id, limit, now_});
  return id;
}

std::vector<const OrderGroupRecord*> TradingEngine::OrderGroups(std::string_view key_id) const {
  std::vector<const OrderGroupRecord*> out;
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return out;
  for (const auto& [id, group] : account->groups) out.push_back(&group);
  return out;
}

const OrderGroupRecord* TradingEngine::FindOrderGroup(std::string_view key_id,
                                                      std::string_view id) const {
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return nullptr;
  auto it = account->groups.find(id);
  return it == account->groups.end() ? nullptr : &it->second;
}

std::vector<std::string> TradingEngine::OrderGroupOrders(std::string_view key_id,
                                                         std::string_view id) const {
  std::vector<std::string> out;
  const Account* account = FindAccount(key_id);
  if (account == nullptr) return out;
  for (const auto& order : account->orders) {
    if (order->order_group_id == id && order->status == OrderStatus::kResting) {
      out.push_back(order->order_id);
    }
  }
  return out;
}

void TradingEngine::CountGroupFill(Account& account, const std::string& group_id, Count count) {
  auto it = account.groups.find(group_id);
  if (it == account.groups.end()) return;  // the group was deleted
  OrderGroupRecord& group = it->second;
  group.window.emplace_back(now_, count);
  group.window_total += count;
  while (!group.window.empty() &&
         group.window.front().first.nanos() <= now_.nanos() - options_.order_group_window_ns) {
    group.window_total -= group.window.front().second;
    group.window.pop_front();
  }
}

void TradingEngine::TriggerGroup(Account& account, OrderGroupRecord& group) {
  group.triggered = true;
  std::vector<OrderRecord*> resting;
  for (const auto& order : account.orders) {
    if (order->order_group_id == group.id && order->status == OrderStatus::kResting) {
      resting.push_back(order.get());
    }
  }
  for (OrderRecord* order : resting) {
    CancelRecord(account, *account.markets.find(order->ticker)->second, *order,
                 "OrderGroupTriggered");
  }
  Notify(account, OrderGroupNotice{OrderGroupEventType::kTriggered, group.id, std::nullopt, now_});
}

OrderResult<bool> TradingEngine::DeleteOrderGroup(std::string_view key_id, std::string_view id) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  auto it = account->groups.find(id);
  if (it == account->groups.end()) {
    return Error(404, "not_found", fmt::format("order group {} not found", id));
  }
  TriggerGroup(*account, it->second);  // cancels its orders
  const std::string group_id = it->second.id;
  account->groups.erase(it);
  Notify(*account, OrderGroupNotice{OrderGroupEventType::kDeleted, group_id, std::nullopt, now_});
  return true;
}

OrderResult<bool> TradingEngine::ResetOrderGroup(std::string_view key_id, std::string_view id) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  auto it = account->groups.find(id);
  if (it == account->groups.end()) {
    return Error(404, "not_found", fmt::format("order group {} not found", id));
  }
  it->second.triggered = false;
  it->second.window.clear();
  it->second.window_total = Count();
  Notify(*account,
         OrderGroupNotice{OrderGroupEventType::kReset, it->second.id, std::nullopt, now_});
  return true;
}

OrderResult<bool> TradingEngine::TriggerOrderGroup(std::string_view key_id, std::string_view id) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  auto it = account->groups.find(id);
  if (it == account->groups.end()) {
    return Error(404, "not_found", fmt::format("order group {} not found", id));
  }
  TriggerGroup(*account, it->second);
  return true;
}

OrderResult<bool> TradingEngine::UpdateOrderGroupLimit(std::string_view key_id, std::string_view id,
                                                       Count limit) {
  Account* account = FindAccount(key_id);
  if (account == nullptr) return Error(403, "forbidden", "no account");
  auto it = account->groups.find(id);
  if (it == account->groups.end()) {
    return Error(404, "not_found", fmt::format("order group {} not found", id));
  }
  if (limit < Count::FromContracts(1) || limit > Count::FromContracts(1'000'000)) {
    return Error(400, "invalid_parameters", "contracts_limit must be in [1, 1000000]");
  }
  OrderGroupRecord& group = it->second;
  group.contracts_limit = limit;
  Notify(*account, OrderGroupNotice{OrderGroupEventType::kLimitUpdated, group.id, limit, now_});
  if (!group.triggered && group.window_total > limit) TriggerGroup(*account, group);
  return true;
}

}  // namespace kalshiflow::exchange::internal
