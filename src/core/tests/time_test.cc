#include "core/time.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kalshiflow::core {
namespace {

TEST(TimestampTest, ParsesRfc3339WithZone) {
  // From the AsyncAPI orderbook_delta example: ts "2022-11-22T20:44:01Z", ts_ms 1669149841000.
  auto t = Timestamp::ParseIso8601("2022-11-22T20:44:01Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->millis(), 1669149841000);
  EXPECT_EQ(Timestamp::ParseIso8601("2022-11-22T15:44:01-05:00")->millis(), 1669149841000);
}

TEST(TimestampTest, ParsesNaiveLocalTimeWithFractionAndOffset) {
  // A row of the Kalshi-Trader CSV logs: microseconds, no zone.
  auto utc = Timestamp::ParseIso8601("2025-12-04T12:27:16.079996");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(utc->nanos() % 1'000'000'000, 79'996'000);
  auto eastern = Timestamp::ParseIso8601("2025-12-04T12:27:16.079996", -300);
  EXPECT_EQ(eastern->nanos() - utc->nanos(), 5LL * 3600 * 1'000'000'000);
}

TEST(TimestampTest, RejectsMalformed) {
  for (const char* bad :
       {"", "2025-12-04", "2025-13-01T00:00:00", "2025-02-30T00:00:00", "2025-12-04T25:00:00",
        "2025-12-04T12:27:16.", "2025-12-04T12:27:16Zx", "2025/12/04T12:27:16",
        "2387-01-01T00:00:00Z", "1600-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    EXPECT_FALSE(Timestamp::ParseIso8601(bad).ok()) << bad;
  }
}

RC_GTEST_PROP(TimestampProperty, FormatParseRoundTrip, ()) {
  // Any instant between 1900 and 2200.
  const auto ns =
      *rc::gen::inRange<int64_t>(-2'208'988'800LL * 1'000'000'000, 7'258'118'400LL * 1'000'000'000);
  auto t = Timestamp::FromNanos(ns);
  auto back = Timestamp::ParseIso8601(t.ToIso8601());
  RC_ASSERT(back.ok());
  RC_ASSERT(back->nanos() == ns);
}

TEST(TimestampTest, FormatsTheExtremesWithoutOverflow) {
  EXPECT_EQ(Timestamp::FromNanos(INT64_MIN).ToIso8601(), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(Timestamp::FromNanos(INT64_MAX).ToIso8601(), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(Timestamp::FromNanos(-1).ToIso8601(), "1969-12-31T23:59:59.999999999Z");
}

TEST(ClockTest, SimulatedClockMovesOnlyWhenTold) {
  SimulatedClock clock(Timestamp::FromMillis(1000));
  EXPECT_EQ(clock.Now().millis(), 1000);
  clock.AdvanceNanos(5'000'000);
  EXPECT_EQ(clock.Now().millis(), 1005);
  clock.Set(Timestamp::FromSeconds(7));
  EXPECT_EQ(clock.Now().seconds(), 7);
  // The real clock is after 2026-01-01.
  EXPECT_GT(RealClock::Instance().Now(), *Timestamp::ParseIso8601("2026-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace kalshiflow::core
