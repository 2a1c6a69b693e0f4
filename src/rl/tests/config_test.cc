#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "rl/trainer_config.h"

namespace kalshiflow::rl {
namespace {

using nlohmann::json;

TEST(TrainerConfigTest, PpoDefaultsAreStableBaselines3s) {
  // SB3 2.x PPO.__init__ defaults and ActorCriticPolicy(Adam eps=1e-5, net_arch 64-64 tanh).
  const TrainerConfig c = TrainerConfig::PpoDefaults();
  EXPECT_EQ(c.algorithm, Algorithm::kPpo);
  EXPECT_EQ(c.learning_rate, 3e-4);
  EXPECT_EQ(c.n_steps, 2048);
  EXPECT_EQ(c.batch_size, 64);
  EXPECT_EQ(c.n_epochs, 10);
  EXPECT_EQ(c.gamma, 0.99);
  EXPECT_EQ(c.gae_lambda, 0.95);
  EXPECT_EQ(c.clip_range, 0.2);
  EXPECT_FALSE(c.clip_range_vf.has_value());
  EXPECT_TRUE(c.normalize_advantage);
  EXPECT_EQ(c.ent_coef, 0.0);
  EXPECT_EQ(c.vf_coef, 0.5);
  EXPECT_EQ(c.max_grad_norm, 0.5);
  EXPECT_FALSE(c.target_kl.has_value());
  EXPECT_EQ(c.adam_eps, 1e-5);
  EXPECT_EQ(c.stats_window_size, 100);
  EXPECT_EQ(c.torch_threads, 1);
  EXPECT_EQ(c.policy.pi_layers, (std::vector<int>{64, 64}));
  EXPECT_EQ(c.policy.vf_layers, (std::vector<int>{64, 64}));
  EXPECT_EQ(c.policy.activation, Activation::kTanh);
  EXPECT_TRUE(c.policy.ortho_init);
  EXPECT_FALSE(Validate(c).has_value());
}

TEST(TrainerConfigTest, A2cDefaultsAreStableBaselines3s) {
  // SB3 2.x A2C.__init__: lr 7e-4, n_steps 5, gamma 0.99, gae_lambda 1, ent 0, vf 0.5,
  // max_grad_norm 0.5, use_rms_prop True, rms_prop_eps 1e-5 (alpha 0.99), no normalisation.
  const TrainerConfig c = TrainerConfig::A2cDefaults();
  EXPECT_EQ(c.algorithm, Algorithm::kA2c);
  EXPECT_EQ(c.learning_rate, 7e-4);
  EXPECT_EQ(c.n_steps, 5);
  EXPECT_EQ(c.gamma, 0.99);
  EXPECT_EQ(c.gae_lambda, 1.0);
  EXPECT_EQ(c.ent_coef, 0.0);
  EXPECT_EQ(c.vf_coef, 0.5);
  EXPECT_EQ(c.max_grad_norm, 0.5);
  EXPECT_FALSE(c.normalize_advantage);
  EXPECT_TRUE(c.use_rms_prop);
  EXPECT_EQ(c.rms_prop_alpha, 0.99);
  EXPECT_EQ(c.rms_prop_eps, 1e-5);
  EXPECT_FALSE(Validate(c).has_value());
}

struct BadCase {
  const char* what;
  void (*mutate)(TrainerConfig&);
  Algorithm algorithm;
  const char* field;
  ConfigErrorKind kind;
};

TEST(TrainerConfigTest, ValidateRefusesNonsenseWithTheFieldAndKind) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  static double s_nan = nan;
  const BadCase cases[] = {
      {"lr 0", [](TrainerConfig& c) { c.learning_rate = 0; }, Algorithm::kPpo, "learning_rate",
       ConfigErrorKind::kOutOfRange},
      {"lr NaN", [](TrainerConfig& c) { c.learning_rate = s_nan; }, Algorithm::kPpo,
       "learning_rate", ConfigErrorKind::kOutOfRange},
      {"n_steps 0", [](TrainerConfig& c) { c.n_steps = 0; }, Algorithm::kPpo, "n_steps",
       ConfigErrorKind::kOutOfRange},
      {"gamma 1.5", [](TrainerConfig& c) { c.gamma = 1.5; }, Algorithm::kA2c, "gamma",
       ConfigErrorKind::kOutOfRange},
      {"lambda -0.1", [](TrainerConfig& c) { c.gae_lambda = -0.1; }, Algorithm::kPpo, "gae_lambda",
       ConfigErrorKind::kOutOfRange},
      {"ent -1", [](TrainerConfig& c) { c.ent_coef = -1; }, Algorithm::kPpo, "ent_coef",
       ConfigErrorKind::kOutOfRange},
      {"vf inf", [](TrainerConfig& c) { c.vf_coef = std::numeric_limits<double>::infinity(); },
       Algorithm::kPpo, "vf_coef", ConfigErrorKind::kOutOfRange},
      {"max_grad_norm 0", [](TrainerConfig& c) { c.max_grad_norm = 0.0; }, Algorithm::kA2c,
       "max_grad_norm", ConfigErrorKind::kOutOfRange},
      {"adam eps 0", [](TrainerConfig& c) { c.adam_eps = 0; }, Algorithm::kPpo, "adam_eps",
       ConfigErrorKind::kOutOfRange},
      {"batch 0", [](TrainerConfig& c) { c.batch_size = 0; }, Algorithm::kPpo, "batch_size",
       ConfigErrorKind::kOutOfRange},
      {"batch 1 + normalise", [](TrainerConfig& c) { c.batch_size = 1; }, Algorithm::kPpo,
       "batch_size", ConfigErrorKind::kInconsistent},
      {"epochs 0", [](TrainerConfig& c) { c.n_epochs = 0; }, Algorithm::kPpo, "n_epochs",
       ConfigErrorKind::kOutOfRange},
      {"clip -0.2", [](TrainerConfig& c) { c.clip_range = -0.2; }, Algorithm::kPpo, "clip_range",
       ConfigErrorKind::kOutOfRange},
      {"clip_vf 0", [](TrainerConfig& c) { c.clip_range_vf = 0.0; }, Algorithm::kPpo,
       "clip_range_vf", ConfigErrorKind::kOutOfRange},
      {"target_kl -1", [](TrainerConfig& c) { c.target_kl = -1.0; }, Algorithm::kPpo, "target_kl",
       ConfigErrorKind::kOutOfRange},
      {"alpha 1", [](TrainerConfig& c) { c.rms_prop_alpha = 1.0; }, Algorithm::kA2c,
       "rms_prop_alpha", ConfigErrorKind::kOutOfRange},
      {"rms eps -1", [](TrainerConfig& c) { c.rms_prop_eps = -1; }, Algorithm::kA2c, "rms_prop_eps",
       ConfigErrorKind::kOutOfRange},
      {"threads 0", [](TrainerConfig& c) { c.torch_threads = 0; }, Algorithm::kPpo, "torch_threads",
       ConfigErrorKind::kOutOfRange},
      {"window 0", [](TrainerConfig& c) { c.stats_window_size = 0; }, Algorithm::kPpo,
       "stats_window_size", ConfigErrorKind::kOutOfRange},
      {"layer 0",
       [](TrainerConfig& c) {
         c.policy.pi_layers = {64, 0};
       },
       Algorithm::kPpo, "policy.net_arch.pi", ConfigErrorKind::kOutOfRange},
      {"layer huge", [](TrainerConfig& c) { c.policy.vf_layers = {1 << 20}; }, Algorithm::kA2c,
       "policy.net_arch.vf", ConfigErrorKind::kOutOfRange},
  };
  for (const BadCase& bad : cases) {
    TrainerConfig c = bad.algorithm == Algorithm::kPpo ? TrainerConfig::PpoDefaults()
                                                       : TrainerConfig::A2cDefaults();
    bad.mutate(c);
    const std::optional<ConfigError> e = Validate(c);
    ASSERT_TRUE(e.has_value()) << bad.what;
    EXPECT_EQ(e->field, bad.field) << bad.what << ": " << e->ToString();
    EXPECT_EQ(e->kind, bad.kind) << bad.what << ": " << e->ToString();
    EXPECT_EQ(e->ToStatus().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST(TrainerConfigTest, FieldsOfTheOtherAlgorithmAreNotValidated) {
  // A2C ignores PPO's minibatch settings (and the JSON form refuses them, see below).
  TrainerConfig a2c = TrainerConfig::A2cDefaults();
  a2c.batch_size = 0;
  EXPECT_FALSE(Validate(a2c).has_value());
}

TrainerConfig EveryFieldChanged(Algorithm algorithm) {
  TrainerConfig c =
      algorithm == Algorithm::kPpo ? TrainerConfig::PpoDefaults() : TrainerConfig::A2cDefaults();
  c.learning_rate = 1.25e-3;
  c.lr_schedule = LrSchedule::kLinear;
  c.n_steps = 17;
  c.gamma = 0.9;
  c.gae_lambda = 0.8;
  c.ent_coef = 0.01;
  c.vf_coef = 0.7;
  c.normalize_advantage = !c.normalize_advantage;
  c.max_grad_norm = std::nullopt;
  c.adam_eps = 1e-7;
  if (algorithm == Algorithm::kPpo) {
    c.batch_size = 8;
    c.n_epochs = 3;
    c.clip_range = 0.1;
    c.clip_range_vf = 0.3;
    c.target_kl = 0.015;
  } else {
    c.use_rms_prop = false;
    c.rms_prop_alpha = 0.95;
    c.rms_prop_eps = 1e-6;
  }
  c.seed = 0xFFFF'FFFF'FFFF'FFF0ull;  // above int64: must survive as unsigned
  c.torch_threads = 2;
  c.stats_window_size = 10;
  c.policy.pi_layers = {32};
  c.policy.vf_layers = {};
  c.policy.activation = Activation::kRelu;
  c.policy.ortho_init = false;
  return c;
}

TEST(TrainerConfigTest, JsonRoundTripKeepsEveryHyperparameter) {
  for (Algorithm algorithm : {Algorithm::kPpo, Algorithm::kA2c}) {
    for (const TrainerConfig& c : {EveryFieldChanged(algorithm),
                                   algorithm == Algorithm::kPpo ? TrainerConfig::PpoDefaults()
                                                                : TrainerConfig::A2cDefaults()}) {
      const json j = ToJson(c);
      // Through text, as a checkpoint or the API would carry it.
      auto back = TrainerConfigFromJson(json::parse(j.dump()));
      ASSERT_TRUE(back.ok()) << back.error().ToString();
      EXPECT_EQ(*back, c) << j.dump();
    }
  }
}

TEST(TrainerConfigTest, JsonCarriesOnlyTheChosenAlgorithmsKeys) {
  std::set<std::string> ppo_keys, a2c_keys;
  const json ppo_json = ToJson(TrainerConfig::PpoDefaults());
  const json a2c_json = ToJson(TrainerConfig::A2cDefaults());
  for (const auto& [k, v] : ppo_json.items()) ppo_keys.insert(k);
  for (const auto& [k, v] : a2c_json.items()) a2c_keys.insert(k);
  const std::set<std::string> common = {"algorithm",     "learning_rate",   "lr_schedule",
                                        "n_steps",       "gamma",           "gae_lambda",
                                        "ent_coef",      "vf_coef",         "normalize_advantage",
                                        "max_grad_norm", "adam_eps",        "seed",
                                        "torch_threads", "gradient_engine", "stats_window_size",
                                        "policy"};
  std::set<std::string> ppo = common, a2c = common;
  ppo.insert({"batch_size", "n_epochs", "clip_range", "clip_range_vf", "target_kl"});
  a2c.insert({"use_rms_prop", "rms_prop_alpha", "rms_prop_eps"});
  EXPECT_EQ(ppo_keys, ppo);
  EXPECT_EQ(a2c_keys, a2c);
  const json p = ToJson(TrainerConfig::PpoDefaults());
  EXPECT_TRUE(p["clip_range_vf"].is_null());
  EXPECT_EQ(p["policy"]["net_arch"]["pi"], json::array({64, 64}));
  EXPECT_EQ(p["policy"]["activation"], "tanh");
  EXPECT_EQ(p["gradient_engine"], "native");
}

TEST(TrainerConfigTest, GradientEngineRoundTripsAndUnknownSpellingsAreRefused) {
  TrainerConfig c;
  c.gradient_engine = GradientEngine::kAutograd;
  const auto back = TrainerConfigFromJson(ToJson(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->gradient_engine, GradientEngine::kAutograd);
  const auto bad = TrainerConfigFromJson(json{{"gradient_engine", "cuda"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ConfigErrorKind::kUnknownValue);
  EXPECT_EQ(bad.error().field, "gradient_engine");
}

TEST(TrainerConfigTest, MissingKeysTakeTheAlgorithmsDefaults) {
  auto a2c = TrainerConfigFromJson(json{{"algorithm", "a2c"}, {"n_steps", 8}});
  ASSERT_TRUE(a2c.ok());
  TrainerConfig expected = TrainerConfig::A2cDefaults();
  expected.n_steps = 8;
  EXPECT_EQ(*a2c, expected);
  auto ppo = TrainerConfigFromJson(json::object());
  ASSERT_TRUE(ppo.ok());
  EXPECT_EQ(*ppo, TrainerConfig::PpoDefaults());
}

TEST(TrainerConfigTest, NetArchMayBeOneListForBothTrunksAsInSb3) {
  auto c = TrainerConfigFromJson(json::parse(R"({"policy": {"net_arch": [128, 32]}})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->policy.pi_layers, (std::vector<int>{128, 32}));
  EXPECT_EQ(c->policy.vf_layers, (std::vector<int>{128, 32}));
}

TEST(TrainerConfigTest, JsonRefusesUnknownMistypedAndOutOfRangeValues) {
  struct Bad {
    const char* text;
    ConfigErrorKind kind;
    const char* field;
  };
  const Bad cases[] = {
      {R"({"learnin_rate": 0.1})", ConfigErrorKind::kUnknownKey, "learnin_rate"},
      {R"({"algorithm": "a2c", "clip_range": 0.2})", ConfigErrorKind::kUnknownKey, "clip_range"},
      {R"({"algorithm": "ppo", "use_rms_prop": true})", ConfigErrorKind::kUnknownKey,
       "use_rms_prop"},
      {R"({"algorithm": "dqn"})", ConfigErrorKind::kUnknownValue, "algorithm"},
      {R"({"algorithm": 1})", ConfigErrorKind::kWrongType, "algorithm"},
      {R"({"learning_rate": "fast"})", ConfigErrorKind::kWrongType, "learning_rate"},
      {R"({"n_steps": 2.5})", ConfigErrorKind::kWrongType, "n_steps"},
      {R"({"n_steps": 99999999999})", ConfigErrorKind::kOutOfRange, "n_steps"},
      {R"({"normalize_advantage": 1})", ConfigErrorKind::kWrongType, "normalize_advantage"},
      {R"({"seed": -1})", ConfigErrorKind::kWrongType, "seed"},
      {R"({"lr_schedule": "cosine"})", ConfigErrorKind::kUnknownValue, "lr_schedule"},
      {R"({"policy": {"activation": "gelu"}})", ConfigErrorKind::kUnknownValue,
       "policy.activation"},
      {R"({"policy": {"net_arch": {"pi": [64], "qf": [64]}}})", ConfigErrorKind::kUnknownKey,
       "policy.net_arch.qf"},
      {R"({"policy": {"net_arch": "big"}})", ConfigErrorKind::kWrongType, "policy.net_arch"},
      {R"({"policy": {"dropout": 0.1}})", ConfigErrorKind::kUnknownKey, "policy.dropout"},
      {R"({"clip_range": 0})", ConfigErrorKind::kOutOfRange, "clip_range"},
      {R"({"gamma": 2})", ConfigErrorKind::kOutOfRange, "gamma"},
      {R"([1, 2])", ConfigErrorKind::kWrongType, "(root)"},
  };
  for (const Bad& bad : cases) {
    auto r = TrainerConfigFromJson(json::parse(bad.text));
    ASSERT_FALSE(r.ok()) << bad.text;
    EXPECT_EQ(r.error().kind, bad.kind) << bad.text << " -> " << r.error().ToString();
    EXPECT_EQ(r.error().field, bad.field) << bad.text << " -> " << r.error().ToString();
  }
}

}  // namespace
}  // namespace kalshiflow::rl
