// Baselines and Evaluate: hand-computed metrics, the synthetic market's known profitable rule,
// and the vectorised evaluation path.
#include "env/evaluate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "env/baselines.h"
#include "env/synthetic.h"
#include "env/tests/env_test_util.h"

namespace kalshiflow::env {
namespace {

using testing::HandMarket;
using testing::MakeData;

TEST(Baselines, MeanReversionRuleOnTheExactMid) {
  Policy mr = MeanReversionPolicy();
  auto book_with = [](int64_t yes_bid_units, int64_t no_bid_units) {
    book::OrderBook b("KXT");
    std::vector<core::PriceLevel> yes = {
        {core::Price::FromUnits(yes_bid_units), core::Count::FromContracts(1)}};
    std::vector<core::PriceLevel> no = {
        {core::Price::FromUnits(no_bid_units), core::Count::FromContracts(1)}};
    KF_CHECK(!b.ApplySnapshot(yes, no).has_value(), "book");
    return b;
  };
  // YES 0.39 / 0.40 (NO bid 0.60): mid 0.395 < 0.40 -> BUY_YES.
  EXPECT_EQ(mr({}, book_with(3900, 6000)), 1);
  // YES 0.39 / 0.41: mid exactly 0.40 -> HOLD (strictly below only).
  EXPECT_EQ(mr({}, book_with(3900, 5900)), 0);
  // YES 0.60 / 0.61: mid 0.605 > 0.60 -> SELL_YES.
  EXPECT_EQ(mr({}, book_with(6000, 3900)), 2);
  // YES 0.59 / 0.61: mid 0.60 -> HOLD.
  EXPECT_EQ(mr({}, book_with(5900, 3900)), 0);
  // No NO bids: no YES ask, no mid -> HOLD.
  book::OrderBook one_sided("KXT");
  std::vector<core::PriceLevel> yes = {{core::Price::FromCents(10), core::Count::FromContracts(1)}};
  ASSERT_FALSE(one_sided.ApplySnapshot(yes, {}).has_value());
  EXPECT_EQ(mr({}, one_sided), 0);
  EXPECT_EQ(HoldPolicy()({}, one_sided), 0);
}

TEST(Baselines, UniformRandomIsSeededAndCoversEveryAction) {
  book::OrderBook b;
  Policy p = UniformRandomPolicy(9), q = UniformRandomPolicy(9);
  std::array<int, 5> counts{};
  for (int i = 0; i < 5000; ++i) {
    const int32_t a = p({}, b);
    ASSERT_EQ(a, q({}, b));
    ASSERT_TRUE(a >= 0 && a < 5);
    ++counts[static_cast<std::size_t>(a)];
  }
  for (int c : counts) EXPECT_GT(c, 800);  // ~1000 each
}

// The hand-computed episode of replay_env_test (BUY_YES, HOLD, SELL_YES) through Evaluate.
TEST(Evaluate, HandComputedMetrics) {
  auto env = ReplayEnv::Create(MakeData({{1, HandMarket()}}), EnvConfig{}).value();
  int step = 0;
  Policy scripted = [&](std::span<const float>, const book::OrderBook&) -> int32_t {
    static constexpr int32_t kScript[] = {1, 0, 2};
    return kScript[step++];
  };
  auto report = Evaluate(*env, scripted, {.policy_name = "scripted"});
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->policy, "scripted");
  EXPECT_EQ(report->episodes, 1);
  EXPECT_EQ(report->steps, 3);
  EXPECT_EQ(report->total_pnl.units(), -260'000);  // -0.26
  EXPECT_EQ(report->total_fees.units(), 360'000);  // 0.18 + 0.18
  EXPECT_EQ(report->trades, 2);
  EXPECT_EQ(report->win_rate, 0.0);
  // Marked values 100 -> 99.72 -> 99.92 -> 99.74: peak 100, deepest 99.72.
  EXPECT_DOUBLE_EQ(report->max_drawdown, 0.28);
  EXPECT_DOUBLE_EQ(report->mean_max_drawdown, 0.28);
  // Per-step returns on the $100 starting capital: -0.0028, 0.0020, -0.0018.
  //   mean = -0.0026 / 3; Sharpe = mean / population std.
  const double r[3] = {-0.28 / 100.0, 0.20 / 100.0, -0.18 / 100.0};
  const double mean = (r[0] + r[1] + r[2]) / 3.0;
  double var = 0.0;
  for (double x : r) var += (x - mean) * (x - mean);
  var /= 3.0;
  EXPECT_NEAR(report->sharpe, mean / std::sqrt(var), 1e-9);
  EXPECT_EQ(report->action_counts, (std::array<int64_t, 5>{1, 1, 1, 0, 0}));
  EXPECT_DOUBLE_EQ(report->action_fraction(1), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(report->mean_pnl(), -0.26);
  const nlohmann::json j = ToJson(*report);
  EXPECT_EQ(j["total_pnl"], "-0.260000");
  EXPECT_EQ(j["action_counts"]["BUY_YES"], 1);
}

TEST(Evaluate, RefusesBadArguments) {
  auto env = ReplayEnv::Create(MakeData({{1, HandMarket()}}), EnvConfig{}).value();
  EXPECT_EQ(Evaluate(*env, HoldPolicy(), {.episodes = -1}).error().code(),
            core::StatusCode::kInvalidArgument);
  Policy bad = [](std::span<const float>, const book::OrderBook&) { return 7; };
  auto r = Evaluate(*env, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("action 7"), std::string::npos);
}

std::shared_ptr<const SessionData> SyntheticData() {
  SyntheticMarketOptions options;  // OU around 0.50, spread 1-2 cents, 2000 points
  options.markets = 2;
  options.seed = 17;
  return std::make_shared<const SessionData>(SyntheticSessionData(options, 3).value());
}

// The synthetic market's reason to exist: the mean-reversion rule is profitable net of fees
// and spread, HOLD earns exactly nothing, uniform random loses.
TEST(Evaluate, MeanReversionBeatsHoldAndRandomOnTheSyntheticMarket) {
  auto data = SyntheticData();
  auto env = ReplayEnv::Create(data, EnvConfig{}).value();
  ASSERT_EQ(env->episodes().size(), 6u);
  auto mr = Evaluate(*env, MeanReversionPolicy(), {.policy_name = "mean_reversion"}).value();
  auto hold = Evaluate(*env, HoldPolicy(), {.policy_name = "hold"}).value();
  auto random = Evaluate(*env, UniformRandomPolicy(3), {.policy_name = "random"}).value();
  EXPECT_EQ(mr.episodes, 6);
  EXPECT_EQ(hold.total_pnl, core::Money());
  EXPECT_EQ(hold.trades, 0);
  EXPECT_EQ(hold.total_fees, core::Money());
  EXPECT_EQ(hold.action_counts[0], hold.steps);
  EXPECT_GT(mr.trades, 0);
  EXPECT_GT(mr.total_fees, core::Money());
  EXPECT_GT(mr.total_pnl, core::Money()) << nlohmann::json(ToJson(mr)).dump();
  EXPECT_GT(mr.win_rate, 0.5);
  EXPECT_LT(random.total_pnl, core::Money()) << ToJson(random).dump();
  EXPECT_GT(mr.total_pnl, random.total_pnl);
  EXPECT_GT(mr.sharpe, 0.0);
  EXPECT_LT(random.sharpe, 0.0);
}

// Not one lucky draw: every one of several seeded 1,000-point synthetic markets rewards the rule.
TEST(Evaluate, MeanReversionIsProfitableOnEverySyntheticSeed) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SyntheticMarketOptions options;
    options.points = 1000;
    options.seed = seed;
    auto data = std::make_shared<const SessionData>(SyntheticSessionData(options).value());
    auto env = ReplayEnv::Create(data, EnvConfig{}).value();
    const auto mr = Evaluate(*env, MeanReversionPolicy()).value();
    const auto random = Evaluate(*env, UniformRandomPolicy(seed)).value();
    EXPECT_GT(mr.total_pnl, core::Money()) << "seed " << seed << " " << ToJson(mr).dump();
    EXPECT_LT(random.total_pnl, core::Money()) << "seed " << seed;
  }
}

TEST(Evaluate, VectorPathMatchesTheSingleEnvForADeterministicPolicy) {
  auto data = SyntheticData();
  EnvConfig config;
  config.episode_order = EpisodeOrder::kRoundRobin;
  auto single = ReplayEnv::Create(data, config).value();
  auto vec1 = VectorReplayEnv::Create(data, config, 1).value();
  const auto a = Evaluate(*single, MeanReversionPolicy()).value();
  const auto b = Evaluate(*vec1, MeanReversionPolicy(), {.episodes = 6}).value();
  EXPECT_EQ(a.episode_pnl, b.episode_pnl);
  EXPECT_EQ(a.total_fees, b.total_fees);
  EXPECT_EQ(a.trades, b.trades);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.action_counts, b.action_counts);
  EXPECT_DOUBLE_EQ(a.max_drawdown, b.max_drawdown);
  EXPECT_DOUBLE_EQ(a.sharpe, b.sharpe);

  // Four envs (round robin: env i plays i, i + 4, ...): the first six episodes to finish.
  auto vec4 = VectorReplayEnv::Create(data, config, 4).value();
  const auto c = Evaluate(*vec4, MeanReversionPolicy(), {.episodes = 6, .seed = 1}).value();
  EXPECT_EQ(c.episodes, 6);
  EXPECT_GT(c.total_pnl, core::Money());
  const auto h = Evaluate(*vec4, HoldPolicy(), {.episodes = 6, .seed = 1}).value();
  EXPECT_EQ(h.total_pnl, core::Money());
  EXPECT_EQ(Evaluate(*vec4, HoldPolicy(), {.episodes = 0}).error().code(),
            core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kalshiflow::env
