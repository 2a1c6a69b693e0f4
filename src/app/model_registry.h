// App-level model registry helpers shared by `models`, `train`, `evaluate` (and later the
// actor's start-up): resolving a model reference, where checkpoints live, registry JSON, and
// loading a registered model's policy with its observation spec checked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "features/observation_spec.h"
#include "policy/checkpoint.h"
#include "storage/store.h"

namespace kalshiflow::app {

/// A model named by id ("12") or by name (latest version, "my-ppo"); "name@3" picks version 3.
/// Throws CommandFailed(1, ...) naming the reference when nothing matches.
storage::ModelInfo ResolveModelOrFail(storage::Store& store, const std::string& reference);

/// Where checkpoints are written: `flag` if set, else $KALSHIFLOW_MODELS_DIR, else `models/`
/// beside a SQLite database file, else ./data/models.
std::string ResolveModelsDir(const std::string& flag, const std::string& database_url);

/// The registry row as JSON: storage::ModelJson.
using storage::ModelJson;

/// A registered model ready to run: its checkpoint loaded, its observation spec found in the
/// default registry and equal in size to the network's input.
struct RunnableModel {
  storage::ModelInfo info;
  policy::LoadedPolicy loaded;
  const features::ObservationSpec* spec = nullptr;
};
/// Throws CommandFailed(1, ...) naming the model and what was wrong (no checkpoint, unreadable
/// or corrupt file, unknown spec, spec mismatch).
RunnableModel LoadRunnableModelOrFail(const storage::ModelInfo& model);

/// Opens (creating and migrating if needed) the store for commands that write models.
std::unique_ptr<storage::Store> OpenWritableStoreOrFail(const std::string& url);

}  // namespace kalshiflow::app
