#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "rl/rollout_buffer.h"
#include "rl/tests/test_envs.h"
#include "rl/trainer.h"

namespace kalshiflow::rl {
namespace {

using nlohmann::json;

json Golden() {
  std::ifstream in(testing::GoldenPath());
  EXPECT_TRUE(in.good()) << testing::GoldenPath();
  return json::parse(in);
}

void ExpectNear(std::span<const float> actual, const std::vector<double>& expected, double tol,
                const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], tol) << what << "[" << i << "]";
  }
}

TEST(GaeTest, HandComputedSingleEnvWithATerminalInTheMiddle) {
  // 1 env, 3 steps, gamma = 0.5, lambda = 0.5. The episode ends after t=1 (so
  // episode_starts[2] = 1); the last step is not done and bootstraps from last_value = 4.
  //   rewards = [1, 2, 3], values = [0.5, 1, 2], episode_starts = [1, 0, 1]
  // t=2: nnt = 1 - done = 1, next_v = 4: delta = 3 + 0.5*4 - 2 = 3;          A2 = 3
  // t=1: nnt = 1 - starts[2] = 0:        delta = 2 - 1 = 1;                   A1 = 1
  // t=0: nnt = 1 - starts[1] = 1, next_v = 1: delta = 1 + 0.5*1 - 0.5 = 1;
  //      A0 = 1 + 0.5*0.5*1*A1 = 1.25
  // returns = A + V = [1.75, 2, 5]
  const std::vector<float> rewards{1, 2, 3}, values{0.5f, 1, 2}, starts{1, 0, 1}, last{4};
  const std::vector<uint8_t> dones{0};
  std::vector<float> adv(3), ret(3);
  ComputeGae(3, 1, rewards, values, starts, last, dones, 0.5, 0.5, adv, ret);
  EXPECT_FLOAT_EQ(adv[0], 1.25f);
  EXPECT_FLOAT_EQ(adv[1], 1.0f);
  EXPECT_FLOAT_EQ(adv[2], 3.0f);
  EXPECT_FLOAT_EQ(ret[0], 1.75f);
  EXPECT_FLOAT_EQ(ret[1], 2.0f);
  EXPECT_FLOAT_EQ(ret[2], 5.0f);

  // Same trajectory, but the last step ends the episode: nothing is bootstrapped.
  // t=2: delta = 3 - 2 = 1 = A2; t=1, t=0 as before (A1 = 1, A0 = 1.25).
  const std::vector<uint8_t> done{1};
  ComputeGae(3, 1, rewards, values, starts, last, done, 0.5, 0.5, adv, ret);
  EXPECT_FLOAT_EQ(adv[2], 1.0f);
  EXPECT_FLOAT_EQ(adv[0], 1.25f);
}

TEST(GaeTest, GoldenTwoEnvTrajectoryMatchesIndependentPython) {
  const json g = Golden().at("gae");
  const int n_steps = g.at("n_steps"), n_envs = g.at("n_envs");
  const auto rewards = g.at("rewards").get<std::vector<float>>();
  const auto values = g.at("values").get<std::vector<float>>();
  const auto starts = g.at("episode_starts").get<std::vector<float>>();
  const auto last = g.at("last_values").get<std::vector<float>>();
  const auto dones = g.at("dones").get<std::vector<uint8_t>>();
  std::vector<float> adv(rewards.size()), ret(rewards.size());
  ComputeGae(n_steps, n_envs, rewards, values, starts, last, dones, g.at("gamma"),
             g.at("gae_lambda"), adv, ret);
  ExpectNear(adv, g.at("advantages").get<std::vector<double>>(), 1e-5, "advantages");
  ExpectNear(ret, g.at("returns").get<std::vector<double>>(), 1e-5, "returns");
}

TEST(RolloutBufferTest, StoresStepMajorAndFlattensEnvMajorAsSb3) {
  RolloutBuffer b(/*n_steps=*/3, /*n_envs=*/2, /*observation_size=*/1);
  for (int t = 0; t < 3; ++t) {
    const std::vector<float> obs{10.0f * t, 10.0f * t + 1};  // obs = 10 t + env
    const std::vector<int32_t> actions{t, t};
    const std::vector<float> zeros{0, 0};
    const std::vector<uint8_t> starts{t == 0, t == 0};
    b.Add(obs, actions, zeros, starts, zeros, zeros);
  }
  EXPECT_TRUE(b.full());
  // SB3 swap_and_flatten: k = env * n_steps + step -> storage (step * n_envs + env).
  const std::vector<float> expected_flat{0, 10, 20, 1, 11, 21};
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(b.observations()[static_cast<size_t>(b.FlatToStorage(k))], expected_flat[k]);
  }
  EXPECT_EQ(b.episode_starts()[0], 1.0f);
  EXPECT_EQ(b.episode_starts()[2], 0.0f);
}

