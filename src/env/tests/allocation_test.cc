// VectorReplayEnv::Step and ReplayEnv::Step perform no heap allocation in steady state (no
// episode ending during the measured steps). Counts calls to the global operator new, which
// this test binary replaces. The env's own code never allocates in Step; the simulator's
// vectors (orders, consumed levels, fills) and the books' ladders grow to their high-water
// marks during the warm-up (amortised growth: a handful of reallocations per episode).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/rng.h"
#include "core/tests/allocation_counter.h"
#include "env/replay_env.h"
#include "env/synthetic.h"
#include "env/vector_replay_env.h"

using kalshiflow::testing::g_allocations;
using kalshiflow::testing::g_counting;

namespace kalshiflow::env {
namespace {

std::shared_ptr<const SessionData> LongEpisodes() {
  SyntheticMarketOptions options;
  options.markets = 2;
  options.points = 6000;
  return std::make_shared<const SessionData>(SyntheticSessionData(options, 1).value());
}

TEST(EnvAllocation, VectorStepDoesNotAllocateInSteadyState) {
  auto vec = VectorReplayEnv::Create(LongEpisodes(), EnvConfig{}, 4).value();
  const int n = vec->num_envs();
  std::vector<float> obs(static_cast<std::size_t>(n) * 52), rewards(n);
  std::vector<int32_t> actions(n);
  std::vector<uint8_t> terminated(n), truncated(n);
  std::vector<EpisodeInfo> finished;
  finished.reserve(64);
  core::Rng rng(1);
  vec->Reset(3, obs);
  auto step = [&] {
    for (auto& a : actions) a = static_cast<int32_t>(rng.UniformInt(0, 4));
    vec->Step(actions, obs, rewards, terminated, truncated, &finished);
  };
  for (int i = 0; i < 2500; ++i) step();  // warm-up: event vectors, ladders, queues grow
  ASSERT_TRUE(finished.empty());
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 2500; ++i) step();
  g_counting = false;
  ASSERT_TRUE(finished.empty()) << "an episode ended inside the measured window";
  EXPECT_EQ(g_allocations.load(), 0);
}

TEST(EnvAllocation, SingleStepDoesNotAllocateInSteadyState) {
  auto env = ReplayEnv::Create(LongEpisodes(), EnvConfig{}).value();
  env->Reset(9);
  core::Rng rng(2);
  for (int i = 0; i < 2500; ++i) env->Step(static_cast<int32_t>(rng.UniformInt(0, 4)));
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 2500; ++i) env->Step(static_cast<int32_t>(rng.UniformInt(0, 4)));
  g_counting = false;
  ASSERT_TRUE(env->active());
  EXPECT_EQ(g_allocations.load(), 0);
}

}  // namespace
}  // namespace kalshiflow::env
