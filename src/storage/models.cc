#include "storage/models.h"

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

}  // namespace kalshiflow::storage
