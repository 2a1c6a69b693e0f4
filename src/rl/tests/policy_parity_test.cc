// The actor's Eigen forward pass (policy::MlpPolicy) equals the LibTorch network it was
// trained as, within 1e-5 (DESIGN §6), for tanh and relu, default and odd shapes, and after a
// checkpoint round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "rl/learner.h"
#include "rl/policy_export.h"

namespace kalshiflow::rl {
namespace {

void ExpectParity(const TrainerConfig& config, int obs_size, int actions) {
  auto learner = Learner::Create(obs_size, actions, config);
  ASSERT_TRUE(learner.ok()) << learner.error().ToString();
  auto params = (*learner)->ExportParameters();
  auto checkpoint = MakeTrainedCheckpoint(params, config, "kalshiflow-v1", {{"test", true}});
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().ToString();
  auto reparsed = policy::ParseCheckpoint(policy::SerializeCheckpoint(*checkpoint));
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().ToString();
  auto loaded = policy::PolicyFromCheckpoint(*reparsed);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->metadata.action_space, "discrete-" + std::to_string(actions));
  EXPECT_EQ(loaded->metadata.observation_size, obs_size);
  const auto& net = loaded->policy;

  constexpr int kRows = 64;
  core::Rng rng(99);
  std::vector<float> obs(static_cast<size_t>(kRows * obs_size));
  for (auto& v : obs) v = static_cast<float>(rng.Uniform01() * 4.0 - 2.0);  // the clip range
  std::vector<float> log_probs(static_cast<size_t>(kRows * actions));
  std::vector<float> values(kRows);
  (*learner)->Predict(obs, log_probs, values);

  auto buffers = net.MakeBuffers();
  double worst = 0;
  for (int r = 0; r < kRows; ++r) {
    net.Forward(std::span<const float>(obs).subspan(static_cast<size_t>(r * obs_size),
                                                    static_cast<size_t>(obs_size)),
                buffers);
    for (int a = 0; a < actions; ++a) {
      const double torch_p = std::exp(log_probs[static_cast<size_t>(r * actions + a)]);
      const double diff = std::abs(buffers.probabilities()[static_cast<size_t>(a)] - torch_p);
      worst = std::max(worst, diff);
      EXPECT_NEAR(buffers.probabilities()[static_cast<size_t>(a)], torch_p, 1e-5);
    }
    EXPECT_NEAR(buffers.value(), values[static_cast<size_t>(r)], 1e-5);
  }
  ::testing::Test::RecordProperty("worst_probability_difference", std::to_string(worst));
}

TEST(PolicyParityTest, EigenForwardEqualsLibTorchForTheDefaultNetwork) {
  ExpectParity(TrainerConfig{}, 52, 5);
}

TEST(PolicyParityTest, EigenForwardEqualsLibTorchForReluAndOddShapes) {
  TrainerConfig config;
  config.policy.activation = Activation::kRelu;
  config.policy.pi_layers = {32, 17, 9};
  config.policy.vf_layers = {40};
  config.policy.ortho_init = false;  // larger weights than SB3's init: a harder comparison
  ExpectParity(config, 52, 21);
}

}  // namespace
}  // namespace kalshiflow::rl
