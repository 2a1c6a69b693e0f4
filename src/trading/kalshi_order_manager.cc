#include "trading/kalshi_order_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <thread>
#include <utility>

#include "core/check.h"
#include "kalshi/messages.h"

namespace kalshiflow::trading {

using core::BookSide;
using core::Count;
using core::Money;
using core::OutcomeSide;
using core::Price;
using core::Timestamp;

namespace {

// The fee breakdown a `fill` message implies: `fee_cost` is the net fee the balance paid, and
// the balance moved by revenue − net fee (PROTOCOL §5 fee rounding; revenue = −cost of a buy).
kalshi::FillFee FeeOfFill(Price leg_price, Count count, Money net_fee) {
  kalshi::FillFee fee;
  fee.trade_fee = net_fee;
  fee.net_fee = net_fee;
  fee.balance_change = -core::Notional(leg_price, count) - net_fee;
  fee.cash_change = fee.balance_change;
  return fee;
}

std::string RunTag() {
  // Distinguishes this run's client_order_ids from an earlier run's on the same key.
  const int64_t now_ms = core::RealClock::Instance().Now().millis();
  return fmt::format("{:x}", now_ms);
}

}  // namespace

struct KalshiOrderManager::LiveOrder {
  uint64_t id = 0;  // the manager's id
  std::string kalshi_id;
  std::string ticker;
  BookSide side = BookSide::kBid;
  Price yes_price;
  Count filled;  // per the exchange: order responses, user_order messages (only grows)
  Count booked;  // of those, the contracts booked from fill messages
  Count remaining;
  bool live = true;  // resting (or just created with a remainder)
  Timestamp placed;
};

struct KalshiOrderManager::Market {
  sim::Portfolio portfolio{core::Money()};
  const book::OrderBook* book = nullptr;
  int64_t fills = 0;
};

/// The private-channel WebSocket handler (runs on the client's I/O thread).
class KalshiOrderManager::Listener final : public net::WebSocketHandler {
 public:
  explicit Listener(KalshiOrderManager& owner) : owner_(owner) {}
  void OnConnected() override {
    {
      std::lock_guard lock(owner_.mu_);
      ++owner_.kalshi_counters_.ws_connects;
    }
    client->Send(
        R"({"id":1,"cmd":"subscribe","params":{"channels":["fill","user_orders","market_positions","order_group_updates"]}})");
  }
  void OnText(std::string_view frame, Timestamp) override { owner_.OnPrivateFrame(frame); }
  net::ReconnectDecision OnDisconnected(const net::DisconnectInfo& info) override {
    if (info.http_status == 401 || info.http_status == 403) {
      spdlog::error("kalshi order manager: private WebSocket refused ({}), not retrying",
                    info.http_status);
      return net::ReconnectDecision::kStop;
    }
    return net::ReconnectDecision::kRetry;
  }

  std::unique_ptr<net::WebSocketClient> client;

