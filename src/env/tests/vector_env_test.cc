// VectorReplayEnv: SB3 auto-reset semantics, truncation with terminal observations, seed
// derivation, determinism.
#include <gtest/gtest.h>

#include <cstring>

#include "core/rng.h"
#include "env/synthetic.h"
#include "env/tests/env_test_util.h"
#include "env/vector_replay_env.h"

namespace kalshiflow::env {
namespace {

using testing::MakeData;
using testing::WalkMarket;

constexpr int kObs = 52;

std::unique_ptr<VectorReplayEnv> MakeVector(std::shared_ptr<const SessionData> data,
                                            const EnvConfig& config, int n) {
  auto env = VectorReplayEnv::Create(std::move(data), config, n);
  KF_CHECK(env.ok(), "{}", env.error().ToString());
  return std::move(env).value();
}

std::vector<float> Row(const std::vector<float>& obs, int i) {
  return {obs.begin() + i * kObs, obs.begin() + (i + 1) * kObs};
}
std::vector<float> Copy(std::span<const float> s) { return {s.begin(), s.end()}; }

struct Arrays {
  explicit Arrays(int n) : obs(n * kObs), rewards(n), actions(n, 0), terminated(n), truncated(n) {}
  std::vector<float> obs, rewards;
  std::vector<int32_t> actions;
  std::vector<uint8_t> terminated, truncated;
  std::vector<EpisodeInfo> finished;
  void Step(VectorReplayEnv& env) {
    env.Step(actions, obs, rewards, terminated, truncated, &finished);
  }
};

// Episodes: 0 = KXA (3 points, 2 steps), 1 = KXB (4 points, 3 steps), 2 = KXC (2 points,
// 1 step). Round robin over 2 envs: env 0 plays 0, 2, 1, 0, ...; env 1 plays 1, 0, 2, ...
TEST(VectorReplayEnv, AutoResetWritesTheNextEpisodesFirstObservation) {
  auto data =
      MakeData({{1, WalkMarket("KXA", 3)}, {2, WalkMarket("KXB", 4)}, {3, WalkMarket("KXC", 2)}});
  EnvConfig config;
  config.episode_order = EpisodeOrder::kRoundRobin;
  auto vec = MakeVector(data, config, 2);
  EXPECT_EQ(vec->num_envs(), 2);
  EXPECT_EQ(vec->observation_size(), 52);
  EXPECT_EQ(vec->num_actions(), 5);
  auto single = ReplayEnv::Create(data, config).value();
  auto first_obs = [&](std::size_t episode) { return Copy(single->ResetTo(episode)); };

  Arrays a(2);
  vec->Reset(123, a.obs);
  EXPECT_EQ(Row(a.obs, 0), first_obs(0));
  EXPECT_EQ(Row(a.obs, 1), first_obs(1));

  a.actions = {1, 0};  // env 0 buys on its first step
  a.Step(*vec);
  EXPECT_EQ(a.terminated, (std::vector<uint8_t>{0, 0}));
  EXPECT_TRUE(a.finished.empty());
  // Env 0's row is the single env's second observation of episode 0 after the same action.
  single->ResetTo(0);
  EXPECT_EQ(Row(a.obs, 0), Copy(single->Step(1).observation));
  EXPECT_EQ(a.rewards[0], single->last_result().reward);

  a.actions = {0, 0};
  a.Step(*vec);  // env 0 finishes episode 0 (2 steps)
  EXPECT_EQ(a.terminated, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(a.truncated, (std::vector<uint8_t>{0, 0}));
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].env_index, 0);
  EXPECT_EQ(a.finished[0].length, 2);
  EXPECT_EQ(a.finished[0].trades, 1);
  EXPECT_EQ(a.finished[0].final_position, 1000);
  EXPECT_FALSE(a.finished[0].truncated);
  EXPECT_TRUE(a.finished[0].terminal_observation.empty());
  EXPECT_EQ(Row(a.obs, 0), first_obs(2));  // auto-reset into episode 2
  EXPECT_EQ(vec->env(0).episode_index(), 2u);
  // The reward of the finishing step is the finished episode's, not the new one's.
  single->ResetTo(0);
  single->Step(1);
  EXPECT_EQ(a.rewards[0], single->Step(0).reward);
  EXPECT_EQ(vec->last_result(0).info.pnl.units(), a.finished[0].pnl_micros);

