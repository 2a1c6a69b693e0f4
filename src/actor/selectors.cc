#include "actor/selectors.h"

#include <fmt/format.h>

#include "core/check.h"

namespace kalshiflow::actor {

std::string_view SelectorKindName(SelectorKind kind) {
  switch (kind) {
    case SelectorKind::kRlModel:
      return "rl_model";
    case SelectorKind::kHardcoded:
      return "hardcoded";
    case SelectorKind::kDisabled:
      return "disabled";
  }
  return "?";
}

std::optional<SelectorKind> ParseSelectorKind(std::string_view text) {
  if (text == "rl_model") return SelectorKind::kRlModel;
  if (text == "hardcoded") return SelectorKind::kHardcoded;
  if (text == "disabled") return SelectorKind::kDisabled;
  return std::nullopt;
}

core::Result<std::shared_ptr<const ActorModel>> ActorModel::Load(const std::string& path,
                                                                 std::string_view spec_id,
                                                                 int observation_size,
                                                                 int64_t model_id,
                                                                 std::string label) {
  auto loaded = policy::LoadPolicy(path);
  if (!loaded.ok()) return loaded.error().ToStatus();
  const policy::CheckpointMetadata& meta = loaded->metadata;
  if (meta.observation_spec != spec_id || meta.observation_size != observation_size) {
    return core::FailedPreconditionError(fmt::format(
        "model {} was trained on observation spec {} ({} floats); the actor builds {} ({})", path,
        meta.observation_spec, meta.observation_size, spec_id, observation_size));
  }
  auto decoder = policy::ActionDecoder::ForSpace(meta.action_space);
  if (!decoder.ok()) {
    return core::FailedPreconditionError(
        fmt::format("model {}: action space {} cannot be executed: {}", path, meta.action_space,
                    decoder.error().ToString()));
  }
  if (decoder->size() != loaded->policy.action_count()) {
    return core::FailedPreconditionError(fmt::format("model {}: {} logits for action space {}",
                                                     path, loaded->policy.action_count(),
                                                     meta.action_space));
  }
  auto model = std::make_shared<ActorModel>(ActorModel{
      std::move(loaded).value(), std::move(decoder).value(), model_id, std::move(label), path});
  return std::shared_ptr<const ActorModel>(std::move(model));
}

Selection SelectWithModel(const std::shared_ptr<const ActorModel>& model_ptr,
                          std::span<const float> observation, core::Count default_size,
                          SelectorScratch& scratch) {
  KF_CHECK(model_ptr != nullptr, "SelectWithModel without a model");
  const ActorModel& model = *model_ptr;
  const policy::MlpPolicy& policy = model.loaded.policy;
  if (scratch.sized_for != model_ptr) {
    scratch.buffers = policy.MakeBuffers();
    scratch.sized_for = model_ptr;
  }
  policy.Forward(observation, scratch.buffers, policy::Heads::kPolicyOnly);
  Selection s;
  if (!scratch.buffers.finite() || scratch.buffers.action() < 0) {
    s.ok = false;
    return s;
  }
  const int index = scratch.buffers.action();
  s.model_action = index;
  s.probability = scratch.buffers.probabilities()[static_cast<size_t>(index)];
  const policy::TradeAction t = model.decoder.Decode(index);
  switch (t.kind) {
    case policy::ActionKind::kHold:
      s.action = sim::Action::kHold;
      break;
    case policy::ActionKind::kBuy:
      s.action = t.side == core::OutcomeSide::kYes ? sim::Action::kBuyYes : sim::Action::kBuyNo;
      break;
    case policy::ActionKind::kSell:
      s.action = t.side == core::OutcomeSide::kYes ? sim::Action::kSellYes : sim::Action::kSellNo;
      break;
  }
  // discrete-5 carries no size of its own beyond the spec's 10 contracts; discrete-21 does.
  s.size = model.decoder.size() == sim::kNumActions ? default_size : t.size;
  return s;
}

}  // namespace kalshiflow::actor
