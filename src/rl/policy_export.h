// From a trained LibTorch network to the inference side: trained parameters (SB3 names) →
// policy::MlpPolicy (Eigen) and policy::Checkpoint (the file the registry and the actor load).
// Torch-free.
#pragma once

#include <span>
#include <string>

#include "policy/checkpoint.h"
#include "policy/error.h"
#include "rl/parameters.h"
#include "rl/trainer_config.h"

namespace kalshiflow::rl {

/// Builds the Eigen policy from exported parameters (Learner::ExportParameters or
/// TrainSummary::parameters). Errors as policy::MlpPolicy::FromTensors.
policy::PolicyResult<policy::MlpPolicy> ToMlpPolicy(std::span<const NamedArray> parameters,
                                                    Activation activation);

/// A checkpoint for `parameters` trained with `config` on `observation_spec`; the action space
/// is "discrete-<num actions>", the hyperparameters are ToJson(config), `extra` is stored as
/// given (timesteps, sessions, env config, ...).
policy::PolicyResult<policy::Checkpoint> MakeTrainedCheckpoint(
    std::span<const NamedArray> parameters, const TrainerConfig& config,
    const std::string& observation_spec, nlohmann::json extra);

}  // namespace kalshiflow::rl
