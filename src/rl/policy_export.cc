#include "rl/policy_export.h"

#include "policy/action_space.h"

namespace kalshiflow::rl {

policy::PolicyResult<policy::MlpPolicy> ToMlpPolicy(std::span<const NamedArray> parameters,
                                                    Activation activation) {
  policy::TensorMap tensors;
  for (const auto& p : parameters) tensors[p.name] = policy::Tensor{p.shape, p.data};
  return policy::MlpPolicy::FromTensors(tensors, activation == Activation::kRelu
                                                     ? policy::Activation::kRelu
                                                     : policy::Activation::kTanh);
}

policy::PolicyResult<policy::Checkpoint> MakeTrainedCheckpoint(
    std::span<const NamedArray> parameters, const TrainerConfig& config,
    const std::string& observation_spec, nlohmann::json extra) {
  auto net = ToMlpPolicy(parameters, config.policy.activation);
  if (!net.ok()) return core::Err(net.error());
  policy::CheckpointMetadata metadata;
  metadata.observation_spec = observation_spec;
  metadata.observation_size = net->observation_size();
  metadata.action_space = policy::DiscreteActionSpaceId(net->action_count());
  metadata.algorithm = config.algorithm == Algorithm::kA2c ? "A2C" : "PPO";
  metadata.activation = net->activation();
  metadata.net_arch = net->net_arch();
  metadata.hyperparameters = ToJson(config);
  metadata.extra = std::move(extra);
  return policy::MakeCheckpoint(*net, std::move(metadata));
}

}  // namespace kalshiflow::rl
