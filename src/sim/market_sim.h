// The execution simulator of one market, used by training (the replay environment) and by
// paper trading: matching against the recorded/live book with depth consumption, queue
// position, latency, Kalshi fees and exact YES/NO-netted accounting. Deterministic: no wall
// clock, no randomness; time is the book/event time the caller passes in.
//
// Source: DESIGN.md §5 "Execution simulator" (every bullet is implemented here, see the class
// comment), §3 (integers, sides, netting); PROTOCOL.md §4.3 (V2 orders: bid/ask on the YES
// leg, amend), §5 (fees), §7 (executions at the resting maker's price; settlement); queue
// models in sim/queue_model.h (Rigtorp; hftbacktest ProbQueueModel).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/market.h"
#include "core/time.h"
#include "kalshi/fees.h"
#include "kalshi/messages.h"
#include "sim/order.h"
#include "sim/portfolio.h"
#include "sim/queue_model.h"

namespace kalshiflow::sim {

/// What the portfolio is marked at when the held leg has no (unconsumed) bid.
enum class MarkFallback : uint8_t {
  kLastBid,  // the last best bid seen for that leg (0 if none was ever seen). Default.
  kZero,     // 0: the position cannot be sold right now
};
std::string_view MarkFallbackName(MarkFallback fallback);  // "last_bid" / "zero"

/// Whether orders must be covered by the cash (see MarketSim, "Collateral").
enum class CollateralMode : uint8_t {
  kEnforce,  // a place/amend the available cash cannot cover is rejected (Kalshi's
             // `insufficient_balance`). Default.
  kOff,      // no check: cash may go negative (the simulator before collateral existed)
};
std::string_view CollateralModeName(CollateralMode mode);  // "enforce" / "off"
/// Inverse of CollateralModeName (exact spelling); nullopt otherwise.
std::optional<CollateralMode> ParseCollateralMode(std::string_view text);

/// Simulator settings. Value type; record it (with QueueModel::ToString()) beside every
/// training run and evaluation.
struct SimConfig {
  /// Decision -> arrival delay in ns of book/event time (>= 0). An op submitted with decision
  /// time t acts at the first book event with ts >= t + latency_ns, against the book after
  /// that event (or at once, against the current book, when the last event already is).
  int64_t latency_ns = 0;
  QueueModel queue_model;  // default power:3
  kalshi::FeeSchedule fees;
  kalshi::BalancePrecision balance_precision = kalshi::BalancePrecision::kCent;
  MarkFallback mark_fallback = MarkFallback::kLastBid;
  /// Starting cash. With collateral enforced, only this money (and what trading returns) can
  /// be spent: the default 0 rejects every order that opens a position.
  core::Money initial_cash;
  CollateralMode collateral = CollateralMode::kEnforce;
};

/// A public trade (the `trade` channel), reduced to what the queue model needs.
struct TradePrint {
  core::Price yes_price;
  core::Count count;
  core::OutcomeSide taker_side = core::OutcomeSide::kYes;  // the leg the taker bought
  static TradePrint FromKalshi(const kalshi::Trade& trade) {
    return {trade.yes_price, trade.count, trade.taker_outcome_side};
  }
};

/// One simulated execution. A taker order that sweeps several levels yields one Fill per
/// level (at that level's price: executions happen at the resting maker's price).
struct Fill {
  OrderId order_id = 0;
  core::Timestamp ts;
  core::BookSide side = core::BookSide::kBid;  // of the order
  core::Price price;                           // YES price of the execution
  core::Count count;
  kalshi::Liquidity liquidity = kalshi::Liquidity::kTaker;
  kalshi::FillFee fee;    // trade fee, rounding, rebate, net fee, cash change
  PositionChange change;  // closed/opened contracts, realized P&L, total cash change
  core::Count position_after;
  /// The contract bought (YES for a bid, NO for an ask) and its price on that leg.
  core::OutcomeSide leg() const { return LegOf(side); }
  core::Price leg_price() const { return LegPrice(side, price); }
};

/// An order changed state (resting, filled, canceled, rejected) or was amended.
struct OrderUpdate {
  OrderId order_id = 0;
  core::Timestamp ts;
  OrderState state = OrderState::kPending;
  core::Count filled;
  core::Count remaining;
  std::string_view reason;  // static text for rejects/cancels ("ioc", "settled", ...), or ""
  /// Set on a refused op: state kRejected for a place; for an amend refused on arrival
  /// (kInsufficientBalance) the order's unchanged live state, filled and remaining.
  OrderReject reject = OrderReject::kNone;
};

/// A live simulated order (pending or resting).
struct SimOrder {
  OrderId id = 0;
  core::BookSide side = core::BookSide::kBid;
  core::Price price;  // YES price (current, after any amend that has arrived)
  core::Count filled;
  core::Count remaining;
  TimeInForce tif = TimeInForce::kGoodTillCanceled;
  OrderState state = OrderState::kPending;
  core::Timestamp arrival_ts;  // when the place op acts
  // Queue position (meaningful while resting), core::Count on this order's leg ladder.
  core::Count ahead;           // displayed size ahead of the order at its level
  core::Count level_size;      // the level's displayed size at the last look
  core::Count pending_trades;  // traded at the level since the last book look
  kalshi::FeeAccumulator fee_accumulator;
  // What the owner last asked for (a cancel or an amend may still be in flight).
  bool cancel_requested = false;
  int pending_amends = 0;
  core::Price intended_price;
  core::Count intended_remaining;
};

/// Monotonic counters.
struct SimCounters {
  uint64_t book_events = 0;
  uint64_t trades = 0;
  uint64_t ops_submitted = 0;
  uint64_t orders_placed = 0;
  uint64_t cancels = 0;   // cancel ops that cancelled a live order
  uint64_t amends = 0;    // amend ops applied
  uint64_t rejected = 0;  // ops refused (unknown or finished order, bad price/count, no book,
                          // insufficient balance)
  uint64_t insufficient_balance = 0;  // of `rejected`: places/amends the cash could not cover
  uint64_t taker_fills = 0;
  uint64_t maker_fills = 0;
  core::Count contracts_traded;
};

/// The execution simulator of one market.
///
/// Book: the simulator reads the caller's `book::OrderBook` (bound at construction; it must
/// outlive the simulator) and must be told after *every* applied snapshot or delta through
/// OnBookUpdate(ts). It never modifies the book: our orders are not in it (paper), so it keeps
/// its own view of what they changed:
///  * **Depth consumption.** A marketable order walks the opposite ladder best level first
///    (a YES buy at p lifts NO bids at q >= 1 - p, i.e. YES asks <= p) and fills at each
///    level's price (VWAP across levels, partial fills). What it takes is remembered per level
///    as `consumed` (available = displayed - consumed) and stays taken across book updates:
///    size added to the level is new liquidity (available at once, consumed unchanged); size
///    removed comes out of the untaken part first, so consumed is released only when a book
///    update shrinks the level below it (consumed = min(consumed, displayed)) or removes the
///    level. Wall time never restores anything.
///  * **Queue position.** A GTC remainder rests as a bid on its leg's ladder at the back of
///    its level: ahead = the displayed size there on arrival. Public trades at the level
///    (OnTrade) reduce `ahead` first; a trade larger than `ahead` fills the order with the
///    excess (maker). A size decrease not explained by trades since the last look is split
///    between ahead and behind by the QueueModel (expected value); an increase joins behind.
///  * **Trade-through.** A resting order fills at once (maker, at its own price) when the
///    opposite ladder crosses it with unconsumed size (after that size has served any better
///    priced bids and the queue ahead; all of it is then consumed), or when a public trade
///    prints at a worse price for its maker side (a YES bid at p fills when someone sold YES
///    below p), up to that trade's size.
///  * **Latency.** SimConfig::latency_ns; ops act in submission order.
///  * **Fees.** kalshi::TradeFee (taker for marketable fills, maker for resting fills) through
///    a per-order kalshi::FeeAccumulator (the documented rounding).
///  * **Accounting.** sim::Portfolio: exact cash, +YES/-NO netting (a pair releases $1),
///    realized P&L, fees; marked at executable prices: long YES at the best YES bid, long NO
///    at the best NO bid (levels fully consumed by us are skipped), else SimConfig::
///    mark_fallback; settlement at a known result.
///  * **Collateral** (SimConfig::collateral, default enforce; Kalshi rejects an order the
///    account cannot pay for, PROTOCOL §4.5/§4.10 `available_balance_too_low` /
///    `insufficient_balance`). Every resting order holds cash for what its unfilled remainder
///    can still cost (reserved_cash()); available_cash() = cash - reserved. An order buying
///    `R` contracts of a leg at leg price p, of which `c` close held contracts of the other
///    leg (the held contracts go to the live orders on that leg oldest first), needs
///        ceil_to_precision((p + F) x (R - c) + max(0, p + F - 1) x c - acc + ($0.01 - unit))
///    where F = kalshi::TradeFee of one contract at p (the taker rate when the order crosses
///    the book on arrival or amend, the series' maker rate while it rests), `acc` the order's
///    fee-accumulator balance and `unit` the balance precision; 0 when nothing opens (a
///    closing pair releases $1, which covers p + F). A place, or an amend that raises the
///    total reservation, is checked when it acts (on arrival): rejected as a whole (never
///    shrunk) with OrderReject::kInsufficientBalance when the total reservation with it
///    would exceed the cash (plus SetOutsideFunds, 0 unless the account spans several
///    simulators). Fills turn the reservation into spent cash; cancels, IOC
///    remainders and settlement release it. For whole-cent prices, whole-contract fills and
///    cent precision the bound is exact, so cash and available cash never go negative
///    (tested); see README "Collateral" for the approximations elsewhere.
///
/// Threading: thread-compatible (one thread drives a simulator and its book).
/// Allocation: steady state does not allocate once the event vectors have grown (call
/// ClearEvents() every step).
class MarketSim {
 public:
  explicit MarketSim(const book::OrderBook& book, SimConfig config = {});

