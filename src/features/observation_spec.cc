#include "features/observation_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

#include "features/kalshiflow_v1.h"

namespace kalshiflow::features {

ObservationSpecRegistry ObservationSpecRegistry::WithBuiltins() {
  ObservationSpecRegistry registry;
  core::Status status = registry.Register(std::make_unique<KalshiflowV1Spec>());
  KF_CHECK(status.ok(), "built-in spec failed to register: {}", status.ToString());
  return registry;
}

const ObservationSpecRegistry& ObservationSpecRegistry::Default() {
  static const ObservationSpecRegistry* const registry =
      new ObservationSpecRegistry(WithBuiltins());  // never destroyed (static-order safe)
  return *registry;
}

core::Status ObservationSpecRegistry::Register(std::unique_ptr<ObservationSpec> spec) {
  if (spec == nullptr) return core::InvalidArgumentError("observation spec is null");
  if (spec->id().empty()) return core::InvalidArgumentError("observation spec id is empty");
  if (spec->size() == 0) {
    return core::InvalidArgumentError(
        fmt::format("observation spec '{}' has no features", spec->id()));
  }
  if (spec->feature_names().size() != spec->size()) {
    return core::InvalidArgumentError(
        fmt::format("observation spec '{}' has {} features but {} feature names", spec->id(),
                    spec->size(), spec->feature_names().size()));
  }
  for (const auto& existing : specs_) {
    if (existing->id() == spec->id()) {
      return core::AlreadyExistsError(
          fmt::format("observation spec '{}' is already registered", spec->id()));
    }
  }
  specs_.push_back(std::move(spec));
  return core::Status::Ok();
}

core::Result<const ObservationSpec*> ObservationSpecRegistry::Find(std::string_view id) const {
  for (const auto& spec : specs_) {
    if (spec->id() == id) return spec.get();
  }
  return core::NotFoundError(
      fmt::format("unknown observation spec '{}' (known: {})", id, fmt::join(ids(), ", ")));
}

std::vector<std::string_view> ObservationSpecRegistry::ids() const {
  std::vector<std::string_view> out;
  out.reserve(specs_.size());
  for (const auto& spec : specs_) out.push_back(spec->id());
  return out;
}

core::Status CheckModelSpec(std::string_view model_spec_id, const ObservationSpec& spec) {
  if (model_spec_id == spec.id()) return core::Status::Ok();
  return core::FailedPreconditionError(
      fmt::format("model was trained with observation spec '{}' but the running spec is '{}'",
                  model_spec_id, spec.id()));
}

}  // namespace kalshiflow::features
