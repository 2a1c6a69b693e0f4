#include "recording/depth_model.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

namespace kalshiflow::recording {
namespace {

using core::OutcomeSide;

// An independent book that applies LevelChanges the way Kalshi deltas apply.
struct RefBook {
  std::map<int, int64_t> side[2];
  bool ok = true;  // no change ever drove a level negative or removed more than it held
  void Apply(const LevelChange& c) {
    auto& s = side[c.side == OutcomeSide::kYes ? 0 : 1];
    int64_t& v = s[c.price_cents];
    v += c.delta_contracts;
    if (v < 0) ok = false;
    if (v <= 0) s.erase(c.price_cents);
  }
  int Best(OutcomeSide sd) const {
    const auto& s = side[sd == OutcomeSide::kYes ? 0 : 1];
    return s.empty() ? 0 : s.rbegin()->first;
  }
};

RefBook FromModel(const SyntheticBook& b) {
  RefBook r;
  for (OutcomeSide sd : {OutcomeSide::kYes, OutcomeSide::kNo}) {
    for (const auto& lv : b.Levels(sd)) {
      r.side[sd == OutcomeSide::kYes ? 0 : 1][static_cast<int>(lv.price.units() / 100)] =
          lv.count.units() / 100;
    }
  }
  return r;
}

TEST(DepthModel, StartBuildsCalibratedLadderWithExactBest) {
  const DepthCalibration& cal = DefaultCalibration();
  SyntheticBook b(&cal, 1);
  b.Start(45, 54);
  EXPECT_EQ(b.BestCents(OutcomeSide::kYes), 45);
  EXPECT_EQ(b.BestCents(OutcomeSide::kNo), 54);
  EXPECT_EQ(b.LevelCount(OutcomeSide::kYes), cal.levels_per_side_mode);
  EXPECT_EQ(b.LevelCount(OutcomeSide::kNo), cal.levels_per_side_mode);
  for (OutcomeSide sd : {OutcomeSide::kYes, OutcomeSide::kNo}) {
    const auto levels = b.Levels(sd);
    for (std::size_t i = 0; i < levels.size(); ++i) {
      EXPECT_GT(levels[i].count.units(), 0);
      EXPECT_EQ(levels[i].count.units() % 100, 0);  // whole contracts
      EXPECT_EQ(levels[i].price.units() % 100, 0);  // whole cents
      if (i > 0) {
        EXPECT_LT(levels[i - 1].price, levels[i].price);  // ascending
      }
    }
    // The best level's size comes from the real best-level table.
    const int64_t best_size = levels.back().count.units() / 100;
    bool in_table = false;
    for (const auto& e : cal.best_level_contracts) in_table = in_table || e.value == best_size;
    EXPECT_TRUE(in_table) << best_size;
  }
}

TEST(DepthModel, EmptySideHasNoLevelsAndBoundaryStopsAtOneCent) {
  SyntheticBook b(&DefaultCalibration(), 2);
  b.Start(0, 1);
  EXPECT_EQ(b.LevelCount(OutcomeSide::kYes), 0);
  EXPECT_EQ(b.LevelCount(OutcomeSide::kNo), 1);  // nothing below 1 cent
  const int64_t size = b.SizeAt(OutcomeSide::kNo, 1);
  std::vector<LevelChange> changes;
  b.MoveTo(0, 0, &changes);
  EXPECT_EQ(b.LevelCount(OutcomeSide::kNo), 0);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (LevelChange{OutcomeSide::kNo, 1, -size}));
}

TEST(DepthModel, UnchangedBestsEmitNothing) {
  SyntheticBook b(&DefaultCalibration(), 3);
  b.Start(30, 60);
  std::vector<LevelChange> changes;
  b.MoveTo(30, 60, &changes);
  EXPECT_TRUE(changes.empty());
}

TEST(DepthModel, MoveUpAddsOneOrderAtTheNewBest) {
  const DepthCalibration& cal = DefaultCalibration();
  SyntheticBook b(&cal, 4);
  b.Start(30, 60);
  std::vector<LevelChange> changes;
  b.MoveTo(31, 60, &changes);
  ASSERT_EQ(changes.size(), 1u);  // the old best is 1 cent below: no fill-in needed
  EXPECT_EQ(changes[0].side, OutcomeSide::kYes);
  EXPECT_EQ(changes[0].price_cents, 31);
  EXPECT_GE(changes[0].delta_contracts, 1);
  // Sized from the real best-level table of weather books (10..150 contracts).
  int64_t largest = 0;
  for (const auto& entry : cal.best_level_contracts) largest = std::max(largest, entry.value);
  EXPECT_LE(changes[0].delta_contracts, largest);
}

TEST(DepthModel, MoveDownRemovesTopLevelsAndKeepsDepth) {
  const DepthCalibration& cal = DefaultCalibration();
  SyntheticBook b(&cal, 5);
  b.Start(50, 40);
  std::vector<LevelChange> changes;
  b.MoveTo(20, 40, &changes);
  EXPECT_EQ(b.BestCents(OutcomeSide::kYes), 20);
  EXPECT_EQ(b.LevelCount(OutcomeSide::kYes), cal.levels_per_side_mode);
  // Removals come first and are exact negatives of the removed sizes.
  int removals = 0;
  for (const auto& c : changes) {
    if (c.delta_contracts < 0) {
      ++removals;
      EXPECT_GT(c.price_cents, 20);
    }
  }
  EXPECT_EQ(removals, cal.levels_per_side_mode);
  EXPECT_LT(changes.front().delta_contracts, 0);
}

TEST(DepthModel, SameSeedSameLadderDifferentSeedDifferentSizes) {
  const DepthCalibration& cal = DefaultCalibration();
  auto run = [&](uint64_t seed) {
    SyntheticBook b(&cal, seed);
    b.Start(40, 55);
    std::vector<LevelChange> all;
    int yes = 40, no = 55;
    for (int i = 0; i < 200; ++i) {
      yes = 1 + (yes + 7 * i) % 60;
      no = 1 + (no + 3 * i) % 35;
      b.MoveTo(yes, no, &all);
    }
    return all;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12));
}

