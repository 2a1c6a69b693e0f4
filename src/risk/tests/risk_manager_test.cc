// RiskManager: every pre-trade control, every breaker firing and recovering, the kill switch
// and the counters, with an injected SimulatedClock (no timed assertions).
#include "risk/risk_manager.h"

#include <gtest/gtest.h>

#include <thread>

namespace kalshiflow::risk {
namespace {

using core::Count;
using core::Money;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

Money Dollars(int64_t d) { return Money::FromUnits(d * Money::kUnitsPerDollar); }

class RiskManagerTest : public ::testing::Test {
 protected:
  // Default config: throttle 250 ms, max position 100, reserve $10, lock 10, 3 errors -> 60 s,
  // budgets 100 ms / 20 ms, streak 5, latency cool-down 30 s, overflow 10 s, cash 60 s.
  RiskManagerTest() : clock_(core::Timestamp::FromSeconds(1'700'000'000)), risk_(config_, clock_) {}

  // Buy 10 YES at $0.50 in an empty market with $100 cash: cost 10 x $0.50 = $5.
  static OrderIntent Intent(std::string market = "KXA") {
    return OrderIntent{std::move(market), Count::FromContracts(10), Dollars(5),
                       Count::FromContracts(0), Dollars(100)};
  }

  RiskConfig config_;
  core::SimulatedClock clock_;
  RiskManager risk_;
};

TEST_F(RiskManagerTest, AllowsAnOrderWithinAllLimits) {
  RiskDecision d = risk_.Check(Intent());
  EXPECT_TRUE(d.allowed()) << d.detail;
  EXPECT_TRUE(d.detail.empty());
  EXPECT_EQ(risk_.allowed_count(), 1);
  for (int r = 0; r < kNumRejectReasons; ++r) {
    EXPECT_EQ(risk_.reject_count(static_cast<RejectReason>(r)), 0);
  }
}

TEST_F(RiskManagerTest, KillSwitchBlocksEverythingUntilReleased) {
  // Set from another thread: the kill switch is the one cross-thread control.
  std::thread([this] { risk_.SetKillSwitch(true, "operator /rl/actor/kill"); }).join();
  EXPECT_TRUE(risk_.kill_switch_engaged());
  EXPECT_EQ(risk_.kill_switch_reason(), "operator /rl/actor/kill");
  RiskDecision d = risk_.Check(Intent());
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kKillSwitch);
  EXPECT_NE(d.detail.find("operator /rl/actor/kill"), std::string::npos) << d.detail;
  // Even an otherwise-invalid order reports the kill switch first.
  OrderIntent zero = Intent();
  zero.position_change = Count::FromContracts(0);
  EXPECT_EQ(*risk_.Check(zero).reject, RejectReason::kKillSwitch);
  EXPECT_EQ(risk_.reject_count(RejectReason::kKillSwitch), 2);

  risk_.SetKillSwitch(false, "released");
  EXPECT_FALSE(risk_.kill_switch_engaged());
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
}

TEST_F(RiskManagerTest, ThrottlesPerMarketFor250ms) {
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
  EXPECT_TRUE(risk_.Check(Intent()).allowed());  // Check alone does not start the window
  risk_.RecordOrderSent("KXA");
  clock_.AdvanceNanos(249 * kMs);
  RiskDecision d = risk_.Check(Intent());
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kThrottled);
  EXPECT_TRUE(risk_.Check(Intent("KXB")).allowed());  // other markets are independent
  clock_.AdvanceNanos(1 * kMs);                       // 249 + 1 = 250 ms: window over
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
  EXPECT_EQ(risk_.reject_count(RejectReason::kThrottled), 1);
}

TEST_F(RiskManagerTest, ZeroThrottleDisablesIt) {
  RiskConfig c;
  c.throttle_ns = 0;
  RiskManager risk(c, clock_);
  risk.RecordOrderSent("KXA");
  EXPECT_TRUE(risk.Check(Intent()).allowed());
}

TEST_F(RiskManagerTest, PositionLimitOnBothSides) {
  OrderIntent in = Intent();
  in.current_position = Count::FromContracts(90);  // 90 + 10 = 100 <= 100
  EXPECT_TRUE(risk_.Check(in).allowed());
  in.current_position = Count::FromContracts(95);  // 95 + 10 = 105 > 100
  RiskDecision d = risk_.Check(in);
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kPositionLimit);
  EXPECT_NE(d.detail.find("105.00"), std::string::npos) << d.detail;

