// Market features 0-20 (spec "Market features 0-20"), against hand-computed values.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "features/kalshiflow_v1.h"
#include "features/tests/test_util.h"

namespace kalshiflow::features {
namespace {

using testing::CentLevel;
using testing::MakeBook;
using testing::UnitLevel;
using testing::WorkedBook;

std::array<double, kV1MarketCount> Market(const book::OrderBook* book) {
  std::array<double, kV1MarketCount> f;
  f.fill(-99.0);
  MarketFeaturesV1(book, f);
  return f;
}

constexpr double kTol = 1e-12;

TEST(MarketFeaturesTest, SpecWorkedBookEveryIndex) {
  // Spec test vector: YES bids {45: 1000, 44: 500}, NO bids {54: 600, 53: 300}; implied asks
  // bya = 100 - 54 = 46, bna = 100 - 45 = 55. YB = 1500, YA = NB = 900, NB = 900, NA = YB = 1500.
  const book::OrderBook book = WorkedBook();
  const auto f = Market(&book);
  // Prices are exact: 4500 / 10,000 is the double nearest 0.45, the same as the literal.
  EXPECT_EQ(f[0], 0.45);   // byb / 100
  EXPECT_EQ(f[1], 0.46);   // bya / 100
  EXPECT_EQ(f[2], 0.54);   // bnb / 100
  EXPECT_EQ(f[3], 0.55);   // bna / 100
  EXPECT_EQ(f[4], 0.01);   // (46 - 45) / 100, inside [0.001, 0.99]
  EXPECT_EQ(f[5], 0.01);   // (55 - 54) / 100
  EXPECT_EQ(f[6], 0.455);  // (45 + 46) / 200
  EXPECT_EQ(f[7], 0.545);  // (54 + 55) / 200
  // VY = YB + YA = 1500 + 900 = 2400; VN = NB + NA = 900 + 1500 = 2400; V = 4800.
  // ln(2401) / ln(10001) = 7.7836406 / 9.2104404 = 0.8450889.
  EXPECT_NEAR(f[8], 0.8450888650372278, kTol);
  EXPECT_NEAR(f[9], 0.8450888650372278, kTol);
  // ln(4801) / ln(10001) = 8.4765795 / 9.2104404 = 0.9203229.
  EXPECT_NEAR(f[10], 0.9203229347125692, kTol);
  EXPECT_EQ(f[11], 0.0);    // (2400 - 2400) / 4800
  EXPECT_EQ(f[12], 0.25);   // (YB - YA) / VY = (1500 - 900) / 2400
  EXPECT_EQ(f[13], -0.25);  // (NB - NA) / VN = (900 - 1500) / 2400
  EXPECT_EQ(f[14], 0.2);    // YES: 2 bid levels + 2 ask levels = 4; 4 / 20
  EXPECT_EQ(f[15], 0.2);    // NO: 2 + 2 = 4; 4 / 20
  EXPECT_EQ(f[16], 0.875);  // 3 largest of {1000, 500, 600, 300} = 2100; 2100 / 2400
  EXPECT_EQ(f[17], 0.875);  // same levels on the NO side
  // 18: |0.455 + 0.545 - 1| = 0 (up to one rounding of the double sum).
  EXPECT_NEAR(f[18], 0.0, 1e-15);
  EXPECT_NEAR(f[19], 1.0, 1e-15);  // max(0, 1 - f18)
  // 20: 1 - 5 * |0.455 - (1 - 0.545)| = 1 - 5 * 0 = 1.
  EXPECT_NEAR(f[20], 1.0, 1e-14);
}

TEST(MarketFeaturesTest, EmptyBookUsesPerFeatureFallbacks) {
  // Spec: f0-f3 = 0.5, f4 = f5 = 0.1, volumes 0, concentration 0.5, f18 = 0, f19 = f20 = 1.
  const book::OrderBook empty = MakeBook({}, {});
  const std::array<double, kV1MarketCount> expected = {
      0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.5, 0.5,  // prices, spreads, mids
      0.0, 0.0, 0.0,                           // ln(1 + 0) = 0
      0.0, 0.0, 0.0,                           // imbalances with zero volume
      0.0, 0.0,                                // no levels
      0.5, 0.5,                                // concentration fallback
      0.0, 1.0, 1.0};                          // |0.5 + 0.5 - 1| = 0; 1 - 0; 1 - 5 * 0
  EXPECT_EQ(Market(&empty), expected);
  const book::OrderBook never_snapshotted("KXTEST");
  EXPECT_EQ(Market(&never_snapshotted), expected);
}

TEST(MarketFeaturesTest, NoBookDataAtAllUsesPaddingConstants) {
  // Spec: `.49 .51 .49 .51 .02 .02 .5 .5 .01 .01 .01 0 0 0 .1 .1 .5 .5 0 1 1`.
  const std::array<double, kV1MarketCount> expected = {0.49, 0.51, 0.49, 0.51, 0.02, 0.02, 0.5,
                                                       0.5,  0.01, 0.01, 0.01, 0.0,  0.0,  0.0,
                                                       0.1,  0.1,  0.5,  0.5,  0.0,  1.0,  1.0};
  EXPECT_EQ(Market(nullptr), expected);
}

TEST(MarketFeaturesTest, MissingSidesTakeDefaults) {
  // Only YES bids {45: 1000}: byb = 45; no NO bid, so no YES ask; bna = 100 - 45 = 55.
  const book::OrderBook book = MakeBook({CentLevel(45, 1000)}, {});
  const auto f = Market(&book);
  EXPECT_EQ(f[0], 0.45);
  EXPECT_EQ(f[1], 0.5);   // bya missing
  EXPECT_EQ(f[2], 0.5);   // bnb missing
  EXPECT_EQ(f[3], 0.55);  // bna = 55
  EXPECT_EQ(f[4], 0.1);   // YES spread needs both YES sides
  EXPECT_EQ(f[5], 0.1);   // NO spread needs both NO sides
  EXPECT_EQ(f[6], 0.5);   // mid_y = 0.5 without both sides
  EXPECT_EQ(f[7], 0.5);
  // YB = 1000, YA = NB = 0, NB = 0, NA = YB = 1000: VY = VN = 1000, V = 2000.
  EXPECT_NEAR(f[8], std::log(1001.0) / std::log(10001.0), kTol);
  EXPECT_NEAR(f[10], std::log(2001.0) / std::log(10001.0), kTol);
  EXPECT_EQ(f[11], 0.0);
  EXPECT_EQ(f[12], 1.0);   // (1000 - 0) / 1000
  EXPECT_EQ(f[13], -1.0);  // (0 - 1000) / 1000
  EXPECT_EQ(f[14], 0.05);  // 1 level / 20
  EXPECT_EQ(f[16], 1.0);   // 1000 / 1000
  EXPECT_EQ(f[18], 0.0);
  EXPECT_EQ(f[19], 1.0);
  EXPECT_EQ(f[20], 1.0);

  // Only NO bids {30: 200}: bnb = 30, bya = 70; byb and bna missing.
  const book::OrderBook no_only = MakeBook({}, {CentLevel(30, 200)});
  const auto g = Market(&no_only);
  EXPECT_EQ(g[0], 0.5);
  EXPECT_EQ(g[1], 0.7);
  EXPECT_EQ(g[2], 0.3);
  EXPECT_EQ(g[3], 0.5);
  EXPECT_EQ(g[12], -1.0);  // YB = 0, YA = NB = 200: (0 - 200) / 200
  EXPECT_EQ(g[13], 1.0);   // NB = 200, NA = 0
}

TEST(MarketFeaturesTest, ClampsAndSaturation) {
  // Crossed book: YES bid 60, NO bid 45 -> YES ask 55 < 60: spread -5 cents clamps to 0.001.
  // 25 levels on the YES ladder and 1 on the NO: depth 26 / 20 -> 1.
  std::vector<core::PriceLevel> yes;
  for (int c = 36; c <= 60; ++c) yes.push_back(CentLevel(c, c == 60 ? 11'000 : 1));
  const book::OrderBook book = MakeBook(yes, {CentLevel(45, 100)});
  const auto f = Market(&book);
  EXPECT_EQ(f[4], 0.001);
  EXPECT_EQ(f[5], 0.001);  // NO: ask 40 - bid 45 = -5
  EXPECT_EQ(f[14], 1.0);
  // YB = 11,000 + 24 = 11,024, YA = 100: VY = 11,124 > 10,000 -> ln ratio > 1 -> 1.
  EXPECT_EQ(f[8], 1.0);
  EXPECT_EQ(f[10], 1.0);

  // A YES mid below 1 cent clamps to 0.01 and the NO mid above 99 cents to 0.99:
  // YES bid 0.0030, NO bid 0.9900 -> YES ask 0.0100: mid_y = 0.0065; mid_n = 0.9935.
  const book::OrderBook edge = MakeBook({UnitLevel(30, 100)}, {UnitLevel(9900, 100)});
  const auto e = Market(&edge);
  EXPECT_EQ(e[6], 0.01);
  EXPECT_EQ(e[7], 0.99);
  // Spreads above 99 cents clamp to 0.99: YES bid 0.0001 and NO bid 0.0001 -> ask 0.9999.
  const book::OrderBook wide = MakeBook({UnitLevel(1, 100)}, {UnitLevel(1, 100)});
  const auto w = Market(&wide);
  EXPECT_EQ(w[4], 0.99);  // (9999 - 1) / 10,000 = 0.9998 -> 0.99
  EXPECT_EQ(w[5], 0.99);
}

TEST(MarketFeaturesTest, SubCentPricesGiveFractionalCents) {
  // YES bid 0.4555 (10 contracts), NO bid 0.5350 (10): bya = 0.4650, bna = 0.5445.
  const book::OrderBook book = MakeBook({UnitLevel(4555, 1000)}, {UnitLevel(5350, 1000)});
  const auto f = Market(&book);
  EXPECT_EQ(f[0], 0.4555);         // 45.55 cents / 100
  EXPECT_EQ(f[1], 0.465);          // 46.50 / 100
  EXPECT_EQ(f[3], 0.5445);         // 54.45 / 100
  EXPECT_EQ(f[4], 95 / 10'000.0);  // (46.50 - 45.55) / 100 = 0.0095
  EXPECT_NEAR(f[4], 0.0095, 1e-15);
  EXPECT_EQ(f[6], 9205 / 20'000.0);  // (45.55 + 46.50) / 200 = 0.46025
  EXPECT_NEAR(f[6], 0.46025, 1e-15);
}

TEST(MarketFeaturesTest, FractionalContracts) {
  // Sizes 1.50 and 0.50 contracts: YB = 1.5, NB = 0.5; VY = VN = 2; V = 4.
  const book::OrderBook book = MakeBook({UnitLevel(4500, 150)}, {UnitLevel(5400, 50)});
  const auto f = Market(&book);
  EXPECT_NEAR(f[8], std::log(3.0) / std::log(10001.0), kTol);  // ln(1 + 2)
  EXPECT_NEAR(f[10], std::log(5.0) / std::log(10001.0), kTol);
  EXPECT_EQ(f[12], 0.5);  // (1.5 - 0.5) / 2
}

}  // namespace
}  // namespace kalshiflow::features
