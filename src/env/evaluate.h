// Evaluation of a policy on replayed episodes: P&L net of fees, fees, trades, win rate, max
// drawdown, Sharpe, action distribution (DESIGN §5 "Baselines always reported beside a model").
//
// Definitions (per evaluated episode e, steps t = 1..T_e, V_t = the simulator's marked value
// after step t, V_0 = initial cash):
//   pnl_e        = V_T - V_0 (exact, core::Money; fees are in the cash; = the sum of the exact
//                  rewards);
//   win rate     = #(pnl_e > 0) / episodes;
//   drawdown_e   = max over t of (max_{s<=t} V_s - V_t), dollars; max_drawdown is the worst
//                  episode's, mean_max_drawdown the mean over episodes;
//   Sharpe       = mean / population std of the per-step returns r_t = (V_t - V_{t-1}) / V_0
//                  (each step's P&L on the starting capital) over all steps of all episodes.
//                  V_0 rather than V_{t-1}: the simulator does not check collateral, so the
//                  marked value can reach 0 or go negative, where a return on it is
//                  meaningless. Dividing by the constant V_0 makes this the Sharpe ratio of
//                  the per-step rewards. NOT annualised: data points are irregular in time,
//                  so no periods-per-year factor applies. 0 when std = 0 (e.g. HOLD).
// Episodes cut short by EnvConfig::max_episode_steps count with their P&L at the cut.
//
// Threading: runs on the calling thread; the env and the policy are used from it only.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.h"
#include "core/status.h"
#include "env/baselines.h"
#include "env/replay_env.h"
#include "env/vector_replay_env.h"
#include "sim/actions.h"

namespace kalshiflow::env {

struct EvaluationReport {
  std::string policy;  // the name given to Evaluate
  int64_t episodes = 0;
  int64_t steps = 0;
  core::Money total_pnl;                 // sum of episode P&L, net of fees
  std::vector<core::Money> episode_pnl;  // in the order the episodes finished
  core::Money total_fees;
  int64_t trades = 0;  // fills
  double win_rate = 0.0;
  double max_drawdown = 0.0;       // dollars, worst episode
  double mean_max_drawdown = 0.0;  // dollars
  double sharpe = 0.0;             // per step, not annualised
  std::array<int64_t, sim::kNumActions> action_counts{};

  double mean_pnl() const;  // dollars per episode (0 without episodes)
  /// Share of steps that took action i (0 without steps).
  double action_fraction(int i) const;
};

/// {"policy", "episodes", "steps", "total_pnl" (decimal dollars), "mean_pnl", "total_fees",
/// "trades", "win_rate", "max_drawdown", "mean_max_drawdown", "sharpe", "action_counts"
/// {"HOLD": n, ...}}.
nlohmann::json ToJson(const EvaluationReport& report);

struct EvaluateOptions {
  /// Episodes to evaluate. 0 = every episode of env.episodes() exactly once, in order
  /// (ReplayEnv::ResetTo; the single-env overload only). Must be >= 0.
  int64_t episodes = 0;
  /// Reset seed (episode choice for EpisodeOrder::kRandom; the vector env's per-env seeds).
  uint64_t seed = 0;
  std::string policy_name;
};

/// Plays `options.episodes` episodes of `env` (Reset(seed) then Reset()), or each episode
/// once, choosing every action with `policy(observation, env.book())`. InvalidArgument for
/// episodes < 0 or a policy action outside [0, 5).
core::Result<EvaluationReport> Evaluate(ReplayEnv& env, const Policy& policy,
                                        const EvaluateOptions& options = {});

/// The same through the vectorised env (auto-reset): Reset(seed), then lockstep Steps until
/// `options.episodes` (>= 1) episodes finished; episodes finishing in the same Step count in
/// env order, and episodes still running at the end are discarded.
core::Result<EvaluationReport> Evaluate(VectorReplayEnv& env, const Policy& policy,
                                        const EvaluateOptions& options);

}  // namespace kalshiflow::env
