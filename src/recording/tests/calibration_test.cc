#include "recording/calibration.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "recording/tests/test_util.h"

namespace kalshiflow::recording {
namespace {

// The defaults (documented in README.md) are exactly what the real files measure.
TEST(Calibration, DefaultsEqualFiguresRecomputedFromRealData) {
  const std::string dir = testing::SharedDataDir();
  if (!std::filesystem::exists(dir + "/kalshi-data/orderbook_data.json")) {
    GTEST_SKIP() << "real data not found under " << dir;
  }
  auto measured = CalibrateFromSharedData(dir);
  ASSERT_TRUE(measured.ok()) << measured.error().ToString();
  EXPECT_EQ(measured->ToJson().dump(1), DefaultCalibration().ToJson().dump(1));
  EXPECT_EQ(*measured, DefaultCalibration());
  EXPECT_EQ(measured->order_size_cap_per_million, 900'000);
}

TEST(Calibration, DefaultsAreInternallyConsistent) {
  const DepthCalibration& c = DefaultCalibration();
  auto total = [](const std::vector<WeightedValue>& t) {
    int64_t n = 0;
    for (const auto& e : t) n += e.weight;
    return n;
  };
  EXPECT_EQ(total(c.levels_per_side), c.nonempty_sides);
  EXPECT_EQ(total(c.best_level_contracts), c.nonempty_sides);
  EXPECT_EQ(total(c.best_level_contracts) + total(c.deeper_level_contracts), c.levels);
  int64_t levels = 0;
  for (const auto& e : c.levels_per_side) levels += e.value * e.weight;
  EXPECT_EQ(levels, c.levels);
  ASSERT_EQ(c.order_size_quantiles.size(), std::size(kOrderSizeQuantiles));
  for (std::size_t i = 1; i < c.order_size_quantiles.size(); ++i) {
    EXPECT_LE(c.order_size_quantiles[i - 1].value, c.order_size_quantiles[i].value);
  }
  EXPECT_LE(c.order_size_min, c.order_size_quantiles.front().value);
  EXPECT_GE(c.order_size_max, c.order_size_quantiles.back().value);
}

TEST(Calibration, RejectsFilesWithAnotherStructure) {
  testing::TempDir dir;
  testing::WriteFileBytes(dir.File("ob.json"), R"([{"A": {"_yes": [[5, 10]], "_no": "x"}}])");
  testing::WriteFileBytes(dir.File("algo.json"),
                          R"({"market_profiles": {"M": {"order_size_distribution": {"1": 3}}}})");
  auto r = CalibrateFromFiles(dir.File("ob.json"), {dir.File("algo.json")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("_no"), std::string::npos) << r.error().ToString();

  testing::WriteFileBytes(dir.File("ob2.json"),
                          R"([{"A": {"_yes": [[7, 10], [5, 20], [6, 30]], "_no": []}}])");
  testing::WriteFileBytes(dir.File("algo2.json"),
                          R"({"market_profiles": {"M": {"order_size_distribution": {"x": 3}}}})");
  auto r2 = CalibrateFromFiles(dir.File("ob2.json"), {dir.File("algo2.json")});
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message().find("\"x\""), std::string::npos) << r2.error().ToString();

  // A tiny valid pair: the book is sorted best-first before measuring.
  auto r3 = CalibrateFromFiles(dir.File("ob2.json"), {dir.File("algo.json")});
  ASSERT_TRUE(r3.ok()) << r3.error().ToString();
  EXPECT_EQ(r3->best_level_contracts, (std::vector<WeightedValue>{{10, 1}}));
  EXPECT_EQ(r3->first_gap_cents, (std::vector<WeightedValue>{{1, 1}}));
  EXPECT_EQ(r3->deeper_gap_cents, (std::vector<WeightedValue>{{1, 1}}));
  EXPECT_EQ(r3->levels_per_side_mode, 3);
  EXPECT_EQ(r3->orders, 3);
}

}  // namespace
}  // namespace kalshiflow::recording
