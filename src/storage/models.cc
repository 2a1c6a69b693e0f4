#include "storage/models.h"

#include <nlohmann/json.hpp>

namespace kalshiflow::storage {

std::string_view ModelStatusName(ModelStatus status) {
  switch (status) {
    case ModelStatus::kTraining:
      return "training";
    case ModelStatus::kReady:
      return "ready";
    case ModelStatus::kDeployed:
      return "deployed";
    case ModelStatus::kArchived:
      return "archived";
  }
  return "unknown";
}

std::optional<ModelStatus> ParseModelStatus(std::string_view text) {
  for (ModelStatus s : {ModelStatus::kTraining, ModelStatus::kReady, ModelStatus::kDeployed,
                        ModelStatus::kArchived}) {
    if (text == ModelStatusName(s)) return s;
  }
  return std::nullopt;
}

namespace {

nlohmann::json ParsedOrText(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

}  // namespace

nlohmann::json ModelJson(const ModelInfo& m) {
  return {{"model_id", m.id},
          {"name", m.name},
          {"version", m.version},
          {"algorithm", m.algorithm},
          {"observation_spec", m.observation_spec},
          {"action_space", m.action_space},
          {"status", ModelStatusName(m.status)},
          {"timesteps", m.timesteps},
          {"checkpoint_path", m.checkpoint_path},
          {"hyperparameters", ParsedOrText(m.hyperparameters_json)},
          {"training_config", ParsedOrText(m.training_config_json)},
          {"performance", ParsedOrText(m.performance_json)},
          {"parent_model_id",
           m.parent_model_id ? nlohmann::json(*m.parent_model_id) : nlohmann::json()},
          {"notes", m.notes},
          {"created_at", m.created_at.ToIso8601()},
          {"updated_at", m.updated_at.ToIso8601()}};
}

}  // namespace kalshiflow::storage
