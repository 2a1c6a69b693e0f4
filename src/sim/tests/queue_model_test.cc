// Queue models: the setting's string form and the expected-value split, hand-computed.
#include "sim/queue_model.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kalshiflow::sim {
namespace {

TEST(QueueModel, DefaultIsPowerThree) {
  const QueueModel model;
  EXPECT_EQ(model.kind(), QueueModelKind::kPower);
  EXPECT_EQ(model.power(), 3.0);
  EXPECT_EQ(model.ToString(), "power:3");
}

TEST(QueueModel, ParsesAndPrintsItsSetting) {
  auto risk = QueueModel::Parse("risk_averse");
  ASSERT_TRUE(risk.ok());
  EXPECT_EQ(risk->kind(), QueueModelKind::kRiskAverse);
  EXPECT_EQ(risk->ToString(), "risk_averse");

  auto bare = QueueModel::Parse("power");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, QueueModel::Power(3.0));

  auto half = QueueModel::Parse("power:2.5");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->power(), 2.5);
  EXPECT_EQ(half->ToString(), "power:2.5");
  EXPECT_EQ(*QueueModel::Parse(half->ToString()), *half);

  for (const char* bad : {"", "power:", "power:0", "power:-1", "power:abc", "power:1e2",
                          "power:101", "power:3 ", "Power:3", "linear", "risk-averse"}) {
    EXPECT_FALSE(QueueModel::Parse(bad).ok()) << bad;
  }
}

TEST(QueueModel, PowerSplitIsRigtorpsEstimator) {
  // n = 3, ahead 20, behind 10 contracts (x100 units): 20^3 / (20^3 + 10^3) = 8000 / 9000
  // = 8/9 of a 9-contract decrease = 8 contracts.
  EXPECT_EQ(QueueModel::Power(3).AheadShare(2000, 1000, 900), 800);
  // n = 1 (proportional): 30 / (30 + 10) = 3/4 of 8 contracts = 6.
  EXPECT_EQ(QueueModel::Power(1).AheadShare(3000, 1000, 800), 600);
  // n = 2, equal queues: 1/2 of 5 contracts = 2.5.
  EXPECT_EQ(QueueModel::Power(2).AheadShare(1000, 1000, 500), 250);
}

TEST(QueueModel, EdgesOfThePowerSplit) {
  const QueueModel model;
  EXPECT_EQ(model.AheadShare(0, 1000, 500), 0);    // nothing ahead
  EXPECT_EQ(model.AheadShare(1000, 0, 500), 500);  // nothing behind: all from ahead
  EXPECT_EQ(model.AheadShare(1000, 1000, 0), 0);   // no decrease
  // ahead 1, behind 10 contracts, decrease 10.5: the estimator gives 1050 / 1001 ~ 1 unit,
  // but 0.5 contracts more than the whole queue behind must have come from ahead: 50.
  EXPECT_EQ(model.AheadShare(100, 1000, 1050), 50);
}

TEST(QueueModel, RiskAverseNeverTakesFromAheadUnlessItMust) {
  const QueueModel model = QueueModel::RiskAverse();
  EXPECT_EQ(model.AheadShare(2000, 1000, 900), 0);
  // 15 removed with only 10 behind: 5 came from ahead.
  EXPECT_EQ(model.AheadShare(2000, 1000, 1500), 500);
}

// A uniform draw over the whole range from the first run (gen::inRange scales with the size).
template <typename T>
T Uniform(T min, T max) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(min, max));
}

RC_GTEST_PROP(QueueModelProperty, ShareIsBoundedAndMonotoneInPower, ()) {
  const int64_t ahead = Uniform<int64_t>(0, 1'000'000);
  const int64_t behind = Uniform<int64_t>(0, 1'000'000);
  const int64_t decrease = Uniform<int64_t>(0, ahead + behind + 1);
  const int64_t low = QueueModel::Power(1).AheadShare(ahead, behind, decrease);
  const int64_t high = QueueModel::Power(4).AheadShare(ahead, behind, decrease);
  const int64_t none = QueueModel::RiskAverse().AheadShare(ahead, behind, decrease);
  for (int64_t share : {low, high, none}) {
    RC_ASSERT(share >= 0);
    RC_ASSERT(share <= decrease);
    RC_ASSERT(share <= ahead);              // decrease <= ahead + behind here
    RC_ASSERT(decrease - share <= behind);  // the rest fits behind
  }
  RC_ASSERT(none <= low);
  // A larger power favours the bigger queue: more from ahead when ahead > behind.
  if (ahead > behind) RC_ASSERT(high >= low);
  if (ahead < behind) RC_ASSERT(high <= low);
}

}  // namespace
}  // namespace kalshiflow::sim