TEST(DepthModel, MarketSeedDependsOnSeedAndTicker) {
  EXPECT_EQ(MarketSeed(1, "KX-A"), MarketSeed(1, "KX-A"));
  EXPECT_NE(MarketSeed(1, "KX-A"), MarketSeed(2, "KX-A"));
  EXPECT_NE(MarketSeed(1, "KX-A"), MarketSeed(1, "KX-B"));
}

TEST(DepthModel, OrderSizesFollowTheCalibratedQuantiles) {
  const DepthCalibration& cal = DefaultCalibration();
  core::Rng rng(99);
  std::vector<int64_t> draws;
  for (int i = 0; i < 20000; ++i) draws.push_back(SampleOrderSize(rng, cal));
  std::sort(draws.begin(), draws.end());
  EXPECT_GE(draws.front(), 1);
  EXPECT_LE(draws.back(), cal.order_size_quantiles[5].value);  // p90 cap
  // Below the cap the draw is the order-size distribution conditioned on X <= p90, so its
  // median is the p45 of the real distribution: between p25 and p50.
  const int64_t median = draws[draws.size() / 2];
  EXPECT_GE(median, cal.order_size_quantiles[2].value);
  EXPECT_LE(median, cal.order_size_quantiles[3].value);
  // The (1/0.9) * 25% point is the real p25 (interpolation is exact at the knots).
  const int64_t q = draws[static_cast<std::size_t>(draws.size() * 0.25 / 0.9)];
  EXPECT_NEAR(static_cast<double>(q), static_cast<double>(cal.order_size_quantiles[2].value),
              0.35 * static_cast<double>(cal.order_size_quantiles[2].value));
}

TEST(DepthModel, SampleTableFollowsWeights) {
  core::Rng rng(5);
  std::vector<WeightedValue> t = {{1, 1}, {2, 3}};
  int twos = 0;
  for (int i = 0; i < 40000; ++i) twos += SampleTable(rng, t) == 2;
  EXPECT_NEAR(twos / 40000.0, 0.75, 0.02);
}

// Property: along any path of best bids, the emitted changes rebuild exactly the model's
// ladders, every best is the requested one, no change over-removes a level, and no
// intermediate state is crossed when both endpoints are uncrossed.
RC_GTEST_PROP(DepthModelProp, ChangesReproduceLaddersAndExactBests, (uint64_t seed)) {
  const DepthCalibration& cal = DefaultCalibration();
  core::Rng rng(seed);
  SyntheticBook b(&cal, MarketSeed(seed, "KX-PROP"));
  auto pick = [&](int other) {
    // Mostly uncrossed, sometimes empty, sometimes small steps.
    if (rng.Bernoulli(0.05)) return 0;
    const int hi = std::max(1, std::min(99, 100 - other));
    return static_cast<int>(rng.UniformInt(1, hi));
  };
  int yes = pick(0);
  int no = pick(yes);
  b.Start(yes, no);
  RefBook ref = FromModel(b);
  RC_ASSERT(ref.Best(OutcomeSide::kYes) == yes);
  RC_ASSERT(ref.Best(OutcomeSide::kNo) == no);
  std::vector<LevelChange> changes;
  for (int step = 0; step < 300; ++step) {
    int ny, nn;
    if (rng.Bernoulli(0.6)) {  // small move
      ny = std::clamp(yes + static_cast<int>(rng.UniformInt(-2, 2)), 0, 99);
      nn = std::clamp(no + static_cast<int>(rng.UniformInt(-2, 2)), 0, 99);
    } else {
      ny = pick(0);
      nn = pick(ny);
    }
    const bool uncrossed = yes + no <= 100 && ny + nn <= 100;
    changes.clear();
    b.MoveTo(ny, nn, &changes);
    RC_ASSERT((changes.empty()) == (ny == yes && nn == no));
    for (const auto& c : changes) {
      RC_ASSERT(c.delta_contracts != 0);
      RC_ASSERT(c.price_cents >= 1 && c.price_cents <= 99);
      ref.Apply(c);
      if (uncrossed) {
        RC_ASSERT(ref.Best(OutcomeSide::kYes) + ref.Best(OutcomeSide::kNo) <= 100);
      }
    }
    RC_ASSERT(ref.ok);
    RC_ASSERT(ref.Best(OutcomeSide::kYes) == ny);
    RC_ASSERT(ref.Best(OutcomeSide::kNo) == nn);
    RefBook model = FromModel(b);
    RC_ASSERT(model.side[0] == ref.side[0]);
    RC_ASSERT(model.side[1] == ref.side[1]);
    yes = ny;
    no = nn;
  }
}

}  // namespace
}  // namespace kalshiflow::recording
