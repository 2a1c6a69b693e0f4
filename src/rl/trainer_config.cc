#include "rl/trainer_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace kalshiflow::rl {

std::string_view AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kPpo:
      return "ppo";
    case Algorithm::kA2c:
      return "a2c";
  }
  return "?";
}

std::string_view ActivationName(Activation a) {
  switch (a) {
    case Activation::kTanh:
      return "tanh";
    case Activation::kRelu:
      return "relu";
  }
  return "?";
}

std::string_view GradientEngineName(GradientEngine e) {
  switch (e) {
    case GradientEngine::kNative:
      return "native";
    case GradientEngine::kAutograd:
      return "autograd";
  }
  return "?";
}

std::string_view LrScheduleName(LrSchedule s) {
  switch (s) {
    case LrSchedule::kConstant:
      return "constant";
    case LrSchedule::kLinear:
      return "linear";
  }
  return "?";
}

std::string_view ConfigErrorKindName(ConfigErrorKind kind) {
  switch (kind) {
    case ConfigErrorKind::kOutOfRange:
      return "out_of_range";
    case ConfigErrorKind::kInconsistent:
      return "inconsistent";
    case ConfigErrorKind::kWrongType:
      return "wrong_type";
    case ConfigErrorKind::kUnknownKey:
      return "unknown_key";
    case ConfigErrorKind::kUnknownValue:
      return "unknown_value";
  }
  return "?";
}

std::string ConfigError::ToString() const {
  return fmt::format("{}: {}: {}", ConfigErrorKindName(kind), field, message);
}

core::Status ConfigError::ToStatus() const {
  return core::InvalidArgumentError("trainer config: " + ToString());
}

TrainerConfig TrainerConfig::A2cDefaults() {
  TrainerConfig c;
  c.algorithm = Algorithm::kA2c;
  c.learning_rate = 7e-4;
  c.n_steps = 5;
  c.gamma = 0.99;
  c.gae_lambda = 1.0;
  c.ent_coef = 0.0;
  c.vf_coef = 0.5;
  c.max_grad_norm = 0.5;
  c.normalize_advantage = false;
  return c;
}

namespace {

constexpr int kMaxLayerWidth = 65536;
constexpr int kMaxLayers = 16;
constexpr int kMaxSteps = 1 << 24;

ConfigError MakeError(ConfigErrorKind kind, std::string field, std::string message) {
  return ConfigError{kind, std::move(field), std::move(message)};
}

std::optional<ConfigError> CheckPositive(std::string_view field, double v) {
  if (!std::isfinite(v) || !(v > 0)) {
    return MakeError(ConfigErrorKind::kOutOfRange, std::string(field),
                     fmt::format("must be finite and > 0, got {}", v));
  }
  return std::nullopt;
}

std::optional<ConfigError> CheckNonNegative(std::string_view field, double v) {
  if (!std::isfinite(v) || v < 0) {
    return MakeError(ConfigErrorKind::kOutOfRange, std::string(field),
                     fmt::format("must be finite and >= 0, got {}", v));
  }
  return std::nullopt;
}

std::optional<ConfigError> CheckUnit(std::string_view field, double v) {
  if (!std::isfinite(v) || v < 0 || v > 1) {
    return MakeError(ConfigErrorKind::kOutOfRange, std::string(field),
                     fmt::format("must be in [0, 1], got {}", v));
  }
  return std::nullopt;
}

std::optional<ConfigError> CheckIntRange(std::string_view field, int64_t v, int64_t lo,
                                         int64_t hi) {
  if (v < lo || v > hi) {
    return MakeError(ConfigErrorKind::kOutOfRange, std::string(field),
                     fmt::format("must be in [{}, {}], got {}", lo, hi, v));
  }
  return std::nullopt;
}

std::optional<ConfigError> CheckLayers(std::string_view field, const std::vector<int>& layers) {
  if (layers.size() > kMaxLayers) {
    return MakeError(ConfigErrorKind::kOutOfRange, std::string(field),
                     fmt::format("at most {} layers, got {}", kMaxLayers, layers.size()));
  }
  for (int w : layers) {
    if (w < 1 || w > kMaxLayerWidth) {
      return MakeError(ConfigErrorKind::kOutOfRange, std::string(field),
                       fmt::format("layer widths must be in [1, {}], got {}", kMaxLayerWidth,
                                   fmt::join(layers, ",")));
    }
  }
  return std::nullopt;
}

#define KF_RL_CHECK(expr)       \
  do {                          \
    if (auto e_ = (expr); e_) { \
      return e_;                \
    }                           \
  } while (false)

}  // namespace

