#include "rl/rollout_buffer.h"

#include <algorithm>

#include "core/check.h"

namespace kalshiflow::rl {

void ComputeGae(int n_steps, int n_envs, std::span<const float> rewards,
                std::span<const float> values, std::span<const float> episode_starts,
                std::span<const float> last_values, std::span<const uint8_t> dones, double gamma,
                double gae_lambda, std::span<float> advantages, std::span<float> returns) {
  const size_t n = static_cast<size_t>(n_steps) * static_cast<size_t>(n_envs);
  KF_CHECK(n_steps >= 1 && n_envs >= 1, "ComputeGae n_steps={} n_envs={}", n_steps, n_envs);
  KF_CHECK(rewards.size() == n && values.size() == n && episode_starts.size() == n &&
               advantages.size() == n && returns.size() == n,
           "ComputeGae: arrays must have n_steps*n_envs={} values", n);
  KF_CHECK(last_values.size() == static_cast<size_t>(n_envs) &&
               dones.size() == static_cast<size_t>(n_envs),
           "ComputeGae: last_values/dones must have n_envs={} values", n_envs);
  // numpy semantics of SB3's float32 buffers: a Python float scalar is cast to float32 before
  // it meets an array, and `gamma * gae_lambda` is a Python (double) product cast once.
  const float g = static_cast<float>(gamma);
  const float gl = static_cast<float>(gamma * gae_lambda);
  for (int e = 0; e < n_envs; ++e) {
    float last_gae_lam = 0.0f;
    for (int t = n_steps - 1; t >= 0; --t) {
      const size_t i = static_cast<size_t>(t) * n_envs + e;
      float next_non_terminal;
      float next_value;
      if (t == n_steps - 1) {
        next_non_terminal = 1.0f - static_cast<float>(dones[e] != 0);
        next_value = last_values[e];
      } else {
        next_non_terminal = 1.0f - episode_starts[i + n_envs];
        next_value = values[i + n_envs];
      }
      const float delta = rewards[i] + g * next_value * next_non_terminal - values[i];
      last_gae_lam = delta + gl * next_non_terminal * last_gae_lam;
      advantages[i] = last_gae_lam;
      returns[i] = last_gae_lam + values[i];
    }
  }
}

RolloutBuffer::RolloutBuffer(int n_steps, int n_envs, int observation_size)
    : n_steps_(n_steps), n_envs_(n_envs), obs_size_(observation_size) {
  KF_CHECK(n_steps >= 1 && n_envs >= 1 && observation_size >= 1, "RolloutBuffer({}, {}, {})",
           n_steps, n_envs, observation_size);
  const size_t n = static_cast<size_t>(n_steps) * n_envs;
  observations_.resize(n * observation_size);
  actions_.resize(n);
  rewards_.resize(n);
  episode_starts_.resize(n);
  values_.resize(n);
  log_probs_.resize(n);
  advantages_.resize(n);
  returns_.resize(n);
}

void RolloutBuffer::Add(std::span<const float> obs, std::span<const int32_t> actions,
                        std::span<const float> rewards, std::span<const uint8_t> episode_starts,
                        std::span<const float> values, std::span<const float> log_probs) {
  KF_CHECK(pos_ < n_steps_, "RolloutBuffer::Add on a full buffer ({} steps)", n_steps_);
  const size_t ne = static_cast<size_t>(n_envs_);
  KF_CHECK(obs.size() == ne * obs_size_ && actions.size() == ne && rewards.size() == ne &&
               episode_starts.size() == ne && values.size() == ne && log_probs.size() == ne,
           "RolloutBuffer::Add: wrong sizes for {} envs", n_envs_);
  const size_t row = static_cast<size_t>(pos_) * ne;
  std::copy(obs.begin(), obs.end(), observations_.begin() + row * obs_size_);
  std::copy(actions.begin(), actions.end(), actions_.begin() + row);
  std::copy(rewards.begin(), rewards.end(), rewards_.begin() + row);
  for (size_t e = 0; e < ne; ++e) episode_starts_[row + e] = episode_starts[e] ? 1.0f : 0.0f;
  std::copy(values.begin(), values.end(), values_.begin() + row);
  std::copy(log_probs.begin(), log_probs.end(), log_probs_.begin() + row);
  ++pos_;
}

void RolloutBuffer::ComputeReturnsAndAdvantage(std::span<const float> last_values,
                                               std::span<const uint8_t> dones, double gamma,
                                               double gae_lambda) {
  KF_CHECK(full(), "GAE on a partial buffer ({} of {} steps)", pos_, n_steps_);
  ComputeGae(n_steps_, n_envs_, rewards_, values_, episode_starts_, last_values, dones, gamma,
             gae_lambda, advantages_, returns_);
}

}  // namespace kalshiflow::rl
