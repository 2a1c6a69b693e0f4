#include "env/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace kalshiflow::env {
namespace {

double Dollars(core::Money money) {
  return static_cast<double>(money.units()) / static_cast<double>(core::Money::kUnitsPerDollar);
}

// Per-episode curve statistics (marked value peak and drawdown).
struct EpisodeCurve {
  core::Money peak;
  core::Money value;
  core::Money max_drawdown;
  void Start(core::Money v) {
    peak = value = v;
    max_drawdown = core::Money();
  }
  void Add(core::Money v) {
    value = v;
    peak = std::max(peak, v);
    max_drawdown = std::max(max_drawdown, peak - v);
  }
};

// Accumulates the report. Per-step returns use Welford's online mean / variance.
class ReportBuilder {
 public:
  explicit ReportBuilder(std::string name) { report_.policy = std::move(name); }

  static double Return(const StepInfo& info, core::Money initial_cash) {
    return Dollars(info.reward) / Dollars(initial_cash);
  }

  void Step(int32_t action, double r) {
    ++report_.steps;
    ++report_.action_counts[static_cast<std::size_t>(action)];
    ++n_;
    const double delta = r - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (r - mean_);
  }

  void Episode(const StepInfo& last, const EpisodeCurve& curve) {
    ++report_.episodes;
    report_.episode_pnl.push_back(last.pnl);
    report_.total_pnl += last.pnl;
    report_.total_fees += last.fees;
    report_.trades += last.trades;
    if (last.pnl.IsPositive()) ++wins_;
    const double dd = Dollars(curve.max_drawdown);
    report_.max_drawdown = std::max(report_.max_drawdown, dd);
    drawdown_sum_ += dd;
  }

  EvaluationReport Finish() && {
    if (report_.episodes > 0) {
      report_.win_rate = static_cast<double>(wins_) / static_cast<double>(report_.episodes);
      report_.mean_max_drawdown = drawdown_sum_ / static_cast<double>(report_.episodes);
    }
    if (n_ > 0) {
      const double var = m2_ / static_cast<double>(n_);
      report_.sharpe = var > 0.0 ? mean_ / std::sqrt(var) : 0.0;
    }
    return std::move(report_);
  }

 private:
  EvaluationReport report_;
  int64_t wins_ = 0;
  double drawdown_sum_ = 0.0;
  int64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
};

core::Status CheckAction(int32_t action) {
  if (action < 0 || action >= sim::kNumActions) {
    return core::InvalidArgumentError(
        fmt::format("policy returned action {} outside [0, {})", action, sim::kNumActions));
  }
  return core::Status::Ok();
}

}  // namespace

double EvaluationReport::mean_pnl() const {
  return episodes > 0 ? Dollars(total_pnl) / static_cast<double>(episodes) : 0.0;
}

double EvaluationReport::action_fraction(int i) const {
  return steps > 0 ? static_cast<double>(action_counts[static_cast<std::size_t>(i)]) /
                         static_cast<double>(steps)
                   : 0.0;
}

nlohmann::json ToJson(const EvaluationReport& report) {
  nlohmann::json actions = nlohmann::json::object();
  for (int i = 0; i < sim::kNumActions; ++i) {
    actions[std::string(sim::ActionName(static_cast<sim::Action>(i)))] =
        report.action_counts[static_cast<std::size_t>(i)];
  }
  return {{"policy", report.policy},
          {"episodes", report.episodes},
          {"steps", report.steps},
          {"total_pnl", report.total_pnl.ToString()},
          {"mean_pnl", report.mean_pnl()},
          {"total_fees", report.total_fees.ToString()},
          {"trades", report.trades},
          {"win_rate", report.win_rate},
          {"max_drawdown", report.max_drawdown},
          {"mean_max_drawdown", report.mean_max_drawdown},
          {"sharpe", report.sharpe},
          {"action_counts", actions}};
}

core::Result<EvaluationReport> Evaluate(ReplayEnv& env, const Policy& policy,
                                        const EvaluateOptions& options) {
  if (options.episodes < 0) {
    return core::InvalidArgumentError(fmt::format("Evaluate: episodes {} < 0", options.episodes));
  }
  const bool each_once = options.episodes == 0;
  const int64_t episodes =
      each_once ? static_cast<int64_t>(env.episodes().size()) : options.episodes;
  ReportBuilder builder(options.policy_name);
  EpisodeCurve curve;
  for (int64_t e = 0; e < episodes; ++e) {
    std::span<const float> obs;
    if (each_once) {
      obs = env.ResetTo(static_cast<std::size_t>(e));
    } else {
      obs = e == 0 ? env.Reset(options.seed) : env.Reset();
    }
    curve.Start(env.config().initial_cash);
    while (true) {
      const int32_t action = policy(obs, env.book());
      KF_RETURN_IF_ERROR(CheckAction(action));
      const StepResult& r = env.Step(action);
      builder.Step(r.info.action, ReportBuilder::Return(r.info, env.config().initial_cash));
      curve.Add(r.info.marked_value);
      obs = r.observation;
      if (r.terminated || r.truncated) {
        builder.Episode(r.info, curve);
        break;
      }
    }
  }
  return std::move(builder).Finish();
}

core::Result<EvaluationReport> Evaluate(VectorReplayEnv& env, const Policy& policy,
                                        const EvaluateOptions& options) {
  if (options.episodes < 1) {
    return core::InvalidArgumentError(
        fmt::format("Evaluate (vector): episodes {} < 1", options.episodes));
  }
  const auto n = static_cast<std::size_t>(env.num_envs());
  const auto size = static_cast<std::size_t>(env.observation_size());
  std::vector<float> obs(n * size), rewards(n);
  std::vector<int32_t> actions(n);
  std::vector<uint8_t> terminated(n), truncated(n);
  std::vector<EpisodeInfo> finished;
  std::vector<EpisodeCurve> curves(n);
  const core::Money initial_cash = env.env(0).config().initial_cash;
  // Steps of the running episode of each env, reported only when the episode is counted.
  std::vector<std::vector<std::pair<int32_t, double>>> pending(n);
  for (auto& c : curves) c.Start(initial_cash);
  ReportBuilder builder(options.policy_name);
  int64_t done = 0;
  env.Reset(options.seed, obs);
  while (done < options.episodes) {
    for (std::size_t i = 0; i < n; ++i) {
      actions[i] = policy(std::span<const float>(obs).subspan(i * size, size),
                          env.env(static_cast<int>(i)).book());
      KF_RETURN_IF_ERROR(CheckAction(actions[i]));
    }
    finished.clear();
    env.Step(actions, obs, rewards, terminated, truncated, &finished);
    for (std::size_t i = 0; i < n; ++i) {
      const StepInfo& info = env.last_result(static_cast<int>(i)).info;
      pending[i].emplace_back(info.action, ReportBuilder::Return(info, initial_cash));
      curves[i].Add(info.marked_value);
      if (!terminated[i] && !truncated[i]) continue;
      if (done < options.episodes) {
        for (const auto& [action, r] : pending[i]) builder.Step(action, r);
        builder.Episode(info, curves[i]);
        ++done;
      }
      pending[i].clear();
      curves[i].Start(initial_cash);
    }
  }
  return std::move(builder).Finish();
}

}  // namespace kalshiflow::env
