// Hyperparameters of the learners (PPO, A2C) with Stable-Baselines3's names, defaults and
// meanings (SB3 2.x `PPO`, `A2C`, `ActorCriticPolicy`, `MlpExtractor`), their validation, and
// a JSON round trip (nlohmann). Torch-free: nothing here includes LibTorch.
//
// Threading: plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kalshiflow::rl {

enum class Algorithm : uint8_t { kPpo, kA2c };
/// Hidden-layer activation (SB3 `activation_fn`: nn.Tanh default, nn.ReLU).
enum class Activation : uint8_t { kTanh, kRelu };
/// Learning-rate schedule over training progress: constant, or SB3's
/// `get_linear_fn(lr, 0, 1)` i.e. lr * progress_remaining (1 at the start, -> 0 at the end).
enum class LrSchedule : uint8_t { kConstant, kLinear };
/// How minibatch gradients are computed. kNative: the hand-written forward/backward pass of
/// rl/native_network.h over the network's flat parameters (checked against LibTorch autograd
/// entry by entry in rl/tests/native_network_test.cc; ~10x faster for SB3's 64-sample
/// minibatches). kAutograd: LibTorch autograd. Both feed the same LibTorch optimiser.
enum class GradientEngine : uint8_t { kNative, kAutograd };

std::string_view AlgorithmName(Algorithm a);            // "ppo", "a2c"
std::string_view ActivationName(Activation a);          // "tanh", "relu"
std::string_view LrScheduleName(LrSchedule s);          // "constant", "linear"
std::string_view GradientEngineName(GradientEngine e);  // "native", "autograd"

/// The MLP shape of SB3's `ActorCriticPolicy` (SB3 >= 1.8 `net_arch=dict(pi=[...], vf=[...])`):
/// separate policy and value trunks over the (flattened) observation, then `action_net`
/// (logits) and `value_net` (one value). An empty trunk feeds the observation straight to its
/// head (SB3 `net_arch=[]`).
struct PolicyConfig {
  std::vector<int> pi_layers{64, 64};  // mlp_extractor.policy_net widths
  std::vector<int> vf_layers{64, 64};  // mlp_extractor.value_net widths
  Activation activation = Activation::kTanh;
  /// SB3 `ortho_init`: orthogonal weights (gain sqrt(2) trunks, 0.01 action_net, 1 value_net)
  /// and zero biases. Off: LibTorch's default nn.Linear init (kaiming-uniform, as PyTorch).
  bool ortho_init = true;

  friend bool operator==(const PolicyConfig&, const PolicyConfig&) = default;
};

/// All hyperparameters of one training run. Default-constructed = SB3 PPO defaults;
/// `A2cDefaults()` = SB3 A2C defaults. Fields marked (PPO) or (A2C) apply only to that
/// algorithm: the JSON form carries only the fields of its algorithm and refuses the others.
struct TrainerConfig {
  Algorithm algorithm = Algorithm::kPpo;

  // -- common (SB3 OnPolicyAlgorithm) --
  double learning_rate = 3e-4;  // PPO 3e-4, A2C 7e-4; > 0
  LrSchedule lr_schedule = LrSchedule::kConstant;
  int n_steps = 2048;               // steps per env per rollout (PPO 2048, A2C 5); >= 1
  double gamma = 0.99;              // discount, [0, 1]
  double gae_lambda = 0.95;         // GAE lambda, [0, 1] (PPO 0.95, A2C 1.0 = n-step returns)
  double ent_coef = 0.0;            // entropy bonus weight, >= 0
  double vf_coef = 0.5;             // value-loss weight, >= 0
  bool normalize_advantage = true;  // PPO true (per minibatch), A2C false
  /// Gradient-norm clipping (torch clip_grad_norm_, L2 over all parameters); nullopt = off.
  std::optional<double> max_grad_norm = 0.5;
  /// Adam epsilon (SB3 ActorCriticPolicy passes 1e-5 for Adam); used by PPO, and by A2C when
  /// use_rms_prop is false. > 0.
  double adam_eps = 1e-5;

  // -- PPO only --
  int batch_size = 64;                  // minibatch size, >= 2 when normalize_advantage (SB3)
  int n_epochs = 10;                    // passes over each rollout, >= 1
  double clip_range = 0.2;              // > 0
  std::optional<double> clip_range_vf;  // value clipping around the old values; nullopt = off
  /// Stop the epochs of an update early when a minibatch's approx_kl > 1.5 * target_kl.
  std::optional<double> target_kl;

  // -- A2C only --
  bool use_rms_prop = true;      // RMSprop (as SB3) or Adam
  double rms_prop_alpha = 0.99;  // (0, 1)
  double rms_prop_eps = 1e-5;    // > 0

  // -- run --
  uint64_t seed = 0;      // torch::manual_seed, env Reset, action sampling, shuffles
  int torch_threads = 1;  // LibTorch intra-op (and OpenBLAS) threads, >= 1
  GradientEngine gradient_engine = GradientEngine::kNative;  // a run setting, not a hyperparameter
  int stats_window_size = 100;  // episodes in the mean-reward window (SB3), >= 1
  PolicyConfig policy;

  static TrainerConfig PpoDefaults() { return TrainerConfig(); }
  static TrainerConfig A2cDefaults();

  friend bool operator==(const TrainerConfig&, const TrainerConfig&) = default;
};

/// Why a configuration was refused.
enum class ConfigErrorKind : uint8_t {
  kOutOfRange,    // a number outside its documented range (or not finite)
  kInconsistent,  // values that are fine alone but not together
  kWrongType,     // JSON value of the wrong type
  kUnknownKey,    // JSON key that is not a hyperparameter of the chosen algorithm
  kUnknownValue,  // enum spelling not recognised (algorithm, activation, lr_schedule, engine)
};
std::string_view ConfigErrorKindName(ConfigErrorKind kind);  // "out_of_range", ...

struct ConfigError {
  ConfigErrorKind kind = ConfigErrorKind::kOutOfRange;
  std::string field;    // e.g. "clip_range", "policy.net_arch.pi"
  std::string message;  // human-readable, names the value
  /// "out_of_range: clip_range: must be > 0, got -1".
  std::string ToString() const;
  /// InvalidArgument status carrying ToString().
  core::Status ToStatus() const;
};

/// Checks every field against its range (see the field comments). Returns the first problem.
std::optional<ConfigError> Validate(const TrainerConfig& config);

/// JSON object with every hyperparameter of `config.algorithm` (and none of the other's):
/// {"algorithm":"ppo","learning_rate":0.0003,...,"max_grad_norm":0.5,"clip_range_vf":null,
///  "seed":0,...,"policy":{"net_arch":{"pi":[64,64],"vf":[64,64]},"activation":"tanh",
///  "ortho_init":true}}. Optional fields that are off are written as null. The seed is written
/// as an unsigned integer.
nlohmann::json ToJson(const TrainerConfig& config);

/// Inverse of ToJson. Missing keys take the defaults of the chosen algorithm ("algorithm"
/// defaults to "ppo"); `policy.net_arch` may also be a list (same widths for both trunks, as
/// SB3). Unknown keys, keys of the other algorithm, wrong types and out-of-range values are
/// refused; the result is validated.
core::Result<TrainerConfig, ConfigError> TrainerConfigFromJson(const nlohmann::json& json);

}  // namespace kalshiflow::rl
