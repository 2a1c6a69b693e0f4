#include "env/baselines.h"

#include <memory>

#include "core/rng.h"
#include "sim/actions.h"

namespace kalshiflow::env {

Policy HoldPolicy() {
  return [](std::span<const float>, const book::OrderBook&) -> int32_t {
    return static_cast<int32_t>(sim::Action::kHold);
  };
}

Policy UniformRandomPolicy(uint64_t seed) {
  auto rng = std::make_shared<core::Rng>(seed);
  return [rng](std::span<const float>, const book::OrderBook&) -> int32_t {
    return static_cast<int32_t>(rng->UniformInt(0, sim::kNumActions - 1));
  };
}

Policy MeanReversionPolicy(MeanReversionOptions options) {
  return [options](std::span<const float>, const book::OrderBook& book) -> int32_t {
    const std::optional<book::MidPrice> mid = book.Mid(core::OutcomeSide::kYes);
    if (!mid) return static_cast<int32_t>(sim::Action::kHold);
    // Exact comparison: twice the mid against twice the threshold, in price units.
    if (mid->twice_units < 2 * options.buy_below.units()) {
      return static_cast<int32_t>(sim::Action::kBuyYes);
    }
    if (mid->twice_units > 2 * options.sell_above.units()) {
      return static_cast<int32_t>(sim::Action::kSellYes);
    }
    return static_cast<int32_t>(sim::Action::kHold);
  };
}

}  // namespace kalshiflow::env
