// `kalshiflow models`: the model registry (DESIGN §6, §9).
//   models list [--status S] [--name N] [--limit N] [--json]
//   models show MODEL [--json]
//   models promote MODEL            status -> deployed (other deployed versions -> ready)
//   models archive MODEL            status -> archived
//   models predict MODEL --obs v0,...,v51 [--json]   action, probs, value of one observation
//   models import-sb3 FILE.zip [--name N] [--spec kalshiflow-v1] [--models-dir D] [--json]
// MODEL is an id, a name (latest version) or name@version. All take --database-url.
#include <fmt/core.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/comma_list.h"
#include "app/commands.h"
#include "app/database.h"
#include "app/model_registry.h"
#include "core/time.h"
#include "policy/action_space.h"
#include "policy/sb3_reader.h"

namespace kalshiflow::app {
namespace {

namespace fs = std::filesystem;

struct ModelsArgs {
  std::string database_url;
  bool json = false;
  std::string model;
  std::string status;
  std::string name;
  int64_t limit = 100;
  std::string obs;
  std::string file;
  std::string spec = "kalshiflow-v1";
  std::string models_dir;
};

std::string Dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void RunList(const ModelsArgs& args) {
  storage::ModelFilter filter;
  if (!args.status.empty()) {
    filter.status = storage::ParseModelStatus(args.status);
    if (!filter.status) {
      throw CommandFailed(2, fmt::format("models list: unknown --status '{}' (training, ready, "
                                         "deployed, archived)",
                                         args.status));
    }
  }
  if (!args.name.empty()) filter.name = args.name;
  filter.limit = args.limit;
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  auto models = store->ListModels(filter);
  if (!models.ok()) throw CommandFailed(1, "models list: " + models.error().ToString());
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : *models) list.push_back(ModelJson(m));
    fmt::print("{}\n", Dump(nlohmann::json{{"models", std::move(list)}}));
    return;
  }
  fmt::print("{:>5}  {:<24} {:>4}  {:<5} {:<14} {:<11} {:<9} {:>10}  {}\n", "id", "name", "ver",
             "algo", "spec", "actions", "status", "timesteps", "created (UTC)");
  for (const auto& m : *models) {
    fmt::print("{:>5}  {:<24} {:>4}  {:<5} {:<14} {:<11} {:<9} {:>10}  {}\n", m.id, m.name,
               m.version, m.algorithm, m.observation_spec, m.action_space,
               storage::ModelStatusName(m.status), m.timesteps, m.created_at.ToIso8601());
  }
  if (models->empty()) fmt::print("(no models)\n");
}

