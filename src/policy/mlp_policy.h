// The inference-side MLP actor-critic (Stable-Baselines3 `ActorCriticPolicy` with the default
// `MlpExtractor`, DESIGN.md §6): an Eigen forward pass for one observation.
//
//   observation [obs]
//     ├─ policy trunk: (Linear + act) × len(pi) → latent_pi ─ action_net (Linear) → logits [n]
//     └─ value trunk:  (Linear + act) × len(vf) → latent_vf ─ value_net  (Linear) → value [1]
//
// SB3 parameter names (the keys of `policy.state_dict()`, also used by our checkpoint format and
// by the `rl` trainer): mlp_extractor.policy_net.{0,2,4,...}.{weight,bias} (the Sequential
// indices of the Linear layers; the activations sit at the odd indices),
// mlp_extractor.value_net.{0,2,...}.{weight,bias}, action_net.{weight,bias},
// value_net.{weight,bias}. A Linear weight is [out, in] row-major, as in PyTorch.
// Only Discrete action spaces, FlattenExtractor features (the observation itself, no
// parameters) and separate policy/value trunks (SB3 >= 1.8; no shared layers) are supported.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "policy/error.h"
#include "policy/tensor.h"

namespace kalshiflow::policy {

/// Hidden-layer activation (SB3 `activation_fn`): torch.nn.Tanh (SB3's default) or ReLU.
enum class Activation : uint8_t { kTanh, kRelu };
std::string_view ActivationName(Activation activation);            // "tanh" / "relu"
std::optional<Activation> ParseActivation(std::string_view name);  // exact "tanh" / "relu"

/// Hidden sizes of the two trunks, SB3's `net_arch=dict(pi=[...], vf=[...])`.
struct NetArch {
  std::vector<int> pi;
  std::vector<int> vf;
  friend bool operator==(const NetArch&, const NetArch&) = default;
};

/// One Linear layer: y = W x + b, W [out, in] row-major.
struct DenseLayer {
  int in = 0;
  int out = 0;
  std::vector<float> weight;  // out * in
  std::vector<float> bias;    // out
};

/// Which heads Forward computes. kPolicyOnly skips the value trunk (about half the work) when
/// only the action is needed; the value is then NaN.
enum class Heads : uint8_t { kPolicyAndValue, kPolicyOnly };

class MlpPolicy;

/// Caller-owned scratch memory and outputs of MlpPolicy::Forward, sized for one policy by
/// MlpPolicy::MakeBuffers (the only allocation). Reuse it across calls: Forward then
/// allocates nothing. One ForwardBuffers per thread. Outputs stay valid until the next
/// Forward into the same buffers.
class ForwardBuffers {
 public:
  ForwardBuffers() = default;

  /// Unnormalised log-probabilities (the action_net output), [action_count].
  std::span<const float> logits() const { return logits_; }
  /// softmax(logits), [action_count]; sums to 1 (within float rounding).
  std::span<const float> probabilities() const { return probabilities_; }
  /// argmax of the logits (the deterministic action; the lowest index among ties), or -1 when
  /// a logit is NaN.
  int action() const { return action_; }
  /// The value estimate; NaN after a Heads::kPolicyOnly forward.
  float value() const { return value_; }
  /// False when any logit (or the value, if computed) is NaN or infinite, e.g. because the
  /// observation held a NaN. The actor should treat such a prediction as an error.
  bool finite() const { return finite_; }

 private:
  friend class MlpPolicy;
  std::vector<float> ping_, pong_;  // hidden activations, max(hidden width)
  std::vector<float> logits_, probabilities_;
  int action_ = -1;
  float value_ = std::nanf("");
  bool finite_ = false;
};

/// An immutable MLP actor-critic. Construct with FromTensors (SB3 names) or Create.
/// Threading: immutable after construction; Forward is const and touches only the caller's
/// ForwardBuffers, so any number of threads may run one MlpPolicy concurrently, each with its
/// own buffers. Copyable and movable (the weights are plain vectors).
class MlpPolicy {
 public:
  /// Builds the network from SB3-named tensors (see the file comment). Errors:
  /// kMissingTensor (a needed name absent), kShapeMismatch (a weight/bias shape that does not
  /// chain: layer in != previous out, bias != out, value head out != 1), kBadTensor (a tensor
  /// whose data size is not the product of its shape), kUnsupportedModel (any other tensor
  /// name, e.g. `log_std` of a continuous policy or `mlp_extractor.shared_net.*`).
  static PolicyResult<MlpPolicy> FromTensors(const TensorMap& tensors, Activation activation);

  /// Builds the network from layers; same checks as FromTensors (kShapeMismatch/kBadTensor).
  /// An empty trunk is allowed (SB3 net_arch=[]: the head reads the observation directly).
  static PolicyResult<MlpPolicy> Create(std::vector<DenseLayer> policy_trunk,
                                        std::vector<DenseLayer> value_trunk, DenseLayer action_head,
                                        DenseLayer value_head, Activation activation);

  /// The parameters under their SB3 names (FromTensors(ToTensors(), activation()) is equal).
  TensorMap ToTensors() const;

  int observation_size() const { return observation_size_; }
  int action_count() const { return action_head_.out; }
  Activation activation() const { return activation_; }
  NetArch net_arch() const;
  const std::vector<DenseLayer>& policy_trunk() const { return policy_trunk_; }
  const std::vector<DenseLayer>& value_trunk() const { return value_trunk_; }
  const DenseLayer& action_head() const { return action_head_; }
  const DenseLayer& value_head() const { return value_head_; }

  /// Buffers sized for this policy (allocates).
  ForwardBuffers MakeBuffers() const;

  /// Runs the network on one observation of observation_size() floats and writes logits,
  /// probabilities, the argmax action and (with kPolicyAndValue) the value into `buffers`.
  /// No allocation. KF_CHECKs that the observation size matches and that `buffers` came from
  /// MakeBuffers of a policy with the same shape (both are programmer errors: the observation
  /// spec is checked when the model is loaded).
  void Forward(std::span<const float> observation, ForwardBuffers& buffers,
               Heads heads = Heads::kPolicyAndValue) const;

 private:
  MlpPolicy() = default;
  static PolicyResult<MlpPolicy> Validate(MlpPolicy policy);

  std::vector<DenseLayer> policy_trunk_;
  std::vector<DenseLayer> value_trunk_;
  DenseLayer action_head_;
  DenseLayer value_head_;
  Activation activation_ = Activation::kTanh;
  int observation_size_ = 0;
  int max_width_ = 0;  // the widest hidden layer (buffer size)
};

}  // namespace kalshiflow::policy