std::optional<ConfigError> Validate(const TrainerConfig& c) {
  KF_RL_CHECK(CheckPositive("learning_rate", c.learning_rate));
  KF_RL_CHECK(CheckIntRange("n_steps", c.n_steps, 1, kMaxSteps));
  KF_RL_CHECK(CheckUnit("gamma", c.gamma));
  KF_RL_CHECK(CheckUnit("gae_lambda", c.gae_lambda));
  KF_RL_CHECK(CheckNonNegative("ent_coef", c.ent_coef));
  KF_RL_CHECK(CheckNonNegative("vf_coef", c.vf_coef));
  if (c.max_grad_norm) KF_RL_CHECK(CheckPositive("max_grad_norm", *c.max_grad_norm));
  KF_RL_CHECK(CheckPositive("adam_eps", c.adam_eps));
  if (c.algorithm == Algorithm::kPpo) {
    KF_RL_CHECK(CheckIntRange("batch_size", c.batch_size, 1, kMaxSteps));
    KF_RL_CHECK(CheckIntRange("n_epochs", c.n_epochs, 1, 1'000'000));
    KF_RL_CHECK(CheckPositive("clip_range", c.clip_range));
    if (c.clip_range_vf) KF_RL_CHECK(CheckPositive("clip_range_vf", *c.clip_range_vf));
    if (c.target_kl) KF_RL_CHECK(CheckPositive("target_kl", *c.target_kl));
    if (c.normalize_advantage && c.batch_size < 2) {
      // SB3 PPO asserts this: the std of one advantage is undefined.
      return MakeError(ConfigErrorKind::kInconsistent, "batch_size",
                       "must be > 1 when normalize_advantage is on (std of one sample)");
    }
  } else {
    if (!std::isfinite(c.rms_prop_alpha) || !(c.rms_prop_alpha > 0) || !(c.rms_prop_alpha < 1)) {
      return MakeError(ConfigErrorKind::kOutOfRange, "rms_prop_alpha",
                       fmt::format("must be in (0, 1), got {}", c.rms_prop_alpha));
    }
    KF_RL_CHECK(CheckPositive("rms_prop_eps", c.rms_prop_eps));
  }
  KF_RL_CHECK(CheckIntRange("torch_threads", c.torch_threads, 1, 256));
  KF_RL_CHECK(CheckIntRange("stats_window_size", c.stats_window_size, 1, 1'000'000));
  KF_RL_CHECK(CheckLayers("policy.net_arch.pi", c.policy.pi_layers));
  KF_RL_CHECK(CheckLayers("policy.net_arch.vf", c.policy.vf_layers));
  return std::nullopt;
}

nlohmann::json ToJson(const TrainerConfig& c) {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j;
  j["algorithm"] = AlgorithmName(c.algorithm);
  j["learning_rate"] = c.learning_rate;
  j["lr_schedule"] = LrScheduleName(c.lr_schedule);
  j["n_steps"] = c.n_steps;
  j["gamma"] = c.gamma;
  j["gae_lambda"] = c.gae_lambda;
  j["ent_coef"] = c.ent_coef;
  j["vf_coef"] = c.vf_coef;
  j["normalize_advantage"] = c.normalize_advantage;
  j["max_grad_norm"] = opt(c.max_grad_norm);
  j["adam_eps"] = c.adam_eps;
  if (c.algorithm == Algorithm::kPpo) {
    j["batch_size"] = c.batch_size;
    j["n_epochs"] = c.n_epochs;
    j["clip_range"] = c.clip_range;
    j["clip_range_vf"] = opt(c.clip_range_vf);
    j["target_kl"] = opt(c.target_kl);
  } else {
    j["use_rms_prop"] = c.use_rms_prop;
    j["rms_prop_alpha"] = c.rms_prop_alpha;
    j["rms_prop_eps"] = c.rms_prop_eps;
  }
  j["seed"] = c.seed;
  j["torch_threads"] = c.torch_threads;
  j["gradient_engine"] = GradientEngineName(c.gradient_engine);
  j["stats_window_size"] = c.stats_window_size;
  j["policy"] = json{{"net_arch", json{{"pi", c.policy.pi_layers}, {"vf", c.policy.vf_layers}}},
                     {"activation", ActivationName(c.policy.activation)},
                     {"ortho_init", c.policy.ortho_init}};
  return j;
}