  // ---- events (book/event time, nondecreasing) ----------------------------------------

  /// Call after every snapshot or delta applied to the bound book (and after a resync).
  /// Updates consumption and queues, activates due ops, fills resting orders the book crosses.
  void OnBookUpdate(core::Timestamp ts);
  /// A public trade on this market (the `trade` channel, when recorded). Advances queues and
  /// fills resting orders traded through. Does not activate pending ops (book events do).
  void OnTrade(const TradePrint& trade, core::Timestamp ts);

  /// Submits one order operation decided at `decision_ts`; it acts at the first book event at
  /// or after decision_ts + latency (now, against the current book, when the last book event
  /// already is). Returns the new order's id for kPlace (also when it is rejected), the target
  /// id for kCancel/kAmend, or 0 when the target is unknown or finished (counted as rejected).
  /// A kPlace with a price off the book's grid or outside (0, 1), or a count <= 0, is rejected
  /// at once (an OrderUpdate with state kRejected). With collateral enforced, a place or an
  /// amend the cash cannot cover is refused when it acts (OrderReject::kInsufficientBalance).
  OrderId Submit(const OrderOp& op, core::Timestamp decision_ts);
  /// Submits several ops in order (e.g. an ActionPlan's cancel + place).
  void Submit(std::span<const OrderOp> ops, core::Timestamp decision_ts);

