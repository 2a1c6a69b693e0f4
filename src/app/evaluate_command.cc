// `kalshiflow evaluate --model MODEL [--sessions IDS] [--baselines] [--json]`: runs a registered
// model (its Eigen forward pass, deterministic: the most probable action) and, with
// --baselines, HOLD, uniform random and the mean-reversion rule (DESIGN §5) over every episode
// of the chosen sessions with the same simulator, and prints per policy: total and per-episode
// P&L net of fees, fees, trades, win rate, max drawdown, Sharpe and the action distribution.
// The environment settings are the model's training settings unless env flags are given.
// Results are stored with the model (performance.evaluations).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/database.h"
#include "app/env_options.h"
#include "app/model_registry.h"
#include "env/baselines.h"
#include "env/evaluate.h"
#include "env/replay_env.h"
#include "env/session_data.h"
#include "sim/actions.h"

namespace kalshiflow::app {
namespace {

struct EvaluateArgs {
  std::string model;
  bool baselines = false;
  bool json = false;
  uint64_t seed = 0;
  std::string database_url;
  EnvFlags env;
  bool env_flags_given = false;
};

env::Policy ModelPolicy(const RunnableModel& model) {
  auto net = std::make_shared<policy::MlpPolicy>(model.loaded.policy);
  auto buffers = std::make_shared<policy::ForwardBuffers>(net->MakeBuffers());
  return [net, buffers](std::span<const float> obs, const book::OrderBook&) -> int32_t {
    net->Forward(obs, *buffers, policy::Heads::kPolicyOnly);
    return buffers->action() < 0 ? 0 : buffers->action();  // non-finite output: HOLD
  };
}

void PrintReport(const env::EvaluationReport& r) {
  fmt::print("{:<16} {:>8} {:>12} {:>11} {:>10} {:>7} {:>8} {:>9} {:>8}  ", r.policy, r.episodes,
             r.total_pnl.ToString(), fmt::format("{:.4f}", r.mean_pnl()), r.total_fees.ToString(),
             r.trades, fmt::format("{:.1f}%", 100 * r.win_rate),
             fmt::format("{:.2f}", r.max_drawdown), fmt::format("{:.4f}", r.sharpe));
  for (int a = 0; a < sim::kNumActions; ++a) {
    fmt::print("{}{:.0f}%", a == 0 ? "" : "/", 100 * r.action_fraction(a));
  }
  fmt::print("\n");
}

void RunEvaluate(const EvaluateArgs& args) {
  const std::string url = ResolveDatabaseUrl(args.database_url);
  auto store = OpenWritableStoreOrFail(url);
  const RunnableModel model = LoadRunnableModelOrFail(ResolveModelOrFail(*store, args.model));
  if (model.info.action_space != "discrete-5") {
    throw CommandFailed(1, fmt::format("evaluate: model {} acts in '{}'; the simulator runs the "
                                       "5-action spec (discrete-5, 10 contracts)",
                                       model.info.id, model.info.action_space));
  }
  env::EnvConfig config = EnvConfigFromFlagsOrFail(args.env, "evaluate");
  std::string env_source = "flags";
  if (!args.env_flags_given) {
    auto training = nlohmann::json::parse(model.info.training_config_json, nullptr, false);
    if (training.is_object() && training.contains("env")) {
      auto from_model = env::EnvConfigFromJson(training["env"]);
      if (!from_model.ok()) {
        throw CommandFailed(1, fmt::format("evaluate: model {}'s env settings: {}", model.info.id,
                                           from_model.error().ToString()));
      }
      config = *from_model;
      env_source = "model";
    } else {
      env_source = "defaults";
    }
  }
  config.max_episode_steps = 0;  // evaluate whole episodes
  if (config.observation_spec != model.info.observation_spec) {
    throw CommandFailed(
        1, fmt::format("evaluate: model {} expects spec '{}', the env builds '{}'", model.info.id,
                       model.info.observation_spec, config.observation_spec));
  }
  const auto sessions = ResolveSessionsOrFail(*store, args.env.sessions, "evaluate");
  auto data = env::SessionData::Load(*store, sessions);
  if (!data.ok()) throw CommandFailed(1, "evaluate: " + data.error().ToString());
  auto shared = std::make_shared<const env::SessionData>(std::move(data).value());
  auto replay = env::ReplayEnv::Create(shared, config);
  if (!replay.ok()) throw CommandFailed(1, "evaluate: " + replay.error().ToString());

  struct Candidate {
    std::string name;
    env::Policy policy;
  };
  std::vector<Candidate> candidates;
  candidates.push_back({fmt::format("model:{}", model.info.id), ModelPolicy(model)});
  if (args.baselines) {
    candidates.push_back({"hold", env::HoldPolicy()});
    candidates.push_back({"random", env::UniformRandomPolicy(args.seed)});
    candidates.push_back({"mean_reversion", env::MeanReversionPolicy()});
  }
  std::vector<env::EvaluationReport> reports;
  for (const auto& c : candidates) {
    env::EvaluateOptions options;
    options.seed = args.seed;
    options.policy_name = c.name;
    auto report = env::Evaluate(**replay, c.policy, options);
    if (!report.ok()) {
      throw CommandFailed(1, fmt::format("evaluate: {}: {}", c.name, report.error().ToString()));
    }
    reports.push_back(std::move(report).value());
  }

  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : reports) results.push_back(env::ToJson(r));
  const nlohmann::json evaluation = {
      {"evaluated_at", core::RealClock::Instance().Now().ToIso8601()},
      {"sessions", sessions},
      {"episodes", (*replay)->episodes().size()},
      {"env", env::ToJson(config)},
      {"env_source", env_source},
      {"seed", args.seed},
      {"policies", results}};
  // Stored with the model: performance.evaluations (newest last).
  auto performance = nlohmann::json::parse(model.info.performance_json, nullptr, false);
  if (!performance.is_object()) performance = nlohmann::json::object();
  if (!performance.contains("evaluations") || !performance["evaluations"].is_array()) {
    performance["evaluations"] = nlohmann::json::array();
  }
  performance["evaluations"].push_back(evaluation);
  performance["last_evaluation"] = evaluation;
  storage::ModelUpdate update;
  update.performance_json = performance.dump();
  update.updated_at = core::RealClock::Instance().Now();
  if (auto stored = store->UpdateModel(model.info.id, update); !stored.ok()) {
    throw CommandFailed(1, "evaluate: storing the results: " + stored.error().ToString());
  }

