// The RL action space and the rule that turns an action into order operations. The same rule
// runs in training (sim::MarketSim) and live (the trading module's order manager).
//
// Source: DESIGN.md §5 "Actions": Discrete(5) 0 HOLD, 1 BUY_YES, 2 SELL_YES, 3 BUY_NO,
// 4 SELL_NO; limit orders of 10 contracts (the size is part of the action spec); limit price
// strategy aggressive (default: buy at best ask, sell at best bid), passive, mid; prices snap to
// the market's price-level structure; one working order per market: a new action cancels or
// amends conflicting orders; HOLD re-prices resting orders that drifted by more than one tick.
// PROTOCOL.md §4.3 (V2 sides: buy YES = bid @p, sell YES / buy NO = ask).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/market.h"
#include "sim/order.h"

namespace kalshiflow::sim {

/// The Discrete(5) action of the `kalshiflow-v1` models (index = value).
enum class Action : int32_t { kHold = 0, kBuyYes = 1, kSellYes = 2, kBuyNo = 3, kSellNo = 4 };
inline constexpr int kNumActions = 5;
/// Contracts per action order: part of the action spec (a model trained with it keeps it).
inline constexpr core::Count kActionContracts = core::Count::FromContracts(10);

/// "HOLD", "BUY_YES", "SELL_YES", "BUY_NO", "SELL_NO".
std::string_view ActionName(Action action);
/// The action with this index; nullopt outside [0, kNumActions).
std::optional<Action> ActionFromIndex(int64_t index);

/// The V2 side an action trades (YES leg): BUY_YES and SELL_NO buy YES (bid); SELL_YES and
/// BUY_NO buy NO (ask). With positions netted per market, SELL_NO is economically BUY_YES and
/// BUY_NO is SELL_YES; the pairs differ only in name. nullopt for HOLD.
std::optional<core::BookSide> ActionSide(Action action);

/// How an action's limit price is chosen.
enum class PriceStrategy : uint8_t {
  kAggressive,  // buy YES at the best YES ask, sell YES at the best YES bid (marketable)
  kPassive,     // join our own side: buy YES at the best YES bid, sell YES at the best YES ask
  kMid,         // the YES mid, snapped away from crossing (down for a bid, up for an ask)
};
std::string_view PriceStrategyName(PriceStrategy strategy);  // "aggressive" / "passive" / "mid"
std::optional<PriceStrategy> ParsePriceStrategy(std::string_view text);

/// The limit price (YES price) for a new order on `side` under `strategy`, on the book's grid
/// and strictly inside (0, 1): aggressive prices snap toward crossing (a bid up, an ask down),
/// passive and mid prices away from it. nullopt when the book cannot price it (aggressive with
/// the opposite side empty, passive with our side empty, mid without both).
/// For NO-leg thinking: an ask at p is a NO bid at 1 - p, so BUY_NO aggressive pays the best
/// NO ask (1 - best YES bid) and passive joins the best NO bid.
std::optional<core::Price> StrategyPrice(const book::OrderBook& book, core::BookSide side,
                                         PriceStrategy strategy);

/// True when `target` is more than one grid tick away from `current` (beyond the next grid
/// price above or below it), the HOLD re-pricing threshold.
bool DriftedMoreThanOneTick(const book::PriceGrid& grid, core::Price current, core::Price target);

/// The hard-coded mean-reversion rule (DESIGN §5 "Baselines", §7 selector `hardcoded`).
struct MeanReversionOptions {
  core::Price buy_below = core::Price::FromCents(40);   // BUY_YES when YES mid < this
  core::Price sell_above = core::Price::FromCents(60);  // SELL_YES when YES mid > this
};
/// BUY_YES when the book's exact YES mid is below `buy_below`, SELL_YES when above
/// `sell_above`, else HOLD (also when the book has no YES mid). Exact integer comparison.
/// Shared by the training baseline (env) and the live actor, so both run the same rule.
Action MeanReversionAction(const book::OrderBook& book, const MeanReversionOptions& options = {});

/// What PlanAction decided.
enum class PlanNote : uint8_t {
  kHold,       // HOLD with nothing to re-price (or no working order): no ops
  kRepriced,   // HOLD: the working order drifted more than one tick: amend
  kUnchanged,  // the working order already is this action's order: no ops
  kPlace,      // no working order: place
  kAmend,      // working order on the same side at another price: amend its price
  kReplace,    // working order on the other side: cancel it, place the new one
  kNoPrice,    // the book cannot price the action: no place (a conflicting order is cancelled)
};
std::string_view PlanNoteName(PlanNote note);

/// At most two operations (cancel + place), in execution order. Value type, no allocation.
struct ActionPlan {
  std::array<OrderOp, 2> ops{};
  std::size_t size = 0;
  PlanNote note = PlanNote::kHold;
  std::span<const OrderOp> view() const { return {ops.data(), size}; }
  void Add(const OrderOp& op) { ops[size++] = op; }
};

/// Turns an action into order operations under the one-working-order-per-market rule:
///  * HOLD: if `working` exists and StrategyPrice for its side drifted more than one tick from
///    its price, amend it to that price (same remaining); otherwise nothing.
///  * BUY_YES / SELL_YES / BUY_NO / SELL_NO, with target = StrategyPrice(ActionSide):
///    - no working order: place `size` at target (GTC);
///    - working order on the same side: nothing if its price is the target, else amend its
///      price to the target (the remaining count is kept, not topped up to `size`);
///    - working order on the other side: cancel it, then place `size` at target.
///    Without a target (kNoPrice) nothing is placed or amended, but an order on the other
///    side is still cancelled.
/// `working` is the market's working order, pending ones included (MarketSim::working_order).
/// Pure function of its arguments; thread-safe.
ActionPlan PlanAction(Action action, const book::OrderBook& book,
                      const std::optional<WorkingOrder>& working, PriceStrategy strategy,
                      core::Count size = kActionContracts);

}  // namespace kalshiflow::sim
