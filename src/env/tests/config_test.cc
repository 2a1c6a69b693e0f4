// EnvConfig: defaults, validation, JSON round trip and typed refusals.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "env/env_config.h"

namespace kalshiflow::env {
namespace {

TEST(EnvConfig, DefaultsAreTheDocumentedOnes) {
  EnvConfig c;
  EXPECT_EQ(c.observation_spec, "kalshiflow-v1");
  EXPECT_EQ(c.price_strategy, sim::PriceStrategy::kAggressive);
  EXPECT_EQ(c.price_grid, "linear_cent");
  EXPECT_EQ(c.latency_ns, 0);
  EXPECT_EQ(c.queue_model.ToString(), "power:3");
  EXPECT_EQ(c.fees.type, kalshi::FeeType::kQuadratic);
  EXPECT_EQ(c.fees.multiplier, kalshi::kMultiplierScale);
  // $100 = 100,000,000 micro-dollars (the original's cash_start = 10000 cents).
  EXPECT_EQ(c.initial_cash.units(), 100'000'000);
  EXPECT_EQ(c.max_episode_steps, 0);
  EXPECT_EQ(c.episode_order, EpisodeOrder::kRandom);
  EXPECT_EQ(c.collateral, sim::CollateralMode::kEnforce);
  EXPECT_TRUE(Validate(c).ok());
}

TEST(EnvConfig, JsonRoundTripOfEveryField) {
  EnvConfig c;
  c.utc_offset_minutes = -300;
  c.price_strategy = sim::PriceStrategy::kMid;
  c.price_grid = "tapered_deci_cent";
  c.latency_ns = 25'000'000;
  c.queue_model = sim::QueueModel::Parse("power:2.5").value();
  c.fees = kalshi::FeeSchedule::Parse("quadratic_with_maker_fees", "0.5").value();
  c.balance_precision = kalshi::BalancePrecision::kCentiCent;
  c.mark_fallback = sim::MarkFallback::kZero;
  c.collateral = sim::CollateralMode::kOff;
  c.initial_cash = core::Money::Parse("2500.25").value();
  c.max_episode_steps = 4096;
  c.episode_order = EpisodeOrder::kRoundRobin;
  c.settle_known_results = true;
  const nlohmann::json j = ToJson(c);
  EXPECT_EQ(j["queue_model"], "power:2.5");
  EXPECT_EQ(j["fee_multiplier"], "0.5000");
  EXPECT_EQ(j["initial_cash"], "2500.250000");
  EXPECT_EQ(j["num_actions"], 5);
  EXPECT_EQ(j["action_contracts"], 10);
  auto back = EnvConfigFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, c);
  // And the defaults too.
  auto defaults = EnvConfigFromJson(ToJson(EnvConfig{}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(*defaults, EnvConfig{});
}

TEST(EnvConfig, MissingKeysKeepDefaults) {
  auto c = EnvConfigFromJson(nlohmann::json{{"max_episode_steps", 7}});
  ASSERT_TRUE(c.ok());
  EnvConfig expected;
  expected.max_episode_steps = 7;
  EXPECT_EQ(*c, expected);
}

void ExpectRefused(const nlohmann::json& j, const std::string& fragment) {
  auto c = EnvConfigFromJson(j);
  ASSERT_FALSE(c.ok()) << j.dump();
  EXPECT_EQ(c.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(c.error().message().find(fragment), std::string::npos) << c.error().message();
}

TEST(EnvConfig, RefusesBadValuesNamingTheKey) {
  ExpectRefused({{"observation_spec", "ours-v2"}}, "observation_spec 'ours-v2'");
  ExpectRefused({{"observation_spec", "ours-v2"}}, "kalshiflow-v1");
  ExpectRefused({{"bogus", 1}}, "unknown key 'bogus'");
  ExpectRefused({{"queue_model", "power:0"}}, "queue_model");
  ExpectRefused({{"price_strategy", "yolo"}}, "price_strategy 'yolo'");
  ExpectRefused({{"price_grid", "half_cent"}}, "price_grid");
  ExpectRefused({{"latency_ns", -1}}, "latency_ns");
  ExpectRefused({{"latency_ns", "5"}}, "latency_ns must be an integer");
  ExpectRefused({{"initial_cash", "0"}}, "initial_cash");
  ExpectRefused({{"initial_cash", "1.0000001"}}, "initial_cash");
  ExpectRefused({{"fee_type", "flat"}}, "fees");
  ExpectRefused({{"num_actions", 21}}, "num_actions 21");
  ExpectRefused({{"action_contracts", 20}}, "action_contracts 20");
  ExpectRefused({{"episode_order", "sorted"}}, "episode_order");
  ExpectRefused({{"max_episode_steps", -3}}, "max_episode_steps");
  ExpectRefused({{"settle_known_results", 1}}, "settle_known_results");
  ExpectRefused(nlohmann::json::array(), "object");
}

TEST(EnvConfig, ToSimConfigCarriesTheSimulatorFields) {
  EnvConfig c;
  c.latency_ns = 5;
  c.queue_model = sim::QueueModel::RiskAverse();
  c.mark_fallback = sim::MarkFallback::kZero;
  const sim::SimConfig s = c.ToSimConfig();
  EXPECT_EQ(s.latency_ns, 5);
  EXPECT_EQ(s.queue_model, sim::QueueModel::RiskAverse());
  EXPECT_EQ(s.mark_fallback, sim::MarkFallback::kZero);
  EXPECT_EQ(s.initial_cash, c.initial_cash);
  EXPECT_EQ(s.fees, c.fees);
  EXPECT_EQ(s.collateral, sim::CollateralMode::kEnforce);
}

}  // namespace
}  // namespace kalshiflow::env
