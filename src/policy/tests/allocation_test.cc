// MlpPolicy::Forward performs no heap allocation (DESIGN §6: the forward pass is on the
// actor's hot path). Counts calls to the global operator new, which this binary replaces.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/tests/allocation_counter.h"
#include "policy/mlp_policy.h"
#include "policy/tests/test_util.h"

using kalshiflow::testing::g_allocations;
using kalshiflow::testing::g_counting;

namespace kalshiflow::policy {
namespace {

TEST(PolicyAllocation, ForwardDoesNotAllocate) {
  // The DESIGN shape (52 → 64 → 64 → 5), the session32 shape (21 actions), a wide relu net.
  std::vector<MlpPolicy> policies = {
      testing::RandomPolicy(1, 52, {64, 64}, 5), testing::RandomPolicy(2, 52, {64, 64}, 21),
      testing::RandomPolicy(3, 52, {256, 128, 64}, 5, Activation::kRelu)};
  std::vector<float> obs(52);
  for (size_t i = 0; i < obs.size(); ++i) obs[i] = 0.01f * static_cast<float>(i) - 0.2f;
  for (const MlpPolicy& policy : policies) {
    ForwardBuffers buffers = policy.MakeBuffers();
    g_allocations = 0;
    g_counting = true;
    int finite = 0;
    for (int i = 0; i < 100; ++i) {
      policy.Forward(obs, buffers);
      policy.Forward(obs, buffers, Heads::kPolicyOnly);
      finite += buffers.finite() ? 1 : 0;
    }
    g_counting = false;
    EXPECT_EQ(finite, 100);
    EXPECT_EQ(g_allocations.load(), 0) << policy.action_count() << " actions";
  }
}

TEST(PolicyAllocation, TheCounterSeesAllocations) {
  // Guards the test above against a counter that never counts: MakeBuffers allocates.
  const MlpPolicy policy = testing::RandomPolicy(1, 52, {64, 64}, 5);
  g_allocations = 0;
  g_counting = true;
  ForwardBuffers buffers = policy.MakeBuffers();
  g_counting = false;
  EXPECT_GT(g_allocations.load(), 0);
}

}  // namespace
}  // namespace kalshiflow::policy