  a.finished.clear();
  a.Step(*vec);  // env 0 finishes episode 2 (1 step), env 1 finishes episode 1 (3 steps)
  EXPECT_EQ(a.terminated, (std::vector<uint8_t>{1, 1}));
  ASSERT_EQ(a.finished.size(), 2u);
  EXPECT_EQ(a.finished[0].env_index, 0);
  EXPECT_EQ(a.finished[0].length, 1);
  EXPECT_EQ(a.finished[1].env_index, 1);
  EXPECT_EQ(a.finished[1].length, 3);
  EXPECT_EQ(a.finished[1].pnl_micros, 0);  // HOLD only
  EXPECT_EQ(Row(a.obs, 0), first_obs(1));
  EXPECT_EQ(Row(a.obs, 1), first_obs(0));
}

TEST(VectorReplayEnv, TruncationReportsTheTerminalObservation) {
  auto data = MakeData({{1, WalkMarket("KXA", 6)}, {2, WalkMarket("KXB", 6)}});
  EnvConfig config;
  config.episode_order = EpisodeOrder::kRoundRobin;
  config.max_episode_steps = 2;
  auto vec = MakeVector(data, config, 1);
  auto single = ReplayEnv::Create(data, config).value();
  Arrays a(1);
  vec->Reset(1, a.obs);
  a.actions = {1};
  a.Step(*vec);
  a.actions = {2};
  a.Step(*vec);
  EXPECT_EQ(a.terminated[0], 0);
  EXPECT_EQ(a.truncated[0], 1);
  ASSERT_EQ(a.finished.size(), 1u);
  const EpisodeInfo& info = a.finished[0];
  EXPECT_TRUE(info.truncated);
  EXPECT_EQ(info.length, 2);
  EXPECT_EQ(info.trades, 2);
  single->ResetTo(0);
  single->Step(1);
  const StepResult& cut = single->Step(2);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(info.terminal_observation, Copy(cut.observation));
  EXPECT_EQ(info.pnl_micros, cut.info.pnl.units());
  EXPECT_EQ(Row(a.obs, 0), Copy(single->ResetTo(1)));  // the next episode's first observation
  EXPECT_NE(info.terminal_observation, Row(a.obs, 0));
}

// Env i's first episode is the one a single env picks with the i-th draw of core::Rng(seed).
TEST(VectorReplayEnv, PerEnvSeedsComeFromTheBaseSeed) {
  SyntheticMarketOptions options;
  options.markets = 4;
  options.points = 20;
  auto data = std::make_shared<const SessionData>(SyntheticSessionData(options, 3).value());
  auto vec = MakeVector(data, EnvConfig{}, 4);
  Arrays a(4);
  vec->Reset(2024, a.obs);
  core::Rng root(2024);
  auto single = ReplayEnv::Create(data, EnvConfig{}).value();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Row(a.obs, i), Copy(single->Reset(root.NextU64()))) << i;
    EXPECT_EQ(vec->env(i).episode_index(), single->episode_index());
  }
}

struct VectorTrajectory {
  std::vector<float> obs, rewards;
  std::vector<uint8_t> flags;
  std::vector<EpisodeInfo> finished;
};

VectorTrajectory RunVector(VectorReplayEnv& vec, uint64_t seed, int steps) {
  VectorTrajectory t;
  const int n = vec.num_envs();
  Arrays a(n);
  core::Rng actions(seed ^ 0x5555);
  vec.Reset(seed, a.obs);
  t.obs = a.obs;
  for (int s = 0; s < steps; ++s) {
    for (auto& act : a.actions) act = static_cast<int32_t>(actions.UniformInt(0, 4));
    a.Step(vec);
    t.obs.insert(t.obs.end(), a.obs.begin(), a.obs.end());
    t.rewards.insert(t.rewards.end(), a.rewards.begin(), a.rewards.end());
    t.flags.insert(t.flags.end(), a.terminated.begin(), a.terminated.end());
    t.flags.insert(t.flags.end(), a.truncated.begin(), a.truncated.end());
  }
  t.finished = std::move(a.finished);
  return t;
}

TEST(VectorReplayEnv, SameSeedGivesBitIdenticalTrajectories) {
  SyntheticMarketOptions options;
  options.markets = 3;
  options.points = 60;
  auto data = std::make_shared<const SessionData>(SyntheticSessionData(options, 2).value());
  EnvConfig config;
  config.max_episode_steps = 25;
  config.price_strategy = sim::PriceStrategy::kMid;
  auto a = MakeVector(data, config, 8);
  auto b = MakeVector(data, config, 8);
  const VectorTrajectory ta = RunVector(*a, 77, 300);
  const VectorTrajectory tb = RunVector(*b, 77, 300);
  ASSERT_EQ(ta.obs.size(), tb.obs.size());
  EXPECT_EQ(std::memcmp(ta.obs.data(), tb.obs.data(), ta.obs.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(ta.rewards.data(), tb.rewards.data(), ta.rewards.size() * sizeof(float)),
            0);
  EXPECT_EQ(ta.flags, tb.flags);
  ASSERT_EQ(ta.finished.size(), tb.finished.size());
  EXPECT_GT(ta.finished.size(), 50u);
  for (std::size_t k = 0; k < ta.finished.size(); ++k) {
    const EpisodeInfo &x = ta.finished[k], &y = tb.finished[k];
    EXPECT_EQ(x.env_index, y.env_index);
    EXPECT_EQ(std::memcmp(&x.total_reward, &y.total_reward, sizeof(double)), 0);
    EXPECT_EQ(x.length, y.length);
    EXPECT_EQ(x.pnl_micros, y.pnl_micros);
    EXPECT_EQ(x.fees_micros, y.fees_micros);
    EXPECT_EQ(x.trades, y.trades);
    EXPECT_EQ(x.final_position, y.final_position);
    EXPECT_EQ(x.truncated, y.truncated);
    EXPECT_EQ(x.terminal_observation, y.terminal_observation);
  }
  const VectorTrajectory tc = RunVector(*a, 78, 300);
  EXPECT_NE(tc.rewards, ta.rewards);
}

TEST(VectorReplayEnv, RefusesNoEnvs) {
  auto data = MakeData({{1, WalkMarket("KXA", 3)}});
  auto env = VectorReplayEnv::Create(data, EnvConfig{}, 0);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kalshiflow::env