void RunShow(const ModelsArgs& args) {
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  const nlohmann::json j = ModelJson(ResolveModelOrFail(*store, args.model));
  if (args.json) {
    fmt::print("{}\n", Dump(j));
    return;
  }
  for (const auto& [key, value] : j.items()) {
    fmt::print("{:<17} {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
  }
}

void RunSetStatus(const ModelsArgs& args, storage::ModelStatus status, const char* verb) {
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  const storage::ModelInfo model = ResolveModelOrFail(*store, args.model);
  if (status == storage::ModelStatus::kDeployed) {
    if (model.status == storage::ModelStatus::kTraining) {
      throw CommandFailed(1, fmt::format("models promote: model {} is still training", model.id));
    }
    (void)LoadRunnableModelOrFail(model);  // never promote a model that cannot run
  }
  storage::ModelUpdate update;
  update.status = status;
  update.updated_at = core::RealClock::Instance().Now();
  auto updated = store->UpdateModel(model.id, update);
  if (!updated.ok()) {
    throw CommandFailed(
        1, fmt::format("models {} {}: {}", verb, args.model, updated.error().ToString()));
  }
  if (args.json) {
    fmt::print("{}\n", Dump(ModelJson(*updated)));
  } else {
    fmt::print("model {} ({} v{}) is now {}\n", updated->id, updated->name, updated->version,
               storage::ModelStatusName(updated->status));
  }
}

std::vector<float> ParseObservationOrFail(const std::string& text, size_t expected) {
  std::vector<float> values;
  for (const std::string& item : SplitCommaList(text)) {
    char* parse_end = nullptr;
    errno = 0;
    const float v = std::strtof(item.c_str(), &parse_end);
    if (item.empty() || parse_end != item.c_str() + item.size() || errno == ERANGE ||
        !std::isfinite(v)) {
      throw CommandFailed(2, fmt::format("models predict: --obs value {} ('{}') is not a finite "
                                         "number",
                                         values.size(), item));
    }
    values.push_back(v);
  }
  if (values.size() != expected) {
    throw CommandFailed(2, fmt::format("models predict: --obs has {} values; the model's "
                                       "observation spec needs {}",
                                       values.size(), expected));
  }
  return values;
}

void RunPredict(const ModelsArgs& args) {
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  const RunnableModel model = LoadRunnableModelOrFail(ResolveModelOrFail(*store, args.model));
  const std::vector<float> obs = ParseObservationOrFail(args.obs, model.spec->size());
  const auto& net = model.loaded.policy;
  auto buffers = net.MakeBuffers();
  net.Forward(obs, buffers);
  if (!buffers.finite()) {
    throw CommandFailed(
        1, fmt::format("models predict: model {} produced non-finite outputs", model.info.id));
  }
  auto decoder = policy::ActionDecoder::ForSpace(model.info.action_space);
  const std::string description = decoder.ok()
                                      ? decoder->Describe(buffers.action())
                                      : std::string("action ") + std::to_string(buffers.action());
  std::vector<double> probs(buffers.probabilities().begin(), buffers.probabilities().end());
  std::vector<double> logits(buffers.logits().begin(), buffers.logits().end());
  if (args.json) {
    fmt::print("{}\n", Dump({{"model_id", model.info.id},
                             {"action", buffers.action()},
                             {"action_name", description},
                             {"probs", probs},
                             {"logits", logits},
                             {"value", buffers.value()}}));
    return;
  }
  fmt::print("model {} ({} v{}): action {} = {} (p = {:.4f}), value {:.4f}\n", model.info.id,
             model.info.name, model.info.version, buffers.action(), description,
             probs[static_cast<size_t>(buffers.action())], buffers.value());
  for (size_t i = 0; i < probs.size(); ++i) {
    fmt::print("  {:>3} {:<22} p = {:.6f}\n", i,
               decoder.ok() ? decoder->Describe(static_cast<int>(i)) : "", probs[i]);
  }
}

void RunImportSb3(const ModelsArgs& args) {
  auto model = policy::ReadSb3Zip(args.file);
  if (!model.ok()) {
    throw CommandFailed(
        1, fmt::format("models import-sb3 {}: {}", args.file, model.error().ToString()));
  }
  auto spec = features::ObservationSpecRegistry::Default().Find(args.spec);
  if (!spec.ok()) throw CommandFailed(2, "models import-sb3: " + spec.error().ToString());
  if (model->policy.observation_size() != static_cast<int>((*spec)->size())) {
    throw CommandFailed(
        1, fmt::format("models import-sb3 {}: the network reads {} floats but "
                       "spec '{}' has {}",
                       args.file, model->policy.observation_size(), args.spec, (*spec)->size()));
  }
  const policy::Checkpoint checkpoint = policy::Sb3ToCheckpoint(*model, args.spec);
  const std::string url = ResolveDatabaseUrl(args.database_url);
  auto store = OpenWritableStoreOrFail(url);
  const std::string name = args.name.empty() ? fs::path(args.file).stem().string() : args.name;
  const core::Timestamp now = core::RealClock::Instance().Now();

  storage::NewModel row;
  row.name = name;
  row.algorithm = model->metadata.algorithm.empty() ? "sb3" : model->metadata.algorithm;
  for (auto& c : row.algorithm) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  row.observation_spec = args.spec;
  row.action_space = checkpoint.metadata.action_space;
  row.hyperparameters_json = model->metadata.hyperparameters.dump();
  row.training_config_json = nlohmann::json{
      {"source", "stable-baselines3"},
      {"file", fs::absolute(args.file).string()},
      {"sb3_version", model->metadata.sb3_version},
      {"policy_class", model->metadata.policy_class},
      {"training", model->metadata.training},
      {"warnings",
       model->metadata.warnings}}.dump();
  row.timesteps = model->metadata.num_timesteps;
  row.status = storage::ModelStatus::kTraining;  // until the checkpoint is written
  row.notes = "imported from " + fs::path(args.file).filename().string();
  row.created_at = now;
  auto created = store->CreateModel(row);
  if (!created.ok()) throw CommandFailed(1, "models import-sb3: " + created.error().ToString());

  const fs::path dir = ResolveModelsDir(args.models_dir, url);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw CommandFailed(
        1, fmt::format("models import-sb3: cannot create {}: {}", dir.string(), ec.message()));
  }
  const fs::path path =
      fs::absolute(dir / fmt::format("{}-v{}.kfpolicy", created->name, created->version));
  auto saved = policy::SaveCheckpoint(path.string(), checkpoint);
  storage::ModelUpdate update;
  update.updated_at = core::RealClock::Instance().Now();
  if (!saved.ok()) {
    update.status = storage::ModelStatus::kArchived;
    update.notes = "import failed: " + saved.error().ToString();
    (void)store->UpdateModel(created->id, update);
    throw CommandFailed(1, fmt::format("models import-sb3: writing {}: {}", path.string(),
                                       saved.error().ToString()));
  }
  update.status = storage::ModelStatus::kReady;
  update.checkpoint_path = path.string();
  auto ready = store->UpdateModel(created->id, update);
  if (!ready.ok()) throw CommandFailed(1, "models import-sb3: " + ready.error().ToString());
  if (args.json) {
    nlohmann::json j = ModelJson(*ready);
    j["model_id"] = ready->id;
    j["observation_size"] = model->policy.observation_size();
    j["action_count"] = model->policy.action_count();
    j["warnings"] = model->metadata.warnings;
    fmt::print("{}\n", Dump(j));
    return;
  }
  fmt::print("imported {} as model {} ({} v{}): {} {} -> {} actions ({}), checkpoint {}\n",
             args.file, ready->id, ready->name, ready->version, ready->algorithm,
             model->policy.observation_size(), model->policy.action_count(), ready->action_space,
             path.string());
  for (const auto& w : model->metadata.warnings) fmt::print("  warning: {}\n", w);
}

}  // namespace

