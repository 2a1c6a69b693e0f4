// `kalshiflow-train`: the training composition root (DESIGN §6), the only binary that links
// LibTorch (through `rl`). `kalshiflow train ...` runs this program with the same arguments.
//
//   kalshiflow train --algo ppo|a2c --steps N --seed S --name NAME [--sessions IDS]
//                    [--n-envs N] [hyperparameter flags] [env flags] [--json]
//
// Loads the chosen sessions before training (no database access while stepping), registers a
// `training` model row, trains with a progress line on a TTY (stderr) and every update's
// statistics appended to <checkpoint>.progress.jsonl, writes the checkpoint
// (src/policy/README.md), and marks the model `ready` with its training summary. SIGINT or
// SIGTERM stop after the current update and keep what was learnt. `--json` prints one object:
// model_id, name, version, algorithm, timesteps, episodes, env_steps_per_second, ...
#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/comma_list.h"
#include "app/commands.h"
#include "app/database.h"
#include "app/env_options.h"
#include "app/model_registry.h"
#include "env/session_data.h"
#include "env/vector_replay_env.h"
#include "rl/policy_export.h"
#include "rl/trainer.h"
#include "rl/trainer_config.h"

namespace kalshiflow::app {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

struct TrainArgs {
  std::string algo = "ppo";
  int64_t steps = 0;
  uint64_t seed = 0;
  std::string name;
  int n_envs = 1;
  bool json = false;
  std::string database_url;
  std::string models_dir;
  EnvFlags env;
  // Hyperparameters: unset = the algorithm's SB3 default.
  std::optional<double> learning_rate, gamma, gae_lambda, ent_coef, vf_coef, max_grad_norm,
      clip_range, clip_range_vf, target_kl;
  std::optional<int> n_steps, batch_size, n_epochs;
  std::optional<bool> normalize_advantage;
  std::string net_arch;     // "64,64"
  std::string activation;   // tanh | relu
  std::string lr_schedule;  // constant | linear
  int torch_threads = 1;
  std::string gradient_engine = "native";  // native | autograd
};

double Finite(double v) { return std::isfinite(v) ? v : 0.0; }

nlohmann::json UpdateJson(const rl::ProgressEvent& e) {
  const auto& u = e.update;
  return {{"iteration", e.iteration},
          {"timesteps", e.timesteps},
          {"elapsed_seconds", e.elapsed_seconds},
          {"steps_per_second", e.steps_per_second},
          {"episodes", e.episodes},
          {"mean_episode_reward", std::isfinite(e.mean_episode_reward)
                                      ? nlohmann::json(e.mean_episode_reward)
                                      : nlohmann::json()},
          {"mean_episode_length", std::isfinite(e.mean_episode_length)
                                      ? nlohmann::json(e.mean_episode_length)
                                      : nlohmann::json()},
          {"policy_loss", Finite(u.policy_loss)},
          {"value_loss", Finite(u.value_loss)},
          {"entropy_loss", Finite(u.entropy_loss)},
          {"approx_kl", Finite(u.approx_kl)},
          {"clip_fraction", Finite(u.clip_fraction)},
          {"explained_variance", Finite(u.explained_variance)},
          {"learning_rate", u.learning_rate},
          {"grad_norm", Finite(u.grad_norm)}};
}

rl::TrainerConfig TrainerConfigOrFail(const TrainArgs& a) {
  rl::TrainerConfig c;
  if (a.algo == "ppo") {
    c = rl::TrainerConfig::PpoDefaults();
  } else if (a.algo == "a2c") {
    c = rl::TrainerConfig::A2cDefaults();
  } else {
    throw CommandFailed(2, fmt::format("train: unknown --algo '{}' (ppo or a2c)", a.algo));
  }
  const bool ppo = a.algo == "ppo";
  auto ppo_only = [&](bool set, const char* flag) {
    if (set && !ppo) throw CommandFailed(2, fmt::format("train: {} applies to PPO only", flag));
  };
  ppo_only(a.batch_size.has_value(), "--batch-size");
  ppo_only(a.n_epochs.has_value(), "--n-epochs");
  ppo_only(a.clip_range.has_value(), "--clip-range");
  ppo_only(a.clip_range_vf.has_value(), "--clip-range-vf");
  ppo_only(a.target_kl.has_value(), "--target-kl");
  if (a.learning_rate) c.learning_rate = *a.learning_rate;
  if (a.n_steps) c.n_steps = *a.n_steps;
  if (a.gamma) c.gamma = *a.gamma;
  if (a.gae_lambda) c.gae_lambda = *a.gae_lambda;
  if (a.ent_coef) c.ent_coef = *a.ent_coef;
  if (a.vf_coef) c.vf_coef = *a.vf_coef;
  if (a.max_grad_norm) {
    if (*a.max_grad_norm > 0) {
      c.max_grad_norm = *a.max_grad_norm;
    } else {
      c.max_grad_norm.reset();  // 0 = no clipping
    }
  }
  if (a.normalize_advantage) c.normalize_advantage = *a.normalize_advantage;
  if (a.batch_size) c.batch_size = *a.batch_size;
  if (a.n_epochs) c.n_epochs = *a.n_epochs;
  if (a.clip_range) c.clip_range = *a.clip_range;
  if (a.clip_range_vf) c.clip_range_vf = *a.clip_range_vf;
  if (a.target_kl) c.target_kl = *a.target_kl;
  if (!a.net_arch.empty()) {
    std::vector<int> layers;
    for (const std::string& item : SplitCommaList(a.net_arch)) {
      if (item.empty() || item.size() > 6 ||
          item.find_first_not_of("0123456789") != std::string::npos) {
        throw CommandFailed(
            2, fmt::format("train: --net-arch '{}': '{}' is not a layer width", a.net_arch, item));
      }
      layers.push_back(std::stoi(item));
    }
    c.policy.pi_layers = layers;
    c.policy.vf_layers = layers;
  }
  if (!a.activation.empty()) {
    if (a.activation == "tanh") {
      c.policy.activation = rl::Activation::kTanh;
    } else if (a.activation == "relu") {
      c.policy.activation = rl::Activation::kRelu;
    } else {
      throw CommandFailed(
          2, fmt::format("train: unknown --activation '{}' (tanh or relu)", a.activation));
    }
  }
  if (!a.lr_schedule.empty()) {
    if (a.lr_schedule == "constant") {
      c.lr_schedule = rl::LrSchedule::kConstant;
    } else if (a.lr_schedule == "linear") {
      c.lr_schedule = rl::LrSchedule::kLinear;
    } else {
      throw CommandFailed(
          2, fmt::format("train: unknown --lr-schedule '{}' (constant or linear)", a.lr_schedule));
    }
  }
  c.seed = a.seed;
  c.torch_threads = a.torch_threads;
  c.gradient_engine =
      a.gradient_engine == "autograd" ? rl::GradientEngine::kAutograd : rl::GradientEngine::kNative;
  if (auto error = rl::Validate(c)) throw CommandFailed(2, "train: " + error->ToString());
  return c;
}

void RunTrain(const TrainArgs& args) {
  if (args.steps < 1) throw CommandFailed(2, "train: --steps must be >= 1");
  if (args.name.empty()) throw CommandFailed(2, "train: --name is required");
  if (args.n_envs < 1 || args.n_envs > 256)
    throw CommandFailed(2, "train: --n-envs must be 1..256");
  const rl::TrainerConfig config = TrainerConfigOrFail(args);
  const env::EnvConfig env_config = EnvConfigFromFlagsOrFail(args.env, "train");
  const std::string url = ResolveDatabaseUrl(args.database_url);
  auto store = OpenWritableStoreOrFail(url);
  const auto sessions = ResolveSessionsOrFail(*store, args.env.sessions, "train");
  const bool tty = ::isatty(STDERR_FILENO) == 1;

  auto env = env::MakeVectorReplayEnv(*store, sessions, env_config, args.n_envs);
  if (!env.ok()) throw CommandFailed(1, "train: " + env.error().ToString());
  const auto& data = (*env)->env(0).data();
  const int64_t episodes_available = static_cast<int64_t>((*env)->env(0).episodes().size());
  if (!args.json || tty) {
    fmt::print(stderr, "train: {} session(s), {} episodes, {} data points ({:.1f} MB) loaded\n",
               sessions.size(), episodes_available, data.total_points(),
               static_cast<double>(data.MemoryBytes()) / 1e6);
  }

  const core::Clock& clock = core::RealClock::Instance();
  storage::NewModel row;
  row.name = args.name;
  row.algorithm = args.algo;
  row.observation_spec = env_config.observation_spec;
  row.action_space = "discrete-5";
  row.hyperparameters_json = rl::ToJson(config).dump();
  row.training_config_json = nlohmann::json{
      {"sessions", sessions},
      {"seed", args.seed},
      {"n_envs", args.n_envs},
      {"total_timesteps", args.steps},
      {"episodes_available", episodes_available},
      {"env",
       env::ToJson(env_config)}}.dump();
  row.status = storage::ModelStatus::kTraining;
  row.created_at = clock.Now();
  auto model = store->CreateModel(row);
  if (!model.ok()) throw CommandFailed(1, "train: " + model.error().ToString());

  const fs::path dir = ResolveModelsDir(args.models_dir, url);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw CommandFailed(1, fmt::format("train: cannot create {}: {}", dir.string(), ec.message()));
  const fs::path checkpoint_path =
      fs::absolute(dir / fmt::format("{}-v{}.kfpolicy", model->name, model->version));
  const fs::path progress_path = fs::path(checkpoint_path.string() + ".progress.jsonl");
  std::ofstream progress_file(progress_path, std::ios::trunc);

  auto fail = [&](const std::string& why) {
    storage::ModelUpdate update;
    update.status = storage::ModelStatus::kArchived;
    update.notes = "training failed: " + why;
    update.updated_at = clock.Now();
    (void)store->UpdateModel(model->id, update);
    throw CommandFailed(1, "train: " + why);
  };

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto progress = [&](const rl::ProgressEvent& e) {
    progress_file << UpdateJson(e).dump() << '\n';
    progress_file.flush();
    if (tty) {
      fmt::print(stderr,
                 "\r{} {} | {:>9}/{} steps | {:>7.0f} steps/s | {:>6} episodes | ep reward "
                 "{:>9.4f} | pi {:+.4f} vf {:.4f} kl {:.4f}   ",
                 args.algo, model->name, e.timesteps, e.total_timesteps, e.steps_per_second,
                 e.episodes, Finite(e.mean_episode_reward), Finite(e.update.policy_loss),
                 Finite(e.update.value_loss), Finite(e.update.approx_kl));
    }
    return !g_stop.load();
  };
  auto summary = rl::Train(**env, config, args.steps, progress, clock);
  if (tty) fmt::print(stderr, "\n");
  if (!summary.ok()) fail(summary.error().ToString());

  nlohmann::json training = {
      {"timesteps", summary->timesteps},
      {"iterations", summary->iterations},
      {"episodes", summary->episodes},
      {"elapsed_seconds", summary->elapsed_seconds},
      {"env_steps_per_second", summary->steps_per_second},
      {"mean_episode_reward", std::isfinite(summary->mean_episode_reward)
                                  ? nlohmann::json(summary->mean_episode_reward)
                                  : nlohmann::json()},
      {"stopped_early", summary->stopped_by_callback},
      {"progress_file", progress_path.string()}};
  auto checkpoint =
      rl::MakeTrainedCheckpoint(summary->parameters, config, env_config.observation_spec,
                                {{"model_id", model->id},
                                 {"timesteps", summary->timesteps},
                                 {"sessions", sessions},
                                 {"env", env::ToJson(env_config)}});
  if (!checkpoint.ok()) fail(checkpoint.error().ToString());
  auto saved = policy::SaveCheckpoint(checkpoint_path.string(), *checkpoint);
  if (!saved.ok())
    fail(fmt::format("writing {}: {}", checkpoint_path.string(), saved.error().ToString()));

  storage::ModelUpdate update;
  update.status = storage::ModelStatus::kReady;
  update.checkpoint_path = checkpoint_path.string();
  update.timesteps = summary->timesteps;
  update.performance_json = nlohmann::json{{"training", training}}.dump();
  update.updated_at = clock.Now();
  auto ready = store->UpdateModel(model->id, update);
  if (!ready.ok()) throw CommandFailed(1, "train: " + ready.error().ToString());

  if (args.json) {
    nlohmann::json j = training;
    j["model_id"] = model->id;
    j["name"] = model->name;
    j["version"] = model->version;
    j["algorithm"] = args.algo;
    j["seed"] = args.seed;
    j["sessions"] = sessions;
    j["n_envs"] = args.n_envs;
    j["checkpoint_path"] = checkpoint_path.string();
    j["last_update"] = {{"policy_loss", Finite(summary->last_update.policy_loss)},
                        {"value_loss", Finite(summary->last_update.value_loss)},
                        {"entropy_loss", Finite(summary->last_update.entropy_loss)},
                        {"approx_kl", Finite(summary->last_update.approx_kl)}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print(
        "trained model {} ({} v{}): {} {} steps in {:.1f} s ({:.0f} env steps/s), {} "
        "episodes, mean episode reward {:.4f} $; checkpoint {}\n",
        model->id, model->name, model->version, args.algo, summary->timesteps,
        summary->elapsed_seconds, summary->steps_per_second, summary->episodes,
        Finite(summary->mean_episode_reward), checkpoint_path.string());
  }
}

}  // namespace
}  // namespace kalshiflow::app

