// The native gradient engine against LibTorch autograd on the same parameters and batches:
// losses, every gradient entry, inference, and whole PPO/A2C updates.
#include "rl/native_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/rng.h"
#include "rl/learner.h"
#include "rl/rollout_buffer.h"

namespace kalshiflow::rl {
namespace {

struct Case {
  std::string name;
  TrainerConfig config;
  int obs = 52;
  int actions = 5;
  int batch = 64;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back({"ppo_sb3_defaults", TrainerConfig::PpoDefaults()});
  {
    Case c{"ppo_relu_odd_shapes_vf_clip_entropy", TrainerConfig::PpoDefaults(), 9, 4, 37};
    c.config.policy.pi_layers = {7, 3};
    c.config.policy.vf_layers = {5};
    c.config.policy.activation = Activation::kRelu;
    c.config.clip_range_vf = 0.05;
    c.config.ent_coef = 0.01;
    c.config.clip_range = 0.1;
    cases.push_back(c);
  }
  {
    Case c{"ppo_without_normalisation", TrainerConfig::PpoDefaults(), 6, 21, 16};
    c.config.normalize_advantage = false;
    cases.push_back(c);
  }
  {
    Case c{"a2c_defaults", TrainerConfig::A2cDefaults(), 52, 5, 40};
    cases.push_back(c);
  }
  {
    Case c{"a2c_empty_trunks_entropy", TrainerConfig::A2cDefaults(), 4, 3, 10};
    c.config.policy.pi_layers = {};
    c.config.policy.vf_layers = {};
    c.config.ent_coef = 0.05;
    cases.push_back(c);
  }
  return cases;
}

std::unique_ptr<Learner> Make(TrainerConfig c, const Case& k, GradientEngine engine) {
  c.gradient_engine = engine;
  c.seed = 7;
  auto l = Learner::Create(k.obs, k.actions, c);
  EXPECT_TRUE(l.ok()) << l.error().ToString();
  return std::move(l).value();
}

// A batch whose old log-probs scatter around the current ones, so that PPO's ratios fall
// both inside and outside the clip range, and old values around the current values.
Batch RandomBatch(Learner& reference, const Case& k, uint64_t seed) {
  core::Rng rng(seed);
  Batch b;
  b.size = k.batch;
  for (int i = 0; i < k.batch * k.obs; ++i) b.observations.push_back(float(rng.Normal()));
  std::vector<float> lp(static_cast<size_t>(k.batch * k.actions)), v(static_cast<size_t>(k.batch));
  reference.Predict(b.observations, lp, v);
  for (int i = 0; i < k.batch; ++i) {
    const int32_t a = static_cast<int32_t>(rng.UniformInt(0, k.actions - 1));
    b.actions.push_back(a);
    b.old_log_probs.push_back(lp[static_cast<size_t>(i * k.actions + a)] +
                              float(0.3 * rng.Normal()));
    b.old_values.push_back(v[static_cast<size_t>(i)] + float(0.1 * rng.Normal()));
    b.advantages.push_back(float(2.0 * rng.Normal() + 0.5));
    b.returns.push_back(b.old_values.back() + b.advantages.back());
  }
  return b;
}

TEST(NativeNetworkTest, LayoutIsStableBaselines3StateDictOrder) {
  const NetworkLayout l = NetworkLayout::For(52, 5, PolicyConfig{});
  ASSERT_EQ(l.policy_trunk.size(), 2u);
  ASSERT_EQ(l.value_trunk.size(), 2u);
  EXPECT_EQ(l.policy_trunk[0], (LinearSlice{0, 52 * 64, 52, 64}));
  EXPECT_EQ(l.policy_trunk[1].weight, 52 * 64 + 64);
  // The value trunk follows the whole policy trunk: (52*64 + 64) + (64*64 + 64) = 7,552.
  EXPECT_EQ(l.value_trunk[0].weight, 7'552);
  EXPECT_EQ(l.action_head.in, 64);
  EXPECT_EQ(l.action_head.out, 5);
  EXPECT_EQ(l.value_head.out, 1);
  // 2 * (52*64 + 64 + 64*64 + 64) + 64*5 + 5 + 64 + 1 = 15,494 parameters (SB3 MlpPolicy).
  EXPECT_EQ(l.parameter_count, 15'494);
  EXPECT_EQ(l.value_head.bias + 1, l.parameter_count);
}

TEST(NativeNetworkTest, LossesAndEveryGradientEntryEqualLibTorchAutograd) {
  for (const Case& k : Cases()) {
    SCOPED_TRACE(k.name);
    auto native = Make(k.config, k, GradientEngine::kNative);
    auto autograd = Make(k.config, k, GradientEngine::kAutograd);
    ASSERT_EQ(native->ExportParameters(), autograd->ExportParameters());  // same seed
    for (uint64_t seed : {1u, 2u, 3u}) {
      const Batch b = RandomBatch(*autograd, k, seed);
      const LossReport ln = native->EvaluateLoss(b);
      const LossReport la = autograd->EvaluateLoss(b);
      auto near = [](double x, double y) { return std::abs(x - y) <= 1e-5 * (1 + std::abs(y)); };
      EXPECT_TRUE(near(ln.policy_loss, la.policy_loss)) << ln.policy_loss << " " << la.policy_loss;
      EXPECT_TRUE(near(ln.value_loss, la.value_loss)) << ln.value_loss << " " << la.value_loss;
      EXPECT_TRUE(near(ln.entropy_loss, la.entropy_loss));
      EXPECT_TRUE(near(ln.loss, la.loss)) << ln.loss << " " << la.loss;
      EXPECT_TRUE(near(ln.approx_kl, la.approx_kl));
      EXPECT_NEAR(ln.clip_fraction, la.clip_fraction, 1e-6);  // torch means in float
      if (k.config.algorithm == Algorithm::kPpo) {
        // The batch exercises both branches of the clipped objective.
        EXPECT_GT(la.clip_fraction, 0.05);
        EXPECT_LT(la.clip_fraction, 0.95);
      }
      ASSERT_EQ(ln.advantages_used.size(), la.advantages_used.size());
      for (size_t i = 0; i < ln.advantages_used.size(); ++i) {
        EXPECT_NEAR(ln.advantages_used[i], la.advantages_used[i], 1e-5);
      }

      const std::vector<float> gn = native->ComputeGradient(b);
      const std::vector<float> ga = autograd->ComputeGradient(b);
      ASSERT_EQ(gn.size(), ga.size());
      float scale = 0;
      for (float g : ga) scale = std::max(scale, std::abs(g));
      ASSERT_GT(scale, 0);
      size_t nonzero = 0, worst = 0;
      for (size_t i = 0; i < ga.size(); ++i) {
        if (ga[i] != 0) ++nonzero;
        if (std::abs(gn[i] - ga[i]) > std::abs(gn[worst] - ga[worst])) worst = i;
      }
      EXPECT_LE(std::abs(gn[worst] - ga[worst]), 1e-5 * scale)
          << "entry " << worst << ": native " << gn[worst] << " autograd " << ga[worst];
      EXPECT_GT(nonzero, ga.size() / 2);  // a real gradient, not mostly zeros
    }
  }
}

TEST(NativeNetworkTest, InferenceEqualsLibTorch) {
  for (const Case& k : Cases()) {
    SCOPED_TRACE(k.name);
    auto native = Make(k.config, k, GradientEngine::kNative);
    auto autograd = Make(k.config, k, GradientEngine::kAutograd);
    for (int rows : {1, 3, 64}) {
      core::Rng rng(static_cast<uint64_t>(rows));
      std::vector<float> obs(static_cast<size_t>(rows * k.obs));
      for (float& v : obs) v = float(rng.Normal());
      std::vector<float> lpn(static_cast<size_t>(rows * k.actions)), lpa(lpn.size());
      std::vector<float> vn(static_cast<size_t>(rows)), va(vn.size()), vv(vn.size());
      native->Predict(obs, lpn, vn);
      autograd->Predict(obs, lpa, va);
      native->PredictValues(obs, vv);
      for (size_t i = 0; i < lpn.size(); ++i) EXPECT_NEAR(lpn[i], lpa[i], 1e-5);
      for (size_t i = 0; i < vn.size(); ++i) {
        EXPECT_NEAR(vn[i], va[i], 1e-5 * (1 + std::abs(va[i])));
        EXPECT_EQ(vv[i], vn[i]);
      }
    }
  }
}

// A full SB3 update (10 epochs of shuffled minibatches, Adam, clipping) from the same
// parameters, buffer and shuffle seed: the engines' results agree to float rounding.
TEST(NativeNetworkTest, WholeUpdatesAgreeWithAutograd) {
  for (Algorithm algorithm : {Algorithm::kPpo, Algorithm::kA2c}) {
    Case k{"update", algorithm == Algorithm::kPpo ? TrainerConfig::PpoDefaults()
                                                  : TrainerConfig::A2cDefaults()};
    k.config.n_steps = algorithm == Algorithm::kPpo ? 256 : 5;
    SCOPED_TRACE(AlgorithmName(algorithm));
    const int envs = algorithm == Algorithm::kPpo ? 1 : 8;
    RolloutBuffer buffer(k.config.n_steps, envs, k.obs);
    core::Rng rng(11);
    std::vector<float> obs(static_cast<size_t>(envs * k.obs));
    std::vector<int32_t> a(static_cast<size_t>(envs));
    std::vector<float> r(a.size()), v(a.size()), lp(a.size());
    std::vector<uint8_t> start(a.size(), 0);
    for (int t = 0; t < k.config.n_steps; ++t) {
      for (float& x : obs) x = float(rng.Normal());
      for (size_t e = 0; e < a.size(); ++e) {
        a[e] = static_cast<int32_t>(rng.UniformInt(0, k.actions - 1));
        r[e] = float(rng.Normal());
        v[e] = float(rng.Normal());
        lp[e] = -1.6f + float(0.2 * rng.Normal());
      }
      buffer.Add(obs, a, r, start, v, lp);
    }
    std::vector<float> last(a.size(), 0.0f);
    std::vector<uint8_t> done(a.size(), 0);
    buffer.ComputeReturnsAndAdvantage(last, done, k.config.gamma, k.config.gae_lambda);

    auto native = Make(k.config, k, GradientEngine::kNative);
    auto autograd = Make(k.config, k, GradientEngine::kAutograd);
    core::Rng shuffle_n(5), shuffle_a(5);
    const UpdateStats sn = native->Update(buffer, shuffle_n, 1.0);
    const UpdateStats sa = autograd->Update(buffer, shuffle_a, 1.0);
    EXPECT_EQ(sn.gradient_steps, sa.gradient_steps);
    EXPECT_GT(sn.gradient_steps, 0);
    EXPECT_NEAR(sn.policy_loss, sa.policy_loss, 1e-4 * (1 + std::abs(sa.policy_loss)));
    EXPECT_NEAR(sn.value_loss, sa.value_loss, 1e-4 * (1 + std::abs(sa.value_loss)));
    EXPECT_NEAR(sn.grad_norm, sa.grad_norm, 1e-3 * sa.grad_norm);
    const auto pn = native->ExportParameters(), pa = autograd->ExportParameters();
    double worst = 0, moved = 0;
    const auto p0 = Make(k.config, k, GradientEngine::kAutograd)->ExportParameters();
    for (size_t t = 0; t < pn.size(); ++t) {
      for (size_t i = 0; i < pn[t].data.size(); ++i) {
        worst = std::max(worst, double(std::abs(pn[t].data[i] - pa[t].data[i])));
        moved = std::max(moved, double(std::abs(pa[t].data[i] - p0[t].data[i])));
      }
    }
    EXPECT_GT(moved, 1e-4);          // the update did move the parameters
    EXPECT_LT(worst, 0.02 * moved);  // and both engines moved them the same way
  }
}

}  // namespace
}  // namespace kalshiflow::rl
