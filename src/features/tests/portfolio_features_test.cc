// Portfolio features 35-46 (spec "Portfolio features 35-46").
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "features/kalshiflow_v1.h"
#include "features/tests/test_util.h"

namespace kalshiflow::features {
namespace {

using core::Count;
using core::Money;

constexpr std::size_t P(std::size_t feature) { return feature - kV1PortfolioBegin; }

std::array<double, kV1PortfolioCount> Portfolio(const PortfolioInput& input) {
  std::array<double, kV1PortfolioCount> f;
  f.fill(-99.0);
  PortfolioFeaturesV1(input, f);
  return f;
}

TEST(PortfolioFeaturesTest, TinyPortfolioValueIsAllCash) {
  // pv <= 0.01 cent (100 Money units): cash_ratio = 1, everything else 0, even with positions.
  const std::vector<PositionInput> positions = {
      {Count::FromContracts(10), Money::FromCents(5), std::nullopt}};
  std::array<double, kV1PortfolioCount> expected{};
  expected[0] = 1.0;
  EXPECT_EQ(Portfolio({Money::FromCents(0), Money::FromUnits(100), positions}), expected);
  EXPECT_EQ(Portfolio({Money::FromCents(50), Money::FromUnits(-5), positions}), expected);
  // One unit above the threshold: computed normally (cash 0 -> cash_ratio 0).
  EXPECT_EQ(Portfolio({Money::FromCents(0), Money::FromUnits(101), {}})[P(35)], 0.0);
}

TEST(PortfolioFeaturesTest, NoPositions) {
  // Cash $800 of pv $1000: 35 = 0.8, 36 = (1000 - 800) / 1000 = 0.2, 37-46 = 0.
  const auto f = Portfolio({Money::FromCents(80'000), Money::FromCents(100'000), {}});
  EXPECT_EQ(f[P(35)], 0.8);
  EXPECT_EQ(f[P(36)], 0.2);
  for (std::size_t i = 37; i <= 46; ++i) EXPECT_EQ(f[P(i)], 0.0) << i;
  // Flat entries are not positions.
  const std::vector<PositionInput> flat = {{Count::FromUnits(0), Money::FromCents(100), 9000}};
  EXPECT_EQ(Portfolio({Money::FromCents(80'000), Money::FromCents(100'000), flat}), f);
}

TEST(PortfolioFeaturesTest, WorkedPortfolioEveryIndex) {
  // Cash c = 60,000 cents ($600), pv = 100,000 cents ($1000). Positions:
  //   A: +100 YES, cost 4,000 c, YES mid (45 + 46) / 2 -> yes_mid_price 0.455 -> val 100 * 45.5
  //      = 4,550 c;
  //   B: -300 (NO), cost 15,000 c, no YES mid -> 0.5 -> val 300 * 50 = 15,000 c;
  //   C: flat (ignored);
  //   D: +50 YES, cost 1,000 c, YES mid (99.50 + 99.70) / 2 = 99.6 c -> clamped to 0.99 ->
  //      val 50 * 99 = 4,950 c.
  const std::vector<PositionInput> positions = {
      {Count::FromContracts(100), Money::FromCents(4'000), 4500 + 4600},
      {Count::FromContracts(-300), Money::FromCents(15'000), std::nullopt},
      {Count::FromContracts(0), Money::FromCents(0), 5000 + 5000},
      {Count::FromContracts(50), Money::FromCents(1'000), 9950 + 9970}};
  const auto f = Portfolio({Money::FromCents(60'000), Money::FromCents(100'000), positions});
  EXPECT_EQ(f[P(35)], 0.6);  // 60,000 / 100,000
  EXPECT_EQ(f[P(36)], 0.4);  // (100,000 - 60,000) / 100,000
  // n = 3 non-flat positions; sum |pos| = 100 + 300 + 50 = 450.
  EXPECT_EQ(f[P(37)], 0.3);        // min(3 / 10, 1)
  EXPECT_EQ(f[P(38)], 0.15);       // (450 / 3) / 1000
  EXPECT_EQ(f[P(39)], 2.0 / 3.0);  // 2 long of 3
  EXPECT_EQ(f[P(40)], 1.0 / 3.0);  // 1 short of 3
  // 41: tanh(sum pos / sum |pos|) = tanh((100 - 300 + 50) / 450) = tanh(-1/3) = -0.3215127.
  EXPECT_NEAR(f[P(41)], -0.32151273753163434, 1e-15);
  EXPECT_EQ(f[P(42)], 0.15);  // max val / pv = 15,000 / 100,000
  EXPECT_EQ(f[P(43)], -0.3);  // the largest |pos| is -300: -300 / 1000
  // 44: tanh(((4,550 - 4,000) + (15,000 - 15,000) + (4,950 - 1,000)) / 100,000) = tanh(0.045)
  // = 0.0449696.
  EXPECT_NEAR(f[P(44)], 0.044969649583600245, 1e-15);
  // 45: shares 100/450, 300/450, 50/450; H = .0493827 + .4444444 + .0123457 = .5061728;
  // Hmin = 1/3; 1 - (.5061728 - .3333333) / (1 - .3333333) = 0.7407407.
  EXPECT_NEAR(f[P(45)], 0.7407407407407407, 1e-15);
  // 46: sum val / pv = (4,550 + 15,000 + 4,950) / 100,000 = 0.245; min(0.245, 2) / 2 = 0.1225.
  EXPECT_NEAR(f[P(46)], 0.1225, 1e-15);
}

TEST(PortfolioFeaturesTest, ClampsAndCaps) {
  // Cash above pv (negative position value): cash_ratio clamps to 1, position_ratio to 0.
  const auto over = Portfolio({Money::FromCents(120'000), Money::FromCents(100'000), {}});
  EXPECT_EQ(over[P(35)], 1.0);
  EXPECT_EQ(over[P(36)], 0.0);
  // Negative cash: cash_ratio 0, position_ratio 1.
  const auto negative = Portfolio({Money::FromCents(-10), Money::FromCents(100), {}});
  EXPECT_EQ(negative[P(35)], 0.0);
  EXPECT_EQ(negative[P(36)], 1.0);

  // One big long: 5,000 YES at mid 0.8 (val 400,000 c) on pv 100,000 c.
  const std::vector<PositionInput> big = {
      {Count::FromContracts(5'000), Money::FromCents(350'000), 8000 + 8000}};
  const auto f = Portfolio({Money::FromCents(0), Money::FromCents(100'000), big});
  EXPECT_EQ(f[P(38)], 1.0);             // (5000 / 1) / 1000 = 5 -> 1
  EXPECT_EQ(f[P(41)], std::tanh(1.0));  // all long
  EXPECT_EQ(f[P(42)], 1.0);             // 400,000 / 100,000 = 4 -> 1
  EXPECT_EQ(f[P(43)], 1.0);             // 5000 / 1000 = 5 -> min(5, 1)
  EXPECT_EQ(f[P(45)], 1.0);             // one position: Hmin = 1 -> 1
  EXPECT_EQ(f[P(46)], 1.0);             // min(4, 2) / 2
  // 44: tanh((400,000 - 350,000) / 100,000) = tanh(0.5).
  EXPECT_NEAR(f[P(44)], std::tanh(0.5), 1e-15);

  // A big short: largest_position_norm is only capped above (spec: min(pos/1000, 1)); the
  // final clip to [-2, 2] happens in FinalizeObservation.
  const std::vector<PositionInput> short_big = {
      {Count::FromContracts(-3'000), Money::FromCents(0), std::nullopt}};
  EXPECT_EQ(Portfolio({Money::FromCents(0), Money::FromCents(100'000), short_big})[P(43)], -3.0);
}

TEST(PortfolioFeaturesTest, TiesPickTheFirstLargestPosition) {
  // |+200| and |-200|: Python's max(positions, key=abs) keeps the first: +200 -> 0.2.
  const std::vector<PositionInput> tie = {{Count::FromContracts(200), Money(), std::nullopt},
                                          {Count::FromContracts(-200), Money(), std::nullopt}};
  const auto f = Portfolio({Money::FromCents(0), Money::FromCents(100'000), tie});
  EXPECT_EQ(f[P(43)], 0.2);
  EXPECT_EQ(f[P(41)], 0.0);  // tanh(0 / 400)
  // Two equal positions: H = 0.5 = Hmin -> diversity 1.
  EXPECT_EQ(f[P(45)], 1.0);
}

TEST(PortfolioFeaturesTest, FractionalContractsAndSubCentMoney) {
  // +1.50 YES at mid 0.455 (val 1.5 * 45.5 = 68.25 c), cost 0.5 cent; pv 100.0050 cents.
  const std::vector<PositionInput> p = {
      {Count::FromUnits(150), Money::FromUnits(5'000), 4500 + 4600}};
  const auto f = Portfolio({Money::FromUnits(310'050), Money::FromUnits(1'000'050), p});
  // 35: 310,050 / 1,000,050 (exact integer ratio of Money units).
  EXPECT_EQ(f[P(35)], 310'050.0 / 1'000'050.0);
  EXPECT_EQ(f[P(38)], 0.0015);  // 1.5 / 1 / 1000
  EXPECT_NEAR(f[P(42)], 68.25 / 100.005, 1e-15);
  EXPECT_NEAR(f[P(44)], std::tanh((68.25 - 0.5) / 100.005), 1e-15);
}

}  // namespace
}  // namespace kalshiflow::features
