// Seeded, reproducible randomness. Every random choice in the system draws from an Rng
// passed in by its owner; same seed => same sequence on every platform (the engine is
// std::mt19937_64, whose output the C++ standard fixes, and the distributions below are our
// own because std::*_distribution output is implementation-defined).
#pragma once

#include <cstdint>
#include <random>

namespace kalshiflow::core {

/// A deterministic pseudo-random generator. Not thread-safe: one per thread/component.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  /// Uniform over all 64-bit values.
  uint64_t NextU64() { return engine_(); }
  /// Uniform in [0, 1) with 53 random bits.
  double Uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [lo, hi] (inclusive); requires lo <= hi. Unbiased (rejection).
  int64_t UniformInt(int64_t lo, int64_t hi);
  /// Standard normal N(0, 1) (Marsaglia polar method).
  double Normal();
  /// True with probability p.
  bool Bernoulli(double p) { return Uniform01() < p; }
  /// Derives an independent child generator (for per-market / per-env streams).
  Rng Fork() { return Rng(NextU64() ^ 0x9E3779B97F4A7C15ull); }

 private:
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace kalshiflow::core
