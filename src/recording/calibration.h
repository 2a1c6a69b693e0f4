// Calibration of the synthetic depth model (depth_model.h) on real Kalshi data.
//
// Sources (../shared/data, see their READMEs):
//  * kalshi-data/orderbook_data.json: 100 real REST order books (July 2024, old SDK dump:
//    `{TICKER: {"_yes": [[cents, qty], ...], "_no": [...]}}`, bids only, ascending, at most
//    3 levels requested, HIGHNY/HIGHMIA/HIGHAUS/HIGHCHI weather and other markets) -> the
//    number of levels per side, the gaps between consecutive levels and the resting size of
//    the best and of deeper levels (whole contracts).
//  * kalshiflow/orderbook_derived_stats/algo_analysis_session_{32,72}.json: per-market
//    `order_size_distribution` histograms (size -> count) over 12.85 M orders in 964 + 968 market
//    profiles recorded in December 2025 -> order-size quantiles.
//
// DefaultCalibration() holds the figures measured from these files; CalibrateFromFiles()
// recomputes them (a test checks the two agree, so the documented numbers stay honest).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace kalshiflow::recording {

/// One entry of an empirical distribution: `value` observed `weight` times.
struct WeightedValue {
  int64_t value = 0;
  int64_t weight = 0;
  friend bool operator==(const WeightedValue&, const WeightedValue&) = default;
};

/// A quantile: the smallest value v with P(X <= v) >= per_million / 1e6.
struct QuantilePoint {
  int32_t per_million = 0;
  int64_t value = 0;
  friend bool operator==(const QuantilePoint&, const QuantilePoint&) = default;
};

/// The measured figures the depth model draws from. Tables are sorted by value.
struct DepthCalibration {
  // --- orderbook_data.json (real 3-level REST books) ---
  int64_t books = 0;                                  // market objects in the file
  int64_t nonempty_sides = 0;                         // sides (yes/no) with at least one level
  int64_t levels = 0;                                 // levels over all sides
  std::vector<WeightedValue> levels_per_side;         // #levels on a non-empty side -> #sides
  int levels_per_side_mode = 0;                       // the model's target depth per side
  std::vector<WeightedValue> first_gap_cents;         // best -> second level gap (cents)
  std::vector<WeightedValue> deeper_gap_cents;        // gaps further down (cents)
  std::vector<WeightedValue> best_level_contracts;    // resting size at the best level
  std::vector<WeightedValue> deeper_level_contracts;  // resting size below the best

  // --- algo_analysis_session_{32,72}.json (order-size histograms, pooled) ---
  int64_t orders = 0;          // orders in the pooled histograms
  int64_t order_size_min = 0;  // contracts
  int64_t order_size_max = 0;
  std::vector<QuantilePoint> order_size_quantiles;  // p5 p10 p25 p50 p75 p90 p95 p99

  // --- model parameter (not measured) ---
  /// New orders are drawn from the order-size distribution below this quantile (p90): the
  /// top decile (>= ~15,000 contracts, up to 8.9 M) are walls in long-dated markets that a
  /// daily weather market does not show.
  int32_t order_size_cap_per_million = 900'000;

  friend bool operator==(const DepthCalibration&, const DepthCalibration&) = default;

  /// JSON form (for recording headers and `kalshiflow convert --print-calibration`).
  nlohmann::json ToJson() const;
};

/// The figures measured from the files above (see src/recording/README.md).
const DepthCalibration& DefaultCalibration();

/// The quantile levels (per million) recorded in `order_size_quantiles`.
inline constexpr int32_t kOrderSizeQuantiles[] = {50'000,  100'000, 250'000, 500'000,
                                                  750'000, 900'000, 950'000, 990'000};

/// Recomputes the calibration from the real files. `orderbook_data` is
/// kalshi-data/orderbook_data.json; `algo_analysis` the algo_analysis_session_*.json files
/// (histograms pooled). Errors: NotFound/Unavailable (I/O), InvalidArgument naming the file
/// and the element when the structure differs from the documented one.
core::Result<DepthCalibration> CalibrateFromFiles(const std::string& orderbook_data,
                                                  const std::vector<std::string>& algo_analysis);

/// Convenience: the files under a shared data directory (`<dir>/kalshi-data/...`,
/// `<dir>/kalshiflow/orderbook_derived_stats/...`).
core::Result<DepthCalibration> CalibrateFromSharedData(const std::string& data_dir);

/// Human-readable multi-line summary (the figures quoted in the README).
std::string CalibrationSummary(const DepthCalibration& cal);

}  // namespace kalshiflow::recording
