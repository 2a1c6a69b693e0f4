// Torch-free carrier of network parameters: what the learner exports (so that callers can
// write the `policy` module's checkpoint format, or compare runs) and imports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kalshiflow::rl {

/// One parameter tensor as a plain array. `name` is the Stable-Baselines3 state-dict key
/// (e.g. "mlp_extractor.policy_net.0.weight", "action_net.bias", "value_net.weight");
/// `shape` is PyTorch's (Linear weight = [out_features, in_features], bias = [out]);
/// `data` is row-major float32 with product(shape) values.
struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;

  friend bool operator==(const NamedArray&, const NamedArray&) = default;
};

}  // namespace kalshiflow::rl
