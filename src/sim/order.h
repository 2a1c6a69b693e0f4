// Order operations and order states shared by the execution simulator (sim::MarketSim), the
// action planner (sim/actions.h) and, later, the live order manager.
//
// Orders speak Kalshi V2 (PROTOCOL.md §4.3): `side` is the BookSide on the YES leg and `price`
// is the YES price. `bid @ p` buys YES at p; `ask @ p` sells YES at p, which is economically
// buying NO at 1 - p (DESIGN §3 "Sides"). The simulator nets positions per market, so an ask
// while long YES closes YES and an ask while flat opens NO.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/fixed_point.h"
#include "core/market.h"
#include "core/time.h"

namespace kalshiflow::sim {

/// Simulator order ids: assigned by MarketSim::Submit, unique per simulator, > 0.
using OrderId = uint64_t;

/// What an OrderOp asks for.
enum class OrderOpType : uint8_t {
  kPlace,   // a new limit order (side, price, count, time in force)
  kCancel,  // cancel `order_id` (the rest of it)
  kAmend,   // change `order_id`'s price and/or resting count (same side; see OrderOp)
};
std::string_view OrderOpTypeName(OrderOpType type);  // "place" / "cancel" / "amend"

/// Kalshi V2 `time_in_force` subset the simulator models.
enum class TimeInForce : uint8_t {
  kGoodTillCanceled,   // the unfilled rest rests on the book
  kImmediateOrCancel,  // the unfilled rest is cancelled on arrival
};

/// One order operation, as the simulator (and the live order manager) executes it.
///  * kPlace:  side, price (YES leg, on the market's grid, strictly inside (0, 1)), count > 0,
///             tif. `order_id` is ignored (the simulator assigns one).
///  * kCancel: order_id.
///  * kAmend:  order_id, side (must equal the order's), price, count = the desired *resting
///             remainder* after the amend (> 0; Kalshi's V2 amend body takes filled + this).
///             A price change or a larger count loses queue priority (the order re-enters at
///             the back of its level, and may fill as a taker if it now crosses); a smaller
///             count at the same price keeps it (PROTOCOL §4.3 [UNCERTAIN]: usual behaviour).
struct OrderOp {
  OrderOpType type = OrderOpType::kPlace;
  OrderId order_id = 0;
  core::BookSide side = core::BookSide::kBid;
  core::Price price;  // YES price
  core::Count count;
  TimeInForce tif = TimeInForce::kGoodTillCanceled;
  friend bool operator==(const OrderOp&, const OrderOp&) = default;
};

/// The contract an order buys: YES for a bid, NO for an ask.
constexpr core::OutcomeSide LegOf(core::BookSide side) {
  return side == core::BookSide::kBid ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
}
/// The order's price on the leg it buys: p for a bid, 1 - p for an ask.
constexpr core::Price LegPrice(core::BookSide side, core::Price yes_price) {
  return side == core::BookSide::kBid ? yes_price : yes_price.Complement();
}

/// Life cycle of a simulated order.
enum class OrderState : uint8_t {
  kPending,   // submitted, not yet arrived at the book (latency)
  kResting,   // on the book (a GTC remainder)
  kFilled,    // fully filled
  kCanceled,  // cancelled by an op, by IOC, or by settlement
  kRejected,  // refused (bad price or count, no book snapshot yet, insufficient balance)
};
std::string_view OrderStateName(OrderState state);

/// Why an order operation was refused (OrderUpdate::reject). Names follow Kalshi's error codes
/// where one exists (PROTOCOL.md §4.10: `invalid_order`, `insufficient_balance`).
enum class OrderReject : uint8_t {
  kNone,                 // not a reject
  kInvalidOrder,         // price off the grid or outside (0, 1), count <= 0
  kMarketSettled,        // after MarketSim::Settle
  kNoBookSnapshot,       // arrived before the book had a snapshot
  kInsufficientBalance,  // available cash (cash - reservations) cannot cover it (collateral)
};
/// "none", "invalid_order", "market_settled", "no_book_snapshot", "insufficient_balance".
std::string_view OrderRejectName(OrderReject reject);
/// Pending or resting: the order can still fill or be cancelled/amended.
constexpr bool IsLive(OrderState state) {
  return state == OrderState::kPending || state == OrderState::kResting;
}

/// The market's working order as the action planner sees it (pending orders included, so an
/// action taken during the latency window cancels/amends the order already in flight).
struct WorkingOrder {
  OrderId id = 0;
  core::BookSide side = core::BookSide::kBid;
  core::Price price;      // YES price
  core::Count remaining;  // not yet filled
  friend bool operator==(const WorkingOrder&, const WorkingOrder&) = default;
};

}  // namespace kalshiflow::sim