 private:
  KalshiOrderManager& owner_;
};

KalshiOrderManager::KalshiOrderManager(KalshiTradingClient& client, KalshiOrderManagerConfig config)
    : client_(client), config_(std::move(config)), run_tag_(RunTag()) {}

KalshiOrderManager::~KalshiOrderManager() {
  {
    std::lock_guard lock(sync_mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (listener_ && listener_->client) listener_->client->Stop();
}

core::Result<std::unique_ptr<KalshiOrderManager>> KalshiOrderManager::Create(
    KalshiTradingClient& client, KalshiOrderManagerConfig config) {
  std::unique_ptr<KalshiOrderManager> manager(new KalshiOrderManager(client, std::move(config)));
  KF_RETURN_IF_ERROR(manager->LoadState());
  if (manager->config_.order_group_contracts_limit.IsPositive()) {
    KF_ASSIGN_OR_RETURN(manager->order_group_id_,
                        client.CreateOrderGroup(manager->config_.order_group_contracts_limit));
    spdlog::info(
        "kalshi order manager: order group {} limits the session to {} contracts per "
        "15 s",
        manager->order_group_id_, manager->config_.order_group_contracts_limit.ToString());
  }
  KF_RETURN_IF_ERROR(manager->StartListener());
  if (manager->config_.sync_interval.count() > 0) {
    KalshiOrderManager* m = manager.get();
    m->sync_thread_ = std::thread([m] {
      std::unique_lock lock(m->sync_mu_);
      while (!m->sync_cv_.wait_for(lock, m->config_.sync_interval, [m] { return m->stopping_; })) {
        lock.unlock();
        const core::Status status = m->SyncNow();
        if (!status.ok()) spdlog::warn("kalshi order manager: sync failed: {}", status.ToString());
        lock.lock();
      }
    });
  }
  return manager;
}

core::Status KalshiOrderManager::LoadState() {
  KF_ASSIGN_OR_RETURN(const kalshi::Balance balance, client_.GetBalance());
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::MarketPositionRecord> positions,
                      client_.GetPositions());
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::Order> resting,
                      client_.GetOrders({.status = kalshi::OrderStatus::kResting}));
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::SettlementRecord> settlements,
                      client_.GetSettlements());
  std::lock_guard lock(mu_);
  // Settlements before this manager started are already in the balance and the positions.
  for (const kalshi::SettlementRecord& r : settlements) {
    seen_settlements_.insert(r.ticker + "|" + r.settled_time);
  }
  // Positions held before this manager started are carried at their exchange cost; the cash
  // they cost is already out of the balance.
  Money carried;
  for (const kalshi::MarketPositionRecord& p : positions) {
    if (p.position.IsZero()) continue;
    Market& market = MarketLocked(p.ticker);
    const OutcomeSide leg = p.position.IsNegative() ? OutcomeSide::kNo : OutcomeSide::kYes;
    const Count held = p.position.IsNegative() ? -p.position : p.position;
    // Book the holding as one fill at its average cost, with no fee.
    const Price average = Price::FromUnits(p.market_exposure.units() / held.units());
    market.portfolio.ApplyFill(leg, average, held, FeeOfFill(average, held, Money()));
    carried += market.portfolio.cash();
  }
  starting_cash_ = balance.balance - carried;
  for (const kalshi::Order& o : resting) {
    LiveOrder& order = OrderLocked(o.order_id, o.ticker);
    order.side = o.book_side;
    order.yes_price = o.yes_price;
    order.filled = o.fill_count;
    order.booked = o.fill_count;  // already in the balance and the positions
    order.remaining = o.remaining_count;
  }
  return core::Status::Ok();
}

core::Status KalshiOrderManager::StartListener() {
  listener_ = std::make_unique<Listener>(*this);
  net::WebSocketClientOptions options = config_.websocket;
  options.url = client_.ws_url();
  options.headers = client_.websocket_headers();
  KF_ASSIGN_OR_RETURN(listener_->client,
                      net::WebSocketClient::Create(std::move(options), listener_.get()));
  return listener_->client->Start();
}

// ---- the private channels ----------------------------------------------------------------------