int main(int argc, char** argv) {
  using kalshiflow::app::CommandFailed;
  spdlog::set_default_logger(spdlog::stderr_color_mt("kalshiflow-train"));
  CLI::App app{"kalshiflow train: PPO/A2C on recorded sessions (LibTorch)", "kalshiflow train"};
  kalshiflow::app::TrainArgs args;
  app.add_option("--algo", args.algo, "ppo or a2c")->capture_default_str();
  app.add_option("--steps", args.steps, "Environment steps to train for")->required();
  app.add_option("--seed", args.seed, "Seed of everything (env, init, sampling)")
      ->capture_default_str();
  app.add_option("--name", args.name, "Registry name of the model")->required();
  app.add_option("--n-envs", args.n_envs, "Environments stepped in a batch")->capture_default_str();
  app.add_flag("--json", args.json, "Print a final JSON summary");
  app.add_option("--database-url", args.database_url,
                 "Database URL (default $DATABASE_URL, else sqlite://./data/kalshiflow.db)");
  app.add_option("--models-dir", args.models_dir,
                 "Where checkpoints are written (default: models/ beside the database)");
  app.add_option("--learning-rate", args.learning_rate, "Default PPO 3e-4, A2C 7e-4");
  app.add_option("--lr-schedule", args.lr_schedule, "constant (default) or linear");
  app.add_option("--n-steps", args.n_steps, "Steps per env per rollout (PPO 2048, A2C 5)");
  app.add_option("--gamma", args.gamma, "Discount (0.99)");
  app.add_option("--gae-lambda", args.gae_lambda, "GAE lambda (PPO 0.95, A2C 1.0)");
  app.add_option("--ent-coef", args.ent_coef, "Entropy coefficient (0.0)");
  app.add_option("--vf-coef", args.vf_coef, "Value loss coefficient (0.5)");
  app.add_option("--max-grad-norm", args.max_grad_norm, "Gradient norm clip (0.5; 0 = off)");
  app.add_option("--normalize-advantage", args.normalize_advantage,
                 "true/false (PPO true, A2C false)");
  app.add_option("--batch-size", args.batch_size, "PPO minibatch size (64)");
  app.add_option("--n-epochs", args.n_epochs, "PPO epochs per update (10)");
  app.add_option("--clip-range", args.clip_range, "PPO clip range (0.2)");
  app.add_option("--clip-range-vf", args.clip_range_vf, "PPO value clip range (off)");
  app.add_option("--target-kl", args.target_kl, "PPO early stop KL (off)");
  app.add_option("--net-arch", args.net_arch, "Hidden layer widths of both trunks (64,64)");
  app.add_option("--activation", args.activation, "tanh (default) or relu");
  app.add_option("--torch-threads", args.torch_threads, "LibTorch threads")->capture_default_str();
  app.add_option("--gradient-engine", args.gradient_engine,
                 "native (hand-written backward pass, checked against LibTorch) or autograd")
      ->check(CLI::IsMember({"native", "autograd"}))
      ->capture_default_str();
  kalshiflow::app::AddEnvOptions(&app, args.env);
  try {
    app.parse(argc, argv);
    kalshiflow::app::RunTrain(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CommandFailed& e) {
    std::fprintf(stderr, "kalshiflow: %s\n", e.what());
    return e.exit_code();
  }
  return 0;
}
