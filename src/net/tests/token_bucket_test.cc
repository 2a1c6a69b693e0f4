#include "net/token_bucket.h"

#include <gtest/gtest.h>

#include <chrono>

#include "core/time.h"

namespace kalshiflow::net {
namespace {

using std::chrono::nanoseconds;

TEST(TokenBucketTest, RejectsNonPositiveOptions) {
  core::SimulatedClock clock;
  EXPECT_EQ(TokenBucket::Create({0, 10}, &clock).error().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenBucket::Create({10, 0}, &clock).error().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenBucket::Create({-5, 10}, &clock).error().code(),
            core::StatusCode::kInvalidArgument);
}

TEST(TokenBucketTest, StartsFullAndServesTheBurstWithoutWaiting) {
  core::SimulatedClock clock(core::Timestamp::FromSeconds(1'000));
  auto bucket = TokenBucket::Create({200, 400}, &clock).value();
  EXPECT_DOUBLE_EQ(bucket.Available(), 400.0);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(bucket.Reserve(10), nanoseconds(0)) << i;
  EXPECT_DOUBLE_EQ(bucket.Available(), 0.0);
}

TEST(TokenBucketTest, DeficitWaitIsCostOverRateAndQueuesInOrder) {
  core::SimulatedClock clock(core::Timestamp::FromSeconds(5));
  const int64_t rate = 200;
  auto bucket = TokenBucket::Create({rate, 400}, &clock).value();
  for (int i = 0; i < 40; ++i) (void)bucket.Reserve(10);
  // Each further reservation waits one more cost/rate: 10 tokens at 200/s = 50 ms.
  const nanoseconds per_request(10 * 1'000'000'000LL / rate);
  for (int k = 1; k <= 5; ++k) EXPECT_EQ(bucket.Reserve(10), per_request * k) << k;
  EXPECT_DOUBLE_EQ(bucket.Available(), -50.0);
  // After the queued time has passed the bucket is back at zero, not above.
  clock.AdvanceNanos((per_request * 5).count());
  EXPECT_NEAR(bucket.Available(), 0.0, 1e-6);
  EXPECT_EQ(bucket.Reserve(0), nanoseconds(0));
}

TEST(TokenBucketTest, RefillIsContinuousAndCappedAtCapacity) {
  core::SimulatedClock clock;
  auto bucket = TokenBucket::Create({100, 100}, &clock).value();
  EXPECT_EQ(bucket.Reserve(100), nanoseconds(0));
  clock.AdvanceNanos(250'000'000);  // 0.25 s → 25 tokens
  EXPECT_NEAR(bucket.Available(), 25.0, 1e-9);
  clock.AdvanceNanos(10'000'000'000);  // far more than needed
  EXPECT_DOUBLE_EQ(bucket.Available(), 100.0);
  // A partial deficit waits only for the missing tokens: 5 missing at 100/s = 50 ms.
  EXPECT_EQ(bucket.Reserve(95), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(10), nanoseconds(50'000'000));
}

TEST(TokenBucketTest, ClockGoingBackwardsRefillsNothing) {
  core::SimulatedClock clock(core::Timestamp::FromSeconds(10));
  auto bucket = TokenBucket::Create({10, 10}, &clock).value();
  EXPECT_EQ(bucket.Reserve(10), nanoseconds(0));
  clock.Set(core::Timestamp::FromSeconds(9));
  EXPECT_DOUBLE_EQ(bucket.Available(), 0.0);
  clock.Set(core::Timestamp::FromSeconds(10));  // back to where it was: still nothing new
  EXPECT_DOUBLE_EQ(bucket.Available(), 0.0);
  clock.Set(core::Timestamp::FromSeconds(11));
  EXPECT_DOUBLE_EQ(bucket.Available(), 10.0);
}

// The exchange's side: a request passes only when its tokens are there now; a refused one
// takes nothing, and refill lets the next one through.
TEST(TokenBucketTest, TryTakeRefusesWithoutGoingIntoDeficit) {
  core::SimulatedClock clock(core::Timestamp::FromSeconds(10));
  auto bucket = TokenBucket::Create({100, 100}, &clock).value();  // Basic write
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(bucket.TryTake(10)) << i;
  EXPECT_FALSE(bucket.TryTake(10));
  EXPECT_FALSE(bucket.TryTake(2));
  EXPECT_DOUBLE_EQ(bucket.Available(), 0.0);
  clock.AdvanceNanos(20'000'000);  // 20 ms: 2 tokens
  EXPECT_TRUE(bucket.TryTake(2));  // a V2 cancel
  EXPECT_FALSE(bucket.TryTake(10));
  clock.AdvanceNanos(100'000'000);  // 100 ms: 10 tokens
  EXPECT_TRUE(bucket.TryTake(10));
  EXPECT_FALSE(bucket.TryTake(101));  // above the capacity: never
}

TEST(TokenBucketTest, MovedBucketKeepsItsState) {
  core::SimulatedClock clock;
  auto bucket = TokenBucket::Create({10, 20}, &clock).value();
  (void)bucket.Reserve(15);
  TokenBucket moved = std::move(bucket);
  EXPECT_DOUBLE_EQ(moved.Available(), 5.0);
}

TEST(RateBudgetTest, CapacitiesFollowTheTierRules) {
  // PROTOCOL.md §4.9: write buckets above Basic and Basic/Advanced read buckets hold 2 s;
  // Basic write and read above Advanced hold 1 s.
  struct Expect {
    const char* tier;
    int64_t read;
    int64_t write;
  };
  const Expect table[] = {{"basic", 200, 100},      {"advanced", 300, 300},  {"expert", 600, 600},
                          {"premier", 1000, 1000},  {"paragon", 2000, 2000}, {"prime", 4000, 4000},
                          {"prestige", 10000, 8000}};
  for (const Expect& e : table) {
    SCOPED_TRACE(e.tier);
    const RateBudget budget = RateBudgetForTier(e.tier).value();
    EXPECT_EQ(budget.read.refill_per_second, e.read);
    EXPECT_EQ(budget.write.refill_per_second, e.write);
    const std::string tier = e.tier;
    const bool read_two_seconds = tier == "basic" || tier == "advanced";
    const bool write_two_seconds = tier != "basic";
    EXPECT_EQ(budget.read.capacity, e.read * (read_two_seconds ? 2 : 1));
    EXPECT_EQ(budget.write.capacity, e.write * (write_two_seconds ? 2 : 1));
  }
  // GET /account/limits example for premier: read capacity 1000, write capacity 2000.
  EXPECT_EQ(RateBudgetForTier("Premier").value().write.capacity, 2000);
  // The default options are the Basic read bucket.
  const TokenBucketOptions defaults;
  EXPECT_EQ(defaults.refill_per_second, RateBudgetForTier("basic").value().read.refill_per_second);
  EXPECT_EQ(defaults.capacity, RateBudgetForTier("basic").value().read.capacity);
}

TEST(RateBudgetTest, UnknownTierNamesIt) {
  const auto result = RateBudgetForTier("platinum");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("platinum"), std::string::npos);
}

}  // namespace
}  // namespace kalshiflow::net