void KalshiOrderManager::OnPrivateFrame(std::string_view frame) {
  std::lock_guard lock(mu_);
  auto decoded = decoder_.Decode(frame);
  if (!decoded.ok()) {
    ++kalshi_counters_.decode_errors;
    return;
  }
  const kalshi::Message& msg = **decoded;
  switch (msg.type) {
    case kalshi::MessageType::kFill: {
      const kalshi::Fill& f = msg.fill;
      std::string trade_id(f.trade_id);
      if (!seen_trades_.emplace(trade_id, true).second) {
        ++kalshi_counters_.duplicate_fills;
        return;
      }
      const std::string ticker(f.market_ticker);
      Market& market = MarketLocked(ticker);
      const OutcomeSide leg = f.outcome_side;
      const Price leg_price = leg == OutcomeSide::kYes ? f.yes_price : f.yes_price.Complement();
      const Money fee = f.fee_cost.value_or(Money());
      market.portfolio.ApplyFill(leg, leg_price, f.count, FeeOfFill(leg_price, f.count, fee));
      ++market.fills;
      ++kalshi_counters_.fills_booked;
      ++counters_.fills;
      counters_.contracts_filled += f.count;
      counters_.fees_paid += fee;
      LiveOrder& order = OrderLocked(std::string(f.order_id), ticker);
      order.booked += f.count;
      fills_.push_back({ticker, order.id, f.book_side, f.yes_price, f.count, fee, f.is_taker,
                        Timestamp::FromMillis(f.ts_ms)});
      return;
    }
    case kalshi::MessageType::kUserOrder: {
      const kalshi::UserOrder& u = msg.user_order;
      ++kalshi_counters_.order_updates;
      LiveOrder& order = OrderLocked(std::string(u.order_id), u.market_ticker);
      if (u.book_side) order.side = *u.book_side;
      order.yes_price = u.yes_price;
      order.filled = std::max(order.filled, u.fill_count);
      order.remaining = u.remaining_count;
      const bool was_live = order.live;
      order.live = u.status == kalshi::OrderStatus::kResting;
      sim::OrderState state = sim::OrderState::kResting;
      if (u.status == kalshi::OrderStatus::kExecuted) state = sim::OrderState::kFilled;
      if (u.status == kalshi::OrderStatus::kCanceled) state = sim::OrderState::kCanceled;
      if (was_live || order.live) {
        order_events_.push_back({order.ticker, order.id, state, sim::OrderReject::kNone,
                                 std::string(u.last_update_reason),
                                 Timestamp::FromMillis(u.last_updated_ts_ms.value_or(0))});
      }
      return;
    }
    case kalshi::MessageType::kOrderGroupUpdates: {
      const kalshi::OrderGroupUpdate& g = msg.order_group;
      if (order_group_id_.empty() || g.order_group_id != order_group_id_) return;
      if (g.event_type == kalshi::OrderGroupEventType::kTriggered && !order_group_triggered_) {
        order_group_triggered_ = true;
        order_group_triggered_at_ = std::chrono::steady_clock::now();
        ++kalshi_counters_.order_group_triggers;
        spdlog::warn(
            "kalshi order manager: order group {} triggered (the session's contracts "
            "limit); its resting orders were cancelled, new orders wait {} ms",
            order_group_id_, config_.order_group_reset_after.count());
      } else if (g.event_type == kalshi::OrderGroupEventType::kReset) {
        order_group_triggered_ = false;
      }
      return;
    }
    case kalshi::MessageType::kMarketPosition: {
      const kalshi::MarketPosition& p = msg.market_position;
      ++kalshi_counters_.position_messages;
      auto it = markets_.find(p.market_ticker);
      const Count local = it == markets_.end() ? Count() : it->second.portfolio.position();
      // Fills and position messages travel on one connection in order, so a difference is
      // drift, not lag.
      if (local != p.position) ++kalshi_counters_.position_mismatches;
      return;
    }
    default:
      return;  // acks, errors, heartbeats' frames
  }
}

// ---- orders
// --------------------------------------------------------------------------------------

KalshiOrderManager::Market& KalshiOrderManager::MarketLocked(std::string_view ticker) {
  auto it = markets_.find(ticker);
  if (it == markets_.end()) it = markets_.emplace(std::string(ticker), Market{}).first;
  return it->second;
}

KalshiOrderManager::LiveOrder& KalshiOrderManager::OrderLocked(const std::string& kalshi_order_id,
                                                               std::string_view ticker) {
  auto it = orders_.find(kalshi_order_id);
  if (it == orders_.end()) {
    LiveOrder order;
    order.id = next_order_id_++;
    order.kalshi_id = kalshi_order_id;
    order.ticker = std::string(ticker);
    it = orders_.emplace(kalshi_order_id, std::move(order)).first;
    order_ids_.emplace(it->second.id, kalshi_order_id);
  }
  return it->second;
}

const KalshiOrderManager::LiveOrder* KalshiOrderManager::NewestLiveLocked(
    std::string_view ticker) const {
  const LiveOrder* newest = nullptr;
  for (const auto& [id, order] : orders_) {
    if (order.live && order.ticker == ticker && (newest == nullptr || order.id > newest->id)) {
      newest = &order;
    }
  }
  return newest;
}

