#include "rl/tests/test_envs.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/check.h"

namespace kalshiflow::rl::testing {

ContextualBandit::ContextualBandit(int num_envs, int num_contexts, int episode_length)
    : num_envs_(num_envs),
      num_contexts_(num_contexts),
      episode_length_(episode_length),
      context_(static_cast<size_t>(num_envs)),
      t_(static_cast<size_t>(num_envs)),
      episode_reward_(static_cast<size_t>(num_envs)) {}

void ContextualBandit::WriteObs(int env, std::span<float> observations) const {
  float* row = observations.data() + static_cast<size_t>(env) * num_contexts_;
  std::fill(row, row + num_contexts_, 0.0f);
  row[context_[static_cast<size_t>(env)]] = 1.0f;
}

void ContextualBandit::Reset(uint64_t seed, std::span<float> observations) {
  rng_ = core::Rng(seed);
  for (int e = 0; e < num_envs_; ++e) {
    context_[static_cast<size_t>(e)] = static_cast<int>(rng_.UniformInt(0, num_contexts_ - 1));
    t_[static_cast<size_t>(e)] = 0;
    episode_reward_[static_cast<size_t>(e)] = 0;
    WriteObs(e, observations);
  }
}

void ContextualBandit::Step(std::span<const int32_t> actions, std::span<float> observations,
                            std::span<float> rewards, std::span<uint8_t> terminated,
                            std::span<uint8_t> truncated, std::vector<env::EpisodeInfo>* finished) {
  for (int e = 0; e < num_envs_; ++e) {
    const size_t i = static_cast<size_t>(e);
    const float r = actions[i] == context_[i] ? 1.0f : 0.0f;
    rewards[i] = r;
    episode_reward_[i] += r;
    ++t_[i];
    context_[i] = static_cast<int>(rng_.UniformInt(0, num_contexts_ - 1));
    WriteObs(e, observations);
    terminated[i] = 0;
    truncated[i] = t_[i] == episode_length_ ? 1 : 0;
    if (truncated[i]) {
      env::EpisodeInfo info;
      info.env_index = e;
      info.total_reward = episode_reward_[i];
      info.length = t_[i];
      info.truncated = true;
      const float* row = observations.data() + i * num_contexts_;
      info.terminal_observation.assign(row, row + num_contexts_);
      finished->push_back(std::move(info));
      // Auto-reset: the next episode starts from a fresh context.
      t_[i] = 0;
      episode_reward_[i] = 0;
      context_[i] = static_cast<int>(rng_.UniformInt(0, num_contexts_ - 1));
      WriteObs(e, observations);
    }
  }
}

void ScriptedEnv::Reset(uint64_t /*seed*/, std::span<float> observations) {
  t_ = 0;
  for (size_t e = 0; e < reset_obs_.size(); ++e) {
    std::copy(reset_obs_[e].begin(), reset_obs_[e].end(), observations.begin() + e * obs_size_);
  }
}

void ScriptedEnv::Step(std::span<const int32_t> /*actions*/, std::span<float> observations,
                       std::span<float> rewards, std::span<uint8_t> terminated,
                       std::span<uint8_t> truncated, std::vector<env::EpisodeInfo>* finished) {
  KF_CHECK(t_ < steps_.size(), "script exhausted");
  for (size_t e = 0; e < reset_obs_.size(); ++e) {
    const ScriptedStep& s = steps_[t_][e];
    std::copy(s.next_obs.begin(), s.next_obs.end(), observations.begin() + e * obs_size_);
    rewards[e] = s.reward;
    terminated[e] = s.terminated ? 1 : 0;
    truncated[e] = s.truncated ? 1 : 0;
    if (s.terminated || s.truncated) {
      env::EpisodeInfo info;
      info.env_index = static_cast<int>(e);
      info.truncated = s.truncated;
      info.terminal_observation = s.terminal_obs;
      finished->push_back(std::move(info));
    }
  }
  ++t_;
}

void ScriptedEnv::DropTerminalObservations() {
  for (auto& row : steps_) {
    for (auto& s : row) s.terminal_obs.clear();
  }
}

std::string GoldenPath() { return std::string(KF_RL_TESTDATA_DIR) + "/golden.json"; }

std::vector<NamedArray> GoldenParams() {
  std::ifstream in(GoldenPath());
  KF_CHECK(in.good(), "cannot open {}", GoldenPath());
  const nlohmann::json g = nlohmann::json::parse(in);
  std::vector<NamedArray> out;
  for (const auto& p : g.at("params")) {
    out.push_back({p.at("name").get<std::string>(), p.at("shape").get<std::vector<int64_t>>(),
                   p.at("data").get<std::vector<float>>()});
  }
  return out;
}

}  // namespace kalshiflow::rl::testing
