#include "app/model_registry.h"

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>

#include "app/commands.h"
#include "storage/database_url.h"

namespace kalshiflow::app {
namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

storage::ModelInfo ResolveModelOrFail(storage::Store& store, const std::string& reference) {
  if (AllDigits(reference) && reference.size() < 18) {
    auto m = store.GetModel(std::stoll(reference));
    if (!m.ok())
      throw CommandFailed(1, fmt::format("model {}: {}", reference, m.error().ToString()));
    return *m;
  }
  const auto at = reference.rfind('@');
  if (at != std::string::npos && AllDigits(reference.substr(at + 1)) &&
      reference.size() - at < 12) {
    const std::string name = reference.substr(0, at);
    const int64_t version = std::stoll(reference.substr(at + 1));
    storage::ModelFilter filter;
    filter.name = name;
    filter.limit = 0;
    auto list = store.ListModels(filter);
    if (!list.ok())
      throw CommandFailed(1, fmt::format("model {}: {}", reference, list.error().ToString()));
    for (const auto& m : *list) {
      if (m.version == version) return m;
    }
    throw CommandFailed(1,
                        fmt::format("model {}: no version {} of '{}'", reference, version, name));
  }
  auto m = store.FindLatestModel(reference);
  if (!m.ok()) throw CommandFailed(1, fmt::format("model {}: {}", reference, m.error().ToString()));
  return *m;
}

std::string ResolveModelsDir(const std::string& flag, const std::string& database_url) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("KALSHIFLOW_MODELS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  auto url = storage::ParseDatabaseUrl(database_url);
  if (url.ok() && url->kind == storage::DatabaseUrl::Kind::kSqlite &&
      url->sqlite_path != ":memory:") {
    return (std::filesystem::path(url->sqlite_path).parent_path() / "models").string();
  }
  return "./data/models";
}

RunnableModel LoadRunnableModelOrFail(const storage::ModelInfo& model) {
  const std::string label = fmt::format("model {} ({} v{})", model.id, model.name, model.version);
  if (model.checkpoint_path.empty()) {
    throw CommandFailed(1, fmt::format("{}: has no checkpoint (status {})", label,
                                       storage::ModelStatusName(model.status)));
  }
  auto loaded = policy::LoadPolicy(model.checkpoint_path);
  if (!loaded.ok()) {
    throw CommandFailed(1, fmt::format("{}: checkpoint {}: {}", label, model.checkpoint_path,
                                       loaded.error().ToString()));
  }
  auto spec = features::ObservationSpecRegistry::Default().Find(model.observation_spec);
  if (!spec.ok()) throw CommandFailed(1, fmt::format("{}: {}", label, spec.error().ToString()));
  if (loaded->metadata.observation_spec != model.observation_spec) {
    throw CommandFailed(
        1, fmt::format("{}: the registry says spec '{}' but the checkpoint says '{}'", label,
                       model.observation_spec, loaded->metadata.observation_spec));
  }
  if (loaded->policy.observation_size() != static_cast<int>((*spec)->size())) {
    throw CommandFailed(
        1, fmt::format("{}: the network reads {} floats but spec '{}' has {}", label,
                       loaded->policy.observation_size(), model.observation_spec, (*spec)->size()));
  }
  return RunnableModel{model, std::move(loaded).value(), *spec};
}

std::unique_ptr<storage::Store> OpenWritableStoreOrFail(const std::string& url) {
  storage::OpenOptions options;
  options.migrate = true;
  options.create_if_missing = true;
  auto store = storage::OpenStore(url, options);
  if (!store.ok()) throw CommandFailed(1, store.error().ToString());
  return std::move(store).value();
}

}  // namespace kalshiflow::app
