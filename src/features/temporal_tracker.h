// The session temporal inputs of `kalshiflow-v1` (time gap, activity score, momentum),
// computed incrementally over the whole multi-market stream of a collection session.
//
// Source: ../shared/spec/observation-kalshiflow-v1.md, "Session temporal inputs"; the original
// kalshiflow_rl SessionDataLoader._add_temporal_features (December 2025), which the spec
// describes. One tracker serves both the training loader (fed the recorded updates in order,
// see SessionTemporalInputs) and the live actor (fed the collector's accepted updates as they
// arrive), so train/serve parity is a property of this code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"

namespace kalshiflow::features {

/// The three session-wide values of one data point (spec "Session temporal inputs").
struct TemporalInputs {
  double time_gap_s = 0.0;      // seconds since the previous data point of any market; 0 first
  double activity_score = 0.0;  // min(1, k * ln(1 + total_volume) / 1000), volume in contracts
  double momentum = 0.0;        // mean over markets of tanh(price acceleration), 0 if none
  friend bool operator==(const TemporalInputs&, const TemporalInputs&) = default;
};

/// One accepted book update as the tracker sees it.
struct TrackerUpdate {
  uint32_t market = 0;  // dense index from TemporalTracker::MarketIndex
  int64_t ts_ms = 0;    // the update's time in ms (the caller's choice of clock; the same
                        // choice on both sides: exchange ts_ms when present is the default)
  core::Count volume;   // V of the market's book after the update: YB + YA + NB + NA
  std::optional<int64_t> yes_mid_twice;  // byb + bya after the update, price units; nullopt
                                         // when either YES side is missing
};

/// Builds a TrackerUpdate from a book after the update was applied (V and YES mid from
/// SummarizeBook). O(levels), no allocation.
TrackerUpdate MakeTrackerUpdate(uint32_t market, int64_t ts_ms, const book::OrderBook& book);

/// Incremental session temporal tracker.
///
/// Data points: a data point is a maximal run of consecutive updates with the same `ts_ms`
/// (the original grouped a session's updates by identical ms timestamp after sorting them by
/// time; for a stream in timestamp order the two agree). Within a point, a market updated
/// twice counts once, with its latest state (the original kept the last state per market).
///
/// Observe() returns the values of the point the update belongs to *as of this update*; when
/// later updates join the same point the values are recomputed (k, total volume, the market's
/// latest mid). The training loader uses the values after the point's last update
/// (SessionTemporalInputs does this); the live actor uses them as they come. With distinct
/// timestamps per update the two are identical.
///
/// Semantics per point (spec):
///  - time_gap_s = (ts_ms - previous point's ts_ms) / 1000; 0 for the first point (may be
///    negative when time goes backwards; feature 21 clamps at 0);
///  - activity_score = min(1, k * ln(1 + V) / 1000), k = markets in the point, V = sum of their
///    book volumes in contracts;
///  - momentum: each market keeps its history of YES mids in cents (one per point it appears in
///    with a mid; points where its YES mid is absent add nothing). For every market with >= 3
///    mids, recent = m[-1] - m[-2], prev = m[-2] - m[-3], and if |prev| > 0.001 the term
///    tanh((recent - prev) / |prev|) counts; momentum = mean of the terms (0 if none). Terms are
///    summed left to right in the order of the original's dict: markets ordered by the point in
///    which they first had a mid, then by first appearance within that point; so the sums
///    match it bit for bit.
///  - "A session with fewer than 2 points keeps all three at 0": the tracker cannot know the
///    future, so it reports the first point's activity as computed; SessionTemporalInputs (the
///    loader path) zeroes a session that ends with fewer than 2 points.
///
/// Cost: O(1) per update plus one add per market that has a YES mid (the momentum sum); no
/// allocation except when a market is first seen. Threading: thread-compatible (one owner).
class TemporalTracker {
 public:
  TemporalTracker() = default;

  /// Dense index of `ticker`, assigned on first sight (allocates then): the next free slot,
  /// so 0, 1, ... in order of first call when ReserveMarkets is not used.
  uint32_t MarketIndex(std::string_view ticker);
  /// The index of a ticker seen before, else nullopt. No allocation.
  std::optional<uint32_t> FindMarket(std::string_view ticker) const;
  /// Makes sure indexes [0, count) exist, for callers that number markets themselves (then
  /// MarketIndex hands out indexes from `count` on).
  void ReserveMarkets(uint32_t count);

  /// Feeds one update in arrival order. `update.market` must be < market_count() (checked).
  TemporalInputs Observe(const TrackerUpdate& update);
  /// Observe(MakeTrackerUpdate(market, ts_ms, book)).
  TemporalInputs Observe(uint32_t market, int64_t ts_ms, const book::OrderBook& book);

  /// Values of the current (last) point; zeros before the first update.
  const TemporalInputs& current() const { return current_; }
  /// Number of data points (timestamp runs) seen.
  int64_t point_count() const { return point_count_; }
  /// ts_ms of the current (last) data point; 0 before the first update.
  int64_t point_ts_ms() const { return point_ts_ms_; }
  uint32_t market_count() const { return static_cast<uint32_t>(markets_.size()); }
  /// Forgets all points and mids (a new session); keeps the ticker -> index map.
  void Reset();

 private:
  struct MidState {
    double mids[3] = {0, 0, 0};  // the last three YES mids in cents, oldest first
    uint8_t count = 0;           // how many of mids[] are valid (saturates at 3)
  };
  struct MarketState {
    MidState mids;
    MidState saved;            // mids as they were before the current point (for repeats)
    int64_t point = -1;        // the point in which this market was last updated
    int64_t point_rank = 0;    // its rank of first appearance within that point
    int64_t point_volume = 0;  // its volume counted in that point (Count units)
    int64_t order = -1;        // its slot in terms_ (see momentum above), -1 before any mid
  };
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  static void PushMid(MarketState& m, double mid_cents);
  void UpdateTerm(const MarketState& m);
  // Gives `market` a momentum slot among the slots created in the current point, ordered by
  // rank of first appearance in the point; or takes it away again (a repeat lost the mid).
  void InsertSlot(uint32_t market);
  void RemoveSlot(uint32_t market);

  std::unordered_map<std::string, uint32_t, TransparentHash, std::equal_to<>> index_;
  std::vector<MarketState> markets_;
  std::vector<double> terms_;  // momentum term per slot (0 when invalid)
  std::vector<uint8_t> term_valid_;
  std::vector<uint32_t> slot_market_;  // slot -> market
  std::size_t point_first_slot_ = 0;   // first slot created in the current point
  int64_t valid_terms_ = 0;
  int64_t point_count_ = 0;
  int64_t point_ts_ms_ = 0;
  int64_t point_markets_ = 0;  // k of the current point
  int64_t point_volume_ = 0;   // sum of V of the current point (Count units)
  TemporalInputs current_;
};

/// The loader path: runs one TemporalTracker over a whole recorded session (updates in arrival
/// order) and returns, for every update, the final values of the data point it belongs to.
/// A session with fewer than 2 points gets all zeros (spec). Allocates the result.
std::vector<TemporalInputs> SessionTemporalInputs(std::span<const TrackerUpdate> updates);

}  // namespace kalshiflow::features
