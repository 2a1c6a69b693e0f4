// The on-policy training loop (Stable-Baselines3 `OnPolicyAlgorithm.learn`): collect n_steps
// from every environment of a VectorEnv with actions sampled from the categorical policy,
// bootstrap truncated episodes, compute GAE, update (PPO or A2C), report progress; repeat
// until total_timesteps env steps. Torch-free header; LibTorch stays behind learner.h.
//
// Threading: Learn/Train run on the calling thread and own LibTorch's global state while they
// run (seed, intra-op threads); the progress callback runs on that thread between updates.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "env/vector_env.h"
#include "rl/learner.h"
#include "rl/parameters.h"
#include "rl/rollout_buffer.h"
#include "rl/trainer_config.h"

namespace kalshiflow::rl {

/// Reported after every update (one per rollout of n_steps * num_envs env steps).
struct ProgressEvent {
  int iteration = 0;            // rollouts collected so far (SB3 time/iterations)
  int64_t timesteps = 0;        // env steps so far (SB3 time/total_timesteps)
  int64_t total_timesteps = 0;  // the goal of this run
  double elapsed_seconds = 0;   // since Learn started (injected clock)
  double steps_per_second = 0;  // timesteps / elapsed_seconds (SB3 time/fps), incl. updates
  int64_t episodes = 0;         // episodes finished so far
  /// Mean total reward (dollars) and length of the last stats_window_size finished episodes
  /// (SB3 rollout/ep_rew_mean, ep_len_mean); NaN before the first finished episode.
  double mean_episode_reward = 0;
  double mean_episode_length = 0;
  UpdateStats update;  // losses, approx_kl, clip_fraction, learning rate, grad norm, ...
};

/// Return false to stop training after this update.
using ProgressCallback = std::function<bool(const ProgressEvent&)>;

struct TrainSummary {
  int iterations = 0;
  int64_t timesteps = 0;
  int64_t episodes = 0;
  double elapsed_seconds = 0;
  double steps_per_second = 0;
  double mean_episode_reward = 0;  // last window, NaN if no episode finished
  double mean_episode_length = 0;
  bool stopped_by_callback = false;
  UpdateStats last_update;
  std::vector<NamedArray> parameters;  // the trained network (Learner::ExportParameters)
};

/// The mean reward/length window over the last `capacity` finished episodes (SB3
/// ep_info_buffer).
class EpisodeWindow {
 public:
  explicit EpisodeWindow(size_t capacity) : capacity_(capacity) {}
  void Add(double total_reward, int64_t length);
  int64_t finished() const { return finished_; }
  double MeanReward() const;  // NaN when empty
  double MeanLength() const;  // NaN when empty

 private:
  size_t capacity_;
  int64_t finished_ = 0;
  std::deque<std::pair<double, int64_t>> window_;
};

/// A learner plus its random streams and the rollout state; Learn may be called more than
/// once (training continues from the current parameters and optimiser state; the
/// environment is reset each time).
class Trainer {
 public:
  /// InvalidArgument when the config does not validate or the sizes are < 1.
  static core::Result<std::unique_ptr<Trainer>> Create(const TrainerConfig& config,
                                                       int observation_size, int num_actions);

  /// Runs SB3's learn loop on `env` until at least total_timesteps env steps (whole rollouts)
  /// or the callback returns false: Start, then CollectRollout + Learner::Update per
  /// iteration. Errors: those of Start and CollectRollout, InvalidArgument for
  /// total_timesteps < 1, Internal when LibTorch threw.
  core::Result<TrainSummary> Learn(env::VectorEnv& env, int64_t total_timesteps,
                                   const ProgressCallback& progress = {},
                                   const core::Clock& clock = core::RealClock::Instance());

  /// Resets `env` with config.seed and the rollout state (episode starts = 1, counters 0).
  /// InvalidArgument when the env's sizes differ from the learner's, or a rollout would hold
  /// one sample while normalize_advantage is on.
  core::Status Start(env::VectorEnv& env);
  /// SB3 collect_rollouts: n_steps steps of every env into `buffer` (reset first; shaped
  /// n_steps x num_envs x observation_size), actions sampled from the policy, rewards of
  /// truncated (not terminated) envs bootstrapped with gamma * V(terminal_observation), then
  /// GAE. Requires Start on the same env. FailedPrecondition when the env breaks the VectorEnv
  /// contract (a finished env without its EpisodeInfo, a truncation without a
  /// terminal_observation of observation_size floats).
  core::Status CollectRollout(env::VectorEnv& env, RolloutBuffer& buffer);

  int64_t timesteps() const { return timesteps_; }
  const EpisodeWindow& episodes() const { return episodes_; }
  Learner& learner() { return *learner_; }
  const TrainerConfig& config() const { return learner_->config(); }

 private:
  Trainer(std::unique_ptr<Learner> learner, uint64_t seed);
  std::unique_ptr<Learner> learner_;
  core::Rng sample_rng_;   // action sampling
  core::Rng shuffle_rng_;  // minibatch permutations
  EpisodeWindow episodes_;
  int64_t timesteps_ = 0;
  bool started_ = false;
  int n_envs_ = 0;
  // Rollout state and scratch (sized by Start).
  std::vector<float> last_obs_, new_obs_, log_probs_, values_, rewards_, chosen_log_probs_;
  std::vector<int32_t> actions_;
  std::vector<uint8_t> terminated_, truncated_, dones_, last_episode_starts_;
  std::vector<env::EpisodeInfo> finished_;
  std::vector<float> terminal_obs_, terminal_values_;
  std::vector<int> truncated_envs_;
};

/// Convenience: Trainer::Create for env's sizes, then Learn. Same seed + same env (same data)
/// => identical parameters.
core::Result<TrainSummary> Train(env::VectorEnv& env, const TrainerConfig& config,
                                 int64_t total_timesteps, const ProgressCallback& progress = {},
                                 const core::Clock& clock = core::RealClock::Instance());

/// Samples an index from log-probabilities by inverse CDF with one Uniform01 draw (the
/// trainer's categorical sampler; exposed for tests).
int32_t SampleCategorical(std::span<const float> log_probs, core::Rng& rng);

}  // namespace kalshiflow::rl
