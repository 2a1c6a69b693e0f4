#include "features/data_point_clock.h"

#include <gtest/gtest.h>

namespace kalshiflow::features {
namespace {

TEST(DataPointClockTest, HoldsUntilTheFirstExchangeTimeThenShiftsLocalTimes) {
  DataPointClock clock;
  // A snapshot (no exchange time) at local 10,000 ms: cannot be timed yet.
  EXPECT_TRUE(clock.NeedsHold(std::nullopt));
  EXPECT_TRUE(clock.NeedsHold(0));  // 0 is "absent", as the loader reads it
  EXPECT_FALSE(clock.NeedsHold(2'000));
  // The first delta: exchange 2,000 at local 10,050 -> offset -8,050.
  clock.Calibrate(2'000, 10'050);
  ASSERT_TRUE(clock.calibrated());
  EXPECT_EQ(clock.offset_ms(), -8'050);
  clock.Calibrate(9'999, 1);  // later calibrations change nothing
  EXPECT_EQ(clock.offset_ms(), -8'050);
  // The held snapshot: 10,000 - 8,050 = 1,950; then the delta at its exchange time.
  EXPECT_EQ(clock.Assign(std::nullopt, 10'000), 1'950);
  EXPECT_EQ(clock.Assign(2'000, 10'050), 2'000);
  // Exchange time going back is clamped to keep the times non-decreasing.
  EXPECT_EQ(clock.Assign(1'990, 10'060), 2'000);
  // A later snapshot: local 10,100 - 8,050 = 2,050.
  EXPECT_EQ(clock.Assign(std::nullopt, 10'100), 2'050);
  EXPECT_EQ(clock.assigned(), 4);
}

TEST(DataPointClockTest, WithoutExchangeTimesLocalTimeIsUsed) {
  DataPointClock clock;
  EXPECT_EQ(clock.Assign(std::nullopt, 500), 500);
  EXPECT_EQ(clock.Assign(std::nullopt, 400), 500);  // non-decreasing
  EXPECT_EQ(clock.Assign(std::nullopt, 700), 700);
  EXPECT_FALSE(clock.calibrated());
}

}  // namespace
}  // namespace kalshiflow::features
