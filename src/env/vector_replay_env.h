// N replay environments stepped in lockstep with Stable-Baselines3 VecEnv auto-reset
// semantics (env/vector_env.h): the `rl` trainer's view of recorded sessions.
//
// Seeds: Reset(seed) draws one 64-bit seed per environment from core::Rng(seed) (env 0
// first) and resets environment i with it; later episodes continue each environment's own
// stream. With EpisodeOrder::kRoundRobin environment i plays episodes i, i + N, i + 2N, ...
//
// Auto-reset: when environment i terminates or is truncated in Step, its EpisodeInfo
// (env_index = i; for a truncation, terminal_observation = the observation at the cut) is
// appended to `finished`, and the observation written for it is the first observation of
// its next episode.
//
// Threading: thread-compatible (one thread). Allocation: Step writes into the caller's
// arrays and does not allocate while no episode ends; an ending episode allocates its
// book/simulator (Reset), a truncation its terminal_observation, and `finished` may grow.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "env/env_config.h"
#include "env/replay_env.h"
#include "env/session_data.h"
#include "env/vector_env.h"
#include "storage/store.h"

namespace kalshiflow::env {

class VectorReplayEnv final : public VectorEnv {
 public:
  /// `num_envs` (>= 1, else InvalidArgument) environments over `data` with `config`; the
  /// errors of ReplayEnv::Create otherwise.
  static core::Result<std::unique_ptr<VectorReplayEnv>> Create(
      std::shared_ptr<const SessionData> data, const EnvConfig& config, int num_envs);

  int num_envs() const override { return static_cast<int>(envs_.size()); }
  int observation_size() const override { return ReplayEnv::kObservationSize; }
  int num_actions() const override { return sim::kNumActions; }

  void Reset(uint64_t seed, std::span<float> observations) override;
  void Step(std::span<const int32_t> actions, std::span<float> observations,
            std::span<float> rewards, std::span<uint8_t> terminated, std::span<uint8_t> truncated,
            std::vector<EpisodeInfo>* finished) override;

  /// Environment i (its book, simulator). After an auto-reset it is in its next episode.
  ReplayEnv& env(int i) { return *envs_[static_cast<std::size_t>(i)]; }
  const ReplayEnv& env(int i) const { return *envs_[static_cast<std::size_t>(i)]; }
  /// Environment i's result of the last Step (exact reward, info), as it was before any
  /// auto-reset (its observation span is not meaningful after one: read `observations`).
  const StepResult& last_result(int i) const { return results_[static_cast<std::size_t>(i)]; }

 private:
  explicit VectorReplayEnv(std::vector<std::unique_ptr<ReplayEnv>> envs);
  std::vector<std::unique_ptr<ReplayEnv>> envs_;
  std::vector<StepResult> results_;
};

/// Convenience for the trainer: SessionData::Load(store, ids, options), then
/// VectorReplayEnv::Create. The store is not used after this returns.
core::Result<std::unique_ptr<VectorReplayEnv>> MakeVectorReplayEnv(
    storage::Store& store, std::span<const storage::SessionId> ids, const EnvConfig& config,
    int num_envs, const LoadOptions& options = {});

}  // namespace kalshiflow::env