  if (args.json) {
    nlohmann::json j = evaluation;
    j["model_id"] = model.info.id;
    j["model"] = fmt::format("{} v{}", model.info.name, model.info.version);
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("model {} ({} v{}, {}) on session(s) {}: {} episodes, env settings from {}\n",
             model.info.id, model.info.name, model.info.version, model.info.algorithm,
             fmt::format("{}", fmt::join(sessions, ",")), (*replay)->episodes().size(), env_source);
  fmt::print("{:<16} {:>8} {:>12} {:>11} {:>10} {:>7} {:>8} {:>9} {:>8}  {}\n", "policy",
             "episodes", "P&L $", "P&L/ep $", "fees $", "trades", "win", "max DD $", "Sharpe",
             "actions H/BY/SY/BN/SN");
  for (const auto& r : reports) PrintReport(r);
}

}  // namespace

void AddEvaluateCommand(CLI::App& app) {
  auto args = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand(
      "evaluate", "Evaluate a model (and the baselines) on recorded sessions with the simulator");
  cmd->add_option("--model", args->model, "Model id, name or name@version")->required();
  cmd->add_flag("--baselines", args->baselines, "Also run HOLD, random and mean reversion");
  cmd->add_option("--seed", args->seed, "Seed of the random baseline")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--database-url", args->database_url,
                  "Database URL (default $DATABASE_URL, else sqlite://./data/kalshiflow.db)");
  AddEnvOptions(cmd, args->env);
  cmd->callback([args, cmd] {
    for (const char* flag :
         {"--price-strategy", "--queue-model", "--latency-ms", "--price-grid", "--initial-cash",
          "--max-episode-steps", "--episode-order", "--fee-type"}) {
      if (cmd->count(flag) > 0) args->env_flags_given = true;
    }
    RunEvaluate(*args);
  });
}

}  // namespace kalshiflow::app
