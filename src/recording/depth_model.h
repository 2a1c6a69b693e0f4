// The seeded synthetic depth model used by `kalshiflow convert`: it turns a sequence of real
// best bids (top of book, no sizes) into full bids-only ladders with sizes, evolving them
// with level changes whose result always has exactly the real best bids.
//
// Model (calibration figures: calibration.h, documented in src/recording/README.md):
//  * Start: each non-empty side gets its best level at the real price with a size drawn from
//    the real best-level sizes, then levels below it down to the calibrated depth
//    (levels_per_side_mode = 3), spaced by gaps drawn from the real first/deeper gap tables
//    and sized from the real deeper-level sizes; levels stop at 1 cent.
//  * Best bid moves DOWN (or the side empties, price 0): every level above the new best is
//    removed (negative deltas to zero); a level at the new best is created if none exists
//    (resting liquidity revealed: size from the best-level table).
//  * Best bid moves UP (or an empty side becomes non-empty): one new order creates the level
//    at the new best; its size is drawn from the real best-level sizes of the same market
//    family (the order-size distribution of other markets is 10x larger; see README Limits).
//  * After either move, the top of the side is completed down to the calibrated depth:
//    walking down from the best, an existing level is kept when it lies within the largest
//    calibrated gap (7 cents below the best, 4 further down); otherwise a level is inserted at
//    a gap drawn from the tables (deeper-level size). Small moves therefore emit only the
//    changes they need; jumps fill the hole below the new best.
//  * A side whose best is unchanged is not touched. Levels deeper than the top are kept.
//  * Ordering inside one update: first every change that lowers or keeps a side's best
//    (removals, then the level at the new best, then fill-ins), YES then NO; then the
//    changes that raise a best. When both the previous and the new bests are uncrossed
//    (yes + no <= 100), no intermediate state is crossed either.
//
// Units: prices in integer cents of their own leg (YES bids in YES cents, NO bids in NO
// cents, Kalshi's use_yes_price=false scale), 1..99; sizes in whole contracts.
// Randomness: one core::Rng per market (MarketSeed(seed, ticker)), so a market's ladder does
// not depend on other markets or files. Integer arithmetic only: same seed => same output on
// every platform. Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/market.h"
#include "core/rng.h"
#include "recording/calibration.h"

namespace kalshiflow::recording {

/// One level change: `side` bid at `price_cents` changes by `delta_contracts` (a removal is
/// the negative of the level's size).
struct LevelChange {
  core::OutcomeSide side = core::OutcomeSide::kYes;
  int price_cents = 0;
  int64_t delta_contracts = 0;
  friend bool operator==(const LevelChange&, const LevelChange&) = default;
};

/// Seed of one market's generator: SplitMix64(seed ^ FNV-1a-64(ticker)).
uint64_t MarketSeed(uint64_t seed, std::string_view ticker);

/// Draws from an empirical table (uniform over total weight). Requires a non-empty table.
int64_t SampleTable(core::Rng& rng, const std::vector<WeightedValue>& table);
/// Draws an order size (contracts, >= 1) by linear interpolation between the calibrated
/// order-size quantiles, uniformly below `cal.order_size_cap_per_million`.
int64_t SampleOrderSize(core::Rng& rng, const DepthCalibration& cal);

/// The synthetic ladders of one market. See the file comment for the model.
class SyntheticBook {
 public:
  static constexpr int kMaxCents = 99;

  /// `cal` must outlive the book. `seed` is the market's seed (MarketSeed).
  SyntheticBook(const DepthCalibration* cal, uint64_t seed);

  /// Builds the initial ladders for best bids `yes_cents` / `no_cents` (0 = empty side,
  /// otherwise 1..99). Replaces any previous state.
  void Start(int yes_cents, int no_cents);

  /// Moves to new best bids, appending the level changes (in apply order) to `out`. Appends
  /// nothing when both bests are unchanged.
  void MoveTo(int yes_cents, int no_cents, std::vector<LevelChange>* out);

  int BestCents(core::OutcomeSide side) const { return best_[Index(side)]; }
  /// Contracts resting at `cents` on `side` (0 if none).
  int64_t SizeAt(core::OutcomeSide side, int cents) const;
  /// The side's levels, ascending by price (Kalshi's snapshot order), as core units.
  std::vector<core::PriceLevel> Levels(core::OutcomeSide side) const;
  int LevelCount(core::OutcomeSide side) const;

 private:
  static int Index(core::OutcomeSide side) { return side == core::OutcomeSide::kYes ? 0 : 1; }
  void Set(core::OutcomeSide side, int cents, int64_t size, std::vector<LevelChange>* out);
  void Lower(core::OutcomeSide side, int new_best, std::vector<LevelChange>* out);
  void Raise(core::OutcomeSide side, int new_best, std::vector<LevelChange>* out);
  void FillTop(core::OutcomeSide side, std::vector<LevelChange>* out);
  void RecomputeBest(core::OutcomeSide side);

  const DepthCalibration* cal_;
  core::Rng rng_;
  int max_first_gap_ = 1;
  int max_deeper_gap_ = 1;
  // size_[side][cents] in contracts; index 0 unused.
  std::array<std::array<int64_t, kMaxCents + 1>, 2> size_{};
  std::array<int, 2> best_{0, 0};
};

}  // namespace kalshiflow::recording