  in.current_position = Count::FromContracts(-95);  // NO side: -95 - 10 = -105
  in.position_change = Count::FromContracts(-10);
  EXPECT_EQ(*risk_.Check(in).reject, RejectReason::kPositionLimit);

  // Already over the limit (e.g. limit lowered): a reducing order is allowed, 120 - 10 = 110.
  in.current_position = Count::FromContracts(120);
  in.position_change = Count::FromContracts(-10);
  in.cost = Money::FromUnits(0);
  EXPECT_TRUE(risk_.Check(in).allowed());
  EXPECT_EQ(risk_.reject_count(RejectReason::kPositionLimit), 2);
}

TEST_F(RiskManagerTest, CashReserveKeepsTenDollars) {
  OrderIntent in = Intent();
  in.available_cash = Dollars(15);  // 15 - 5 = 10 >= 10
  EXPECT_TRUE(risk_.Check(in).allowed());
  in.available_cash = Money::FromUnits(14'999'999);  // 14.999999 - 5 = 9.999999 < 10
  RiskDecision d = risk_.Check(in);
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kCashReserve);
  EXPECT_NE(d.detail.find("9.999999"), std::string::npos) << d.detail;
  // An order that spends nothing (a closing sell) is not subject to the reserve.
  in.cost = Money::FromUnits(0);
  in.current_position = Count::FromContracts(10);
  in.position_change = Count::FromContracts(-10);
  EXPECT_TRUE(risk_.Check(in).allowed());
  EXPECT_FALSE(risk_.breaker_status(Breaker::kCashExhausted).open);  // cash stayed >= reserve
}

// After a position-health exit the market refuses orders that open or grow a position (a
// buy back, or a flip past zero) for the cool-down, while orders that reduce it still pass.
TEST_F(RiskManagerTest, BlockedEntriesRefuseOpeningOrdersOnlyUntilTheCooldownEnds) {
  risk_.BlockEntries("KXA-26JAN01-T1", 60'000'000'000, "stop_loss exit");
  OrderIntent in = Intent();
  in.market_ticker = "KXA-26JAN01-T1";
  RiskDecision d = risk_.Check(in);  // flat -> +10: opens
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kEntryBlocked);
  EXPECT_NE(d.detail.find("stop_loss exit"), std::string::npos) << d.detail;
  in.current_position = Count::FromContracts(10);
  in.position_change = Count::FromContracts(-10);  // reduces to flat
  in.cost = Money::FromUnits(0);
  EXPECT_TRUE(risk_.Check(in).allowed());
  in.current_position = Count::FromContracts(5);  // 5 -> -5: flips, opens 5 NO
  EXPECT_EQ(*risk_.Check(in).reject, RejectReason::kEntryBlocked);
  in.market_ticker = "KXB-26JAN01-T1";  // other markets are not affected
  in.current_position = Count();
  EXPECT_TRUE(risk_.Check(in).allowed());
  clock_.AdvanceNanos(60'000'000'000);
  in.market_ticker = "KXA-26JAN01-T1";
  EXPECT_TRUE(risk_.Check(in).allowed());
  EXPECT_EQ(risk_.reject_count(RejectReason::kEntryBlocked), 2);
}

TEST_F(RiskManagerTest, ContractSizeIsLockedAtTen) {
  OrderIntent in = Intent();
  in.position_change = Count::FromContracts(5);
  RiskDecision d = risk_.Check(in);
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kContractSize);
  in.position_change = Count::FromUnits(1001);  // 10.01 contracts
  EXPECT_EQ(*risk_.Check(in).reject, RejectReason::kContractSize);
  in.position_change = Count::FromContracts(-10);  // buy 10 NO
  EXPECT_TRUE(risk_.Check(in).allowed());
  // The one exception: a smaller order that closes the position exactly (a 4-contract
  // remainder); reducing it only partly, or overshooting past zero, stays refused.
  in.current_position = Count::FromContracts(4);
  in.position_change = Count::FromContracts(-4);
  EXPECT_TRUE(risk_.Check(in).allowed());
  in.position_change = Count::FromContracts(-3);
  EXPECT_EQ(*risk_.Check(in).reject, RejectReason::kContractSize);
  in.position_change = Count::FromContracts(-5);
  EXPECT_EQ(*risk_.Check(in).reject, RejectReason::kContractSize);
  in.current_position = Count();

  RiskConfig c;
  c.contract_size = Count::FromContracts(0);  // lock off
  RiskManager unlocked(c, clock_);
  in.position_change = Count::FromContracts(7);
  EXPECT_TRUE(unlocked.Check(in).allowed());
}

