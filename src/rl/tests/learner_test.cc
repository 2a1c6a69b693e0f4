#include "rl/learner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rl/tests/test_envs.h"

namespace kalshiflow::rl {
namespace {

using nlohmann::json;

json Golden() {
  std::ifstream in(testing::GoldenPath());
  EXPECT_TRUE(in.good()) << testing::GoldenPath();
  return json::parse(in);
}

TrainerConfig TinyConfig() {
  TrainerConfig c;
  c.policy.pi_layers = {3};
  c.policy.vf_layers = {3};
  c.batch_size = 6;
  return c;
}

std::unique_ptr<Learner> MakeLearner(const TrainerConfig& c, int obs, int actions) {
  auto l = Learner::Create(obs, actions, c);
  EXPECT_TRUE(l.ok()) << l.error().ToString();
  return std::move(l).value();
}

std::unique_ptr<Learner> GoldenLearner(const TrainerConfig& c) {
  auto l = MakeLearner(c, 2, 3);
  const core::Status s = l->ImportParameters(testing::GoldenParams());
  EXPECT_TRUE(s.ok()) << s.ToString();
  return l;
}

Batch GoldenBatch() {
  const json b = Golden().at("batch");
  Batch batch;
  batch.size = static_cast<int>(b.at("actions").size());
  for (const auto& o : b.at("obs")) {
    for (const auto& v : o) batch.observations.push_back(v.get<float>());
  }
  batch.actions = b.at("actions").get<std::vector<int32_t>>();
  batch.old_values = b.at("old_values").get<std::vector<float>>();
  batch.old_log_probs = b.at("old_log_probs").get<std::vector<float>>();
  batch.advantages = b.at("advantages").get<std::vector<float>>();
  batch.returns = b.at("returns").get<std::vector<float>>();
  return batch;
}

std::vector<float> Flat(const std::vector<NamedArray>& params) {
  std::vector<float> out;
  for (const auto& p : params) out.insert(out.end(), p.data.begin(), p.data.end());
  return out;
}

TEST(LearnerTest, ParameterNamesAndShapesAreStableBaselines3StateDictKeys) {
  // SB3 MlpPolicy for a 52-float observation and Discrete(5), net_arch 64-64.
  auto l = MakeLearner(TrainerConfig(), 52, 5);
  const std::vector<NamedArray> p = l->ExportParameters();
  const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"mlp_extractor.policy_net.0.weight", {64, 52}},
      {"mlp_extractor.policy_net.0.bias", {64}},
      {"mlp_extractor.policy_net.2.weight", {64, 64}},
      {"mlp_extractor.policy_net.2.bias", {64}},
      {"mlp_extractor.value_net.0.weight", {64, 52}},
      {"mlp_extractor.value_net.0.bias", {64}},
      {"mlp_extractor.value_net.2.weight", {64, 64}},
      {"mlp_extractor.value_net.2.bias", {64}},
      {"action_net.weight", {5, 64}},
      {"action_net.bias", {5}},
      {"value_net.weight", {1, 64}},
      {"value_net.bias", {1}},
  };
  ASSERT_EQ(p.size(), expected.size());
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(p[i].name, expected[i].first);
    EXPECT_EQ(p[i].shape, expected[i].second) << p[i].name;
  }
  // 2 * (52*64 + 64 + 64*64 + 64) + (64*5 + 5) + (64 + 1) = 2 * (3392 + 4160) + 325 + 65
  //   = 15104 + 390 = 15494
  EXPECT_EQ(l->parameter_count(), 15494);
}

// Checks that the rows (if rows <= cols) or columns of w are orthogonal with norm `gain`.
void ExpectOrthogonal(const NamedArray& w, double gain) {
  const int64_t rows = w.shape[0], cols = w.shape[1];
  const bool by_rows = rows <= cols;
  const int64_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
  auto at = [&](int64_t vec, int64_t k) {
    return static_cast<double>(by_rows ? w.data[vec * cols + k] : w.data[k * cols + vec]);
  };
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t b = a; b < n; ++b) {
      double dot = 0;
      for (int64_t k = 0; k < len; ++k) dot += at(a, k) * at(b, k);
      EXPECT_NEAR(dot, a == b ? gain * gain : 0.0, 1e-4 * std::max(1.0, gain * gain))
          << w.name << " " << a << "," << b;
    }
  }
}

