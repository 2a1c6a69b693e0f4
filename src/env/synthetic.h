// Synthetic recorded sessions for tests and benchmarks: markets whose YES mid follows a
// mean-reverting (Ornstein-Uhlenbeck) walk around 0.50 with a 1-2 cent spread and a few
// levels of depth a side, written as the snapshot/delta rows a collector would store.
//
// Why: a market with a known profitable rule. With the defaults the mid leaves [0.40, 0.60]
// often and comes back within ~20 points, so the DESIGN §5 mean-reversion baseline (buy YES
// below 0.40, sell above 0.60, aggressive orders paying the spread and the 7% taker fee) earns
// money, HOLD earns exactly 0, and uniform random loses spread + fees (tested in env_test);
// a learner that reads the mid (kalshiflow-v1 feature 6) can learn to beat HOLD.
//
// Rows: per market one snapshot at its first point, then (deltas = true) for every later
// point the level changes as deltas, decreases and removals before increases (so no
// intermediate book is crossed), or (deltas = false) one snapshot per point. Every market
// updates at every point (with deltas, a point where its quote did not change at all, ~1.5%,
// has no rows for it); all updates of a point share its ms timestamp (local_ts = ts_ms +
// k ns for the k-th update), one sid, seq 1, 2, ...; deltas carry exchange_ts_ms = ts_ms.
// Deterministic: same options => same rows.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "env/session_data.h"
#include "storage/rows.h"

namespace kalshiflow::env {

struct SyntheticMarketOptions {
  uint64_t seed = 1;
  int markets = 1;           // tickers KXSYNTH-26JAN01-M0, -M1, ...
  int points = 2000;         // data points per market (>= 1)
  double mean = 0.50;        // long-run YES mid, dollars
  double reversion = 0.05;   // theta: share of the gap to the mean closed per point
  double volatility = 0.02;  // sigma: standard deviation of the per-point shock, dollars
  int min_spread_cents = 1;
  int max_spread_cents = 2;
  int levels = 3;  // bid levels a side, 1-cent apart
  int64_t min_level_contracts = 100;
  int64_t max_level_contracts = 500;
  /// Chance that a level present before and after a point gets a new size at that point
  /// (otherwise it keeps its size); lower = fewer deltas per point.
  double resize_probability = 0.5;
  int64_t start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  int64_t min_gap_ms = 200;              // time between points, uniform in [min, max]
  int64_t max_gap_ms = 2'000;
  bool deltas = true;
};

/// The rows of one synthetic session `id`, in arrival order. KF_CHECKs nonsensical options
/// (points < 1, levels < 1, spreads outside [1, 10], sizes < 1, gaps < 1).
std::vector<storage::ReplayUpdate> SyntheticSessionUpdates(storage::SessionId id,
                                                           const SyntheticMarketOptions& options);

/// `sessions` synthetic sessions (ids 1..sessions, seeds options.seed + id - 1) as SessionData.
core::Result<SessionData> SyntheticSessionData(const SyntheticMarketOptions& options,
                                               int sessions = 1);

}  // namespace kalshiflow::env
