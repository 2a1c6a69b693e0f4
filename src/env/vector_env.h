#pragma once
// Gymnasium-shaped environment interfaces shared by the replay environment (this module) and the
// learners (`rl`). Observations are float32 rows of `observation_size()`; actions are indices of a
// Discrete(num_actions()) space; rewards are float dollars (change in marked-to-market value net of
// fees, DESIGN §5).
//
// Threading: an environment is used by one thread at a time.

#include <cstdint>
#include <span>
#include <vector>

namespace kalshiflow::env {

/// What a finished episode reports (Gymnasium `info` at the end of an episode, SB3's
/// `info["episode"]` plus trading figures). Money in micro-dollars (core::Money units).
struct EpisodeInfo {
  int env_index = 0;            // which environment of the vector finished
  double total_reward = 0.0;    // sum of rewards, dollars
  int64_t length = 0;           // steps in the episode
  int64_t pnl_micros = 0;       // final marked value - starting cash, net of fees
  int64_t fees_micros = 0;      // fees paid
  int64_t trades = 0;           // fills
  int64_t final_position = 0;   // contracts x100 (core::Count units), +YES / -NO, before marking
  bool truncated = false;       // ended by a step limit rather than the end of the data
  /// For truncated episodes: the observation at the cut (the learner bootstraps its value, as
  /// SB3 does for time limits). Empty otherwise.
  std::vector<float> terminal_observation;
};

/// N environments stepped in lockstep with auto-reset (Stable-Baselines3 VecEnv semantics):
/// when environment i finishes, the observation written for it is the first observation of its
/// next episode and its EpisodeInfo is appended to `finished`.
class VectorEnv {
 public:
  virtual ~VectorEnv() = default;
  virtual int num_envs() const = 0;
  virtual int observation_size() const = 0;
  virtual int num_actions() const = 0;

  /// Starts every environment from `seed` (same seed and data => identical trajectories).
  /// `observations` has num_envs() * observation_size() floats, row-major.
  virtual void Reset(uint64_t seed, std::span<float> observations) = 0;

  /// Applies actions[i] (size num_envs()) to environment i. Writes the next observations
  /// (num_envs() * observation_size()), rewards (num_envs()), and terminated/truncated flags
  /// (num_envs(), 0 or 1). Appends an EpisodeInfo per finished environment to `finished`.
  virtual void Step(std::span<const int32_t> actions, std::span<float> observations,
                    std::span<float> rewards, std::span<uint8_t> terminated,
                    std::span<uint8_t> truncated, std::vector<EpisodeInfo>* finished) = 0;
};

}  // namespace kalshiflow::env