TEST_F(RiskManagerTest, ZeroChangeIsInvalid) {
  OrderIntent in = Intent();
  in.position_change = Count::FromContracts(0);
  EXPECT_EQ(*risk_.Check(in).reject, RejectReason::kInvalidOrder);
  EXPECT_EQ(risk_.reject_count(RejectReason::kInvalidOrder), 1);
}

TEST_F(RiskManagerTest, ConsecutiveErrorsDisableAMarketThenItRecovers) {
  risk_.RecordError("KXA");
  risk_.RecordError("KXA");
  risk_.RecordSuccess("KXA");  // resets the run: 2 errors then a success
  risk_.RecordError("KXA");
  risk_.RecordError("KXA");
  EXPECT_EQ(risk_.market_status("KXA").consecutive_errors, 2);
  EXPECT_FALSE(risk_.market_status("KXA").disabled);
  EXPECT_TRUE(risk_.Check(Intent()).allowed());

  risk_.RecordError("KXA");  // third in a row
  MarketStatus s = risk_.market_status("KXA");
  EXPECT_TRUE(s.disabled);
  EXPECT_EQ(s.disables, 1);
  EXPECT_EQ(s.disabled_until.nanos(), clock_.Now().nanos() + 60 * kSec);
  RiskDecision d = risk_.Check(Intent());
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kMarketDisabled);
  EXPECT_TRUE(risk_.Check(Intent("KXB")).allowed());  // only that market

  clock_.AdvanceNanos(60 * kSec - 1);
  EXPECT_EQ(*risk_.Check(Intent()).reject, RejectReason::kMarketDisabled);
  clock_.AdvanceNanos(1);  // cool-down over
  EXPECT_FALSE(risk_.market_status("KXA").disabled);
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
  EXPECT_EQ(risk_.reject_count(RejectReason::kMarketDisabled), 2);
  EXPECT_EQ(risk_.market_status("KXA").consecutive_errors, 0);
}

TEST_F(RiskManagerTest, SlowPipelineOpensAfterFiveInARowThenRecovers) {
  const int64_t slow = 100 * kMs + 1;  // budget is 100 ms; equal is not slow
  for (int i = 0; i < 4; ++i) risk_.RecordPipelineLatency(slow);
  risk_.RecordPipelineLatency(100 * kMs);  // within budget: streak reset
  for (int i = 0; i < 4; ++i) risk_.RecordPipelineLatency(slow);
  EXPECT_FALSE(risk_.breaker_status(Breaker::kSlowPipeline).open);
  EXPECT_TRUE(risk_.Check(Intent()).allowed());

  risk_.RecordPipelineLatency(slow);  // fifth in a row
  BreakerStatus b = risk_.breaker_status(Breaker::kSlowPipeline);
  EXPECT_TRUE(b.open);
  EXPECT_EQ(b.trips, 1);
  RiskDecision d = risk_.Check(Intent());
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kBreakerOpen);
  EXPECT_EQ(d.breaker, Breaker::kSlowPipeline);
  EXPECT_NE(d.detail.find("slow_pipeline"), std::string::npos) << d.detail;
  EXPECT_FALSE(risk_.breaker_status(Breaker::kSlowPrediction).open);

  clock_.AdvanceNanos(30 * kSec - 1);
  EXPECT_TRUE(risk_.breaker_status(Breaker::kSlowPipeline).open);
  clock_.AdvanceNanos(1);
  EXPECT_FALSE(risk_.breaker_status(Breaker::kSlowPipeline).open);
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
}

TEST_F(RiskManagerTest, SlowPredictionOpensAfterFiveInARowThenRecovers) {
  for (int i = 0; i < 4; ++i) risk_.RecordPredictionLatency(21 * kMs);  // budget 20 ms
  risk_.RecordPipelineLatency(500 * kMs);  // a pipeline sample does not feed this streak
  EXPECT_FALSE(risk_.breaker_status(Breaker::kSlowPrediction).open);
  risk_.RecordPredictionLatency(21 * kMs);
  EXPECT_TRUE(risk_.breaker_status(Breaker::kSlowPrediction).open);
  EXPECT_FALSE(risk_.breaker_status(Breaker::kSlowPipeline).open);
  RiskDecision d = risk_.Check(Intent());
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(d.breaker, Breaker::kSlowPrediction);

  clock_.AdvanceNanos(30 * kSec);
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
  // The streak restarted when the breaker opened: four more slow samples do not re-open it.
  for (int i = 0; i < 4; ++i) risk_.RecordPredictionLatency(21 * kMs);
  EXPECT_FALSE(risk_.breaker_status(Breaker::kSlowPrediction).open);
  risk_.RecordPredictionLatency(21 * kMs);
  EXPECT_EQ(risk_.breaker_status(Breaker::kSlowPrediction).trips, 2);
}

