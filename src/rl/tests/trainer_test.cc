#include "rl/trainer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "rl/tests/test_envs.h"

namespace kalshiflow::rl {
namespace {

// Small PPO settings for fast tests on the contextual bandit (4 contexts, episodes of 10).
TrainerConfig SmallPpo(uint64_t seed) {
  TrainerConfig c;
  c.seed = seed;
  c.n_steps = 64;
  c.batch_size = 32;
  c.n_epochs = 4;
  c.learning_rate = 3e-3;
  c.policy.pi_layers = {16};
  c.policy.vf_layers = {16};
  return c;
}

TEST(TrainerTest, SameSeedSameEnvGivesIdenticalParameters) {
  for (Algorithm algorithm : {Algorithm::kPpo, Algorithm::kA2c}) {
    TrainerConfig c = SmallPpo(11);
    if (algorithm == Algorithm::kA2c) {
      c = TrainerConfig::A2cDefaults();
      c.seed = 11;
      c.policy = SmallPpo(11).policy;
    }
    testing::ContextualBandit env1(2, 4, 10), env2(2, 4, 10);
    auto a = Train(env1, c, 512);
    auto b = Train(env2, c, 512);
    ASSERT_TRUE(a.ok()) << a.error().ToString();
    ASSERT_TRUE(b.ok()) << b.error().ToString();
    EXPECT_EQ(a->parameters, b->parameters);  // bit for bit
    EXPECT_EQ(a->mean_episode_reward, b->mean_episode_reward);

    c.seed = 12;
    testing::ContextualBandit env3(2, 4, 10);
    auto d = Train(env3, c, 512);
    ASSERT_TRUE(d.ok());
    EXPECT_NE(a->parameters, d->parameters);
  }
}

TEST(TrainerTest, PpoLearnsAContextualBanditFarAboveUniformRandom) {
  // Uniform random earns 10 / 4 = 2.5 per 10-step episode; the best policy earns 10.
  testing::ContextualBandit env(4, 4, 10);
  std::vector<ProgressEvent> events;
  auto r = Train(env, SmallPpo(1), 6000, [&](const ProgressEvent& e) {
    events.push_back(e);
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_GT(r->mean_episode_reward, 8.0) << "after " << r->timesteps << " steps";
  ASSERT_FALSE(events.empty());
  EXPECT_LT(events.front().mean_episode_reward, 5.0);  // started near random
  // The policy got more certain: entropy loss (= -entropy) rose from about -ln 4 = -1.386.
  EXPECT_GT(events.back().update.entropy_loss, events.front().update.entropy_loss);
}

TEST(TrainerTest, A2cLearnsAContextualBanditAboveUniformRandom) {
  TrainerConfig c = TrainerConfig::A2cDefaults();
  c.seed = 2;
  c.learning_rate = 3e-3;
  c.policy.pi_layers = {16};
  c.policy.vf_layers = {16};
  testing::ContextualBandit env(4, 4, 10);
  auto r = Train(env, c, 8000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_GT(r->mean_episode_reward, 6.0);
}

TEST(TrainerTest, ProgressEventsCountRolloutsAndCarryTheUpdateFigures) {
  TrainerConfig c = SmallPpo(3);
  c.lr_schedule = LrSchedule::kLinear;
  testing::ContextualBandit env(2, 4, 10);
  core::SimulatedClock clock(core::Timestamp::FromSeconds(100));
  std::vector<ProgressEvent> events;
  auto r = Train(
      env, c, 300,
      [&](const ProgressEvent& e) {
        events.push_back(e);
        clock.AdvanceNanos(500'000'000);  // each update "takes" 0.5 s of the injected clock
        return true;
      },
      clock);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  // 300 steps with rollouts of 64 x 2 = 128 -> 3 rollouts (384 steps), as SB3.
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(r->timesteps, 384);
  for (size_t i = 0; i < events.size(); ++i) {
    const ProgressEvent& e = events[i];
    EXPECT_EQ(e.iteration, static_cast<int>(i) + 1);
    EXPECT_EQ(e.timesteps, 128 * static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.total_timesteps, 300);
    // Linear schedule: lr * (1 - timesteps / total) at the update after that rollout.
    EXPECT_NEAR(e.update.learning_rate, 3e-3 * (1.0 - 128.0 * (i + 1) / 300.0), 1e-12);
    // 4 epochs x (128 / 32) minibatches.
    EXPECT_EQ(e.update.gradient_steps, 16);
    EXPECT_EQ(e.update.epochs, 4);
    EXPECT_GT(e.update.grad_norm, 0);
    EXPECT_GE(e.update.grad_norm_max, e.update.grad_norm);
    EXPECT_GE(e.update.clip_fraction, 0);
    EXPECT_LE(e.update.clip_fraction, 1);
    EXPECT_GE(e.update.approx_kl, -1e-9);
    EXPECT_LT(e.update.entropy_loss, 0);
    EXPECT_GT(e.update.value_loss, 0);
    // Clock: the i-th event is read after i advances of 0.5 s.
    EXPECT_DOUBLE_EQ(e.elapsed_seconds, 0.5 * static_cast<double>(i));
    if (i > 0) {
      EXPECT_DOUBLE_EQ(e.steps_per_second, e.timesteps / e.elapsed_seconds);
    }
  }
  // By the 2nd event each of the 2 envs made 128 steps: floor(128 / 10) = 12 episodes each.
  EXPECT_EQ(events[1].episodes, 24);
  EXPECT_FALSE(std::isnan(events[1].mean_episode_reward));
  EXPECT_DOUBLE_EQ(events[1].mean_episode_length, 10.0);
}

TEST(TrainerTest, CallbackReturningFalseStops) {
  testing::ContextualBandit env(2, 4, 10);
  int calls = 0;
  auto r = Train(env, SmallPpo(4), 100000, [&](const ProgressEvent&) { return ++calls < 2; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(r->stopped_by_callback);
  EXPECT_EQ(r->timesteps, 256);
}

TEST(TrainerTest, TargetKlStopsTheEpochsEarly) {
  TrainerConfig c = SmallPpo(5);
  c.target_kl = 1e-9;  // any real step exceeds 1.5 * target_kl
  testing::ContextualBandit env(2, 4, 10);
  auto r = Train(env, c, 256);
  ASSERT_TRUE(r.ok());
  const UpdateStats& u = r->last_update;
  EXPECT_TRUE(u.early_stopped);
  // The first minibatch has ratio 1 (approx_kl 0) and steps; a later one exceeds the limit.
  EXPECT_GE(u.gradient_steps, 1);
  EXPECT_LT(u.gradient_steps, 16);
  EXPECT_LT(u.epochs, 4 + 1);

  c.target_kl = std::nullopt;
  testing::ContextualBandit env2(2, 4, 10);
  auto full = Train(env2, c, 256);
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->last_update.early_stopped);
  EXPECT_EQ(full->last_update.gradient_steps, 16);
}

TEST(TrainerTest, RefusesMismatchedEnvAndBadArguments) {
  testing::ContextualBandit env(2, 4, 10);
  auto trainer = Trainer::Create(SmallPpo(6), 5, 4);  // 5 inputs, the env has 4
  ASSERT_TRUE(trainer.ok());
  EXPECT_EQ((*trainer)->Learn(env, 100).error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(Train(env, SmallPpo(6), 0).error().code(), core::StatusCode::kInvalidArgument);
  TrainerConfig bad = SmallPpo(6);
  bad.gamma = 7;
  auto r = Train(env, bad, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("gamma"), std::string::npos);
  // One env x one step cannot normalise advantages (std of one sample).
  TrainerConfig one = SmallPpo(6);
  one.n_steps = 1;
  one.batch_size = 2;
  testing::ContextualBandit single(1, 4, 10);
  EXPECT_EQ(Train(single, one, 10).error().code(), core::StatusCode::kInvalidArgument);
}

TEST(TrainerTest, LearnContinuesFromTheTrainedParameters) {
  testing::ContextualBandit env(2, 4, 10);
  auto trainer = Trainer::Create(SmallPpo(8), 4, 4);
  ASSERT_TRUE(trainer.ok());
  auto first = (*trainer)->Learn(env, 128);
  ASSERT_TRUE(first.ok());
  auto second = (*trainer)->Learn(env, 128);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->parameters, second->parameters);
  EXPECT_EQ(second->timesteps, 128);  // counters restart per Learn (SB3 reset_num_timesteps)
}

}  // namespace
}  // namespace kalshiflow::rl