TEST(LearnerTest, OrthogonalInitWithSb3GainsAndZeroBiases) {
  auto l = MakeLearner(TrainerConfig(), 52, 5);
  for (const NamedArray& p : l->ExportParameters()) {
    if (p.shape.size() == 1) {
      for (float v : p.data) EXPECT_EQ(v, 0.0f) << p.name;
      continue;
    }
    const double gain = p.name == "action_net.weight"  ? 0.01
                        : p.name == "value_net.weight" ? 1.0
                                                       : std::sqrt(2.0);
    ExpectOrthogonal(p, gain);
  }
}

TEST(LearnerTest, SameSeedSameInitDifferentSeedDifferent) {
  TrainerConfig c;
  c.seed = 7;
  const auto a = Flat(MakeLearner(c, 52, 5)->ExportParameters());
  const auto b = Flat(MakeLearner(c, 52, 5)->ExportParameters());
  c.seed = 8;
  const auto d = Flat(MakeLearner(c, 52, 5)->ExportParameters());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, d);
}

TEST(LearnerTest, ImportExportRoundTripAndRefusals) {
  auto l = MakeLearner(TinyConfig(), 2, 3);
  const std::vector<NamedArray> golden = testing::GoldenParams();
  ASSERT_TRUE(l->ImportParameters(golden).ok());
  EXPECT_EQ(l->ExportParameters(), golden);

  std::vector<NamedArray> bad_shape = golden;
  bad_shape[0].shape = {2, 3};
  EXPECT_EQ(l->ImportParameters(bad_shape).code(), core::StatusCode::kInvalidArgument);
  std::vector<NamedArray> bad_name = golden;
  bad_name[7].name = "value_net.b";
  EXPECT_EQ(l->ImportParameters(bad_name).code(), core::StatusCode::kInvalidArgument);
  std::vector<NamedArray> missing(golden.begin(), golden.end() - 1);
  EXPECT_EQ(l->ImportParameters(missing).code(), core::StatusCode::kInvalidArgument);
  std::vector<NamedArray> short_data = golden;
  short_data[3].data.pop_back();
  EXPECT_EQ(l->ImportParameters(short_data).code(), core::StatusCode::kInvalidArgument);
  // Refused imports leave the parameters untouched.
  EXPECT_EQ(l->ExportParameters(), golden);
}

TEST(LearnerTest, PredictMatchesIndependentForwardPass) {
  auto l = GoldenLearner(TinyConfig());
  const Batch b = GoldenBatch();
  const json g = Golden().at("batch");
  std::vector<float> lp(static_cast<size_t>(b.size) * 3), v(static_cast<size_t>(b.size));
  l->Predict(b.observations, lp, v);
  const auto expected_v = g.at("current_values").get<std::vector<double>>();
  const auto expected_lp = g.at("current_log_softmax").get<std::vector<std::vector<double>>>();
  for (int i = 0; i < b.size; ++i) {
    EXPECT_NEAR(v[static_cast<size_t>(i)], expected_v[static_cast<size_t>(i)], 1e-6);
    for (int a = 0; a < 3; ++a) {
      EXPECT_NEAR(lp[static_cast<size_t>(i * 3 + a)],
                  expected_lp[static_cast<size_t>(i)][static_cast<size_t>(a)], 1e-6);
    }
  }
  std::vector<float> v2(v.size());
  l->PredictValues(b.observations, v2);
  EXPECT_EQ(v2, v);
}

