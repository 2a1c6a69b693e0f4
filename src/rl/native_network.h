// The actor-critic network's forward pass, losses and hand-written backward pass over a flat
// parameter vector, without LibTorch: the `native` gradient engine of the learner
// (TrainerConfig::gradient_engine).
//
// Why: a PPO update with SB3's defaults is 320 minibatch steps of 64 samples; LibTorch's
// autograd spends most of each step on per-op dispatch for matrices this small (~0.8 ms per
// step measured, rl_bench BM_PpoUpdate/64), which alone keeps training under DESIGN §10's
// 25,000 env steps/s. The network is fixed and small (Linear + tanh/ReLU trunks, a
// categorical head and a value head), so its gradient is written out here and checked
// against LibTorch autograd on the same parameters (rl/tests/native_network_test.cc: losses
// and every gradient entry). LibTorch still owns the parameters, their initialisation and the
// optimiser (Adam / RMSprop step on the flat gradient this class writes).
//
// Layout: parameters in Stable-Baselines3 state-dict order (mlp_extractor.policy_net.0.weight,
// .0.bias, .2.weight, ..., mlp_extractor.value_net.*, action_net.weight, action_net.bias,
// value_net.weight, value_net.bias); weights row-major [out, in] as PyTorch's nn.Linear.
//
// Losses: exactly those of learner.h (SB3 ppo.py / a2c.py), including torch's subgradient
// conventions: torch.min splits the gradient of a tie equally, clamp passes the gradient
// on [min, max] inclusive, ReLU passes it where the output is > 0.
//
// Threading: one thread at a time per instance (it owns scratch buffers); instances are
// independent. No allocation after the first call at a given minibatch size.
#pragma once

#include <cstdint>
#include <vector>

#include "rl/trainer_config.h"

namespace kalshiflow::rl {

/// One nn.Linear inside the flat parameter vector: offsets in floats.
struct LinearSlice {
  int64_t weight = 0;  // [out, in] row-major
  int64_t bias = 0;    // [out]
  int in = 0;
  int out = 0;

  friend bool operator==(const LinearSlice&, const LinearSlice&) = default;
};

/// Where every layer lives in the flat parameter vector (SB3 order, see the file comment).
struct NetworkLayout {
  int observation_size = 0;
  int num_actions = 0;
  Activation activation = Activation::kTanh;
  std::vector<LinearSlice> policy_trunk;  // mlp_extractor.policy_net Linear layers
  std::vector<LinearSlice> value_trunk;   // mlp_extractor.value_net Linear layers
  LinearSlice action_head;                // action_net: -> num_actions logits
  LinearSlice value_head;                 // value_net: -> 1
  int64_t parameter_count = 0;

  /// The layout of SB3's ActorCriticPolicy for these sizes and this PolicyConfig.
  static NetworkLayout For(int observation_size, int num_actions, const PolicyConfig& policy);

  friend bool operator==(const NetworkLayout&, const NetworkLayout&) = default;
};

/// A minibatch as pointers to `size` rows (observations: size * observation_size floats).
struct MinibatchView {
  int size = 0;
  const float* observations = nullptr;
  const int32_t* actions = nullptr;  // each in [0, num_actions)
  const float* old_values = nullptr;
  const float* old_log_probs = nullptr;
  const float* advantages = nullptr;  // not yet normalised
  const float* returns = nullptr;
};

/// The loss terms of one minibatch (same meanings as LossReport in learner.h).
struct NativeLoss {
  double policy_loss = 0;
  double value_loss = 0;
  double entropy_loss = 0;
  double loss = 0;
  double approx_kl = 0;      // PPO only, else 0
  double clip_fraction = 0;  // PPO only, else 0
};

class NativeActorCritic {
 public:
  explicit NativeActorCritic(NetworkLayout layout);

  const NetworkLayout& layout() const { return layout_; }

  /// Inference for n rows: log-softmax of the logits (n * num_actions, row-major) and the
  /// values (n). `params` holds layout().parameter_count floats.
  void Predict(const float* params, const float* observations, int n, float* log_probs,
               float* values);
  /// Values only.
  void PredictValues(const float* params, const float* observations, int n, float* values);

  /// The loss of `batch` under `params` for `config` (algorithm, normalize_advantage,
  /// clip_range, clip_range_vf, ent_coef, vf_coef). When `gradient` is non-null it is
  /// overwritten with d loss / d params (parameter_count floats). When `advantages_used` is
  /// non-null it receives the advantages after the optional per-minibatch normalisation.
  NativeLoss LossAndGradient(const float* params, const MinibatchView& batch,
                             const TrainerConfig& config, float* gradient, float* advantages_used);

 private:
  // Runs a trunk for n rows; outputs_[l] = activation(layer l), returns the last output
  // (or the observations for an empty trunk).
  const float* RunTrunk(const float* params, const std::vector<LinearSlice>& trunk,
                        const float* observations, int n, std::vector<std::vector<float>>& outputs);
  void EnsureRows(int n);

  NetworkLayout layout_;
  int rows_ = 0;                                                    // scratch capacity in rows
  std::vector<std::vector<float>> policy_outputs_, value_outputs_;  // per layer, rows * width
  std::vector<float> transposed_;  // [in, out] copy of one weight at a time
  std::vector<float> logits_, log_probs_, probs_, values_;
  std::vector<float> dlogits_, dvalues_, dhidden_, dhidden_next_;
  std::vector<float> advantages_;
};

}  // namespace kalshiflow::rl
