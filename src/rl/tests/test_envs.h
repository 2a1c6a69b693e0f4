// Small VectorEnvs for the rl tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/rng.h"
#include "env/vector_env.h"
#include "rl/parameters.h"

namespace kalshiflow::rl::testing {

/// Contextual bandit: each observation is a one-hot of a context c in [0, num_contexts);
/// action c pays reward 1, any other action 0. Episodes last `episode_length` steps and end
/// by truncation (a time limit) with the next context as terminal_observation. A uniform
/// random policy earns episode_length / num_contexts per episode; the best earns
/// episode_length. Contexts come from core::Rng seeded by Reset.
class ContextualBandit final : public env::VectorEnv {
 public:
  ContextualBandit(int num_envs, int num_contexts, int episode_length);
  int num_envs() const override { return num_envs_; }
  int observation_size() const override { return num_contexts_; }
  int num_actions() const override { return num_contexts_; }
  void Reset(uint64_t seed, std::span<float> observations) override;
  void Step(std::span<const int32_t> actions, std::span<float> observations,
            std::span<float> rewards, std::span<uint8_t> terminated, std::span<uint8_t> truncated,
            std::vector<env::EpisodeInfo>* finished) override;

 private:
  void WriteObs(int env, std::span<float> observations) const;
  int num_envs_, num_contexts_, episode_length_;
  core::Rng rng_{0};
  std::vector<int> context_, t_;
  std::vector<double> episode_reward_;
};

/// Replays a fixed script (from golden.json "rollout"), ignoring the actions.
struct ScriptedStep {
  std::vector<float> next_obs;
  float reward = 0;
  bool terminated = false;
  bool truncated = false;
  std::vector<float> terminal_obs;
};
class ScriptedEnv final : public env::VectorEnv {
 public:
  ScriptedEnv(int obs_size, int num_actions, std::vector<std::vector<float>> reset_obs,
              std::vector<std::vector<ScriptedStep>> steps)  // steps[t][env]
      : obs_size_(obs_size),
        num_actions_(num_actions),
        reset_obs_(std::move(reset_obs)),
        steps_(std::move(steps)) {}
  int num_envs() const override { return static_cast<int>(reset_obs_.size()); }
  int observation_size() const override { return obs_size_; }
  int num_actions() const override { return num_actions_; }
  void Reset(uint64_t seed, std::span<float> observations) override;
  void Step(std::span<const int32_t> actions, std::span<float> observations,
            std::span<float> rewards, std::span<uint8_t> terminated, std::span<uint8_t> truncated,
            std::vector<env::EpisodeInfo>* finished) override;
  /// Drops terminal observations from the script (to test the contract check).
  void DropTerminalObservations();

 private:
  int obs_size_, num_actions_;
  std::vector<std::vector<float>> reset_obs_;
  std::vector<std::vector<ScriptedStep>> steps_;
  size_t t_ = 0;
};

/// Reads src/rl/tests/testdata/golden.json (written by make_golden.py).
std::string GoldenPath();
/// golden.json "params" as NamedArrays.
std::vector<NamedArray> GoldenParams();

}  // namespace kalshiflow::rl::testing
