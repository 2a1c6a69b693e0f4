// Action selectors of the actor (DESIGN §7): `rl_model` (a registered model's MLP, loaded
// once, deterministic argmax), `hardcoded` (the mean-reversion rule shared with the training
// baselines, sim::MeanReversionAction) and `disabled` (always HOLD; decisions are still logged).
//
// A model is an immutable ActorModel held through std::shared_ptr<const ActorModel>: the actor
// swaps the pointer atomically on hot reload, and a decision in flight keeps the model it
// started with.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "book/order_book.h"
#include "core/status.h"
#include "policy/action_space.h"
#include "policy/checkpoint.h"
#include "policy/mlp_policy.h"
#include "sim/actions.h"

namespace kalshiflow::actor {

enum class SelectorKind : uint8_t { kRlModel, kHardcoded, kDisabled };
std::string_view SelectorKindName(SelectorKind kind);  // "rl_model", "hardcoded", "disabled"
std::optional<SelectorKind> ParseSelectorKind(std::string_view text);

/// A loaded model the actor can run: the policy, what its actions mean, and where it came from.
/// Immutable after Load.
struct ActorModel {
  policy::LoadedPolicy loaded;
  policy::ActionDecoder decoder;
  int64_t model_id = 0;  // registry id (0 when loaded from a bare file)
  std::string label;     // e.g. "demo-ppo v3" or the checkpoint path
  std::string checkpoint_path;

  /// Loads a checkpoint and checks it against the actor's observation spec (`spec_id`, size)
  /// and action spaces it can execute ("discrete-5": the kalshiflow-v1 actions; "discrete-21"
  /// decodes to the 5 actions with its own sizes, see Decide). Errors: the policy module's
  /// load errors, FailedPrecondition for another spec or an unknown action space.
  static core::Result<std::shared_ptr<const ActorModel>> Load(const std::string& path,
                                                              std::string_view spec_id,
                                                              int observation_size,
                                                              int64_t model_id, std::string label);
};

/// One selector decision.
struct Selection {
  sim::Action action = sim::Action::kHold;
  int model_action = 0;   // the model's own action index (rl_model), else = action
  core::Count size;       // contracts for the order (the action space's size)
  float probability = 0;  // the chosen action's probability (rl_model), else 1
  bool ok = true;         // false: the model produced a non-finite output (error)
};

/// Per-thread scratch of the rl_model selector (ForwardBuffers sized for the current model).
struct SelectorScratch {
  policy::ForwardBuffers buffers;
  std::shared_ptr<const ActorModel> sized_for;  // kept alive so its address is not reused
};

/// The rl_model decision: argmax of the policy on `observation`, decoded to a sim::Action and a
/// size (discrete-5: the action with `default_size`; discrete-21: buy/sell YES/NO with the
/// space's size). No allocation when `scratch` was sized for `model` already.
Selection SelectWithModel(const std::shared_ptr<const ActorModel>& model,
                          std::span<const float> observation, core::Count default_size,
                          SelectorScratch& scratch);

}  // namespace kalshiflow::actor
