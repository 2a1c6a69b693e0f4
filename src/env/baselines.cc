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
    return static_cast<int32_t>(sim::MeanReversionAction(book, options));
  };
}

}  // namespace kalshiflow::env
