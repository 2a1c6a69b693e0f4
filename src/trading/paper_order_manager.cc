#include "trading/paper_order_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace kalshiflow::trading {

using core::Count;
using core::Money;
using core::Timestamp;

namespace {

// The refusal an OrderReject stands for, as ExecutionResult::error.
core::Status RejectStatus(sim::OrderReject reject, std::string_view ticker,
                          const sim::OrderOp& op) {
  const std::string message =
      fmt::format("{}: {} {} {} @ {} in {}", sim::OrderRejectName(reject),
                  sim::OrderOpTypeName(op.type), op.side == core::BookSide::kBid ? "bid" : "ask",
                  op.count.ToString(), op.price.ToString(), ticker);
  if (reject == sim::OrderReject::kInvalidOrder) return core::InvalidArgumentError(message);
  return core::FailedPreconditionError(message);
}

}  // namespace

core::Status ValidatePaperConfig(const PaperConfig& config) {
  if (config.initial_cash.IsNegative()) {
    return core::InvalidArgumentError(
        fmt::format("initial_cash: must be >= 0, got {}", config.initial_cash.ToString()));
  }
  if (config.sim.latency_ns < 0) {
    return core::InvalidArgumentError(
        fmt::format("sim.latency_ns: must be >= 0, got {}", config.sim.latency_ns));
  }
  if (config.sim.fees.multiplier < 0) {
    return core::InvalidArgumentError(
        fmt::format("sim.fees.multiplier: must be >= 0, got {}", config.sim.fees.multiplier));
  }
  if (!config.sim.initial_cash.IsZero()) {
    return core::InvalidArgumentError(
        fmt::format("sim.initial_cash: must be 0 (the account's money is initial_cash), got {}",
                    config.sim.initial_cash.ToString()));
  }
  return core::Status::Ok();
}

PaperOrderManager::PaperOrderManager(PaperConfig config)
    : config_(std::move(config)), account_(config_.initial_cash) {
  const core::Status status = ValidatePaperConfig(config_);
  KF_CHECK(status.ok(), "invalid paper config: {}", status.ToString());
}

// ---- events ---------------------------------------------------------------------------------

void PaperOrderManager::OnBookUpdate(std::string_view market_ticker, const book::OrderBook& book,
                                     Timestamp ts) {
  Market& market = MarketFor(market_ticker, book);
  account_.ShareWith(market.sim, market.share);
  market.sim.OnBookUpdate(ts);
  Collect(market);
}

ExecutionResult PaperOrderManager::ExecuteAction(std::string_view market_ticker, sim::Action action,
                                                 const book::OrderBook& book,
                                                 sim::PriceStrategy strategy, Count size,
                                                 Timestamp decision_ts) {
  ++counters_.actions;
  const bool first_sight = Find(market_ticker) == nullptr;
  Market& market = MarketFor(market_ticker, book);
  if (first_sight) {
    // The simulator has seen no book event yet: the caller's book is the market as of
    // decision_ts (otherwise the ops would wait for the next OnBookUpdate).
    account_.ShareWith(market.sim, market.share);
    market.sim.OnBookUpdate(decision_ts);
    Collect(market);
  }
  const sim::ActionPlan plan =
      sim::PlanAction(action, book, market.sim.working_order(), strategy, size);
  ExecutionResult result;
  result.note = plan.note;
  for (const sim::OrderOp& op : plan.view()) {
    std::optional<core::Status> refused = Submit(market, op, decision_ts);
    ++result.ops_sent;
    if (refused && !result.error) result.error = std::move(refused);
  }
  if (!result.error && plan.note == sim::PlanNote::kNoPrice && !book.has_snapshot()) {
    result.error = core::FailedPreconditionError(fmt::format(
        "{}: cannot price {} in {}", sim::OrderRejectName(sim::OrderReject::kNoBookSnapshot),
        sim::ActionName(action), market.ticker));
  }
  return result;
}

void PaperOrderManager::CancelAll(std::string_view market_ticker, Timestamp ts) {
  Market* market = Find(market_ticker);
  if (market == nullptr) return;
  // Collect the targets first: a cancel that acts at once removes its order from orders().
  std::vector<sim::OrderOp> cancels;
  for (const sim::SimOrder& order : market->sim.orders()) {
    if (sim::IsLive(order.state) && !order.cancel_requested) {
      cancels.push_back({sim::OrderOpType::kCancel, order.id, order.side, order.price, {}});
    }
  }
  for (const sim::OrderOp& op : cancels) (void)Submit(*market, op, ts);
}

