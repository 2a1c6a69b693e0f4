// The actor-critic network and its optimiser (PPO or A2C updates), behind a torch-free
// interface: this header includes no LibTorch type, so only learner.cc pays LibTorch's compile
// cost (DESIGN §2, notes/cpp-stack.md §2).
//
// Network: Stable-Baselines3's `ActorCriticPolicy` for a Box observation and a Discrete action
// space (MlpExtractor of SB3 >= 1.8, share_features_extractor with a Flatten extractor):
//   mlp_extractor.policy_net = [Linear(obs, pi[0]), act, Linear(pi[0], pi[1]), act, ...]
//   mlp_extractor.value_net  = [Linear(obs, vf[0]), act, ...]
//   action_net = Linear(pi[-1] or obs, num_actions)   -> Categorical logits
//   value_net  = Linear(vf[-1] or obs, 1)
// Parameter names equal SB3's state-dict keys. Orthogonal init with SB3's gains (sqrt 2 for
// the trunks, 0.01 action_net, 1 value_net), zero biases. Optimiser: Adam(eps = adam_eps) for
// PPO (and A2C without RMSprop), RMSprop(alpha, eps, no momentum, not centered) for A2C.
//
// Losses (SB3 ppo.py / a2c.py), over a minibatch with advantages A (normalised per minibatch,
// (A - mean) / (std_unbiased + 1e-8), when normalize_advantage and size > 1):
//   PPO: ratio = exp(logp - old_logp); policy_loss = -mean(min(A*ratio, A*clip(ratio, 1-c, 1+c)))
//        values_pred = old_v + clip(v - old_v, -cvf, cvf) if clip_range_vf else v
//        approx_kl = mean((ratio - 1) - log ratio); clip_fraction = mean(|ratio - 1| > c)
//   A2C: policy_loss = -mean(A * logp)
//   value_loss = mean((returns - values_pred)^2); entropy_loss = -mean(entropy)
//   loss = policy_loss + ent_coef * entropy_loss + vf_coef * value_loss
// then backward, clip_grad_norm_(max_grad_norm), optimiser step.
//
// Gradient engines (TrainerConfig::gradient_engine): kNative (default) computes the forward
// pass, the losses and the gradient by hand over the flat parameter vector
// (rl/native_network.h; equal to autograd within 1e-5 of the largest gradient entry, tested)
// and is also used for Predict/PredictValues; kAutograd builds the LibTorch graph. Either way
// LibTorch holds the parameters, initialises them and runs the optimiser and the clipping.
//
// Threading: one thread at a time. Create() sets process-global LibTorch state
// (torch::manual_seed(config.seed), intra-op threads = config.torch_threads, and OpenBLAS's
// thread count when OpenBLAS is the BLAS), so do not run two learners concurrently.
// Errors: LibTorch failures surface as exceptions (c10::Error, a std::exception) from any
// method except Create/ImportParameters, which return a Status; Train() catches them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/rng.h"
#include "core/status.h"
#include "rl/parameters.h"
#include "rl/rollout_buffer.h"
#include "rl/trainer_config.h"