KalshiOrderManager::LiveOrder* KalshiOrderManager::NewestLiveLocked(std::string_view ticker) {
  return const_cast<LiveOrder*>(std::as_const(*this).NewestLiveLocked(ticker));
}

void KalshiOrderManager::OnBookUpdate(std::string_view market_ticker, const book::OrderBook& book,
                                      Timestamp) {
  std::lock_guard lock(mu_);
  MarketLocked(market_ticker).book = &book;
}

std::optional<core::Status> KalshiOrderManager::SendOp(const std::string& ticker,
                                                       const sim::OrderOp& op, Timestamp ts) {
  std::string kalshi_id;
  Count filled;
  if (op.type != sim::OrderOpType::kPlace) {
    std::lock_guard lock(mu_);
    auto it = order_ids_.find(op.order_id);
    if (it == order_ids_.end()) {
      return core::FailedPreconditionError(
          fmt::format("order_not_live: no order {} in {}", op.order_id, ticker));
    }
    kalshi_id = it->second;
    filled = orders_.find(kalshi_id)->second.filled;
  }
  auto refused = [&](const core::Status& status) -> std::optional<core::Status> {
    if (op.type != sim::OrderOpType::kPlace && status.code() != core::StatusCode::kUnavailable) {
      // A cancel / amend racing the order's last fill: the exchange finished it before the
      // request arrived and its user_order message is still on the way. Not an error when
      // the exchange says the order is no longer resting: the order is finished here too.
      auto current = client_.GetOrder(kalshi_id);
      if (current.ok() && current->status != kalshi::OrderStatus::kResting) {
        std::lock_guard lock(mu_);
        ++kalshi_counters_.finished_order_races;
        auto it = orders_.find(kalshi_id);
        if (it != orders_.end()) {
          it->second.filled = std::max(it->second.filled, current->fill_count);
          it->second.live = false;
          it->second.remaining = Count();
        }
        return std::nullopt;
      }
    }
    std::lock_guard lock(mu_);
    ++kalshi_counters_.rest_errors;
    ++counters_.orders_rejected;
    return status;
  };
  switch (op.type) {
    case sim::OrderOpType::kPlace: {
      if (auto blocked = CheckOrderGroup()) return blocked;
      kalshi::CreateOrderRequest request;
      request.ticker = ticker;
      request.order_group_id = order_group_id_;
      request.client_order_id =
          fmt::format("{}-{}-{}", config_.client_order_id_prefix, run_tag_, next_client_id_++);
      request.side = op.side;
      request.count = op.count;
      request.price = op.price;
      request.time_in_force = op.tif == sim::TimeInForce::kImmediateOrCancel
                                  ? kalshi::TimeInForce::kImmediateOrCancel
                                  : kalshi::TimeInForce::kGoodTillCanceled;
      {
        std::lock_guard lock(mu_);
        ++counters_.orders_placed;
      }
      auto response = client_.CreateOrder(request);
      if (!response.ok()) return refused(response.error());
      std::lock_guard lock(mu_);
      LiveOrder& order = OrderLocked(response->order_id, ticker);
      order.side = op.side;
      order.yes_price = op.price;
      order.placed = ts;
      // A user_order message may have arrived first and already finished the order.
      if (order.filled <= response->fill_count) {
        order.filled = response->fill_count;
        order.remaining = response->remaining_count;
        order.live = response->remaining_count.IsPositive() &&
                     request.time_in_force == kalshi::TimeInForce::kGoodTillCanceled;
      }
      return std::nullopt;
    }
    case sim::OrderOpType::kCancel: {
      {
        std::lock_guard lock(mu_);
        ++counters_.orders_canceled;
      }
      auto response = client_.CancelOrder(kalshi_id, ticker);
      if (!response.ok()) return refused(response.error());
      std::lock_guard lock(mu_);
      auto it = orders_.find(kalshi_id);
      if (it != orders_.end()) {
        it->second.live = false;
        it->second.remaining = Count();
      }
      return std::nullopt;
    }
    case sim::OrderOpType::kAmend: {
      kalshi::AmendOrderRequest request;
      request.ticker = ticker;
      request.side = op.side;
      request.price = op.price;
      request.count = filled + op.count;  // V2: the new total
      {
        std::lock_guard lock(mu_);
        ++counters_.orders_amended;
      }
      auto response = client_.AmendOrder(kalshi_id, request);
      if (!response.ok()) return refused(response.error());
      std::lock_guard lock(mu_);
      auto it = orders_.find(kalshi_id);
      if (it != orders_.end()) {
        it->second.yes_price = op.price;
        it->second.filled = std::max(it->second.filled, filled + response->fill_count);
        it->second.remaining = response->remaining_count;
        it->second.live = response->remaining_count.IsPositive();
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<core::Status> KalshiOrderManager::CheckOrderGroup() {
  {
    std::lock_guard lock(mu_);
    if (!order_group_triggered_) return std::nullopt;
    if (std::chrono::steady_clock::now() - order_group_triggered_at_ <
        config_.order_group_reset_after) {
      ++kalshi_counters_.orders_blocked;
      ++counters_.orders_rejected;
      return core::FailedPreconditionError(fmt::format(
          "order_group_triggered: order group {} reached the session's contracts limit; new "
          "orders resume after the {} ms cool-down",
          order_group_id_, config_.order_group_reset_after.count()));
    }
  }
  // Recovery: reset the group (off the lock: a REST call).
  const core::Status reset = client_.ResetOrderGroup(order_group_id_);
  std::lock_guard lock(mu_);
  if (!reset.ok()) {
    ++kalshi_counters_.rest_errors;
    ++counters_.orders_rejected;
    return reset;
  }
  order_group_triggered_ = false;
  ++kalshi_counters_.order_group_resets;
  spdlog::info("kalshi order manager: order group {} reset after its cool-down", order_group_id_);
  return std::nullopt;
}

std::string KalshiOrderManager::order_group_id() const { return order_group_id_; }

bool KalshiOrderManager::order_group_triggered() const {
  std::lock_guard lock(mu_);
  return order_group_triggered_;
}

ExecutionResult KalshiOrderManager::ExecuteAction(std::string_view market_ticker,
                                                  sim::Action action, const book::OrderBook& book,
                                                  sim::PriceStrategy strategy, Count size,
                                                  Timestamp decision_ts) {
  std::optional<sim::WorkingOrder> working;
  {
    std::lock_guard lock(mu_);
    ++counters_.actions;
    MarketLocked(market_ticker).book = &book;
    if (const LiveOrder* order = NewestLiveLocked(market_ticker)) {
      working = sim::WorkingOrder{order->id, order->side, order->yes_price, order->remaining};
    }
  }
  const sim::ActionPlan plan = sim::PlanAction(action, book, working, strategy, size);
  ExecutionResult result;
  result.note = plan.note;
  const std::string ticker(market_ticker);
  for (const sim::OrderOp& op : plan.view()) {
    std::optional<core::Status> refused = SendOp(ticker, op, decision_ts);
    ++result.ops_sent;
    if (refused && !result.error) result.error = std::move(refused);
  }
  if (!result.error && plan.note == sim::PlanNote::kNoPrice && !book.has_snapshot()) {
    result.error = core::FailedPreconditionError(
        fmt::format("no_book_snapshot: cannot price {} in {}", sim::ActionName(action), ticker));
  }
  return result;
}

void KalshiOrderManager::CancelAll(std::string_view market_ticker, Timestamp ts) {
  std::vector<sim::OrderOp> cancels;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, order] : orders_) {
      if (order.live && order.ticker == market_ticker) {
        cancels.push_back({sim::OrderOpType::kCancel, order.id, order.side, order.yes_price, {}});
      }
    }
  }
  const std::string ticker(market_ticker);
  for (const sim::OrderOp& op : cancels) (void)SendOp(ticker, op, ts);
}

// ---- queries
// --------------------------------------------------------------------------------------

Money KalshiOrderManager::cash() const {
  std::lock_guard lock(mu_);
  Money cash = starting_cash_ + cash_offset_;
  for (const auto& [ticker, market] : markets_) cash += market.portfolio.cash();
  return cash;
}

Money KalshiOrderManager::available_cash() const {
  Money held;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, order] : orders_) {
      const Price leg_price = sim::LegPrice(order.side, order.yes_price);
      if (order.live) held += core::Notional(leg_price, order.remaining);
      // Filled on the exchange (the order's response or a user_order message said so) but
      // the fill message is not booked yet: the balance has already paid, at most the limit.
      if (order.filled > order.booked) {
        held += core::Notional(leg_price, order.filled - order.booked);
      }
    }
  }
  return cash() - held;
}

