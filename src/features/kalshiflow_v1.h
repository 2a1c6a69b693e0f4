// Observation spec `kalshiflow-v1`: the 52 float32 features the original kalshiflow_rl PPO
// models (Stable-Baselines3, December 2025) were trained on, implemented index by index.
//
// Source: ../shared/spec/observation-kalshiflow-v1.md (all sections; it records where we
// follow Kalshi's implied-ask rule 1 - X instead of the original's 99 - X). Layout: market
// features 0-20, temporal 21-34, portfolio 35-46, order 47-51; then float32, NaN -> 0,
// +inf -> 1, -inf -> -1, clip to [-2, 2]; past the end of data all zeros.
//
// Arithmetic: doubles throughout, each value rounded as the original's Python computed it
// (every price / size ratio is one correctly rounded division of exact integers, which equals
// the original's integer-cent arithmetic bit for bit on cent books; mean and population std
// use numpy's summation order), then one rounding to float32.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "book/order_book.h"
#include "features/market_history.h"
#include "features/observation_spec.h"
#include "features/portfolio.h"

namespace kalshiflow::features {

inline constexpr std::string_view kKalshiflowV1Id = "kalshiflow-v1";
inline constexpr std::size_t kKalshiflowV1Size = 52;
inline constexpr std::size_t kV1MarketBegin = 0;  // 21 market features
inline constexpr std::size_t kV1MarketCount = 21;
inline constexpr std::size_t kV1TemporalBegin = 21;  // 14 temporal features
inline constexpr std::size_t kV1TemporalCount = 14;
inline constexpr std::size_t kV1PortfolioBegin = 35;  // 12 portfolio features
inline constexpr std::size_t kV1PortfolioCount = 12;
inline constexpr std::size_t kV1OrderBegin = 47;  // 5 order features (always 0 in v1)
inline constexpr std::size_t kV1OrderCount = 5;

/// Feature names in index order (spec tables; 47-51 carry the original's names).
extern const std::array<std::string_view, kKalshiflowV1Size> kKalshiflowV1FeatureNames;

/// The spec's market-feature values for a data point with no book data at all (padding).
extern const std::array<double, kV1MarketCount> kKalshiflowV1PaddingMarketFeatures;

struct KalshiflowV1Options {
  /// The "feature time zone" of feature 22 (hour of day) and 23 (weekday), as a fixed offset
  /// from UTC in minutes (e.g. -300 for US Eastern standard time). Default UTC (spec).
  int utc_offset_minutes = 0;
};

/// Features 0-20 of `book` (nullptr: the padding constants). Unclipped doubles.
void MarketFeaturesV1(const book::OrderBook* book, std::span<double, kV1MarketCount> out);

/// Features 21-34 of the current point `cur` given the previous points `hist` of the same
/// market view. Unclipped doubles.
void TemporalFeaturesV1(const ObservationPoint& cur, const MarketHistory& hist,
                        const KalshiflowV1Options& options,
                        std::span<double, kV1TemporalCount> out);

/// Features 35-46. Unclipped doubles.
void PortfolioFeaturesV1(const PortfolioInput& portfolio, std::span<double, kV1PortfolioCount> out);

/// The final step of every v1 observation, exactly as the original did it with numpy: cast
/// each double to float32 (IEEE round to nearest; beyond float range -> +-inf), then
/// NaN -> 0, +inf -> 1, -inf -> -1, then clip to [-2, 2]. raw.size() == out.size() (checked).
void FinalizeObservation(std::span<const double> raw, std::span<float> out);

/// Builds the whole 52-float observation into `out` (out.size() == 52, checked). No heap
/// allocation; deterministic (same inputs, same bits).
void BuildKalshiflowV1(const ObservationInputs& inputs, std::span<float> out,
                       const KalshiflowV1Options& options = {});

/// `kalshiflow-v1` as a registry entry.
class KalshiflowV1Spec final : public ObservationSpec {
 public:
  explicit KalshiflowV1Spec(KalshiflowV1Options options = {}) : options_(options) {}
  std::string_view id() const override { return kKalshiflowV1Id; }
  std::size_t size() const override { return kKalshiflowV1Size; }
  std::span<const std::string_view> feature_names() const override {
    return kKalshiflowV1FeatureNames;
  }
  void Build(const ObservationInputs& inputs, std::span<float> out) const override {
    BuildKalshiflowV1(inputs, out, options_);
  }
  const KalshiflowV1Options& options() const { return options_; }

 private:
  KalshiflowV1Options options_;
};

}  // namespace kalshiflow::features
