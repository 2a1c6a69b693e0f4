// Named float32 tensors: the exchange currency between checkpoints, SB3 state dicts and the
// Eigen MLP. Shapes and layouts follow PyTorch: row-major (C order), a Linear layer's weight
// is [out_features, in_features] and its bias [out_features].
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kalshiflow::policy {

/// A dense float32 tensor in row-major order. `data.size()` equals the product of `shape`
/// (1 for a scalar, shape {}).
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  /// Product of the shape (1 for a rank-0 tensor).
  int64_t numel() const;
  /// "[64, 52]".
  std::string ShapeString() const;
  friend bool operator==(const Tensor&, const Tensor&) = default;
};

/// The element count of `shape`, or nullopt when a dimension is negative or the product
/// exceeds kMaxTensorElements (untrusted shapes from files go through this).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 32;
std::optional<int64_t> CheckedNumel(std::span<const int64_t> shape);

/// Tensors by name, e.g. "mlp_extractor.policy_net.0.weight" (SB3 / PyTorch parameter names).
/// Iteration is in name order.
using TensorMap = std::map<std::string, Tensor, std::less<>>;

}  // namespace kalshiflow::policy
