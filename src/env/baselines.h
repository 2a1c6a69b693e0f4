// Baseline policies reported beside every model (DESIGN §5 "Baselines"): HOLD, uniform
// random, and the hard-coded mean-reversion rule (buy YES when the YES mid < 0.40, sell when
// > 0.60). A learned policy is evaluated through the same Policy type (e.g. the policy
// module's MLP forward pass + argmax wrapped in a lambda).
//
// Threading: a Policy is called from one thread at a time (UniformRandomPolicy keeps state).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "sim/actions.h"

namespace kalshiflow::env {

/// Chooses an action index in [0, 5) from the current observation (observation_size() floats)
/// and the market's current book (the env's book: what the observation was built from).
using Policy =
    std::function<int32_t(std::span<const float> observation, const book::OrderBook& book)>;

/// Always 0 (HOLD).
Policy HoldPolicy();

/// Uniform over the 5 actions, from core::Rng(seed) (deterministic sequence per policy
/// object; copies of the returned Policy share one stream).
Policy UniformRandomPolicy(uint64_t seed);

using MeanReversionOptions = sim::MeanReversionOptions;
/// DESIGN §5: sim::MeanReversionAction as a Policy (BUY_YES (1) when the book's exact YES mid
/// is below `buy_below`, SELL_YES (2) when above `sell_above`, else HOLD).
Policy MeanReversionPolicy(MeanReversionOptions options = {});

}  // namespace kalshiflow::env
