// RiskConfig defaults and validation (DESIGN.md §7 "Risk controls").
#include "risk/risk_config.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace kalshiflow::risk {
namespace {

using core::Count;
using core::Money;

TEST(RiskConfigTest, DefaultsMatchTheDesign) {
  RiskConfig c;
  EXPECT_EQ(c.throttle_ns, 250 * 1'000'000);          // 250 ms
  EXPECT_EQ(c.max_position.units(), 100 * 100);       // 100 contracts x 100 units
  EXPECT_EQ(c.contract_size.units(), 10 * 100);       // 10 contracts
  EXPECT_EQ(c.cash_reserve.units(), 10 * 1'000'000);  // $10
  EXPECT_FALSE(Validate(c).has_value());
}

TEST(RiskConfigTest, EachBadFieldIsNamed) {
  struct Case {
    std::function<void(RiskConfig&)> mutate;
    RiskConfigField field;
  };
  const std::vector<Case> cases = {
      {[](RiskConfig& c) { c.throttle_ns = -1; }, RiskConfigField::kThrottle},
      {[](RiskConfig& c) { c.max_position = Count::FromContracts(0); },
       RiskConfigField::kMaxPosition},
      {[](RiskConfig& c) { c.cash_reserve = Money::FromUnits(-1); }, RiskConfigField::kCashReserve},
      {[](RiskConfig& c) { c.contract_size = Count::FromContracts(-1); },
       RiskConfigField::kContractSize},
      {[](RiskConfig& c) { c.contract_size = Count::FromContracts(101); },  // > max_position 100
       RiskConfigField::kContractSize},
      {[](RiskConfig& c) { c.max_consecutive_errors = 0; }, RiskConfigField::kMaxConsecutiveErrors},
      {[](RiskConfig& c) { c.market_cooldown_ns = 0; }, RiskConfigField::kMarketCooldown},
      {[](RiskConfig& c) { c.pipeline_budget_ns = -5; }, RiskConfigField::kPipelineBudget},
      {[](RiskConfig& c) { c.prediction_budget_ns = 0; }, RiskConfigField::kPredictionBudget},
      {[](RiskConfig& c) { c.slow_streak = 0; }, RiskConfigField::kSlowStreak},
      {[](RiskConfig& c) { c.latency_cooldown_ns = 0; }, RiskConfigField::kLatencyCooldown},
      {[](RiskConfig& c) { c.queue_overflow_cooldown_ns = 0; },
       RiskConfigField::kQueueOverflowCooldown},
      {[](RiskConfig& c) { c.cash_exhausted_cooldown_ns = 0; },
       RiskConfigField::kCashExhaustedCooldown},
  };
  for (const Case& tc : cases) {
    RiskConfig c;
    tc.mutate(c);
    auto error = Validate(c);
    ASSERT_TRUE(error.has_value()) << RiskConfigFieldName(tc.field);
    EXPECT_EQ(error->field, tc.field);
    const std::string text = error->ToString();
    EXPECT_EQ(text.rfind(std::string(RiskConfigFieldName(tc.field)) + ": ", 0), 0u) << text;
    EXPECT_EQ(error->ToStatus().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST(RiskConfigTest, ZeroDisablesThrottleAndLockAndReserve) {
  RiskConfig c;
  c.throttle_ns = 0;
  c.contract_size = Count::FromContracts(0);
  c.cash_reserve = Money::FromUnits(0);
  EXPECT_FALSE(Validate(c).has_value());
}

TEST(RiskConfigTest, DetailNamesTheValue) {
  RiskConfig c;
  c.max_position = Count::FromUnits(-150);  // -1.50 contracts
  auto error = Validate(c);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->ToString(), "max_position: must be > 0, got -1.50");
}

}  // namespace
}  // namespace kalshiflow::risk