void PaperOrderManager::OnTrade(std::string_view market_ticker, const sim::TradePrint& trade,
                                Timestamp ts) {
  Market* market = Find(market_ticker);
  if (market == nullptr) return;
  market->sim.OnTrade(trade, ts);
  Collect(*market);
}

void PaperOrderManager::Settle(std::string_view market_ticker, core::Price yes_value,
                               Timestamp ts) {
  Market* market = Find(market_ticker);
  if (market == nullptr) return;
  market->sim.Settle(yes_value, ts);
  Collect(*market);
}

// ---- queries --------------------------------------------------------------------------------

Money PaperOrderManager::cash() const { return account_.cash(); }

Money PaperOrderManager::reserved_cash() const { return account_.reserved_cash(); }

Money PaperOrderManager::available_cash() const { return account_.available_cash(); }

Money PaperOrderManager::portfolio_value() const { return account_.portfolio_value(); }

Count PaperOrderManager::position(std::string_view market_ticker) const {
  const Market* market = Find(market_ticker);
  return market == nullptr ? Count() : market->sim.portfolio().position();
}

Money PaperOrderManager::cost_basis(std::string_view market_ticker) const {
  const Market* market = Find(market_ticker);
  return market == nullptr ? Money() : market->sim.portfolio().cost_basis();
}

std::vector<MarketPosition> PaperOrderManager::positions() const {
  // A position only comes from fills, so the markets with a fill are all that can be listed.
  std::vector<MarketPosition> out;
  out.reserve(traded_.size());
  for (const auto& [ticker, market] : traded_) {  // sorted by ticker
    const sim::Portfolio& p = market->sim.portfolio();
    out.push_back({market->ticker, p.position(), p.cost_basis(), p.realized_pnl(), p.fees_paid(),
                   market->fills});
  }
  return out;
}

void PaperOrderManager::ForEachOpenPosition(
    const std::function<void(std::string_view, Count, Money)>& visit) const {
  for (const auto& [ticker, market] : traded_) {
    const sim::Portfolio& p = market->sim.portfolio();
    if (!p.position().IsZero()) visit(ticker, p.position(), p.cost_basis());
  }
}

std::optional<sim::WorkingOrder> PaperOrderManager::working_order(
    std::string_view market_ticker) const {
  const Market* market = Find(market_ticker);
  if (market == nullptr) return std::nullopt;
  std::optional<sim::WorkingOrder> working = market->sim.working_order();
  if (working) {
    const OrderRef* ref = FindRef(*market, working->id);
    KF_CHECK(ref != nullptr, "no manager id for live order {} in {}", working->id, market_ticker);
    working->id = ref->id;
  }
  return working;
}

features::WorkingOrderState PaperOrderManager::order_features(
    std::string_view market_ticker) const {
  features::WorkingOrderState state;
  const Market* market = Find(market_ticker);
  if (market == nullptr) return state;
  for (const sim::SimOrder& order : market->sim.orders()) {  // oldest first
    if (!sim::IsLive(order.state) || order.cancel_requested) continue;
    const core::Price price = order.pending_amends > 0 ? order.intended_price : order.price;
    if (order.side == core::BookSide::kBid) {
      state.open_buy_price = price;
    } else {
      state.open_sell_price = price;
    }
    if (!state.placed_ts_ms) {
      const OrderRef* ref = FindRef(*market, order.id);
      KF_CHECK(ref != nullptr, "no manager id for live order {} in {}", order.id, market_ticker);
      state.placed_ts_ms = ref->placed.millis();
    }
  }
  return state;
}

const sim::MarketSim* PaperOrderManager::FindSim(std::string_view market_ticker) const {
  const Market* market = Find(market_ticker);
  return market == nullptr ? nullptr : &market->sim;
}

void PaperOrderManager::DrainEvents(std::vector<FillEvent>* fills,
                                    std::vector<OrderEvent>* orders) {
  KF_CHECK(fills != nullptr && orders != nullptr, "DrainEvents needs both output vectors");
  fills->insert(fills->end(), std::make_move_iterator(fills_.begin()),
                std::make_move_iterator(fills_.end()));
  orders->insert(orders->end(), std::make_move_iterator(order_events_.begin()),
                 std::make_move_iterator(order_events_.end()));
  fills_.clear();
  order_events_.clear();
}

// ---- internals ------------------------------------------------------------------------------

