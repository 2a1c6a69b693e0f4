#include "sim/market_sim.h"

#include <algorithm>

#include "core/check.h"

namespace kalshiflow::sim {

using core::Count;
using core::Money;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;
using core::Timestamp;
using kalshi::Liquidity;

namespace {

constexpr std::size_t LegIndex(OutcomeSide leg) { return leg == OutcomeSide::kYes ? 0 : 1; }

Count Min(Count a, Count b) { return a < b ? a : b; }
Count Max(Count a, Count b) { return a < b ? b : a; }

// `count` contracts at `per_contract` dollars each. Exact: every per-contract amount used here
// is a multiple of $0.0001 (100 Money units), and a Count unit is 1/100 contract.
Money PerContract(Money per_contract, Count count) {
  return Money::FromUnits(per_contract.units() * count.units() / Count::kUnitsPerContract);
}

// `value` rounded toward +infinity to a multiple of `unit`.
Money CeilTo(Money value, Money unit) { return -kalshi::FloorTo(-value, unit); }

constexpr std::string_view kInsufficientBalanceText = "insufficient_balance";

}  // namespace

std::string_view OrderOpTypeName(OrderOpType type) {
  switch (type) {
    case OrderOpType::kPlace:
      return "place";
    case OrderOpType::kCancel:
      return "cancel";
    case OrderOpType::kAmend:
      return "amend";
  }
  return "unknown";
}

std::string_view OrderStateName(OrderState state) {
  switch (state) {
    case OrderState::kPending:
      return "pending";
    case OrderState::kResting:
      return "resting";
    case OrderState::kFilled:
      return "filled";
    case OrderState::kCanceled:
      return "canceled";
    case OrderState::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string_view OrderRejectName(OrderReject reject) {
  switch (reject) {
    case OrderReject::kNone:
      return "none";
    case OrderReject::kInvalidOrder:
      return "invalid_order";
    case OrderReject::kMarketSettled:
      return "market_settled";
    case OrderReject::kNoBookSnapshot:
      return "no_book_snapshot";
    case OrderReject::kInsufficientBalance:
      return "insufficient_balance";
  }
  return "unknown";
}

std::string_view MarkFallbackName(MarkFallback fallback) {
  return fallback == MarkFallback::kLastBid ? "last_bid" : "zero";
}

std::string_view CollateralModeName(CollateralMode mode) {
  return mode == CollateralMode::kEnforce ? "enforce" : "off";
}

std::optional<CollateralMode> ParseCollateralMode(std::string_view text) {
  if (text == "enforce") return CollateralMode::kEnforce;
  if (text == "off") return CollateralMode::kOff;
  return std::nullopt;
}

MarketSim::MarketSim(const book::OrderBook& book, SimConfig config)
    : book_(&book), config_(config), portfolio_(config.initial_cash) {
  KF_CHECK(config_.latency_ns >= 0, "latency {} ns is negative", config_.latency_ns);
}

// ---- events ---------------------------------------------------------------------------------

void MarketSim::OnBookUpdate(Timestamp ts) {
  ++counters_.book_events;
  seen_book_event_ = true;
  now_ = ts;
  last_book_ts_ = ts;
  for (OutcomeSide leg : {OutcomeSide::kYes, OutcomeSide::kNo}) {
    if (auto best = book_->BestBid(leg)) last_bid_[LegIndex(leg)] = best->price;
  }
  RefreshConsumed();
  for (SimOrder& order : orders_) {
    if (order.state == OrderState::kResting) UpdateQueue(order);
  }
  DrainDueOps();
  for (SimOrder& order : orders_) {
    if (order.state == OrderState::kResting) CheckCrossed(order);
  }
  EraseFinished();
}

void MarketSim::OnTrade(const TradePrint& trade, Timestamp ts) {
  ++counters_.trades;
  now_ = ts;
  if (!trade.count.IsPositive()) return;
  // The maker bought the other leg at the other leg's price.
  const OutcomeSide maker_leg = core::Opposite(trade.taker_side);
  const Price maker_price =
      maker_leg == OutcomeSide::kYes ? trade.yes_price : trade.yes_price.Complement();
  for (SimOrder& order : orders_) {
    if (order.state != OrderState::kResting || LegOf(order.side) != maker_leg) continue;
    const Price price = LegPrice(order.side, order.price);
    Count fill;
    if (maker_price == price) {
      // At our level: the queue ahead trades first; the excess reaches us.
      order.pending_trades += trade.count;
      if (trade.count <= order.ahead) {
        order.ahead -= trade.count;
      } else {
        fill = Min(trade.count - order.ahead, order.remaining);
        order.ahead = Count();
      }
    } else if (maker_price < price) {
      // Someone sold our leg below our bid: that seller would have met us first.
      fill = Min(trade.count, order.remaining);
    }
    if (fill.IsPositive()) {
      ExecuteFill(order, fill, price, Liquidity::kMaker);
      if (order.remaining.IsZero()) Finish(order, OrderState::kFilled, "");
    }
  }
  EraseFinished();
}

OrderId MarketSim::Submit(const OrderOp& op, Timestamp decision_ts) {
  ++counters_.ops_submitted;
  const Timestamp arrival = Timestamp::FromNanos(decision_ts.nanos() + config_.latency_ns);
  OrderId id = 0;
  switch (op.type) {
    case OrderOpType::kPlace: {
      id = next_id_++;
      if (settled_) {
        Reject(id, "market settled", OrderReject::kMarketSettled);
        return id;
      }
      if (!op.count.IsPositive() || !ValidOrderPrice(op.price)) {
        Reject(id, "invalid price or count", OrderReject::kInvalidOrder);
        return id;
      }
      SimOrder order;
      order.id = id;
      order.side = op.side;
      order.price = op.price;
      order.remaining = op.count;
      order.tif = op.tif;
      order.arrival_ts = arrival;
      order.fee_accumulator = kalshi::FeeAccumulator(config_.balance_precision);
      order.intended_price = op.price;
      order.intended_remaining = op.count;
      orders_.push_back(order);
      ++counters_.orders_placed;
      break;
    }
    case OrderOpType::kCancel:
    case OrderOpType::kAmend: {
      SimOrder* order = MutableOrder(op.order_id);
      if (settled_ || order == nullptr || order->cancel_requested) {
        ++counters_.rejected;
        return 0;
      }
      if (op.type == OrderOpType::kCancel) {
        order->cancel_requested = true;
      } else {
        if (op.side != order->side || !op.count.IsPositive() || !ValidOrderPrice(op.price)) {
          ++counters_.rejected;
          return 0;
        }
        ++order->pending_amends;
        order->intended_price = op.price;
        order->intended_remaining = op.count;
      }
      id = op.order_id;
      break;
    }
  }
  pending_.push_back({op, id, arrival});
  if (seen_book_event_ && arrival <= last_book_ts_) {
    DrainDueOps();
    EraseFinished();
  }
  return id;
}

void MarketSim::Submit(std::span<const OrderOp> ops, Timestamp decision_ts) {
  for (const OrderOp& op : ops) (void)Submit(op, decision_ts);
}

void MarketSim::Settle(Price yes_value, Timestamp ts) {
  now_ = ts;
  for (SimOrder& order : orders_) {
    if (IsLive(order.state)) Finish(order, OrderState::kCanceled, "settled");
  }
  pending_.clear();
  pending_head_ = 0;
  portfolio_.Settle(yes_value);
  settled_ = true;
  EraseFinished();
}

// ---- queries --------------------------------------------------------------------------------

std::optional<Price> MarketSim::MarkPrice() const {
  if (portfolio_.position().IsZero()) return std::nullopt;
  const OutcomeSide leg = portfolio_.held_leg();
  const auto bids = book_->Bids(leg);
  for (auto it = bids.rbegin(); it != bids.rend(); ++it) {
    if (it->count > ConsumedAt(leg, it->price)) return it->price;
  }
  if (config_.mark_fallback == MarkFallback::kLastBid) {
    return last_bid_[LegIndex(leg)].value_or(Price());
  }
  return Price();
}

Money MarketSim::MarkedValue() const { return portfolio_.ValueAt(MarkPrice().value_or(Price())); }

Money MarketSim::reserved_cash() const {
  return ReservedWith(nullptr, Price(), Count(), Liquidity::kMaker);
}

const SimOrder* MarketSim::FindOrder(OrderId id) const {
  for (const SimOrder& order : orders_) {
    if (order.id == id && IsLive(order.state)) return &order;
  }
  return nullptr;
}

std::optional<WorkingOrder> MarketSim::working_order() const {
  for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {
    if (!IsLive(it->state) || it->cancel_requested) continue;
    const bool amending = it->pending_amends > 0;
    return WorkingOrder{it->id, it->side, amending ? it->intended_price : it->price,
                        amending ? it->intended_remaining : it->remaining};
  }
  return std::nullopt;
}

Count MarketSim::ConsumedAt(OutcomeSide leg, Price price) const {
  for (const ConsumedLevel& level : consumed_) {
    if (level.leg == leg && level.price == price) return level.consumed;
  }
  return Count();
}

Count MarketSim::AvailableAt(OutcomeSide leg, Price price) const {
  return Max(Count(), book_->BidSizeAt(leg, price) - ConsumedAt(leg, price));
}

// ---- internals ------------------------------------------------------------------------------

SimOrder* MarketSim::MutableOrder(OrderId id) {
  for (SimOrder& order : orders_) {
    if (order.id == id && IsLive(order.state)) return &order;
  }
  return nullptr;
}

bool MarketSim::ValidOrderPrice(Price price) const { return book_->grid().IsValidBookPrice(price); }

void MarketSim::DrainDueOps() {
  while (pending_head_ < pending_.size() && pending_[pending_head_].arrival <= last_book_ts_) {
    const PendingOp pending = pending_[pending_head_++];
    Execute(pending);
  }
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  }
}

void MarketSim::Execute(const PendingOp& pending) {
  SimOrder* order = MutableOrder(pending.target);
  if (order == nullptr) {  // filled, cancelled or rejected while the op was in flight
    ++counters_.rejected;
    return;
  }
  switch (pending.op.type) {
    case OrderOpType::kPlace:
      Arrive(*order);
      break;
    case OrderOpType::kCancel:
      ++counters_.cancels;
      Finish(*order, OrderState::kCanceled, "canceled");
      break;
    case OrderOpType::kAmend:
      --order->pending_amends;
      AmendOrder(*order, pending.op);
      break;
  }
}

void MarketSim::Arrive(SimOrder& order) {
  if (!book_->has_snapshot()) {
    ++counters_.rejected;
    Finish(order, OrderState::kRejected, "no book snapshot", OrderReject::kNoBookSnapshot);
    return;
  }
  if (!Affordable(order, order.price, order.remaining)) {
    ++counters_.rejected;
    ++counters_.insufficient_balance;
    Finish(order, OrderState::kRejected, kInsufficientBalanceText,
           OrderReject::kInsufficientBalance);
    return;
  }
  MatchAsTaker(order);
  if (order.remaining.IsZero()) {
    Finish(order, OrderState::kFilled, "");
  } else if (order.tif == TimeInForce::kImmediateOrCancel) {
    Finish(order, OrderState::kCanceled, "immediate_or_cancel");
  } else {
    JoinQueue(order);
    order.state = OrderState::kResting;
    updates_.push_back({order.id, now_, order.state, order.filled, order.remaining, ""});
  }
}

void MarketSim::AmendOrder(SimOrder& order, const OrderOp& op) {
  if (order.state == OrderState::kResting && op.price == order.price &&
      op.count <= order.remaining) {
    ++counters_.amends;
    order.remaining = op.count;  // a decrease at the same price keeps the queue position
    updates_.push_back({order.id, now_, order.state, order.filled, order.remaining, "amend"});
    return;
  }
  // A resting order's amend is checked now (a pending order is checked on arrival); refused,
  // the order stays as it was (Kalshi rejects the amend request).
  if (order.state == OrderState::kResting && !Affordable(order, op.price, op.count)) {
    ++counters_.rejected;
    ++counters_.insufficient_balance;
    updates_.push_back({order.id, now_, order.state, order.filled, order.remaining,
                        kInsufficientBalanceText, OrderReject::kInsufficientBalance});
    return;
  }
  ++counters_.amends;
  // A new price or a larger size: back of the queue, and it may cross first.
  order.price = op.price;
  order.remaining = op.count;
  if (order.state == OrderState::kPending) return;  // not arrived yet: it will match then
  MatchAsTaker(order);
  if (order.remaining.IsZero()) {
    Finish(order, OrderState::kFilled, "");
  } else if (order.tif == TimeInForce::kImmediateOrCancel) {
    Finish(order, OrderState::kCanceled, "immediate_or_cancel");
  } else {
    JoinQueue(order);
    updates_.push_back({order.id, now_, order.state, order.filled, order.remaining, "amend"});
  }
}

void MarketSim::MatchAsTaker(SimOrder& order) {
  const OutcomeSide opposite = core::Opposite(LegOf(order.side));
  // A buy of our leg at p crosses the other leg's bids at q >= 1 - p (its asks <= p).
  const Price min_crossing = LegPrice(order.side, order.price).Complement();
  const auto bids = book_->Bids(opposite);
  for (std::size_t i = bids.size(); i-- > 0 && order.remaining.IsPositive();) {
    const PriceLevel& level = bids[i];
    if (level.price < min_crossing) break;
    const Count available = level.count - ConsumedAt(opposite, level.price);
    if (!available.IsPositive()) continue;
    const Count take = Min(available, order.remaining);
    Consume(opposite, level.price, take, level.count);
    // Executions happen at the resting maker's price: 1 - q on our leg.
    ExecuteFill(order, take, level.price.Complement(), Liquidity::kTaker);
  }
}

void MarketSim::JoinQueue(SimOrder& order) {
  const Count size = book_->BidSizeAt(LegOf(order.side), LegPrice(order.side, order.price));
  order.ahead = size;
  order.level_size = size;
  order.pending_trades = Count();
}

void MarketSim::UpdateQueue(SimOrder& order) {
  const Count size = book_->BidSizeAt(LegOf(order.side), LegPrice(order.side, order.price));
  if (size == order.level_size && order.pending_trades.IsZero()) return;
  const Count decrease = order.level_size - size - order.pending_trades;
  if (decrease.IsPositive()) {
    const Count behind = Max(Count(), order.level_size - order.pending_trades - order.ahead);
    const int64_t share =
        config_.queue_model.AheadShare(order.ahead.units(), behind.units(), decrease.units());
    order.ahead = Max(Count(), order.ahead - Count::FromUnits(share));
  }
  order.ahead = Min(order.ahead, size);  // an increase joins behind
  order.level_size = size;
  order.pending_trades = Count();
}

void MarketSim::CheckCrossed(SimOrder& order) {
  const OutcomeSide leg = LegOf(order.side);
  const OutcomeSide opposite = core::Opposite(leg);
  const Price price = LegPrice(order.side, order.price);
  const Price min_crossing = price.Complement();
  const auto crossing = book_->Bids(opposite);
  Count available;
  for (std::size_t i = crossing.size(); i-- > 0 && crossing[i].price >= min_crossing;) {
    available += Max(Count(), crossing[i].count - ConsumedAt(opposite, crossing[i].price));
  }
  if (!available.IsPositive()) return;
  // Crossing sellers meet better-priced bids first, then the queue ahead of us, then us.
  Count better;
  const auto own = book_->Bids(leg);
  for (std::size_t i = own.size(); i-- > 0 && own[i].price > price;) {
    better += Max(Count(), own[i].count - ConsumedAt(leg, own[i].price));
  }
  const Count to_better = Min(available, better);
  const Count to_ahead = Min(available - to_better, order.ahead);
  const Count to_us = Min(available - to_better - to_ahead, order.remaining);
  Count to_consume = to_better + to_ahead + to_us;
  for (std::size_t i = crossing.size();
       i-- > 0 && crossing[i].price >= min_crossing && to_consume.IsPositive();) {
    const Count level_available = crossing[i].count - ConsumedAt(opposite, crossing[i].price);
    if (!level_available.IsPositive()) continue;
    const Count take = Min(level_available, to_consume);
    Consume(opposite, crossing[i].price, take, crossing[i].count);
    to_consume -= take;
  }
  // The better-priced bids that met crossing sellers are gone in our view too.
  Count to_better_left = to_better;
  for (std::size_t i = own.size();
       i-- > 0 && own[i].price > price && to_better_left.IsPositive();) {
    const Count level_available = own[i].count - ConsumedAt(leg, own[i].price);
    if (!level_available.IsPositive()) continue;
    const Count take = Min(level_available, to_better_left);
    Consume(leg, own[i].price, take, own[i].count);
    to_better_left -= take;
  }
  order.ahead -= to_ahead;
  if (to_us.IsPositive()) {
    ExecuteFill(order, to_us, price, Liquidity::kMaker);
    if (order.remaining.IsZero()) Finish(order, OrderState::kFilled, "");
  }
}

void MarketSim::ExecuteFill(SimOrder& order, Count count, Price leg_price, Liquidity liquidity) {
  const OutcomeSide leg = LegOf(order.side);
  const Money trade_fee = kalshi::TradeFee(config_.fees, liquidity, leg_price, count);
  const kalshi::FillFee fee =
      order.fee_accumulator.Apply(-core::Notional(leg_price, count), trade_fee);
  Fill fill;
  fill.order_id = order.id;
  fill.ts = now_;
  fill.side = order.side;
  fill.price = LegPrice(order.side, leg_price);  // the same map turns a leg price back to YES
  fill.count = count;
  fill.liquidity = liquidity;
  fill.fee = fee;
  fill.change = portfolio_.ApplyFill(leg, leg_price, count, fee);
  fill.position_after = portfolio_.position();
  order.filled += count;
  order.remaining -= count;
  fills_.push_back(fill);
  if (liquidity == Liquidity::kTaker) {
    ++counters_.taker_fills;
  } else {
    ++counters_.maker_fills;
  }
  counters_.contracts_traded += count;
}

void MarketSim::Finish(SimOrder& order, OrderState state, std::string_view reason,
                       OrderReject reject) {
  order.state = state;
  updates_.push_back({order.id, now_, state, order.filled, order.remaining, reason, reject});
}

void MarketSim::Reject(OrderId id, std::string_view reason, OrderReject reject) {
  ++counters_.rejected;
  updates_.push_back({id, now_, OrderState::kRejected, Count(), Count(), reason, reject});
}

// ---- collateral -----------------------------------------------------------------------------

bool MarketSim::WouldTake(core::BookSide side, Price yes_price) const {
  const OutcomeSide opposite = core::Opposite(LegOf(side));
  const Price min_crossing = LegPrice(side, yes_price).Complement();
  const auto bids = book_->Bids(opposite);
  for (std::size_t i = bids.size(); i-- > 0 && bids[i].price >= min_crossing;) {
    if (bids[i].count > ConsumedAt(opposite, bids[i].price)) return true;
  }
  return false;
}

Money MarketSim::OrderNeed(Price leg_price, Count remaining, Count closing, Liquidity bound,
                           Money accumulated) const {
  // Per contract: the price plus the fee of one contract at it (rounded up to $0.0001, so n
  // whole contracts never pay more than n times it, and a fill at a better price costs less:
  // x + fee(x) rises with x). A closing contract releases $1, which normally covers it.
  const Money fee = kalshi::TradeFee(config_.fees, bound, leg_price, Count::FromContracts(1));
  const Money per_open = Money::FromPrice(leg_price) + fee;
  const Money per_close = std::max(Money(), per_open - Money::FromPrice(Price::OneDollar()));
  const Money cost = PerContract(per_open, remaining - closing) + PerContract(per_close, closing);
  if (!cost.IsPositive()) return Money();
  // Each fill's balance change is floored to the precision; the order's accumulator holds the
  // overpayment (< $0.01 between rebates), so the total overpaid from here on is below
  // $0.01 - acc: in whole units, at most ceil(cost - acc + $0.01 - unit) in all.
  const Money unit = kalshi::PrecisionUnit(config_.balance_precision);
  const Money slack = Money::FromCents(1) - unit;
  return std::max(Money(), CeilTo(cost - accumulated + slack, unit));
}

Money MarketSim::ReservedWith(const SimOrder* subject, Price price, Count remaining,
                              Liquidity bound) const {
  // Resting orders (and the subject: an order arriving or being amended, at its new price and
  // remaining) hold cash; the contracts held on one leg are closable by the live orders on
  // the other leg, oldest first (orders_ is in submission order).
  const Portfolio& p = portfolio_;
  Money total;
  for (OutcomeSide leg : {OutcomeSide::kYes, OutcomeSide::kNo}) {
    Count closable = !p.position().IsZero() && p.held_leg() != leg ? p.held_contracts() : Count();
    for (const SimOrder& order : orders_) {
      const bool is_subject = &order == subject;
      if (LegOf(order.side) != leg || !(is_subject || order.state == OrderState::kResting)) {
        continue;
      }
      const Count rest = is_subject ? remaining : order.remaining;
      const Count closing = Min(rest, closable);
      closable -= closing;
      total +=
          OrderNeed(LegPrice(order.side, is_subject ? price : order.price), rest, closing,
                    is_subject ? bound : Liquidity::kMaker, order.fee_accumulator.accumulated());
    }
  }
  return total;
}

bool MarketSim::Affordable(const SimOrder& order, Price price, Count remaining) const {
  if (config_.collateral == CollateralMode::kOff) return true;
  // Whatever crosses the book on arrival may fill as a taker: reserve the taker fee then.
  const Liquidity bound = WouldTake(order.side, price) ? Liquidity::kTaker : Liquidity::kMaker;
  const Money after = ReservedWith(&order, price, remaining, bound);
  if (after <= portfolio_.cash() + outside_funds_) return true;
  // Not covered: still fine when it holds no more than before (a close, a smaller order).
  return after <= reserved_cash();
}

void MarketSim::RefreshConsumed() {
  // Our view of a level is displayed - consumed. New size at the level is new liquidity
  // (available at once, consumed unchanged); removed size comes out of what we did not take
  // first, so consumed only shrinks when the level falls below it (pessimistic; see README).
  for (ConsumedLevel& level : consumed_) {
    level.consumed = Min(level.consumed, book_->BidSizeAt(level.leg, level.price));
  }
  std::erase_if(consumed_, [](const ConsumedLevel& level) { return level.consumed.IsZero(); });
}

void MarketSim::Consume(OutcomeSide leg, Price price, Count amount, Count level_size) {
  for (ConsumedLevel& level : consumed_) {
    if (level.leg == leg && level.price == price) {
      level.consumed += amount;
      KF_CHECK(level.consumed <= level_size, "consumed {} above level size {}",
               level.consumed.ToString(), level_size.ToString());
      return;
    }
  }
  consumed_.push_back({leg, price, amount});
}

void MarketSim::EraseFinished() {
  std::erase_if(orders_, [](const SimOrder& order) { return !IsLive(order.state); });
}

}  // namespace kalshiflow::sim