  /// Settles the market at `yes_value` ($1 YES won, $0 NO won): cancels every order and
  /// pending op, pays out the position. Later ops are rejected.
  void Settle(core::Price yes_value, core::Timestamp ts);

  // ---- queries --------------------------------------------------------------------------

  const Portfolio& portfolio() const { return portfolio_; }
  /// The price the held leg is marked at (see the class comment); nullopt when flat.
  std::optional<core::Price> MarkPrice() const;
  /// cash + held contracts x MarkPrice(): the marked-to-market portfolio value.
  core::Money MarkedValue() const;
  /// Cash held for the resting orders (see "Collateral" above), >= 0; computed in both
  /// collateral modes (only kEnforce acts on it). O(live orders).
  core::Money reserved_cash() const;
  /// portfolio().cash() - reserved_cash(): what a new order may spend.
  core::Money available_cash() const { return portfolio_.cash() - reserved_cash(); }
  /// Money outside this market that its orders may also spend, for an account shared by
  /// several simulators (trading::PaperOrderManager): the account's cash outside this
  /// simulator minus what the other markets' resting orders hold; may be negative. With
  /// collateral enforced, a place/amend is accepted when the reservation with it is at most
  /// portfolio().cash() + outside funds (see "Collateral"). Default 0 (the market is the whole
  /// account). The owner sets it before every call that can activate ops (OnBookUpdate,
  /// Submit); fills never consult it.
  void SetOutsideFunds(core::Money funds) { outside_funds_ = funds; }
  core::Money outside_funds() const { return outside_funds_; }

