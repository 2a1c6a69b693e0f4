// MlpPolicy: forward passes of tiny networks computed by hand, construction from SB3-named
// tensors, and its typed refusals.
#include "policy/mlp_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "policy/tests/test_util.h"

namespace kalshiflow::policy {
namespace {

using testing::Layer;

// The hand-computed network (obs 2, pi [2], vf [3], 3 actions):
//   policy layer  W = [[0.5, -0.25], [0, 1]], b = [0, -1]
//   action_net    W = [[1, 0], [0, 2], [-1, 1]], b = [0.1, 0, 0]
//   value layer   W = [[1, 1], [1, -1], [0, 0]], b = [0, 0, 0.5]
//   value_net     W = [[1, 1, 2]], b = [-0.5]
MlpPolicy HandNetwork(Activation activation) {
  auto p = MlpPolicy::Create({Layer(2, 2, {0.5f, -0.25f, 0.0f, 1.0f}, {0.0f, -1.0f})},
                             {Layer(2, 3, {1, 1, 1, -1, 0, 0}, {0, 0, 0.5f})},
                             Layer(2, 3, {1, 0, 0, 2, -1, 1}, {0.1f, 0, 0}),
                             Layer(3, 1, {1, 1, 2}, {-0.5f}), activation);
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  return std::move(p).value();
}

std::vector<double> Softmax(std::vector<double> logits) {
  double top = logits[0];
  for (double v : logits) top = std::max(top, v);
  double sum = 0;
  for (double& v : logits) sum += (v = std::exp(v - top));
  for (double& v : logits) v /= sum;
  return logits;
}

TEST(MlpPolicyTest, TanhForwardByHand) {
  const MlpPolicy policy = HandNetwork(Activation::kTanh);
  EXPECT_EQ(policy.observation_size(), 2);
  EXPECT_EQ(policy.action_count(), 3);
  ForwardBuffers buffers = policy.MakeBuffers();
  const float obs[2] = {1.0f, 2.0f};
  policy.Forward(obs, buffers);

  // Policy layer: [0.5*1 - 0.25*2 + 0, 0*1 + 1*2 - 1] = [0, 1] → tanh → [0, tanh 1].
  const double t1 = std::tanh(1.0);  // 0.7615941559557649
  // Logits: [1*0 + 0*t1 + 0.1, 0*0 + 2*t1 + 0, -1*0 + 1*t1 + 0] = [0.1, 1.5231883, 0.7615942].
  const std::vector<double> logits = {0.1, 2 * t1, t1};
  const std::vector<double> probs = Softmax(logits);
  ASSERT_EQ(buffers.logits().size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(buffers.logits()[i], logits[i], 1e-6) << i;
    EXPECT_NEAR(buffers.probabilities()[i], probs[i], 1e-6) << i;
  }
  EXPECT_EQ(buffers.action(), 1);  // 1.523 is the largest logit
  // Value layer: [1+2+0, 1-2+0, 0+0+0.5] = [3, -1, 0.5] → tanh;
  // value = tanh 3 + tanh(-1) + 2 tanh 0.5 - 0.5 = 0.9950548 - 0.7615942 + 0.9242343 - 0.5.
  const double value = std::tanh(3.0) + std::tanh(-1.0) + 2 * std::tanh(0.5) - 0.5;
  EXPECT_NEAR(buffers.value(), value, 1e-6);
  EXPECT_NEAR(value, 0.6576949, 1e-6);
  EXPECT_TRUE(buffers.finite());
}

TEST(MlpPolicyTest, ReluForwardByHand) {
  const MlpPolicy policy = HandNetwork(Activation::kRelu);
  ForwardBuffers buffers = policy.MakeBuffers();
  const float obs[2] = {1.0f, 2.0f};
  policy.Forward(obs, buffers);
  // Policy layer [0, 1] → relu [0, 1]; logits [0.1, 2, 1] (exact in float).
  EXPECT_FLOAT_EQ(buffers.logits()[0], 0.1f);
  EXPECT_FLOAT_EQ(buffers.logits()[1], 2.0f);
  EXPECT_FLOAT_EQ(buffers.logits()[2], 1.0f);
  EXPECT_EQ(buffers.action(), 1);
  // Value layer [3, -1, 0.5] → relu [3, 0, 0.5]; value = 3 + 0 + 2*0.5 - 0.5 = 3.5.
  EXPECT_FLOAT_EQ(buffers.value(), 3.5f);
  const std::vector<double> probs = Softmax({0.1, 2.0, 1.0});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(buffers.probabilities()[i], probs[i], 1e-6);
}

TEST(MlpPolicyTest, TwoLayerTrunkUsesBothBuffers) {
  // pi: layer 0 as above (→ relu [0, 1]), layer 1 W = [[0, 1], [1, 0]] (swap), b = [1, 0]
  //     → [1 + 1, 0] = [2, 0]; action_net [[1, 0], [0, 2], [-1, 1]] + [0.1, 0, 0]
  //     → [2.1, 0, -2]. vf: empty trunk, value_net W = [[3, -1]], b = [0.25]
  //     → 3*1 - 1*2 + 0.25 = 1.25.
  auto p = MlpPolicy::Create(
      {Layer(2, 2, {0.5f, -0.25f, 0, 1}, {0, -1}), Layer(2, 2, {0, 1, 1, 0}, {1, 0})}, {},
      Layer(2, 3, {1, 0, 0, 2, -1, 1}, {0.1f, 0, 0}), Layer(2, 1, {3, -1}, {0.25f}),
      Activation::kRelu);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->net_arch(), (NetArch{{2, 2}, {}}));
  ForwardBuffers buffers = p->MakeBuffers();
  const float obs[2] = {1.0f, 2.0f};
  p->Forward(obs, buffers);
  EXPECT_FLOAT_EQ(buffers.logits()[0], 2.1f);
  EXPECT_FLOAT_EQ(buffers.logits()[1], 0.0f);
  EXPECT_FLOAT_EQ(buffers.logits()[2], -2.0f);
  EXPECT_EQ(buffers.action(), 0);
  EXPECT_FLOAT_EQ(buffers.value(), 1.25f);
}

TEST(MlpPolicyTest, PolicyOnlySkipsTheValue) {
  const MlpPolicy policy = HandNetwork(Activation::kRelu);
  ForwardBuffers buffers = policy.MakeBuffers();
  const float obs[2] = {1.0f, 2.0f};
  policy.Forward(obs, buffers, Heads::kPolicyOnly);
  EXPECT_FLOAT_EQ(buffers.logits()[1], 2.0f);
  EXPECT_TRUE(std::isnan(buffers.value()));
  EXPECT_TRUE(buffers.finite());
}

TEST(MlpPolicyTest, TiesPickTheLowestIndexAndNanIsFlagged) {
  // action_net rows 0 and 2 are equal: logits [1, 0, 1] for obs [1, 0] (empty trunk).
  auto p = MlpPolicy::Create({}, {}, Layer(2, 3, {1, 0, 0, 0, 1, 0}, {0, 0, 0}),
                             Layer(2, 1, {1, 1}, {0}), Activation::kTanh);
  ASSERT_TRUE(p.ok());
  ForwardBuffers buffers = p->MakeBuffers();
  const float obs[2] = {1.0f, 0.0f};
  p->Forward(obs, buffers);
  EXPECT_EQ(buffers.action(), 0);
  EXPECT_NEAR(buffers.probabilities()[0], buffers.probabilities()[2], 1e-7);
  const float bad[2] = {std::nanf(""), 0.0f};
  p->Forward(bad, buffers);
  EXPECT_FALSE(buffers.finite());
  EXPECT_EQ(buffers.action(), -1);
  p->Forward(obs, buffers);  // the same buffers recover
  EXPECT_TRUE(buffers.finite());
  EXPECT_EQ(buffers.action(), 0);
}

TensorMap HandTensors() {
  // The HandNetwork under SB3's names, written out explicitly.
  TensorMap t;
  t["mlp_extractor.policy_net.0.weight"] = {{2, 2}, {0.5f, -0.25f, 0, 1}};
  t["mlp_extractor.policy_net.0.bias"] = {{2}, {0, -1}};
  t["mlp_extractor.value_net.0.weight"] = {{3, 2}, {1, 1, 1, -1, 0, 0}};
  t["mlp_extractor.value_net.0.bias"] = {{3}, {0, 0, 0.5f}};
  t["action_net.weight"] = {{3, 2}, {1, 0, 0, 2, -1, 1}};
  t["action_net.bias"] = {{3}, {0.1f, 0, 0}};
  t["value_net.weight"] = {{1, 3}, {1, 1, 2}};
  t["value_net.bias"] = {{1}, {-0.5f}};
  return t;
}

TEST(MlpPolicyTest, FromSb3NamedTensors) {
  auto p = MlpPolicy::FromTensors(HandTensors(), Activation::kRelu);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->net_arch(), (NetArch{{2}, {3}}));
  ForwardBuffers buffers = p->MakeBuffers();
  const float obs[2] = {1.0f, 2.0f};
  p->Forward(obs, buffers);
  EXPECT_FLOAT_EQ(buffers.value(), 3.5f);  // as in ReluForwardByHand
  EXPECT_EQ(p->ToTensors(), HandTensors());
}

