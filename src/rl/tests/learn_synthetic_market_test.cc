// Learning something real: PPO trained for a few seconds on synthetic mean-reverting markets
// (env/synthetic.h: the mean-reversion rule is profitable net of spread and fees, HOLD earns 0,
// random loses) must beat HOLD and random OUT OF SAMPLE: evaluated deterministically (argmax of
// the Eigen policy built from the trained parameters) on sessions generated with other seeds.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "env/baselines.h"
#include "env/evaluate.h"
#include "env/replay_env.h"
#include "env/synthetic.h"
#include "env/vector_replay_env.h"
#include "rl/policy_export.h"
#include "rl/trainer.h"

namespace kalshiflow::rl {
namespace {

// $1,000 a episode: the simulator enforces collateral, and with the default $100 a handful of
// early buys exhaust the account before the learner has seen a reversion.
env::EnvConfig Config() {
  env::EnvConfig config;
  config.initial_cash = core::Money::FromCents(100'000);
  return config;
}

std::shared_ptr<const env::SessionData> Synthetic(uint64_t seed, int sessions, int points) {
  env::SyntheticMarketOptions options;
  options.seed = seed;
  options.points = points;
  options.volatility = 0.03;  // a stronger pull to the mean than the defaults: a clear edge
  options.reversion = 0.10;
  auto data = env::SyntheticSessionData(options, sessions);
  KF_CHECK(data.ok(), "synthetic data: {}", data.error().ToString());
  return std::make_shared<const env::SessionData>(std::move(data).value());
}

env::EvaluationReport EvaluateOn(std::shared_ptr<const env::SessionData> data,
                                 const env::Policy& policy, const std::string& name) {
  auto replay = env::ReplayEnv::Create(std::move(data), Config());
  KF_CHECK(replay.ok(), "env: {}", replay.error().ToString());
  env::EvaluateOptions options;
  options.policy_name = name;
  options.seed = 5;
  auto report = env::Evaluate(**replay, policy, options);
  KF_CHECK(report.ok(), "evaluate: {}", report.error().ToString());
  return *report;
}

TEST(LearnSyntheticMarketTest, PpoBeatsHoldAndRandomOutOfSample) {
  env::EnvConfig config = Config();
  config.max_episode_steps = 400;  // short episodes: more resets, faster credit assignment
  auto train_env = env::VectorReplayEnv::Create(Synthetic(1, 4, 1500), config, 8);
  ASSERT_TRUE(train_env.ok()) << train_env.error().ToString();

  TrainerConfig trainer;  // SB3 PPO defaults except the lines below
  trainer.n_steps = 128;
  trainer.batch_size = 256;
  trainer.seed = 1;         // seeds 1, 2, 3 earned +$126, +$20, +$84 out of sample (rule: +$661)
  trainer.ent_coef = 0.01;  // keep exploring: HOLD is the first local optimum
  trainer.gamma = 0.95;     // the mean reverts within ~10 points
  trainer.learning_rate = 1e-3;
  auto summary = Train(**train_env, trainer, 100'000);
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();

  auto net = ToMlpPolicy(summary->parameters, trainer.policy.activation);
  ASSERT_TRUE(net.ok()) << net.error().ToString();
  auto shared_net = std::make_shared<policy::MlpPolicy>(std::move(net).value());
  auto buffers = std::make_shared<policy::ForwardBuffers>(shared_net->MakeBuffers());
  env::Policy learned = [shared_net, buffers](std::span<const float> obs,
                                              const book::OrderBook&) -> int32_t {
    shared_net->Forward(obs, *buffers, policy::Heads::kPolicyOnly);
    return buffers->action();
  };

  // Out of sample: sessions from seeds the trainer never saw.
  auto test_data = Synthetic(101, 3, 1500);
  const auto model = EvaluateOn(test_data, learned, "ppo");
  const auto hold = EvaluateOn(test_data, env::HoldPolicy(), "hold");
  const auto random = EvaluateOn(test_data, env::UniformRandomPolicy(9), "random");
  const auto rule = EvaluateOn(test_data, env::MeanReversionPolicy(), "mean_reversion");
  ::testing::Test::RecordProperty("ppo_pnl", model.total_pnl.ToString());
  ::testing::Test::RecordProperty("random_pnl", random.total_pnl.ToString());
  ::testing::Test::RecordProperty("rule_pnl", rule.total_pnl.ToString());
  std::printf("ppo %s (trades %lld) random %s rule %s\n", model.total_pnl.ToString().c_str(),
              static_cast<long long>(model.trades), random.total_pnl.ToString().c_str(),
              rule.total_pnl.ToString().c_str());
  EXPECT_EQ(hold.total_pnl.units(), 0);
  EXPECT_LT(random.total_pnl.units(), 0);  // spread + fees
  EXPECT_GT(model.trades, 0);              // it trades, and
  EXPECT_GT(model.total_pnl.units(), hold.total_pnl.units())
      << "ppo " << model.total_pnl.ToString();
  EXPECT_GT(model.total_pnl.units(), random.total_pnl.units());
}

}  // namespace
}  // namespace kalshiflow::rl
