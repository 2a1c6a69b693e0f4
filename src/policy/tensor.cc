#include "policy/tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kalshiflow::policy {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::optional<int64_t> CheckedNumel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > kMaxTensorElements / d) return std::nullopt;
    n *= d;
  }
  if (n > kMaxTensorElements) return std::nullopt;
  return n;
}

std::string Tensor::ShapeString() const { return fmt::format("[{}]", fmt::join(shape, ", ")); }

}  // namespace kalshiflow::policy
