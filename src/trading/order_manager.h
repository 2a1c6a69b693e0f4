// The order manager interface the actor trades through (DESIGN.md §2 "Life of an order", §7,
// §8): one account (cash, positions per market, working orders) and the one operation the
// actor needs, "carry out this action in this market", under the one-working-order-per-market
// rule of sim::PlanAction (the same rule the training simulator uses).
//
// Implementations: PaperOrderManager (trading/paper_order_manager.h: in-process sim::MarketSim
// fills against the live books, no network) and, later, KalshiOrderManager (V2 REST orders
// plus the private fill / market_positions / user_orders channels).
//
// Units: prices core::Price (YES price, 1/10,000 $), counts core::Count (1/100 contract),
// money core::Money (1e-6 $); positions netted per market, + YES / - NO (DESIGN §3).
// Threading: an OrderManager is owned and called by one thread (the actor's); implementations
// document anything else.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/status.h"
#include "core/time.h"
#include "features/portfolio.h"
#include "sim/actions.h"
#include "sim/order.h"

namespace kalshiflow::trading {

/// One market's position as the order manager accounts it.
struct MarketPosition {
  std::string market_ticker;
  core::Count position;      // + YES / - NO contracts (Count units)
  core::Money cost_basis;    // what the open position cost (>= 0)
  core::Money realized_pnl;  // closed P&L in this market, fees excluded
  core::Money fees_paid;     // exchange fees paid in this market
  int64_t fills = 0;         // fills in this market
};

/// A fill of one of our orders.
struct FillEvent {
  std::string market_ticker;
  uint64_t order_id = 0;                       // the order manager's id for the order
  core::BookSide side = core::BookSide::kBid;  // V2 side (bid = bought YES, ask = bought NO)
  core::Price yes_price;                       // execution price on the YES leg
  core::Count count;                           // contracts filled (> 0)
  core::Money fee;                             // fee charged for this fill (>= 0)
  bool taker = true;
  core::Timestamp ts;
};

/// A change of one of our orders' state (placed, resting, filled, cancelled, rejected).
struct OrderEvent {
  std::string market_ticker;
  uint64_t order_id = 0;
  sim::OrderState state = sim::OrderState::kPending;
  sim::OrderReject reject = sim::OrderReject::kNone;  // set for kRejected
  std::string reason;                                 // "" or a short reason ("ioc", ...)
  core::Timestamp ts;
};

/// What ExecuteAction did.
struct ExecutionResult {
  sim::PlanNote note = sim::PlanNote::kHold;  // the plan PlanAction chose
  int ops_sent = 0;                           // operations handed to the exchange / simulator
  /// Set when an operation was refused before or at the exchange (invalid price, no book,
  /// insufficient balance, transport error): the actor counts it as an error for the market.
  std::optional<core::Status> error;
};

/// Counters of one order manager since construction.
struct OrderManagerCounters {
  int64_t actions = 0;  // ExecuteAction calls
  int64_t orders_placed = 0;
  int64_t orders_amended = 0;
  int64_t orders_canceled = 0;
  int64_t orders_rejected = 0;
  int64_t fills = 0;
  core::Count contracts_filled;
  core::Money fees_paid;
};

class OrderManager {
 public:
  virtual ~OrderManager() = default;

  /// "paper" or "kalshi".
  virtual std::string_view mode() const = 0;

  /// The market's book changed (the actor calls this for every accepted update of a market it
  /// trades, before deciding). Paper: advances that market's simulator (resting orders fill as
  /// queue ahead is removed or the market trades through). `book` must stay valid and be the
  /// same object for a ticker for the manager's lifetime.
  virtual void OnBookUpdate(std::string_view market_ticker, const book::OrderBook& book,
                            core::Timestamp ts) = 0;

  /// Carries out `action` in `market_ticker` on `book` at `decision_ts`: sim::PlanAction with
  /// the market's working order, then the plan's cancel / amend / place operations.
  virtual ExecutionResult ExecuteAction(std::string_view market_ticker, sim::Action action,
                                        const book::OrderBook& book, sim::PriceStrategy strategy,
                                        core::Count size, core::Timestamp decision_ts) = 0;

  /// Cancels every working order in the market (leaving a market, kill switch).
  virtual void CancelAll(std::string_view market_ticker, core::Timestamp ts) = 0;

  /// Account cash (settled money, fees deducted).
  virtual core::Money cash() const = 0;
  /// Cash not held by working orders (what a new order may spend).
  virtual core::Money available_cash() const = 0;
  /// Cash + every position marked at executable prices (long YES at the YES bid, NO at the
  /// NO bid; DESIGN §5).
  virtual core::Money portfolio_value() const = 0;
  /// Net position in the market (0 for a market never traded), as booked from fills.
  virtual core::Count position(std::string_view market_ticker) const = 0;
  /// Contracts the venue reports filled in the market whose fills are not booked yet (+ YES /
  /// − NO): position() + this is the venue's position now. Always 0 in paper mode (fills are
  /// booked as they happen); see KalshiOrderManager ("fills in flight").
  virtual core::Count unbooked_position(std::string_view /*market_ticker*/) const { return {}; }
  /// Cost basis of the market's open position (0 when flat).
  virtual core::Money cost_basis(std::string_view market_ticker) const = 0;
  /// Every market with a position or any fill so far, sorted by ticker.
  virtual std::vector<MarketPosition> positions() const = 0;
  /// Calls `visit(ticker, position, cost_basis)` for every market with a non-zero position,
  /// sorted by ticker, without allocating (the actor's per-decision portfolio input).
  virtual void ForEachOpenPosition(
      const std::function<void(std::string_view, core::Count, core::Money)>& visit) const = 0;
  /// The market's working order (pending included), if any.
  virtual std::optional<sim::WorkingOrder> working_order(std::string_view market_ticker) const = 0;
  /// The market's working orders as observation features (spec inputs of 47-51).
  virtual features::WorkingOrderState order_features(std::string_view market_ticker) const = 0;

  /// Moves the fills and order events since the last call into the vectors (appends).
  virtual void DrainEvents(std::vector<FillEvent>* fills, std::vector<OrderEvent>* orders) = 0;
  virtual const OrderManagerCounters& counters() const = 0;
};

}  // namespace kalshiflow::trading
