#include "sim/actions.h"

#include <array>

namespace kalshiflow::sim {

using book::PriceGrid;
using book::SnapDirection;
using core::BookSide;
using core::OutcomeSide;
using core::Price;

namespace {

constexpr std::array<std::string_view, kNumActions> kActionNames = {"HOLD", "BUY_YES", "SELL_YES",
                                                                    "BUY_NO", "SELL_NO"};

// `p` snapped onto the grid in `direction`, if the result is a valid order price.
std::optional<Price> SnapValid(const PriceGrid& grid, Price p, SnapDirection direction) {
  auto snapped = grid.Snap(p, direction);
  if (!snapped || !grid.IsValidBookPrice(*snapped)) return std::nullopt;
  return snapped;
}

}  // namespace

std::string_view ActionName(Action action) {
  const auto i = static_cast<std::size_t>(action);
  return i < kActionNames.size() ? kActionNames[i] : "UNKNOWN";
}

std::optional<Action> ActionFromIndex(int64_t index) {
  if (index < 0 || index >= kNumActions) return std::nullopt;
  return static_cast<Action>(index);
}

std::optional<BookSide> ActionSide(Action action) {
  switch (action) {
    case Action::kHold:
      return std::nullopt;
    case Action::kBuyYes:
    case Action::kSellNo:
      return BookSide::kBid;
    case Action::kSellYes:
    case Action::kBuyNo:
      return BookSide::kAsk;
  }
  return std::nullopt;
}

std::string_view PriceStrategyName(PriceStrategy strategy) {
  switch (strategy) {
    case PriceStrategy::kAggressive:
      return "aggressive";
    case PriceStrategy::kPassive:
      return "passive";
    case PriceStrategy::kMid:
      return "mid";
  }
  return "unknown";
}

std::optional<PriceStrategy> ParsePriceStrategy(std::string_view text) {
  for (PriceStrategy s :
       {PriceStrategy::kAggressive, PriceStrategy::kPassive, PriceStrategy::kMid}) {
    if (text == PriceStrategyName(s)) return s;
  }
  return std::nullopt;
}

std::optional<Price> StrategyPrice(const book::OrderBook& book, BookSide side,
                                   PriceStrategy strategy) {
  const PriceGrid& grid = book.grid();
  const bool bid = side == BookSide::kBid;
  // Toward crossing: a bid rounds up, an ask down; away from crossing: the reverse.
  const SnapDirection toward = bid ? SnapDirection::kUp : SnapDirection::kDown;
  const SnapDirection away = bid ? SnapDirection::kDown : SnapDirection::kUp;
  switch (strategy) {
    case PriceStrategy::kAggressive: {
      auto level = bid ? book.BestAsk(OutcomeSide::kYes) : book.BestBid(OutcomeSide::kYes);
      if (!level) return std::nullopt;
      return SnapValid(grid, level->price, toward);
    }
    case PriceStrategy::kPassive: {
      auto level = bid ? book.BestBid(OutcomeSide::kYes) : book.BestAsk(OutcomeSide::kYes);
      if (!level) return std::nullopt;
      return SnapValid(grid, level->price, away);
    }
    case PriceStrategy::kMid: {
      auto mid = book.Mid(OutcomeSide::kYes);
      if (!mid) return std::nullopt;
      // The exact mid is twice_units / 2; round the half unit away from crossing first.
      const int64_t twice = mid->twice_units;
      const int64_t units = bid ? twice / 2 : (twice + 1) / 2;  // twice > 0
      return SnapValid(grid, Price::FromUnits(units), away);
    }
  }
  return std::nullopt;
}

bool DriftedMoreThanOneTick(const PriceGrid& grid, Price current, Price target) {
  if (target > current) {
    auto up = grid.NextAbove(current);
    return up && target > *up;
  }
  if (target < current) {
    auto down = grid.NextBelow(current);
    return down && target < *down;
  }
  return false;
}

std::string_view PlanNoteName(PlanNote note) {
  switch (note) {
    case PlanNote::kHold:
      return "hold";
    case PlanNote::kRepriced:
      return "repriced";
    case PlanNote::kUnchanged:
      return "unchanged";
    case PlanNote::kPlace:
      return "place";
    case PlanNote::kAmend:
      return "amend";
    case PlanNote::kReplace:
      return "replace";
    case PlanNote::kNoPrice:
      return "no_price";
  }
  return "unknown";
}

ActionPlan PlanAction(Action action, const book::OrderBook& book,
                      const std::optional<WorkingOrder>& working, PriceStrategy strategy,
                      core::Count size) {
  ActionPlan plan;
  const auto side = ActionSide(action);
  if (!side) {  // HOLD
    plan.note = PlanNote::kHold;
    if (!working) return plan;
    const auto target = StrategyPrice(book, working->side, strategy);
    if (target && DriftedMoreThanOneTick(book.grid(), working->price, *target)) {
      plan.Add({OrderOpType::kAmend, working->id, working->side, *target, working->remaining});
      plan.note = PlanNote::kRepriced;
    }
    return plan;
  }
  const auto target = StrategyPrice(book, *side, strategy);
  if (working && working->side == *side) {
    if (!target) {
      plan.note = PlanNote::kNoPrice;
    } else if (*target == working->price) {
      plan.note = PlanNote::kUnchanged;
    } else {
      plan.Add({OrderOpType::kAmend, working->id, *side, *target, working->remaining});
      plan.note = PlanNote::kAmend;
    }
    return plan;
  }
  if (working) plan.Add({OrderOpType::kCancel, working->id, working->side, working->price, {}});
  if (!target) {
    plan.note = PlanNote::kNoPrice;
    return plan;
  }
  plan.Add({OrderOpType::kPlace, 0, *side, *target, size});
  plan.note = working ? PlanNote::kReplace : PlanNote::kPlace;
  return plan;
}

Action MeanReversionAction(const book::OrderBook& book, const MeanReversionOptions& options) {
  const std::optional<book::MidPrice> mid = book.Mid(core::OutcomeSide::kYes);
  if (!mid) return Action::kHold;
  // Exact comparison: twice the mid against twice the threshold, in price units.
  if (mid->twice_units < 2 * options.buy_below.units()) return Action::kBuyYes;
  if (mid->twice_units > 2 * options.sell_above.units()) return Action::kSellYes;
  return Action::kHold;
}

}  // namespace kalshiflow::sim
