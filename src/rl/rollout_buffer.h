// The on-policy rollout buffer and Generalized Advantage Estimation, exactly as
// Stable-Baselines3's `RolloutBuffer` (stable_baselines3/common/buffers.py): storage is
// [n_steps][n_envs], `episode_starts[t][e]` is 1 when obs[t][e] is the first observation of an
// episode, and `ComputeReturnsAndAdvantage` runs SB3's backward recursion in float32:
//
//   next_non_terminal = 1 - dones            (last step; dones of the final env.step)
//                     = 1 - episode_starts[t+1]  (other steps)
//   next_value        = last_values (last step) or values[t+1]
//   delta_t   = r_t + gamma * next_value * next_non_terminal - V_t
//   A_t       = delta_t + gamma * lambda * next_non_terminal * A_{t+1}
//   returns_t = A_t + V_t
//
// Truncated episodes (time limits) are bootstrapped before `Add`, by the collector: the reward
// of the truncating step is r + gamma * V(terminal_observation) (SB3 on_policy_algorithm.py).
// Source: Schulman et al. 2016, "High-Dimensional Continuous Control Using GAE".
// Torch-free. Threading: one owner thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kalshiflow::rl {

/// Runs the GAE recursion above on raw [n_steps][n_envs] arrays (row-major, step-major).
/// `advantages` and `returns` receive n_steps * n_envs values. Float32 arithmetic, as SB3's
/// numpy float32 buffers (gamma and gamma*lambda rounded to float32 once). Crashes (KF_CHECK) on
/// size mismatches.
void ComputeGae(int n_steps, int n_envs, std::span<const float> rewards,
                std::span<const float> values, std::span<const float> episode_starts,
                std::span<const float> last_values, std::span<const uint8_t> dones, double gamma,
                double gae_lambda, std::span<float> advantages, std::span<float> returns);

class RolloutBuffer {
 public:
  RolloutBuffer(int n_steps, int n_envs, int observation_size);

  int n_steps() const { return n_steps_; }
  int n_envs() const { return n_envs_; }
  int observation_size() const { return obs_size_; }
  int size() const { return pos_; }  // steps added since Reset
  bool full() const { return pos_ == n_steps_; }

  void Reset() { pos_ = 0; }

  /// Appends one vectorised step: obs (n_envs * observation_size), then n_envs each of
  /// action, reward (already bootstrapped for truncation), episode_start (0/1), value V(obs)
  /// and log pi(action | obs). Crashes when full or on size mismatch.
  void Add(std::span<const float> obs, std::span<const int32_t> actions,
           std::span<const float> rewards, std::span<const uint8_t> episode_starts,
           std::span<const float> values, std::span<const float> log_probs);

  /// GAE over the full buffer; `last_values` = V(obs after the last step), `dones` = the
  /// terminated|truncated flags of the last step (n_envs each).
  void ComputeReturnsAndAdvantage(std::span<const float> last_values,
                                  std::span<const uint8_t> dones, double gamma, double gae_lambda);

  // [n_steps][n_envs](...) storage, step-major.
  std::span<const float> observations() const { return observations_; }
  std::span<const int32_t> actions() const { return actions_; }
  std::span<const float> rewards() const { return rewards_; }
  std::span<const float> episode_starts() const { return episode_starts_; }
  std::span<const float> values() const { return values_; }
  std::span<const float> log_probs() const { return log_probs_; }
  std::span<const float> advantages() const { return advantages_; }
  std::span<const float> returns() const { return returns_; }

  /// SB3's `swap_and_flatten` order used for minibatches: flat index k = env * n_steps + step.
  int FlatToStorage(int k) const { return (k % n_steps_) * n_envs_ + k / n_steps_; }

 private:
  int n_steps_;
  int n_envs_;
  int obs_size_;
  int pos_ = 0;
  std::vector<float> observations_;
  std::vector<int32_t> actions_;
  std::vector<float> rewards_;
  std::vector<float> episode_starts_;
  std::vector<float> values_;
  std::vector<float> log_probs_;
  std::vector<float> advantages_;
  std::vector<float> returns_;
};

}  // namespace kalshiflow::rl