PaperOrderManager::Market& PaperOrderManager::MarketFor(std::string_view ticker,
                                                        const book::OrderBook& book) {
  auto it = markets_.find(ticker);
  if (it == markets_.end()) {
    it = markets_.try_emplace(std::string(ticker), ticker, book, config_.sim).first;
  }
  KF_CHECK(it->second.book == &book,
           "market {}: a different OrderBook object than the one its simulator is bound to",
           ticker);
  return it->second;
}

const PaperOrderManager::Market* PaperOrderManager::Find(std::string_view ticker) const {
  auto it = markets_.find(ticker);
  return it == markets_.end() ? nullptr : &it->second;
}

PaperOrderManager::Market* PaperOrderManager::Find(std::string_view ticker) {
  auto it = markets_.find(ticker);
  return it == markets_.end() ? nullptr : &it->second;
}

std::optional<core::Status> PaperOrderManager::Submit(Market& market, const sim::OrderOp& op,
                                                      Timestamp ts) {
  const std::string& ticker = market.ticker;
  switch (op.type) {
    case sim::OrderOpType::kPlace:
      ++counters_.orders_placed;
      break;
    case sim::OrderOpType::kAmend:
      ++counters_.orders_amended;
      break;
    case sim::OrderOpType::kCancel:
      ++counters_.orders_canceled;
      break;
  }
  account_.ShareWith(market.sim, market.share);
  const std::size_t first_update = market.sim.order_updates().size();
  const sim::OrderId sim_id = market.sim.Submit(op, ts);
  std::optional<core::Status> refused;
  if (op.type == sim::OrderOpType::kPlace) {
    market.live.push_back({sim_id, next_order_id_++, ts});
  } else if (sim_id == 0) {
    ++counters_.orders_rejected;
    refused = core::FailedPreconditionError(
        fmt::format("order_not_live: {} of order {} in {} refused (finished, cancel in flight, "
                    "or a bad price / count)",
                    sim::OrderOpTypeName(op.type), op.order_id, ticker));
  }
  if (sim_id != 0) {
    const auto updates = market.sim.order_updates();
    for (std::size_t i = first_update; i < updates.size() && !refused; ++i) {
      const sim::OrderUpdate& u = updates[i];
      if (u.order_id != sim_id) continue;
      if (u.reject != sim::OrderReject::kNone) {
        refused = RejectStatus(u.reject, ticker, op);
      } else if (u.state == sim::OrderState::kRejected) {
        refused = core::FailedPreconditionError(
            fmt::format("rejected: {} in {}: {}", sim::OrderOpTypeName(op.type), ticker, u.reason));
      }
    }
  }
  Collect(market);
  return refused;
}

void PaperOrderManager::Collect(Market& market) {
  const std::string& ticker = market.ticker;
  for (const sim::Fill& fill : market.sim.fills()) {
    const OrderRef* ref = FindRef(market, fill.order_id);
    KF_CHECK(ref != nullptr, "fill of unknown order {} in {}", fill.order_id, ticker);
    fills_.push_back({ticker, ref->id, fill.side, fill.price, fill.count, fill.fee.net_fee,
                      fill.liquidity == kalshi::Liquidity::kTaker, fill.ts});
    ++counters_.fills;
    counters_.contracts_filled += fill.count;
    counters_.fees_paid += fill.fee.net_fee;
    ++market.fills;
  }
  for (const sim::OrderUpdate& update : market.sim.order_updates()) {
    const OrderRef* ref = FindRef(market, update.order_id);
    KF_CHECK(ref != nullptr, "update of unknown order {} in {}", update.order_id, ticker);
    order_events_.push_back(
        {ticker, ref->id, update.state, update.reject, std::string(update.reason), update.ts});
    if (update.state == sim::OrderState::kRejected || update.reject != sim::OrderReject::kNone) {
      ++counters_.orders_rejected;
    }
    if (!sim::IsLive(update.state)) {
      std::erase_if(market.live, [&](const OrderRef& r) { return r.sim_id == update.order_id; });
    }
  }
  market.sim.ClearEvents();
  if (market.fills > 0) traded_.emplace(market.ticker, &market);
  account_.Fold(market.sim, market.share);
}

const PaperOrderManager::OrderRef* PaperOrderManager::FindRef(const Market& market,
                                                              sim::OrderId sim_id) const {
  for (const OrderRef& ref : market.live) {
    if (ref.sim_id == sim_id) return &ref;
  }
  return nullptr;
}

}  // namespace kalshiflow::trading
