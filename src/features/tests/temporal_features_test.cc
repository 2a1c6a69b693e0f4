// Temporal features 21-34 (spec "Temporal features 21-34") over hand-built histories.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <initializer_list>
#include <optional>

#include "core/time.h"
#include "features/kalshiflow_v1.h"
#include "features/market_history.h"

namespace kalshiflow::features {
namespace {

// Feature index -> position in the temporal block.
constexpr std::size_t T(std::size_t feature) { return feature - kV1TemporalBegin; }

// 2025-12-13 (a Saturday) at 16:30 UTC, in ms.
const int64_t kSaturday1630 =
    core::DaysFromCivil(2025, 12, 13) * 86'400'000 + (16 * 60 + 30) * 60'000;

ObservationPoint P(int64_t ts_ms, double activity, std::optional<double> mid = std::nullopt,
                   double gap = 0.0, double momentum = 0.0) {
  ObservationPoint p;
  p.ts_ms = ts_ms;
  p.temporal.activity_score = activity;
  p.temporal.time_gap_s = gap;
  p.temporal.momentum = momentum;
  p.yes_mid_cents = mid;
  return p;
}

MarketHistory History(std::initializer_list<ObservationPoint> points) {
  MarketHistory h;
  for (const ObservationPoint& p : points) h.Push(p);
  return h;
}

std::array<double, kV1TemporalCount> Temporal(const ObservationPoint& cur,
                                              const MarketHistory& hist,
                                              KalshiflowV1Options options = {}) {
  std::array<double, kV1TemporalCount> f;
  f.fill(-99.0);
  TemporalFeaturesV1(cur, hist, options, f);
  return f;
}

TEST(TemporalFeaturesTest, NoHistory) {
  // cur: gap 150 s, activity 0.3, momentum -0.25, Saturday 16:30 UTC.
  const auto f = Temporal(P(kSaturday1630, 0.3, 50.0, 150.0, -0.25), MarketHistory{});
  EXPECT_EQ(f[T(21)], 0.5);        // min(150 / 300, 1)
  EXPECT_EQ(f[T(22)], 1.0);        // hour 16: (16 - 9) / 7
  EXPECT_EQ(f[T(23)], 5.0 / 6.0);  // Saturday = 5 (Monday = 0): 5 / 6 = 0.8333
  EXPECT_EQ(f[T(24)], 0.3);        // act(cur)
  EXPECT_EQ(f[T(25)], 0.0);        // no history
  EXPECT_EQ(f[T(26)], 0.1);        // len(r) < 2
  EXPECT_EQ(f[T(27)], 0.0);        // len(w) = 1 < 3
  EXPECT_EQ(f[T(28)], 0.0);
  EXPECT_EQ(f[T(29)], 0.0);    // len(w) < 5
  EXPECT_EQ(f[T(30)], -0.25);  // cur.momentum
  EXPECT_EQ(f[T(31)], 0.1);    // len(hist) < 5
  EXPECT_EQ(f[T(32)], 0.5);    // len(hist) < 5
  EXPECT_EQ(f[T(33)], 0.5);    // len(hist) < 3
  EXPECT_EQ(f[T(34)], 0.0);    // len(hist) < 3
}

TEST(TemporalFeaturesTest, TimeGapClamps) {
  EXPECT_EQ(Temporal(P(0, 0, {}, 600.0), {})[T(21)], 1.0);  // 600 / 300 -> 1
  EXPECT_EQ(Temporal(P(0, 0, {}, -5.0), {})[T(21)], 0.0);   // negative gap -> 0
  EXPECT_EQ(Temporal(P(0, 0, {}, 30.0), {})[T(21)], 0.1);   // 30 / 300
}

TEST(TemporalFeaturesTest, TimeOfDayAndWeekday) {
  const int64_t day = core::DaysFromCivil(2025, 12, 15) * 86'400'000;  // a Monday
  const auto at = [&](int64_t hour, int minute = 0, KalshiflowV1Options o = {}) {
    return Temporal(P(day + hour * 3'600'000 + minute * 60'000, 0), {}, o);
  };
  EXPECT_EQ(at(8, 59)[T(22)], 0.0);         // before 9: 0
  EXPECT_EQ(at(9)[T(22)], 0.0);             // (9 - 9) / 7
  EXPECT_EQ(at(12, 45)[T(22)], 3.0 / 7.0);  // minutes ignored: (12 - 9) / 7
  EXPECT_EQ(at(16, 59)[T(22)], 1.0);
  EXPECT_EQ(at(17)[T(22)], 0.0);  // after 16: 0
  EXPECT_EQ(at(12)[T(23)], 0.0);  // Monday
  EXPECT_EQ(at(23, 59)[T(23)], 0.0);
  EXPECT_EQ(at(24)[T(23)], 1.0 / 6.0);  // Tuesday 00:00
  // Feature time zone UTC-5: 16:30 UTC is 11:30 local -> (11 - 9) / 7.
  EXPECT_EQ(at(16, 30, {.utc_offset_minutes = -300})[T(22)], 2.0 / 7.0);
  // 03:00 UTC Monday is 22:00 Sunday at UTC-5: weekday 6 -> 1, hour 22 -> 0.
  const auto sunday = at(3, 0, {.utc_offset_minutes = -300});
  EXPECT_EQ(sunday[T(23)], 1.0);
  EXPECT_EQ(sunday[T(22)], 0.0);
  // Before the epoch: 1969-12-31 (a Wednesday = 2) 23:00 UTC.
  const auto before = Temporal(P(-3'600'000, 0), {});
  EXPECT_EQ(before[T(23)], 2.0 / 6.0);
  EXPECT_EQ(before[T(22)], 0.0);
}

TEST(TemporalFeaturesTest, BurstTrendFrequencyVolatilityStability) {
  // hist: 5 points 1 s apart, activity 0.1 each, YES mids 50, 51, 53, 53, 56 cents;
  // cur at 6 s with activity 0.4 and mid 55.
  const MarketHistory hist = History({P(0, 0.1, 50.0), P(1'000, 0.1, 51.0), P(2'000, 0.1, 53.0),
                                      P(3'000, 0.1, 53.0), P(4'000, 0.1, 56.0)});
  const auto f = Temporal(P(6'000, 0.4, 55.0), hist);
  // 25: tanh(0.4 - 0.1) = tanh(0.3) = 0.2913126.
  EXPECT_NEAR(f[T(25)], 0.2913126124515909, 1e-15);
  // 26: r = hist[-5:] (5 points); span = (6000 - 0) / 1000 = 6 s; 5 / 6 / 2 = 0.4166667.
  EXPECT_NEAR(f[T(26)], 5.0 / 6.0 / 2.0, 1e-15);
  // w = [.1 .1 .1 .1 .1 .4]: mean 0.9 / 6 = 0.15; deviations -.05 (x5), .25; squares sum to
  // 5 * .0025 + .0625 = .075; var = .075 / 6 = .0125; std = 0.1118034.
  // 27: 0.4 > 0.15 + 1.5 * 0.1118034 = 0.3177051 -> 1. 28: 0.4 < 0.15 - 0.1118 -> no -> 0.
  EXPECT_EQ(f[T(27)], 1.0);
  EXPECT_EQ(f[T(28)], 0.0);
  // 29: x = 0..5, mean 2.5; Sxy = sum dx * dy = (-2.5 - 1.5 - .5 + .5 + 1.5) * -.05 + 2.5 * .25
  // = .125 + .625 = .75; Sxx = 6.25 + 2.25 + .25 + .25 + 2.25 + 6.25 = 17.5; slope = .0428571;
  // tanh(10 * .0428571) = tanh(.428571) = 0.4041267.
  EXPECT_NEAR(f[T(29)], 0.4041267397578591, 1e-14);
  // 31: pairs of hist[-5:] + [cur]: |51-50| = 1, |53-51| = 2, |53-53| = 0, |56-53| = 3,
  // |55-56| = 1; mean 1.4; squared deviations .16 .36 1.96 2.56 .16 = 5.2; var 1.04;
  // std 1.0198039; / 5 = 0.2039608.
  EXPECT_NEAR(f[T(31)], 0.20396078054371142, 1e-15);
  // 32: std of activity over hist[-5:] + [cur] = the same six values: 1 - 0.1118034 / 0.3
  // = 0.6273220.
  EXPECT_NEAR(f[T(32)], 0.6273220037500351, 1e-15);
  // 33: the last 3 transitions inside hist: |53-51| = 2, |53-53| = 0, |56-53| = 3; mean 5/3;
  // 1 - (5/3) / 5 = 0.6666667.
  EXPECT_NEAR(f[T(33)], 2.0 / 3.0, 1e-15);
  // 34: |0.1 - 0.4| = 0.3 > 0.1 at hist[-1]: c stays 1 -> 0.1.
  EXPECT_EQ(f[T(34)], 0.1);
}

TEST(TemporalFeaturesTest, QuietPeriodAndFallingTrend) {
  // hist activity .30 .32 .31 .30 (4 points), cur .05: w = [.30 .32 .31 .30 .05];
  // mean 1.28 / 5 = .256; deviations .044 .064 .054 .044 -.206; squares sum .05332;
  // var .010664; std .1032666. 28: .05 < .256 - .1032666 = .1527334 -> 1; 27: 0.
  const MarketHistory hist = History({P(0, 0.30), P(1, 0.32), P(2, 0.31), P(3, 0.30)});
  const auto f = Temporal(P(4, 0.05), hist);
  EXPECT_EQ(f[T(27)], 0.0);
  EXPECT_EQ(f[T(28)], 1.0);
  // 29: x = 0..4, mean 2: Sxy = -2(.044) - 1(.064) + 0 + 1(.044) + 2(-.206) = -.52; Sxx = 10;
  // slope -.052; tanh(-.52) = -0.4777000.
  EXPECT_NEAR(f[T(29)], -0.47770001216849795, 1e-14);
  // len(hist) = 4 < 5: 31 = 0.1, 32 = 0.5. 33: mids absent everywhere -> 0.5.
  EXPECT_EQ(f[T(31)], 0.1);
  EXPECT_EQ(f[T(32)], 0.5);
  EXPECT_EQ(f[T(33)], 0.5);
  // 26: r = hist (4 points), span (4 - 0) ms = 0.004 s -> max(.004, 1) = 1; 4 / 1 / 2 = 2 -> 1.
  EXPECT_EQ(f[T(26)], 1.0);
}

TEST(TemporalFeaturesTest, ActivityPersistenceWalksBackAtMostNine) {
  // 10 history points at 0.2, cur 0.25: every |0.2 - 0.25| = 0.05 <= 0.1, but the walk stops
  // after 9 elements: c = 1 + 9 = 10 -> 1.0.
  MarketHistory ten;
  for (int i = 0; i < 10; ++i) ten.Push(P(i, 0.2));
  EXPECT_EQ(Temporal(P(10, 0.25), ten)[T(34)], 1.0);
  // [0.9, 0.2, 0.2], cur 0.25: two matches, then 0.9 breaks: c = 3 -> 0.3.
  EXPECT_EQ(Temporal(P(3, 0.25), History({P(0, 0.9), P(1, 0.2), P(2, 0.2)}))[T(34)], 0.3);
  // [0.2, 0.2, 0.2, 0.9] cur 0.25: the newest differs: c = 1 -> 0.1.
  EXPECT_EQ(Temporal(P(4, 0.25), History({P(0, 0.2), P(1, 0.2), P(2, 0.2), P(3, 0.9)}))[T(34)],
            0.1);
  // 0.1 apart counts (<=): |0.3 - 0.2| is 0.09999999999999998 in doubles; c = 1 + 3 -> 0.4.
  EXPECT_EQ(Temporal(P(3, 0.2), History({P(0, 0.3), P(1, 0.3), P(2, 0.3)}))[T(34)], 0.4);
}

TEST(TemporalFeaturesTest, AbsentMidsSkipTheirPairs) {
  // 31: hist mids [50, -, 52, 55, 55], cur absent. Pairs: (50,-) skip, (-,52) skip, (52,55) = 3,
  // (55,55) = 0, (55,-) skip. changes [3, 0]: std 1.5; / 5 = 0.3.
  const MarketHistory hist =
      History({P(0, 0, 50.0), P(1, 0, std::nullopt), P(2, 0, 52.0), P(3, 0, 55.0), P(4, 0, 55.0)});
  const auto f = Temporal(P(5, 0), hist);
  EXPECT_NEAR(f[T(31)], 0.3, 1e-15);
  // 33: transitions ending at hist[2..4]: (-,52) skip, (52,55) = 3, (55,55) = 0: mean 1.5;
  // 1 - 1.5 / 5 = 0.7.
  EXPECT_NEAR(f[T(33)], 0.7, 1e-15);
  // No mids anywhere: no changes -> 31 = 0.1, 33 = 0.5.
  const MarketHistory none = History({P(0, 0), P(1, 0), P(2, 0), P(3, 0), P(4, 0)});
  const auto g = Temporal(P(5, 0), none);
  EXPECT_EQ(g[T(31)], 0.1);
  EXPECT_EQ(g[T(33)], 0.5);
}

TEST(TemporalFeaturesTest, PriceStabilityWithThreePointsUsesTwoTransitions) {
  // hist mids [50, 53, 54]: transitions ending at indexes 1 and 2 (index 0 has no previous):
  // 3 and 1; mean 2; 1 - 2 / 5 = 0.6. The cur mid (90) is not included.
  const auto f = Temporal(P(3, 0, 90.0), History({P(0, 0, 50.0), P(1, 0, 53.0), P(2, 0, 54.0)}));
  EXPECT_NEAR(f[T(33)], 0.6, 1e-15);
  // Big moves floor at 0: mean change 10 cents -> 1 - 2 = -1 -> 0.
  const auto g = Temporal(P(3, 0), History({P(0, 0, 30.0), P(1, 0, 40.0), P(2, 0, 50.0)}));
  EXPECT_EQ(g[T(33)], 0.0);
}

TEST(TemporalFeaturesTest, HistoryKeepsTheLastTenPoints) {
  // Push 13 points with activity 0, 1, ..., 12 (scaled by 0.01); the history holds 3..12.
  MarketHistory h;
  for (int i = 0; i < 13; ++i) h.Push(P(i * 1000, i * 0.01));
  ASSERT_EQ(h.size(), 10u);
  EXPECT_EQ(h[0].ts_ms, 3'000);
  EXPECT_EQ(h.back().ts_ms, 12'000);
  // 26 reads hist[-5:] = points 8..12: span (13,000 - 8,000) / 1000 = 5 s; 5 / 5 / 2 = 0.5.
  EXPECT_EQ(Temporal(P(13'000, 0.13), h)[T(26)], 0.5);
  h.Clear();
  EXPECT_TRUE(h.empty());
}

TEST(TemporalFeaturesTest, VolatilitySaturatesAtOne) {
  // Mids 10 90 10 90 10, cur 10: changes 80 80 80 80 0, mean 64, var (4 * 256 + 4096) / 5
  // = 1024, std 32; 32 / 5 = 6.4 -> 1.
  const MarketHistory hist =
      History({P(0, 0, 10.0), P(1, 0, 90.0), P(2, 0, 10.0), P(3, 0, 90.0), P(4, 0, 10.0)});
  EXPECT_EQ(Temporal(P(5, 0, 10.0), hist)[T(31)], 1.0);
}

}  // namespace
}  // namespace kalshiflow::features
