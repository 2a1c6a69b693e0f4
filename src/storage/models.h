// Model registry records (`rl_models`, DESIGN §4 and §6): one row per trained or imported
// model version. JSON columns (hyperparameters, training config, performance) are stored as
// text and validated as JSON objects by the store; checkpoints live in files named by
// `checkpoint_path` (format: src/policy/README.md).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace kalshiflow::storage {

/// Row id of `rl_models` (> 0).
using ModelId = int64_t;

/// Life cycle of a model version.
enum class ModelStatus {
  kTraining,  // a training run is writing it
  kReady,     // trained or imported, usable
  kDeployed,  // promoted: the one the actor runs (at most one deployed model per name)
  kArchived,  // kept for the record, not offered
};
/// "training" / "ready" / "deployed" / "archived" (stored values).
std::string_view ModelStatusName(ModelStatus status);
/// Exact inverse of ModelStatusName; nullopt otherwise.
std::optional<ModelStatus> ParseModelStatus(std::string_view text);

/// What a trainer or importer knows when it registers a model. The version is assigned by
/// the store: 1 + the highest version of `name` (1 for a new name).
struct NewModel {
  std::string name;              // non-empty, at most 128 bytes
  std::string algorithm;         // "ppo", "a2c", "hardcoded", ...
  std::string observation_spec;  // e.g. "kalshiflow-v1"
  std::string action_space;      // e.g. "discrete-5", "discrete-21"
  std::optional<int64_t> parent_model_id;
  std::string checkpoint_path;              // may be empty until the checkpoint is written
  std::string hyperparameters_json = "{}";  // JSON object
  std::string training_config_json = "{}";  // JSON object (sessions, seed, env config, ...)
  int64_t timesteps = 0;
  ModelStatus status = ModelStatus::kTraining;
  std::string performance_json = "{}";  // JSON object
  std::string notes;
  core::Timestamp created_at;  // from the caller's Clock
};

/// One row of `rl_models`.
struct ModelInfo {
  ModelId id = 0;
  std::string name;
  int64_t version = 0;
  std::string algorithm;
  std::string observation_spec;
  std::string action_space;
  std::optional<int64_t> parent_model_id;
  std::string checkpoint_path;
  std::string hyperparameters_json;
  std::string training_config_json;
  int64_t timesteps = 0;
  ModelStatus status = ModelStatus::kTraining;
  std::string performance_json;
  std::string notes;
  core::Timestamp created_at;
  core::Timestamp updated_at;
};

/// The registry row as the CLI (`models list|show --json`) and the API (`/rl/models`) show it:
/// `model_id`, `name`, `version`, `algorithm`, `observation_spec`, `action_space`, `status`,
/// `timesteps`, `checkpoint_path`, `hyperparameters`, `training_config`, `performance` (parsed
/// JSON objects; the stored text when one is not JSON), `parent_model_id` (null when none),
/// `notes`, `created_at`, `updated_at` (ISO 8601).
nlohmann::json ModelJson(const ModelInfo& model);

/// Fields to change on a model (unset fields are kept). `updated_at` is always written.
struct ModelUpdate {
  std::optional<ModelStatus> status;
  std::optional<std::string> checkpoint_path;
  std::optional<int64_t> timesteps;
  std::optional<std::string> performance_json;  // JSON object; replaces the stored one
  std::optional<std::string> notes;
  core::Timestamp updated_at;
};

/// Filter for Store::ListModels; newest first (descending id).
struct ModelFilter {
  std::optional<ModelStatus> status;
  std::optional<std::string> name;  // exact match
  int64_t limit = 100;              // <= 0: no limit
};

}  // namespace kalshiflow::storage