  /// Fills and order updates since the last ClearEvents(), in order.
  std::span<const Fill> fills() const { return fills_; }
  std::span<const OrderUpdate> order_updates() const { return updates_; }
  void ClearEvents() {
    fills_.clear();
    updates_.clear();
  }

  /// Live (pending or resting) orders, oldest first.
  std::span<const SimOrder> orders() const { return orders_; }
  const SimOrder* FindOrder(OrderId id) const;
  /// The newest live order without a cancel in flight, as the action planner sees it (its
  /// price and remaining as last requested, so an amend in flight counts as done).
  std::optional<WorkingOrder> working_order() const;

  /// Liquidity taken by our orders at a level of `leg`'s bid ladder and not yet restored.
  core::Count ConsumedAt(core::OutcomeSide leg, core::Price price) const;
  /// The level's displayed size minus ConsumedAt.
  core::Count AvailableAt(core::OutcomeSide leg, core::Price price) const;

  const SimCounters& counters() const { return counters_; }
  const SimConfig& config() const { return config_; }
  const book::OrderBook& book() const { return *book_; }
  bool settled() const { return settled_; }
  /// Book time of the last event seen (book update, trade or settlement).
  core::Timestamp now() const { return now_; }

 private:
  struct PendingOp {
    OrderOp op;
    OrderId target = 0;
    core::Timestamp arrival;
  };
  struct ConsumedLevel {
    core::OutcomeSide leg;
    core::Price price;
    core::Count consumed;  // <= the level's displayed size
  };

  SimOrder* MutableOrder(OrderId id);
  void DrainDueOps();
  void Execute(const PendingOp& pending);
  void Arrive(SimOrder& order);
  void CancelOrder(SimOrder& order, std::string_view reason);
  void AmendOrder(SimOrder& order, const OrderOp& op);
  void MatchAsTaker(SimOrder& order);
  void JoinQueue(SimOrder& order);
  void UpdateQueue(SimOrder& order);
  void CheckCrossed(SimOrder& order);
  void ExecuteFill(SimOrder& order, core::Count count, core::Price leg_price,
                   kalshi::Liquidity liquidity);
  void Finish(SimOrder& order, OrderState state, std::string_view reason,
              OrderReject reject = OrderReject::kNone);
  void Reject(OrderId id, std::string_view reason, OrderReject reject);
  // Collateral.
  bool WouldTake(core::BookSide side, core::Price yes_price) const;
  core::Money OrderNeed(core::Price leg_price, core::Count remaining, core::Count closing,
                        kalshi::Liquidity bound, core::Money accumulated) const;
  core::Money ReservedWith(const SimOrder* subject, core::Price price, core::Count remaining,
                           kalshi::Liquidity bound) const;
  bool Affordable(const SimOrder& order, core::Price price, core::Count remaining) const;
  void RefreshConsumed();
  void Consume(core::OutcomeSide leg, core::Price price, core::Count amount,
               core::Count level_size);
  void EraseFinished();
  bool ValidOrderPrice(core::Price price) const;

  const book::OrderBook* book_;
  SimConfig config_;
  Portfolio portfolio_;
  std::vector<SimOrder> orders_;
  std::vector<PendingOp> pending_;
  std::size_t pending_head_ = 0;
  std::vector<ConsumedLevel> consumed_;
  std::vector<Fill> fills_;
  std::vector<OrderUpdate> updates_;
  std::array<std::optional<core::Price>, 2> last_bid_;  // by leg (kYes = 0)
  SimCounters counters_;
  core::Money outside_funds_;  // SetOutsideFunds
  OrderId next_id_ = 1;
  core::Timestamp now_;           // last event of any kind (fill and update timestamps)
  core::Timestamp last_book_ts_;  // last book event (op arrival is checked against it)
  bool seen_book_event_ = false;
  bool settled_ = false;
};

}  // namespace kalshiflow::sim