TEST(LearnerTest, LossesMatchIndependentPythonGoldens) {
  const json golden = Golden();
  for (const json& c : golden.at("loss_cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    TrainerConfig config =
        c.at("algorithm") == "ppo" ? TrainerConfig::PpoDefaults() : TrainerConfig::A2cDefaults();
    config.policy = TinyConfig().policy;
    config.batch_size = 6;
    config.normalize_advantage = c.at("normalize_advantage");
    config.clip_range = c.at("clip_range");
    if (!c.at("clip_range_vf").is_null()) config.clip_range_vf = c.at("clip_range_vf");
    config.ent_coef = c.at("ent_coef");
    config.vf_coef = c.at("vf_coef");
    auto l = GoldenLearner(config);
    const LossReport r = l->EvaluateLoss(GoldenBatch());
    const json& e = c.at("expected");
    EXPECT_NEAR(r.policy_loss, e.at("policy_loss").get<double>(), 1e-5);
    EXPECT_NEAR(r.value_loss, e.at("value_loss").get<double>(), 1e-5);
    EXPECT_NEAR(r.entropy_loss, e.at("entropy_loss").get<double>(), 1e-5);
    EXPECT_NEAR(r.loss, e.at("loss").get<double>(), 1e-5);
    EXPECT_NEAR(r.approx_kl, e.at("approx_kl").get<double>(), 1e-6);
    EXPECT_DOUBLE_EQ(r.clip_fraction, e.at("clip_fraction").get<double>());
    const auto adv = e.at("advantages_used").get<std::vector<double>>();
    ASSERT_EQ(r.advantages_used.size(), adv.size());
    for (size_t i = 0; i < adv.size(); ++i) EXPECT_NEAR(r.advantages_used[i], adv[i], 1e-5);
  }
}

TEST(LearnerTest, TrainStepReportsThePreStepLossAndMovesTheParameters) {
  TrainerConfig c = TinyConfig();
  auto l = GoldenLearner(c);
  const Batch b = GoldenBatch();
  const LossReport before = l->EvaluateLoss(b);
  const StepReport step = l->TrainStep(b);
  EXPECT_DOUBLE_EQ(step.losses.loss, before.loss);
  EXPECT_GT(step.grad_norm, 0);
  EXPECT_NE(l->ExportParameters(), testing::GoldenParams());
  // A small step against the gradient lowers the loss on the same batch.
  EXPECT_LT(l->EvaluateLoss(b).loss, before.loss);
}

double ParameterChange(const std::vector<NamedArray>& a, const std::vector<NamedArray>& b) {
  const auto fa = Flat(a), fb = Flat(b);
  double s = 0;
  for (size_t i = 0; i < fa.size(); ++i) s += (fa[i] - fb[i]) * (fa[i] - fb[i]);
  return std::sqrt(s);
}

TEST(LearnerTest, GradientClippingActs) {
  // Large advantages make the gradient norm exceed max_grad_norm = 0.1. Adam's first step is
  // lr * g / (|g| + eps) elementwise: with the default eps 1e-5 it is ~lr * sign(g) whatever
  // the scale, hiding the clipping; with eps = 1 the step grows with |g|, so the clipped
  // gradient must move the parameters strictly less.
  Batch b = GoldenBatch();
  for (float& a : b.advantages) a *= 50;
  TrainerConfig clipped = TinyConfig();
  clipped.normalize_advantage = false;
  clipped.adam_eps = 1.0;
  clipped.learning_rate = 0.1;
  clipped.max_grad_norm = 0.1;
  TrainerConfig unclipped = clipped;
  unclipped.max_grad_norm = std::nullopt;

  auto a = GoldenLearner(clipped);
  const StepReport sa = a->TrainStep(b);
  ASSERT_GT(sa.grad_norm, 1.0);  // well above max_grad_norm
  EXPECT_LE(a->GradNorm(), 0.1 + 1e-6);
  EXPECT_NEAR(a->GradNorm(), 0.1, 1e-5);  // scaled to max_grad_norm exactly (up to 1e-6)

  auto u = GoldenLearner(unclipped);
  const StepReport su = u->TrainStep(b);
  EXPECT_NEAR(su.grad_norm, sa.grad_norm, 1e-9 * sa.grad_norm);   // same params, same batch
  EXPECT_NEAR(u->GradNorm(), su.grad_norm, 1e-5 * su.grad_norm);  // left as computed

  const auto golden = testing::GoldenParams();
  const double moved_clipped = ParameterChange(a->ExportParameters(), golden);
  const double moved_unclipped = ParameterChange(u->ExportParameters(), golden);
  EXPECT_GT(moved_clipped, 0);
  EXPECT_LT(moved_clipped, 0.5 * moved_unclipped);
}

TEST(LearnerTest, AdvantageNormalisationActs) {
  TrainerConfig on = TinyConfig();
  TrainerConfig off = on;
  off.normalize_advantage = false;
  const Batch b = GoldenBatch();
  const LossReport r_on = GoldenLearner(on)->EvaluateLoss(b);
  const LossReport r_off = GoldenLearner(off)->EvaluateLoss(b);
  // Normalised advantages: mean 0, unbiased std 1 (torch .std()).
  double mean = 0;
  for (float a : r_on.advantages_used) mean += a;
  mean /= static_cast<double>(r_on.advantages_used.size());
  double var = 0;
  for (float a : r_on.advantages_used) var += (a - mean) * (a - mean);
  var /= static_cast<double>(r_on.advantages_used.size() - 1);
  EXPECT_NEAR(mean, 0.0, 1e-6);
  EXPECT_NEAR(std::sqrt(var), 1.0, 1e-6);
  // Off: the advantages pass through; the policy loss differs, the value loss does not.
  EXPECT_EQ(r_off.advantages_used, b.advantages);
  EXPECT_GT(std::abs(r_on.policy_loss - r_off.policy_loss), 1e-3);
  EXPECT_DOUBLE_EQ(r_on.value_loss, r_off.value_loss);
}

double MaxAbsChange(const std::vector<NamedArray>& a, const std::vector<NamedArray>& b) {
  const auto fa = Flat(a), fb = Flat(b);
  double m = 0;
  for (size_t i = 0; i < fa.size(); ++i) m = std::max(m, std::abs(double{fa[i]} - fb[i]));
  return m;
}

TEST(LearnerTest, OptimisersAreAdamForPpoAndRmspropForA2c) {
  // First step of each optimiser from zero state, elementwise (PyTorch formulas):
  //   Adam:    m = 0.1 g, v = 0.001 g^2, bias-corrected: delta = lr * g / (|g| + eps)
  //            -> |delta| < lr, and -> lr for |g| >> eps;
  //   RMSprop: v = (1 - alpha) g^2 = 0.01 g^2: delta = lr * g / (0.1 |g| + eps)
  //            -> |delta| < 10 lr, and -> 10 lr for |g| >> eps.
  const double lr = 1e-3;
  const Batch b = GoldenBatch();
  TrainerConfig ppo = TinyConfig();
  ppo.learning_rate = lr;
  auto adam = GoldenLearner(ppo);
  adam->TrainStep(b);
  const double adam_max = MaxAbsChange(adam->ExportParameters(), testing::GoldenParams());
  EXPECT_LE(adam_max, lr * (1 + 1e-5));
  EXPECT_GT(adam_max, lr * 0.99);

  TrainerConfig a2c = TrainerConfig::A2cDefaults();
  a2c.policy = TinyConfig().policy;
  a2c.learning_rate = lr;
  auto rms = GoldenLearner(a2c);
  rms->TrainStep(b);
  const double rms_max = MaxAbsChange(rms->ExportParameters(), testing::GoldenParams());
  EXPECT_LE(rms_max, 10 * lr * (1 + 1e-5));
  EXPECT_GT(rms_max, 10 * lr * 0.99);
}

TEST(LearnerTest, CreateRefusesBadConfigAndSizes) {
  TrainerConfig bad;
  bad.learning_rate = -1;
  EXPECT_EQ(Learner::Create(4, 2, bad).error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(Learner::Create(0, 2, TrainerConfig()).error().code(),
            core::StatusCode::kInvalidArgument);
}

TEST(LearnerTest, EmptyNetArchFeedsObservationsToTheHeads) {
  // SB3 net_arch=[]: action_net and value_net read the observation directly.
  TrainerConfig c;
  c.policy.pi_layers = {};
  c.policy.vf_layers = {};
  auto l = MakeLearner(c, 3, 2);
  const auto p = l->ExportParameters();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].name, "action_net.weight");
  EXPECT_EQ(p[0].shape, (std::vector<int64_t>{2, 3}));
  // value = w . obs + b with b = 0 (ortho init).
  const std::vector<float> obs{1.0f, -2.0f, 0.5f};
  std::vector<float> v(1);
  l->PredictValues(obs, v);
  const auto& w = p[2].data;
  EXPECT_NEAR(v[0], w[0] * 1.0f + w[1] * -2.0f + w[2] * 0.5f, 1e-6);
}

}  // namespace
}  // namespace kalshiflow::rl