TEST(MlpPolicyTest, FromTensorsRefusals) {
  auto kind = [](const TensorMap& t) {
    auto p = MlpPolicy::FromTensors(t, Activation::kTanh);
    EXPECT_FALSE(p.ok());
    return p.ok() ? PolicyErrorKind::kIo : p.error().kind;
  };
  TensorMap t = HandTensors();
  t.erase("action_net.bias");
  EXPECT_EQ(kind(t), PolicyErrorKind::kMissingTensor);

  t = HandTensors();
  t["log_std"] = {{3}, {0, 0, 0}};  // a continuous-action policy
  EXPECT_EQ(kind(t), PolicyErrorKind::kUnsupportedModel);

  t = HandTensors();
  t["mlp_extractor.shared_net.0.weight"] = {{2, 2}, {1, 0, 0, 1}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kUnsupportedModel);

  t = HandTensors();  // action_net takes 3 inputs but the policy trunk ends with 2
  t["action_net.weight"] = {{3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kShapeMismatch);

  t = HandTensors();  // bias length != out
  t["mlp_extractor.policy_net.0.bias"] = {{3}, {0, 0, 0}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kShapeMismatch);

  t = HandTensors();  // the value trunk reads 3 observation floats, the policy trunk 2
  t["mlp_extractor.value_net.0.weight"] = {{3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kShapeMismatch);

  t = HandTensors();  // two value outputs
  t["value_net.weight"] = {{2, 3}, {1, 1, 2, 1, 1, 2}};
  t["value_net.bias"] = {{2}, {0, 0}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kShapeMismatch);

  t = HandTensors();  // data size != shape
  t["action_net.bias"] = {{3}, {0.1f, 0}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kBadTensor);

  t = HandTensors();  // a gap in the Sequential indices: layer .2 missing, .4 present
  t["mlp_extractor.policy_net.4.weight"] = {{2, 2}, {1, 0, 0, 1}};
  t["mlp_extractor.policy_net.4.bias"] = {{2}, {0, 0}};
  EXPECT_EQ(kind(t), PolicyErrorKind::kUnsupportedModel);
}

TEST(MlpPolicyTest, ConcurrentForwardsWithOwnBuffersAgree) {
  const MlpPolicy policy = testing::RandomPolicy(7, 52, {64, 64}, 21);
  std::vector<std::vector<float>> observations;
  core::Rng rng(11);
  for (int i = 0; i < 64; ++i) {
    std::vector<float> o(52);
    for (float& v : o) v = static_cast<float>(rng.Normal());
    observations.push_back(std::move(o));
  }
  // Reference results, one thread.
  std::vector<std::vector<float>> want;
  ForwardBuffers b = policy.MakeBuffers();
  for (const auto& o : observations) {
    policy.Forward(o, b);
    std::vector<float> row(b.logits().begin(), b.logits().end());
    row.push_back(b.value());
    want.push_back(std::move(row));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ForwardBuffers mine = policy.MakeBuffers();
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < observations.size(); ++i) {
          policy.Forward(observations[i], mine);
          std::vector<float> row(mine.logits().begin(), mine.logits().end());
          row.push_back(mine.value());
          if (row != want[i]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(MlpPolicyDeathTest, WrongObservationSizeIsAnInvariant) {
  const MlpPolicy policy = HandNetwork(Activation::kTanh);
  ForwardBuffers buffers = policy.MakeBuffers();
  const float obs[3] = {1, 2, 3};
  EXPECT_DEATH(policy.Forward(obs, buffers), "observation has 3 floats");
}

}  // namespace
}  // namespace kalshiflow::policy
