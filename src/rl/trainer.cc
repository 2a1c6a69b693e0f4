#include "rl/trainer.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/check.h"

namespace kalshiflow::rl {

namespace {

// Independent streams derived from the one seed.
constexpr uint64_t kSampleStream = 0x53414D504C45ull;   // "SAMPLE"
constexpr uint64_t kShuffleStream = 0x53485546464Cull;  // "SHUFFL"

double Seconds(core::Timestamp from, core::Timestamp to) {
  return static_cast<double>(to.nanos() - from.nanos()) * 1e-9;
}

}  // namespace

void EpisodeWindow::Add(double total_reward, int64_t length) {
  ++finished_;
  window_.emplace_back(total_reward, length);
  if (window_.size() > capacity_) window_.pop_front();
}

double EpisodeWindow::MeanReward() const {
  if (window_.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (const auto& [r, l] : window_) s += r;
  return s / static_cast<double>(window_.size());
}

double EpisodeWindow::MeanLength() const {
  if (window_.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (const auto& [r, l] : window_) s += static_cast<double>(l);
  return s / static_cast<double>(window_.size());
}

int32_t SampleCategorical(std::span<const float> log_probs, core::Rng& rng) {
  KF_CHECK(!log_probs.empty(), "SampleCategorical over no actions");
  const double u = rng.Uniform01();
  double cumulative = 0;
  int32_t last_possible = 0;
  for (size_t a = 0; a < log_probs.size(); ++a) {
    const double p = std::exp(static_cast<double>(log_probs[a]));
    if (p > 0) last_possible = static_cast<int32_t>(a);
    cumulative += p;
    if (u < cumulative) return static_cast<int32_t>(a);
  }
  return last_possible;  // the probabilities summed to slightly less than u
}

Trainer::Trainer(std::unique_ptr<Learner> learner, uint64_t seed)
    : learner_(std::move(learner)),
      sample_rng_(seed ^ kSampleStream),
      shuffle_rng_(seed ^ kShuffleStream),
      episodes_(static_cast<size_t>(learner_->config().stats_window_size)) {}

core::Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainerConfig& config,
                                                       int observation_size, int num_actions) {
  KF_ASSIGN_OR_RETURN(std::unique_ptr<Learner> learner,
                      Learner::Create(observation_size, num_actions, config));
  return std::unique_ptr<Trainer>(new Trainer(std::move(learner), config.seed));
}

core::Status Trainer::Start(env::VectorEnv& env) {
  const TrainerConfig& c = learner_->config();
  const int n_envs = env.num_envs();
  const int obs_size = learner_->observation_size();
  const int n_actions = learner_->num_actions();
  if (n_envs < 1) return core::InvalidArgumentError("VectorEnv has no environments");
  if (env.observation_size() != obs_size || env.num_actions() != n_actions) {
    return core::InvalidArgumentError(fmt::format(
        "env has observation size {} and {} actions; the learner was built for {} and {}",
        env.observation_size(), env.num_actions(), obs_size, n_actions));
  }
  if (c.normalize_advantage && static_cast<int64_t>(c.n_steps) * n_envs < 2) {
    return core::InvalidArgumentError(
        "n_steps * num_envs must be > 1 when normalize_advantage is on");
  }
  const size_t ne = static_cast<size_t>(n_envs);
  n_envs_ = n_envs;
  last_obs_.assign(ne * static_cast<size_t>(obs_size), 0.0f);
  new_obs_.assign(last_obs_.size(), 0.0f);
  log_probs_.assign(ne * static_cast<size_t>(n_actions), 0.0f);
  values_.assign(ne, 0.0f);
  rewards_.assign(ne, 0.0f);
  chosen_log_probs_.assign(ne, 0.0f);
  actions_.assign(ne, 0);
  terminated_.assign(ne, 0);
  truncated_.assign(ne, 0);
  dones_.assign(ne, 0);
  last_episode_starts_.assign(ne, 1);  // SB3: _last_episode_starts = ones
  episodes_ = EpisodeWindow(static_cast<size_t>(c.stats_window_size));
  timesteps_ = 0;
  env.Reset(c.seed, last_obs_);
  started_ = true;
  return core::Status::Ok();
}

core::Status Trainer::CollectRollout(env::VectorEnv& env, RolloutBuffer& buffer) {
  KF_CHECK(started_ && env.num_envs() == n_envs_, "CollectRollout before Start on this env");
  const TrainerConfig& c = learner_->config();
  const int obs_size = learner_->observation_size();
  const size_t ne = static_cast<size_t>(n_envs_);
  const size_t n_actions = static_cast<size_t>(learner_->num_actions());
  KF_CHECK(buffer.n_envs() == n_envs_ && buffer.observation_size() == obs_size,
           "rollout buffer shaped for {} envs x {} floats", buffer.n_envs(),
           buffer.observation_size());
  buffer.Reset();
  while (!buffer.full()) {
    learner_->Predict(last_obs_, log_probs_, values_);
    for (size_t e = 0; e < ne; ++e) {
      const std::span<const float> row(log_probs_.data() + e * n_actions, n_actions);
      actions_[e] = SampleCategorical(row, sample_rng_);
      chosen_log_probs_[e] = row[static_cast<size_t>(actions_[e])];
    }
    finished_.clear();
    env.Step(actions_, new_obs_, rewards_, terminated_, truncated_, &finished_);
    timesteps_ += n_envs_;
    for (const env::EpisodeInfo& info : finished_) episodes_.Add(info.total_reward, info.length);

    // Time-limit bootstrapping (SB3 collect_rollouts): reward += gamma * V(terminal_obs) for
    // the envs truncated (and not terminated) at this step, in one batched value pass.
    truncated_envs_.clear();
    terminal_obs_.clear();
    for (size_t e = 0; e < ne; ++e) {
      dones_[e] = (terminated_[e] != 0 || truncated_[e] != 0) ? 1 : 0;
      if (!dones_[e]) continue;
      const env::EpisodeInfo* info = nullptr;
      for (const env::EpisodeInfo& f : finished_) {
        if (f.env_index == static_cast<int>(e)) info = &f;
      }
      if (info == nullptr) {
        return core::FailedPreconditionError(
            fmt::format("VectorEnv contract: env {} finished without an EpisodeInfo", e));
      }
      if (truncated_[e] != 0 && terminated_[e] == 0) {
        if (info->terminal_observation.size() != static_cast<size_t>(obs_size)) {
          return core::FailedPreconditionError(fmt::format(
              "VectorEnv contract: env {} truncated with a terminal_observation of {} floats "
              "(observation size {})",
              e, info->terminal_observation.size(), obs_size));
        }
        truncated_envs_.push_back(static_cast<int>(e));
        terminal_obs_.insert(terminal_obs_.end(), info->terminal_observation.begin(),
                             info->terminal_observation.end());
      }
    }
    if (!truncated_envs_.empty()) {
      terminal_values_.resize(truncated_envs_.size());
      learner_->PredictValues(terminal_obs_, terminal_values_);
      const float gamma = static_cast<float>(c.gamma);
      for (size_t k = 0; k < truncated_envs_.size(); ++k) {
        rewards_[static_cast<size_t>(truncated_envs_[k])] += gamma * terminal_values_[k];
      }
    }
    buffer.Add(last_obs_, actions_, rewards_, last_episode_starts_, values_, chosen_log_probs_);
    last_obs_.swap(new_obs_);
    last_episode_starts_ = dones_;
  }
  learner_->PredictValues(last_obs_, values_);
  buffer.ComputeReturnsAndAdvantage(values_, dones_, c.gamma, c.gae_lambda);
  return core::Status::Ok();
}

core::Result<TrainSummary> Trainer::Learn(env::VectorEnv& env, int64_t total_timesteps,
                                          const ProgressCallback& progress,
                                          const core::Clock& clock) {
  if (total_timesteps < 1) {
    return core::InvalidArgumentError(fmt::format("total_timesteps {} < 1", total_timesteps));
  }
  const TrainerConfig& c = learner_->config();
  TrainSummary summary;
  const core::Timestamp start = clock.Now();
  try {
    KF_RETURN_IF_ERROR(Start(env));
    RolloutBuffer buffer(c.n_steps, n_envs_, learner_->observation_size());
    int iteration = 0;
    while (timesteps_ < total_timesteps) {
      KF_RETURN_IF_ERROR(CollectRollout(env, buffer));
      ++iteration;
      const double progress_remaining =
          1.0 - static_cast<double>(timesteps_) / static_cast<double>(total_timesteps);
      const UpdateStats update = learner_->Update(buffer, shuffle_rng_, progress_remaining);

      ProgressEvent event;
      event.iteration = iteration;
      event.timesteps = timesteps_;
      event.total_timesteps = total_timesteps;
      event.elapsed_seconds = Seconds(start, clock.Now());
      event.steps_per_second =
          event.elapsed_seconds > 0 ? static_cast<double>(timesteps_) / event.elapsed_seconds : 0.0;
      event.episodes = episodes_.finished();
      event.mean_episode_reward = episodes_.MeanReward();
      event.mean_episode_length = episodes_.MeanLength();
      event.update = update;

      summary.iterations = iteration;
      summary.timesteps = timesteps_;
      summary.episodes = event.episodes;
      summary.elapsed_seconds = event.elapsed_seconds;
      summary.steps_per_second = event.steps_per_second;
      summary.mean_episode_reward = event.mean_episode_reward;
      summary.mean_episode_length = event.mean_episode_length;
      summary.last_update = update;
      if (progress && !progress(event)) {
        summary.stopped_by_callback = true;
        break;
      }
    }
    summary.parameters = learner_->ExportParameters();
  } catch (const std::exception& e) {
    return core::InternalError(fmt::format("training failed: {}", e.what()));
  }
  return summary;
}

core::Result<TrainSummary> Train(env::VectorEnv& env, const TrainerConfig& config,
                                 int64_t total_timesteps, const ProgressCallback& progress,
                                 const core::Clock& clock) {
  KF_ASSIGN_OR_RETURN(std::unique_ptr<Trainer> trainer,
                      Trainer::Create(config, env.observation_size(), env.num_actions()));
  return trainer->Learn(env, total_timesteps, progress, clock);
}

}  // namespace kalshiflow::rl
