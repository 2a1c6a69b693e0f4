// Reader for Stable-Baselines3 PPO/A2C model zips (`model.save("x.zip")`), without Python or
// LibTorch: libzip for the archives, pickle.h for the pickles.
//
// An SB3 zip holds (SB3 2.x, stable_baselines3/common/save_util.py):
//   data                      JSON of the algorithm's attributes; values that are not JSON
//                             are {":type:": ..., ":serialized:": base64(cloudpickle), ...}
//   policy.pth                torch.save(policy.state_dict()): a torch zip archive with
//                             <dir>/data.pkl (pickle protocol 2 of an OrderedDict of tensors)
//                             and <dir>/data/<key> (raw little-endian storages)
//   policy.optimizer.pth, pytorch_variables.pth, _stable_baselines3_version, system_info.txt
//
// Only the inference part is read: the MlpPolicy and the metadata below. VecNormalize
// statistics live outside the zip (a separate .pkl) and are not read: a model trained with
// observation normalisation needs them applied by the caller.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/checkpoint.h"
#include "policy/error.h"
#include "policy/mlp_policy.h"
#include "policy/tensor.h"

namespace kalshiflow::policy {

/// What the reader could learn from an SB3 zip.
struct Sb3Metadata {
  /// "PPO" or "A2C". SB3 does not store the class: PPO is recognised by its `clip_range` /
  /// `n_epochs` attributes, A2C by `n_steps` + `gae_lambda` without them.
  std::string algorithm;
  std::string sb3_version;   // "_stable_baselines3_version", e.g. "2.7.1"
  std::string system_info;   // "system_info.txt" (OS, Python, torch versions)
  std::string policy_class;  // e.g. "stable_baselines3.common.policies.ActorCriticPolicy"
  std::vector<int64_t> observation_shape;  // Box `_shape`, e.g. {52}
  std::string observation_dtype;           // Box `dtype`, e.g. "float32"
  int action_count = 0;                    // Discrete `n`
  Activation activation = Activation::kTanh;
  NetArch net_arch;  // from the weights (policy_kwargs net_arch, when readable, must agree)
  int64_t num_timesteps = 0;
  /// Plain JSON hyperparameters found in `data`: learning_rate, gamma, gae_lambda, ent_coef,
  /// vf_coef, max_grad_norm, n_steps, batch_size, n_epochs, normalize_advantage, target_kl,
  /// use_sde, n_envs, seed, clip_range (from "ConstantSchedule(val=...)"), ...
  nlohmann::json hyperparameters = nlohmann::json::object();
  /// Training counters: num_timesteps, _total_timesteps, _n_updates, start_time (ns).
  nlohmann::json training = nlohmann::json::object();
  /// The observation of the last rollout step (`_last_obs`, shape [n_envs, obs...]) when
  /// present and decodable; flattened row-major.
  std::vector<float> last_obs;
  std::vector<int64_t> last_obs_shape;
  /// Entries that could not be interpreted and were skipped (e.g. a pickled schedule closure).
  std::vector<std::string> warnings;
};

struct Sb3Model {
  MlpPolicy policy;
  Sb3Metadata metadata;
};

/// Reads an SB3 zip file. Errors: kIo (cannot read the file); kNotZip; kMissingEntry ("data",
/// "policy.pth", "<dir>/data.pkl", "<dir>/data/<key>"); kBadHeader (the data JSON or a needed
/// field in it); kUnsupportedModel (not a Discrete action space, a policy class other than
/// ActorCriticPolicy/MlpPolicy, an activation other than Tanh/ReLU, unexpected parameters such
/// as shared layers); kUnsupportedPickle / kBadPickle / kTruncated (policy.pth's pickle);
/// kUnsupportedDtype (a tensor that is not float32); kShapeMismatch (the weights disagree with
/// the observation shape, the action count or policy_kwargs' net_arch). Messages name the
/// file and the entry.
PolicyResult<Sb3Model> ReadSb3Zip(const std::string& path);
/// The same from the zip's bytes; `label` names it in messages.
PolicyResult<Sb3Model> ReadSb3ZipBytes(std::string bytes, std::string label);

/// Reads a `torch.save(state_dict)` file in the zip format (torch >= 1.6): an OrderedDict (or
/// dict) of str → float32 tensor (`_rebuild_tensor_v2`, `_rebuild_parameter`), any strides.
/// The legacy non-zip format is refused (kNotZip).
PolicyResult<TensorMap> ReadTorchStateDict(std::string bytes, std::string label);

/// A checkpoint of an imported SB3 model: the given observation spec id, action space
/// "discrete-<n>", the algorithm, hyperparameters, and in `extra` the provenance
/// {"source": "stable-baselines3", "sb3_version", "policy_class", "training", "warnings"}.
Checkpoint Sb3ToCheckpoint(const Sb3Model& model, std::string observation_spec);

/// Decodes standard base64 (RFC 4648, '=' padding, no line breaks); nullopt on bad input.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace kalshiflow::policy