Money KalshiOrderManager::portfolio_value() const {
  std::lock_guard lock(mu_);
  Money value = starting_cash_ + cash_offset_;
  for (const auto& [ticker, market] : markets_) {
    const sim::Portfolio& p = market.portfolio;
    Price mark;
    if (!p.position().IsZero() && market.book != nullptr) {
      if (auto best = market.book->BestBid(p.held_leg())) mark = best->price;
    }
    value += p.ValueAt(mark);
  }
  return value;
}

Count KalshiOrderManager::position(std::string_view market_ticker) const {
  std::lock_guard lock(mu_);
  auto it = markets_.find(market_ticker);
  return it == markets_.end() ? Count() : it->second.portfolio.position();
}

Count KalshiOrderManager::unbooked_position(std::string_view market_ticker) const {
  std::lock_guard lock(mu_);
  Count unbooked;
  for (const auto& [id, order] : orders_) {
    if (order.ticker != market_ticker || order.filled <= order.booked) continue;
    const Count contracts = order.filled - order.booked;
    unbooked += order.side == BookSide::kBid ? contracts : -contracts;
  }
  return unbooked;
}

Money KalshiOrderManager::cost_basis(std::string_view market_ticker) const {
  std::lock_guard lock(mu_);
  auto it = markets_.find(market_ticker);
  return it == markets_.end() ? Money() : it->second.portfolio.cost_basis();
}

