#include "env/vector_replay_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/check.h"
#include "core/rng.h"

namespace kalshiflow::env {

core::Result<std::unique_ptr<VectorReplayEnv>> VectorReplayEnv::Create(
    std::shared_ptr<const SessionData> data, const EnvConfig& config, int num_envs) {
  if (num_envs < 1) {
    return core::InvalidArgumentError(fmt::format("VectorReplayEnv: num_envs {} < 1", num_envs));
  }
  KF_ASSIGN_OR_RETURN(std::unique_ptr<ReplayEnv> first, ReplayEnv::Create(std::move(data), config));
  std::vector<std::unique_ptr<ReplayEnv>> envs;
  envs.reserve(static_cast<std::size_t>(num_envs));
  for (int i = 1; i < num_envs; ++i) envs.push_back(first->Clone());
  envs.insert(envs.begin(), std::move(first));
  for (std::size_t i = 0; i < envs.size(); ++i) envs[i]->SetEpisodeSchedule(i, envs.size());
  return std::unique_ptr<VectorReplayEnv>(new VectorReplayEnv(std::move(envs)));
}

VectorReplayEnv::VectorReplayEnv(std::vector<std::unique_ptr<ReplayEnv>> envs)
    : envs_(std::move(envs)), results_(envs_.size()) {}

void VectorReplayEnv::Reset(uint64_t seed, std::span<float> observations) {
  const std::size_t n = envs_.size();
  const std::size_t size = static_cast<std::size_t>(observation_size());
  KF_CHECK(observations.size() == n * size, "VectorReplayEnv::Reset: {} floats, need {}",
           observations.size(), n * size);
  core::Rng root(seed);
  for (std::size_t i = 0; i < n; ++i) {
    envs_[i]->ResetInto(root.NextU64(), observations.subspan(i * size, size));
    results_[i] = StepResult{};
  }
}

void VectorReplayEnv::Step(std::span<const int32_t> actions, std::span<float> observations,
                           std::span<float> rewards, std::span<uint8_t> terminated,
                           std::span<uint8_t> truncated, std::vector<EpisodeInfo>* finished) {
  const std::size_t n = envs_.size();
  const std::size_t size = static_cast<std::size_t>(observation_size());
  KF_CHECK(actions.size() == n && rewards.size() == n && terminated.size() == n &&
               truncated.size() == n && observations.size() == n * size,
           "VectorReplayEnv::Step: array sizes (actions {}, obs {}, rewards {}, terminated {}, "
           "truncated {}) for {} envs of {} floats",
           actions.size(), observations.size(), rewards.size(), terminated.size(), truncated.size(),
           n, size);
  KF_CHECK(finished != nullptr, "VectorReplayEnv::Step: finished is null");
  for (std::size_t i = 0; i < n; ++i) {
    ReplayEnv& env = *envs_[i];
    const std::span<float> row = observations.subspan(i * size, size);
    const StepResult& r = env.StepInto(actions[i], row);
    results_[i] = r;
    rewards[i] = r.reward;
    terminated[i] = r.terminated ? 1 : 0;
    truncated[i] = r.truncated ? 1 : 0;
    if (!r.terminated && !r.truncated) continue;
    EpisodeInfo info = env.episode_info();
    info.env_index = static_cast<int>(i);
    if (r.truncated) info.terminal_observation.assign(row.begin(), row.end());
    finished->push_back(std::move(info));
    env.ResetInto(std::nullopt, row);
  }
}

core::Result<std::unique_ptr<VectorReplayEnv>> MakeVectorReplayEnv(
    storage::Store& store, std::span<const storage::SessionId> ids, const EnvConfig& config,
    int num_envs, const LoadOptions& options) {
  KF_RETURN_IF_ERROR(Validate(config));
  KF_ASSIGN_OR_RETURN(SessionData data, SessionData::Load(store, ids, options));
  return VectorReplayEnv::Create(std::make_shared<const SessionData>(std::move(data)), config,
                                 num_envs);
}

}  // namespace kalshiflow::env