namespace kalshiflow::rl {

/// A batch of `size` samples as flat arrays (the learner copies them into tensors).
struct Batch {
  int size = 0;
  std::vector<float> observations;   // size * observation_size, row-major
  std::vector<int32_t> actions;      // size, in [0, num_actions)
  std::vector<float> old_values;     // V(obs) at collection time
  std::vector<float> old_log_probs;  // log pi_old(action | obs)
  std::vector<float> advantages;     // GAE advantages (not yet normalised)
  std::vector<float> returns;        // advantages + old_values
};

/// Loss terms of one batch (SB3 names). For A2C approx_kl and clip_fraction are 0.
struct LossReport {
  double policy_loss = 0;              // train/policy_gradient_loss
  double value_loss = 0;               // train/value_loss (MSE)
  double entropy_loss = 0;             // train/entropy_loss = -mean entropy (nats)
  double loss = 0;                     // train/loss, the total
  double approx_kl = 0;                // train/approx_kl (PPO)
  double clip_fraction = 0;            // train/clip_fraction (PPO)
  std::vector<float> advantages_used;  // the advantages after (optional) normalisation
};

/// One gradient step: its losses and the gradient's global L2 norm before clipping.
struct StepReport {
  LossReport losses;
  double grad_norm = 0;
};

/// Summary of one Update() (SB3's train/* figures).
struct UpdateStats {
  double policy_loss = 0;         // mean over minibatches of all epochs
  double value_loss = 0;          // mean over minibatches of all epochs
  double entropy_loss = 0;        // mean over minibatches of all epochs
  double approx_kl = 0;           // mean over the minibatches of the last epoch run (as SB3)
  double clip_fraction = 0;       // mean over minibatches of all epochs
  double loss = 0;                // total loss of the last minibatch
  double explained_variance = 0;  // 1 - Var(returns - values) / Var(returns); NaN if Var = 0
  double learning_rate = 0;       // the rate used for this update
  double grad_norm = 0;           // mean pre-clipping gradient norm over the optimiser steps
  double grad_norm_max = 0;       // largest pre-clipping gradient norm
  int epochs = 0;                 // epochs started
  int gradient_steps = 0;         // optimiser steps taken
  bool early_stopped = false;     // target_kl stopped the epochs (PPO)
};

class Learner {
 public:
  /// Builds the network for `observation_size` inputs and `num_actions` logits after seeding
  /// LibTorch with config.seed. InvalidArgument when the config does not validate or the
  /// sizes are < 1.
  static core::Result<std::unique_ptr<Learner>> Create(int observation_size, int num_actions,
                                                       const TrainerConfig& config);
  ~Learner();
  Learner(const Learner&) = delete;
  Learner& operator=(const Learner&) = delete;

  int observation_size() const;
  int num_actions() const;
  const TrainerConfig& config() const;
  int64_t parameter_count() const;

  /// Forward pass without gradients for n = obs.size() / observation_size rows: writes
  /// log-softmax probabilities (n * num_actions, row-major) and values (n).
  void Predict(std::span<const float> observations, std::span<float> log_probs,
               std::span<float> values);
  /// Values only (n = obs.size() / observation_size).
  void PredictValues(std::span<const float> observations, std::span<float> values);

  /// The loss terms of `batch` under the current parameters; no parameter changes.
  LossReport EvaluateLoss(const Batch& batch);
  /// One optimiser step on `batch` (loss, backward, clipping, step) at the current rate.
  StepReport TrainStep(const Batch& batch);
  /// d loss / d parameters for `batch` under the current parameters, flat in
  /// ExportParameters() order, before clipping; no parameter or optimiser change. (Tests
  /// compare the gradient engines with it.)
  std::vector<float> ComputeGradient(const Batch& batch);
  /// Global L2 norm of the gradients currently held (after the last step's clipping).
  double GradNorm() const;

  /// One SB3 `train()` over a full buffer: sets the rate from the schedule
  /// (lr * progress_remaining for kLinear), then PPO epochs of shuffled minibatches (SB3's
  /// flatten order, permutation drawn from `shuffle_rng`, last minibatch may be short) or one
  /// A2C full-batch step.
  UpdateStats Update(const RolloutBuffer& buffer, core::Rng& shuffle_rng,
                     double progress_remaining);

  double learning_rate() const;
  void SetLearningRate(double lr);

  /// Every parameter in SB3 state-dict order (mlp_extractor.policy_net.*, value_net trunk,
  /// action_net, value_net).
  std::vector<NamedArray> ExportParameters() const;
  /// Replaces every parameter; the names and shapes must match ExportParameters() exactly
  /// (InvalidArgument naming the first mismatch otherwise, parameters unchanged). The
  /// optimiser state is kept.
  core::Status ImportParameters(std::span<const NamedArray> parameters);

 private:
  struct Impl;
  explicit Learner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kalshiflow::rl