std::vector<MarketPosition> KalshiOrderManager::positions() const {
  std::lock_guard lock(mu_);
  std::vector<MarketPosition> out;
  for (const auto& [ticker, market] : markets_) {
    if (market.fills == 0 && market.portfolio.position().IsZero()) continue;
    const sim::Portfolio& p = market.portfolio;
    out.push_back(
        {ticker, p.position(), p.cost_basis(), p.realized_pnl(), p.fees_paid(), market.fills});
  }
  return out;
}

void KalshiOrderManager::ForEachOpenPosition(
    const std::function<void(std::string_view, Count, Money)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& [ticker, market] : markets_) {
    const sim::Portfolio& p = market.portfolio;
    if (!p.position().IsZero()) visit(ticker, p.position(), p.cost_basis());
  }
}

std::optional<sim::WorkingOrder> KalshiOrderManager::working_order(
    std::string_view market_ticker) const {
  std::lock_guard lock(mu_);
  const LiveOrder* order = NewestLiveLocked(market_ticker);
  if (order == nullptr) return std::nullopt;
  return sim::WorkingOrder{order->id, order->side, order->yes_price, order->remaining};
}

features::WorkingOrderState KalshiOrderManager::order_features(
    std::string_view market_ticker) const {
  std::lock_guard lock(mu_);
  features::WorkingOrderState state;
  const LiveOrder* oldest = nullptr;
  const LiveOrder* newest_bid = nullptr;
  const LiveOrder* newest_ask = nullptr;
  for (const auto& [id, order] : orders_) {
    if (!order.live || order.ticker != market_ticker) continue;
    if (oldest == nullptr || order.id < oldest->id) oldest = &order;
    const LiveOrder*& newest = order.side == BookSide::kBid ? newest_bid : newest_ask;
    if (newest == nullptr || order.id > newest->id) newest = &order;
  }
  if (newest_bid != nullptr) state.open_buy_price = newest_bid->yes_price;
  if (newest_ask != nullptr) state.open_sell_price = newest_ask->yes_price;
  if (oldest != nullptr) state.placed_ts_ms = oldest->placed.millis();
  return state;
}