namespace {

using Json = nlohmann::json;
using FromJsonResult = core::Result<TrainerConfig, ConfigError>;

std::optional<ConfigError> ReadDouble(const Json& j, const char* key, double* out) {
  if (!j.is_number()) {
    return MakeError(ConfigErrorKind::kWrongType, key,
                     fmt::format("expected a number, got {}", j.dump()));
  }
  *out = j.get<double>();
  return std::nullopt;
}

std::optional<ConfigError> ReadOptionalDouble(const Json& j, const char* key,
                                              std::optional<double>* out) {
  if (j.is_null()) {
    *out = std::nullopt;
    return std::nullopt;
  }
  double v = 0;
  KF_RL_CHECK(ReadDouble(j, key, &v));
  *out = v;
  return std::nullopt;
}

std::optional<ConfigError> ReadInt(const Json& j, const char* key, int* out) {
  if (!j.is_number_integer()) {
    return MakeError(ConfigErrorKind::kWrongType, key,
                     fmt::format("expected an integer, got {}", j.dump()));
  }
  const auto v = j.get<int64_t>();
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT32_MAX)) {
    return MakeError(ConfigErrorKind::kOutOfRange, key, fmt::format("too large: {}", j.dump()));
  }
  if (v < INT32_MIN || v > INT32_MAX) {
    return MakeError(ConfigErrorKind::kOutOfRange, key, fmt::format("too large: {}", j.dump()));
  }
  *out = static_cast<int>(v);
  return std::nullopt;
}

std::optional<ConfigError> ReadBool(const Json& j, const char* key, bool* out) {
  if (!j.is_boolean()) {
    return MakeError(ConfigErrorKind::kWrongType, key,
                     fmt::format("expected true/false, got {}", j.dump()));
  }
  *out = j.get<bool>();
  return std::nullopt;
}

std::optional<ConfigError> ReadLayers(const Json& j, const char* key, std::vector<int>* out) {
  if (!j.is_array()) {
    return MakeError(ConfigErrorKind::kWrongType, key,
                     fmt::format("expected a list of widths, got {}", j.dump()));
  }
  out->clear();
  for (const Json& w : j) {
    int v = 0;
    KF_RL_CHECK(ReadInt(w, key, &v));
    out->push_back(v);
  }
  return std::nullopt;
}

std::optional<ConfigError> ReadPolicy(const Json& j, PolicyConfig* p) {
  if (!j.is_object()) {
    return MakeError(ConfigErrorKind::kWrongType, "policy", "expected an object");
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "net_arch") {
      if (value.is_array()) {
        KF_RL_CHECK(ReadLayers(value, "policy.net_arch", &p->pi_layers));
        p->vf_layers = p->pi_layers;
      } else if (value.is_object()) {
        for (const auto& [k2, v2] : value.items()) {
          if (k2 == "pi") {
            KF_RL_CHECK(ReadLayers(v2, "policy.net_arch.pi", &p->pi_layers));
          } else if (k2 == "vf") {
            KF_RL_CHECK(ReadLayers(v2, "policy.net_arch.vf", &p->vf_layers));
          } else {
            return MakeError(ConfigErrorKind::kUnknownKey, "policy.net_arch." + k2,
                             "net_arch keys are pi and vf");
          }
        }
      } else {
        return MakeError(ConfigErrorKind::kWrongType, "policy.net_arch",
                         "expected a list or {\"pi\": [...], \"vf\": [...]}");
      }
    } else if (key == "activation") {
      if (!value.is_string()) {
        return MakeError(ConfigErrorKind::kWrongType, "policy.activation", "expected a string");
      }
      const auto s = value.get<std::string>();
      if (s == "tanh") {
        p->activation = Activation::kTanh;
      } else if (s == "relu") {
        p->activation = Activation::kRelu;
      } else {
        return MakeError(ConfigErrorKind::kUnknownValue, "policy.activation",
                         fmt::format("expected tanh or relu, got '{}'", s));
      }
    } else if (key == "ortho_init") {
      KF_RL_CHECK(ReadBool(value, "policy.ortho_init", &p->ortho_init));
    } else {
      return MakeError(ConfigErrorKind::kUnknownKey, "policy." + key, "not a policy setting");
    }
  }
  return std::nullopt;
}