void AddModelsCommand(CLI::App& app) {
  auto args = std::make_shared<ModelsArgs>();
  auto* models = app.add_subcommand("models",
                                    "The model registry: list, show, promote, archive, "
                                    "predict, import Stable-Baselines3 zips");
  models->require_subcommand(1);
  auto common = [args](CLI::App* cmd) {
    cmd->add_option("--database-url", args->database_url,
                    "Database URL (default $DATABASE_URL, else sqlite://./data/kalshiflow.db)");
    cmd->add_flag("--json", args->json, "Print JSON");
  };
  auto* list = models->add_subcommand("list", "List registered models, newest first");
  list->add_option("--status", args->status, "training, ready, deployed or archived");
  list->add_option("--name", args->name, "Only versions of this name");
  list->add_option("--limit", args->limit, "At most N models (0: all)")->capture_default_str();
  common(list);
  list->callback([args] { RunList(*args); });

  auto* show = models->add_subcommand("show", "Show one model (id, name, or name@version)");
  show->add_option("model", args->model, "Model id, name or name@version")->required();
  common(show);
  show->callback([args] { RunShow(*args); });

  auto* promote = models->add_subcommand("promote", "Mark a model deployed (the one to run)");
  promote->add_option("model", args->model, "Model id, name or name@version")->required();
  common(promote);
  promote->callback([args] { RunSetStatus(*args, storage::ModelStatus::kDeployed, "promote"); });

  auto* archive = models->add_subcommand("archive", "Mark a model archived");
  archive->add_option("model", args->model, "Model id, name or name@version")->required();
  common(archive);
  archive->callback([args] { RunSetStatus(*args, storage::ModelStatus::kArchived, "archive"); });

  auto* predict = models->add_subcommand("predict", "Run a model on one observation");
  predict->add_option("model", args->model, "Model id, name or name@version")->required();
  predict
      ->add_option("--obs", args->obs,
                   "Comma-separated observation values (52 for "
                   "kalshiflow-v1)")
      ->required();
  common(predict);
  predict->callback([args] { RunPredict(*args); });

  auto* import = models->add_subcommand("import-sb3", "Register a Stable-Baselines3 PPO/A2C zip");
  import->add_option("file", args->file, "The SB3 .zip")->required()->check(CLI::ExistingFile);
  import->add_option("--name", args->name, "Registry name (default: the file's stem)");
  import->add_option("--spec", args->spec, "Observation spec the model was trained with")
      ->capture_default_str();
  import->add_option("--models-dir", args->models_dir,
                     "Where checkpoints are written (default: models/ beside the database)");
  common(import);
  import->callback([args] { RunImportSb3(*args);
});
}  // namespace kalshiflow::app

}  // namespace kalshiflow::app