void KalshiOrderManager::DrainEvents(std::vector<FillEvent>* fills,
                                     std::vector<OrderEvent>* orders) {
  KF_CHECK(fills != nullptr && orders != nullptr, "DrainEvents needs both output vectors");
  std::lock_guard lock(mu_);
  fills->insert(fills->end(), std::make_move_iterator(fills_.begin()),
                std::make_move_iterator(fills_.end()));
  orders->insert(orders->end(), std::make_move_iterator(order_events_.begin()),
                 std::make_move_iterator(order_events_.end()));
  fills_.clear();
  order_events_.clear();
}

KalshiOrderManagerCounters KalshiOrderManager::kalshi_counters() const {
  std::lock_guard lock(mu_);
  return kalshi_counters_;
}

// ---- REST sync and reconciliation
// -----------------------------------------------------------------

core::Status KalshiOrderManager::SyncNow() {
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::FillRecord> fills, client_.GetFills({}));
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::SettlementRecord> settlements,
                      client_.GetSettlements());
  KF_ASSIGN_OR_RETURN(const kalshi::Balance balance, client_.GetBalance());
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::MarketPositionRecord> positions,
                      client_.GetPositions());
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::Order> resting,
                      client_.GetOrders({.status = kalshi::OrderStatus::kResting}));
  std::lock_guard lock(mu_);
  ++kalshi_counters_.syncs;
  if (static_cast<int64_t>(fills.size()) != kalshi_counters_.fills_booked) {
    // Fills are still on their way over the WebSocket (REST answered after them): comparing
    // now would see lag as drift. Try again next time.
    ++kalshi_counters_.syncs_deferred;
    return core::Status::Ok();
  }
  // Settlements (DESIGN §8): a settled market pays its position out (PROTOCOL §4.6: `value`,
  // the cents one YES contract pays, else $1 to the winning side); booked once each.
  for (const kalshi::SettlementRecord& r : settlements) {
    std::string key = r.ticker + "|" + r.settled_time;
    if (seen_settlements_.contains(key)) continue;
    seen_settlements_.insert(std::move(key));
    const Price yes_value = r.value_cents              ? Price::FromCents(*r.value_cents)
                            : r.market_result == "yes" ? Price::OneDollar()
                                                       : Price();
    Market& market = MarketLocked(r.ticker);
    const Count held = market.portfolio.position();
    const Money payout = market.portfolio.Settle(yes_value);
    for (auto& [id, order] : orders_) {
      if (order.ticker == r.ticker && order.live) {
        order.live = false;  // a settled market cancels its resting orders
        order.remaining = Count();
      }
    }
    ++kalshi_counters_.settlements_booked;
    spdlog::info("kalshi order manager: {} settled {} (YES pays {}): position {} paid {}", r.ticker,
                 r.market_result, yes_value.ToString(), held.ToString(), payout.ToString());
  }
  Money local_cash = starting_cash_ + cash_offset_;
  for (const auto& [ticker, market] : markets_) local_cash += market.portfolio.cash();
  if (local_cash != balance.balance) {
    ++kalshi_counters_.drift_events;
    spdlog::warn("kalshi order manager: cash drift: local {} vs exchange {} (adopted)",
                 local_cash.ToString(), balance.balance.ToString());
    cash_offset_ += balance.balance - local_cash;
  }
  for (const kalshi::MarketPositionRecord& p : positions) {
    auto it = markets_.find(p.ticker);
    const Count local = it == markets_.end() ? Count() : it->second.portfolio.position();
    if (local != p.position) {
      ++kalshi_counters_.drift_events;
      spdlog::warn("kalshi order manager: position drift in {}: local {} vs exchange {}", p.ticker,
                   local.ToString(), p.position.ToString());
    }
  }
  // Orders the exchange no longer rests are finished here too (a missed user_order message).
  std::map<std::string, const kalshi::Order*, std::less<>> rest_live;
  for (const kalshi::Order& o : resting) rest_live.emplace(o.order_id, &o);
  for (auto& [id, order] : orders_) {
    auto it = rest_live.find(id);
    if (order.live && it == rest_live.end()) {
      ++kalshi_counters_.drift_events;
      order.live = false;
      order.remaining = Count();
    } else if (it != rest_live.end() && order.remaining != it->second->remaining_count) {
      ++kalshi_counters_.drift_events;
      order.remaining = it->second->remaining_count;
      order.live = true;
    }
  }
  return core::Status::Ok();
}