TEST_F(RiskManagerTest, QueueOverflowOpensAndRecovers) {
  risk_.RecordQueueOverflow();
  EXPECT_EQ(risk_.Check(Intent()).breaker, Breaker::kQueueOverflow);
  clock_.AdvanceNanos(5 * kSec);
  risk_.RecordQueueOverflow();  // extends to 5 + 10 = 15 s after the first; same opening
  BreakerStatus b = risk_.breaker_status(Breaker::kQueueOverflow);
  EXPECT_EQ(b.trips, 1);
  clock_.AdvanceNanos(9 * kSec);  // 14 s after the first overflow: still open
  EXPECT_EQ(*risk_.Check(Intent()).reject, RejectReason::kBreakerOpen);
  clock_.AdvanceNanos(1 * kSec);  // 15 s
  EXPECT_TRUE(risk_.Check(Intent()).allowed());
  EXPECT_EQ(risk_.reject_count(RejectReason::kBreakerOpen), 2);
}

TEST_F(RiskManagerTest, CashExhaustedBlocksSpendingThenRecovers) {
  OrderIntent in = Intent();
  in.available_cash = Dollars(9);  // below the $10 reserve
  RiskDecision d = risk_.Check(in);
  ASSERT_FALSE(d.allowed());
  EXPECT_EQ(*d.reject, RejectReason::kBreakerOpen);
  EXPECT_EQ(d.breaker, Breaker::kCashExhausted);
  EXPECT_EQ(risk_.breaker_status(Breaker::kCashExhausted).trips, 1);

  // Closing orders (no cash spent) still go through, so cash recovery can sell.
  OrderIntent close = in;
  close.current_position = Count::FromContracts(10);
  close.position_change = Count::FromContracts(-10);
  close.cost = Money::FromUnits(0);
  EXPECT_TRUE(risk_.Check(close).allowed());

  // Cash is back, but the breaker holds for its cool-down.
  clock_.AdvanceNanos(60 * kSec - 1);
  EXPECT_EQ(risk_.Check(Intent()).breaker, Breaker::kCashExhausted);
  clock_.AdvanceNanos(1);
  EXPECT_TRUE(risk_.Check(Intent()).allowed());

  // RecordAvailableCash trips it too.
  risk_.RecordAvailableCash(Money::FromUnits(9'999'999));
  EXPECT_TRUE(risk_.breaker_status(Breaker::kCashExhausted).open);
  EXPECT_EQ(risk_.breaker_status(Breaker::kCashExhausted).trips, 2);
  risk_.RecordAvailableCash(Dollars(10));  // at the reserve: no new trip
  EXPECT_EQ(risk_.breaker_status(Breaker::kCashExhausted).trips, 2);
}

TEST_F(RiskManagerTest, CountsEveryReason) {
  risk_.SetKillSwitch(true, "x");
  risk_.Check(Intent());
  risk_.SetKillSwitch(false, "");
  OrderIntent bad_size = Intent("KXB");
  bad_size.position_change = Count::FromContracts(3);
  risk_.Check(bad_size);
  risk_.Check(bad_size);
  risk_.Check(Intent("KXC"));
  EXPECT_EQ(risk_.reject_count(RejectReason::kKillSwitch), 1);
  EXPECT_EQ(risk_.reject_count(RejectReason::kContractSize), 2);
  EXPECT_EQ(risk_.reject_count(RejectReason::kThrottled), 0);
  EXPECT_EQ(risk_.allowed_count(), 1);
  EXPECT_EQ(RejectReasonName(RejectReason::kPositionLimit), "position_limit");
  EXPECT_EQ(BreakerName(Breaker::kCashExhausted), "cash_exhausted");
}

TEST(RiskManagerDeathTest, InvalidConfigIsAnInvariantViolation) {
  core::SimulatedClock clock;
  RiskConfig c;
  c.slow_streak = 0;
  EXPECT_DEATH(RiskManager(c, clock), "slow_streak");
}

}  // namespace
}  // namespace kalshiflow::risk