std::optional<ConfigError> ReadInto(const Json& j, TrainerConfig* c) {
  static const std::set<std::string> kPpoOnly = {"batch_size", "n_epochs", "clip_range",
                                                 "clip_range_vf", "target_kl"};
  static const std::set<std::string> kA2cOnly = {"use_rms_prop", "rms_prop_alpha", "rms_prop_eps"};
  for (const auto& [key, value] : j.items()) {
    const char* k = key.c_str();
    if (key == "algorithm") continue;
    if (c->algorithm == Algorithm::kPpo ? kA2cOnly.contains(key) : kPpoOnly.contains(key)) {
      return MakeError(ConfigErrorKind::kUnknownKey, key,
                       fmt::format("not a hyperparameter of {}", AlgorithmName(c->algorithm)));
    }
    if (key == "learning_rate") {
      KF_RL_CHECK(ReadDouble(value, k, &c->learning_rate));
    } else if (key == "lr_schedule") {
      if (!value.is_string()) {
        return MakeError(ConfigErrorKind::kWrongType, key, "expected a string");
      }
      const auto s = value.get<std::string>();
      if (s == "constant") {
        c->lr_schedule = LrSchedule::kConstant;
      } else if (s == "linear") {
        c->lr_schedule = LrSchedule::kLinear;
      } else {
        return MakeError(ConfigErrorKind::kUnknownValue, key,
                         fmt::format("expected constant or linear, got '{}'", s));
      }
    } else if (key == "n_steps") {
      KF_RL_CHECK(ReadInt(value, k, &c->n_steps));
    } else if (key == "gamma") {
      KF_RL_CHECK(ReadDouble(value, k, &c->gamma));
    } else if (key == "gae_lambda") {
      KF_RL_CHECK(ReadDouble(value, k, &c->gae_lambda));
    } else if (key == "ent_coef") {
      KF_RL_CHECK(ReadDouble(value, k, &c->ent_coef));
    } else if (key == "vf_coef") {
      KF_RL_CHECK(ReadDouble(value, k, &c->vf_coef));
    } else if (key == "normalize_advantage") {
      KF_RL_CHECK(ReadBool(value, k, &c->normalize_advantage));
    } else if (key == "max_grad_norm") {
      KF_RL_CHECK(ReadOptionalDouble(value, k, &c->max_grad_norm));
    } else if (key == "adam_eps") {
      KF_RL_CHECK(ReadDouble(value, k, &c->adam_eps));
    } else if (key == "batch_size") {
      KF_RL_CHECK(ReadInt(value, k, &c->batch_size));
    } else if (key == "n_epochs") {
      KF_RL_CHECK(ReadInt(value, k, &c->n_epochs));
    } else if (key == "clip_range") {
      KF_RL_CHECK(ReadDouble(value, k, &c->clip_range));
    } else if (key == "clip_range_vf") {
      KF_RL_CHECK(ReadOptionalDouble(value, k, &c->clip_range_vf));
    } else if (key == "target_kl") {
      KF_RL_CHECK(ReadOptionalDouble(value, k, &c->target_kl));
    } else if (key == "use_rms_prop") {
      KF_RL_CHECK(ReadBool(value, k, &c->use_rms_prop));
    } else if (key == "rms_prop_alpha") {
      KF_RL_CHECK(ReadDouble(value, k, &c->rms_prop_alpha));
    } else if (key == "rms_prop_eps") {
      KF_RL_CHECK(ReadDouble(value, k, &c->rms_prop_eps));
    } else if (key == "seed") {
      if (!value.is_number_unsigned()) {
        return MakeError(ConfigErrorKind::kWrongType, key,
                         fmt::format("expected an unsigned integer, got {}", value.dump()));
      }
      c->seed = value.get<uint64_t>();
    } else if (key == "torch_threads") {
      KF_RL_CHECK(ReadInt(value, k, &c->torch_threads));
    } else if (key == "gradient_engine") {
      if (!value.is_string()) {
        return MakeError(ConfigErrorKind::kWrongType, key, "expected a string");
      }
      const auto s = value.get<std::string>();
      if (s == "native") {
        c->gradient_engine = GradientEngine::kNative;
      } else if (s == "autograd") {
        c->gradient_engine = GradientEngine::kAutograd;
      } else {
        return MakeError(ConfigErrorKind::kUnknownValue, key,
                         fmt::format("expected native or autograd, got '{}'", s));
      }
    } else if (key == "stats_window_size") {
      KF_RL_CHECK(ReadInt(value, k, &c->stats_window_size));
    } else if (key == "policy") {
      KF_RL_CHECK(ReadPolicy(value, &c->policy));
    } else {
      return MakeError(ConfigErrorKind::kUnknownKey, key, "not a trainer hyperparameter");
    }
  }
  return std::nullopt;
}

}  // namespace

FromJsonResult TrainerConfigFromJson(const Json& j) {
  if (!j.is_object()) {
    return core::Err(MakeError(ConfigErrorKind::kWrongType, "(root)", "expected a JSON object"));
  }
  TrainerConfig c;
  if (auto it = j.find("algorithm"); it != j.end()) {
    if (!it->is_string()) {
      return core::Err(MakeError(ConfigErrorKind::kWrongType, "algorithm", "expected a string"));
    }
    const auto s = it->get<std::string>();
    if (s == "ppo") {
      c = TrainerConfig::PpoDefaults();
    } else if (s == "a2c") {
      c = TrainerConfig::A2cDefaults();
    } else {
      return core::Err(MakeError(ConfigErrorKind::kUnknownValue, "algorithm",
                                 fmt::format("expected ppo or a2c, got '{}'", s)));
    }
  }
  if (auto e = ReadInto(j, &c)) return core::Err(std::move(*e));
  if (auto e = Validate(c)) return core::Err(std::move(*e));
  return c;
}

}  // namespace kalshiflow::rl