testing::ScriptedEnv ScriptFromGolden(const json& r) {
  std::vector<std::vector<testing::ScriptedStep>> steps;
  for (const auto& row : r.at("steps")) {
    std::vector<testing::ScriptedStep> s;
    for (const auto& cell : row) {
      s.push_back({cell.at("next_obs").get<std::vector<float>>(), cell.at("reward").get<float>(),
                   cell.at("terminated").get<int>() != 0, cell.at("truncated").get<int>() != 0,
                   cell.at("terminal_obs").get<std::vector<float>>()});
    }
    steps.push_back(std::move(s));
  }
  return testing::ScriptedEnv(2, 3, r.at("reset_obs").get<std::vector<std::vector<float>>>(),
                              std::move(steps));
}

TrainerConfig TinyConfig(const json& r) {
  TrainerConfig c;
  c.n_steps = r.at("n_steps");
  c.batch_size = 4;
  c.gamma = r.at("gamma");
  c.gae_lambda = r.at("gae_lambda");
  c.policy.pi_layers = {3};
  c.policy.vf_layers = {3};
  return c;
}

TEST(RolloutTest, CollectionBootstrapsTruncationAndMatchesIndependentPython) {
  // Scripted 2-env trajectory (make_golden.py "rollout"): env 0 terminates at t=1 and at the
  // last step, env 1 is truncated at t=2. The golden values come from a plain-Python
  // forward pass of the same fixed parameters and SB3's collect_rollouts + GAE.
  const json r = Golden().at("rollout");
  testing::ScriptedEnv env = ScriptFromGolden(r);
  auto trainer = Trainer::Create(TinyConfig(r), 2, 3);
  ASSERT_TRUE(trainer.ok()) << trainer.error().ToString();
  ASSERT_TRUE((*trainer)->learner().ImportParameters(testing::GoldenParams()).ok());
  ASSERT_TRUE((*trainer)->Start(env).ok());
  RolloutBuffer buffer(r.at("n_steps"), 2, 2);
  const core::Status s = (*trainer)->CollectRollout(env, buffer);
  ASSERT_TRUE(s.ok()) << s.ToString();

  ExpectNear(buffer.values(), r.at("expected_values").get<std::vector<double>>(), 1e-6, "values");
  // rewards[t=2][env 1] = 0.5 + 0.99 * V(terminal_obs); the others are the raw rewards.
  ExpectNear(buffer.rewards(), r.at("expected_rewards").get<std::vector<double>>(), 1e-6,
             "rewards");
  ExpectNear(buffer.episode_starts(), r.at("expected_episode_starts").get<std::vector<double>>(), 0,
             "episode_starts");
  ExpectNear(buffer.advantages(), r.at("expected_advantages").get<std::vector<double>>(), 1e-5,
             "advantages");
  ExpectNear(buffer.returns(), r.at("expected_returns").get<std::vector<double>>(), 1e-5,
             "returns");
  // The stored log-probability is log softmax(logits)[sampled action].
  const auto lsm = r.at("expected_log_softmax").get<std::vector<std::vector<double>>>();
  for (size_t i = 0; i < lsm.size(); ++i) {
    const int32_t a = buffer.actions()[i];
    ASSERT_GE(a, 0);
    ASSERT_LT(a, 3);
    EXPECT_NEAR(buffer.log_probs()[i], lsm[i][static_cast<size_t>(a)], 1e-6) << i;
  }
  EXPECT_EQ((*trainer)->timesteps(), 8);  // 4 steps x 2 envs
  EXPECT_EQ((*trainer)->episodes().finished(), 3);
}

TEST(RolloutTest, TruncationWithoutTerminalObservationIsAContractError) {
  const json r = Golden().at("rollout");
  testing::ScriptedEnv env = ScriptFromGolden(r);
  env.DropTerminalObservations();
  auto trainer = Trainer::Create(TinyConfig(r), 2, 3);
  ASSERT_TRUE(trainer.ok());
  ASSERT_TRUE((*trainer)->Start(env).ok());
  RolloutBuffer buffer(r.at("n_steps"), 2, 2);
  const core::Status s = (*trainer)->CollectRollout(env, buffer);
  EXPECT_EQ(s.code(), core::StatusCode::kFailedPrecondition) << s.ToString();
}

TEST(SampleCategoricalTest, FollowsTheProbabilities) {
  // p = [0.1, 0.6, 0.3]: counts over 20,000 draws within 5 sigma of 20000 p.
  const std::vector<float> lp{std::log(0.1f), std::log(0.6f), std::log(0.3f)};
  core::Rng rng(3);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 20000; ++i) ++counts[static_cast<size_t>(SampleCategorical(lp, rng))];
  EXPECT_NEAR(counts[0], 2000, 5 * std::sqrt(20000 * 0.1 * 0.9));
  EXPECT_NEAR(counts[1], 12000, 5 * std::sqrt(20000 * 0.6 * 0.4));
  EXPECT_NEAR(counts[2], 6000, 5 * std::sqrt(20000 * 0.3 * 0.7));
  // An impossible action (log p = -inf) is never drawn.
  const std::vector<float> sure{-std::numeric_limits<float>::infinity(), 0.0f};
  for (int i = 0; i < 100; ++i) EXPECT_EQ(SampleCategorical(sure, rng), 1);
}

}  // namespace
}  // namespace kalshiflow::rl