bool KalshiOrderManager::WaitForFills(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto fills = client_.GetFills({});
    if (fills.ok()) {
      std::lock_guard lock(mu_);
      if (static_cast<int64_t>(fills->size()) <= kalshi_counters_.fills_booked) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

core::Result<ReconcileReport> KalshiOrderManager::Reconcile() {
  KF_ASSIGN_OR_RETURN(const kalshi::Balance balance, client_.GetBalance());
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::MarketPositionRecord> positions,
                      client_.GetPositions());
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::FillRecord> fills, client_.GetFills({}));
  KF_ASSIGN_OR_RETURN(const std::vector<kalshi::Order> resting,
                      client_.GetOrders({.status = kalshi::OrderStatus::kResting}));
  ReconcileReport report;
  std::lock_guard lock(mu_);
  report.exchange_cash = balance.balance;
  report.local_cash = starting_cash_ + cash_offset_;
  for (const auto& [ticker, market] : markets_) report.local_cash += market.portfolio.cash();
  if (report.local_cash != report.exchange_cash) {
    report.differences.push_back(fmt::format("cash: local {} vs exchange {}",
                                             report.local_cash.ToString(),
                                             report.exchange_cash.ToString()));
  }
  report.exchange_fills = static_cast<int64_t>(fills.size());
  report.local_fills = kalshi_counters_.fills_booked;
  if (report.local_fills != report.exchange_fills) {
    report.differences.push_back(
        fmt::format("fills: local {} vs exchange {}", report.local_fills, report.exchange_fills));
  }
  std::map<std::string, Count, std::less<>> exchange_positions;
  for (const auto& p : positions) exchange_positions[p.ticker] = p.position;
  for (const auto& [ticker, market] : markets_) exchange_positions.try_emplace(ticker, Count());
  for (const auto& [ticker, exchange_position] : exchange_positions) {
    ++report.positions_compared;
    auto it = markets_.find(ticker);
    const Count local = it == markets_.end() ? Count() : it->second.portfolio.position();
    if (local != exchange_position) {
      report.differences.push_back(fmt::format("position {}: local {} vs exchange {}", ticker,
                                               local.ToString(), exchange_position.ToString()));
    }
    if (it != markets_.end()) {
      for (const auto& p : positions) {
        if (p.ticker == ticker && p.market_exposure != it->second.portfolio.cost_basis()) {
          report.differences.push_back(fmt::format("exposure {}: local {} vs exchange {}", ticker,
                                                   it->second.portfolio.cost_basis().ToString(),
                                                   p.market_exposure.ToString()));
        }
      }
    }
  }
  std::map<std::string, Count, std::less<>> exchange_resting;
  for (const kalshi::Order& o : resting) exchange_resting[o.order_id] = o.remaining_count;
  for (const auto& [id, order] : orders_) {
    if (order.live) exchange_resting.try_emplace(id, Count());
  }
  for (const auto& [id, remaining] : exchange_resting) {
    ++report.resting_orders_compared;
    auto it = orders_.find(id);
    const Count local = it == orders_.end() || !it->second.live ? Count() : it->second.remaining;
    if (local != remaining) {
      report.differences.push_back(fmt::format("resting order {}: local {} vs exchange {}", id,
                                               local.ToString(), remaining.ToString()));
    }
  }
  report.matched = report.differences.empty();
  return report;
}

}  // namespace kalshiflow::trading
