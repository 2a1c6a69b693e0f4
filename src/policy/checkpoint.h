// The kalshiflow policy checkpoint: one file with a JSON header and named float32 tensors,
// protected by a CRC-32. Written by `models import-sb3` (from an SB3 zip) and by the `rl`
// trainer (from its LibTorch parameters, under the same SB3 names), read by the actor.
//
// Layout (all integers little-endian; see README.md "Checkpoint format"):
//
//   offset  size  field
//   0       8     magic "KFPOLICY"
//   8       4     u32 format version (kCheckpointFormatVersion = 1)
//   12      4     u32 header length H (bytes of JSON, at most kMaxHeaderBytes)
//   16      8     u64 data length N (bytes of the tensor data section)
//   24      H     JSON header, UTF-8
//   ...           zero padding up to D = the next multiple of 64
//   D       N     tensor data: each tensor's float32 values, row-major, at D + its offset
//                 (offsets are multiples of 64, in header order, non-overlapping)
//   D+N     4     u32 CRC-32 (zlib's crc32, the ISO-HDLC / gzip / PNG polynomial) of bytes
//                 [0, D+N)
//
// The JSON header:
//   {"format": "kalshiflow-policy", "format_version": 1,
//    "observation_spec": "kalshiflow-v1", "observation_size": 52,
//    "action_space": "discrete-5", "algorithm": "PPO",
//    "policy": {"class": "mlp-actor-critic", "activation": "tanh",
//               "net_arch": {"pi": [64, 64], "vf": [64, 64]}},
//    "hyperparameters": {...any JSON object...}, "extra": {...any JSON object...},
//    "tensors": [{"name": "action_net.weight", "dtype": "float32", "shape": [5, 64],
//                 "offset": 0, "bytes": 1280}, ...]}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "policy/error.h"
#include "policy/mlp_policy.h"
#include "policy/tensor.h"

namespace kalshiflow::policy {

inline constexpr std::string_view kCheckpointMagic = "KFPOLICY";
inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr uint32_t kMaxHeaderBytes = 16u << 20;
inline constexpr std::string_view kCheckpointExtension = ".kfpolicy";

/// What a checkpoint says about its model (the JSON header minus the tensor directory).
struct CheckpointMetadata {
  std::string observation_spec;  // e.g. "kalshiflow-v1" (features' spec registry id)
  int observation_size = 0;      // floats per observation
  std::string action_space;      // "discrete-<n>", e.g. "discrete-5", "discrete-21"
  std::string algorithm;         // "PPO", "A2C"
  Activation activation = Activation::kTanh;
  NetArch net_arch;
  nlohmann::json hyperparameters = nlohmann::json::object();  // learning_rate, gamma, ...
  nlohmann::json extra = nlohmann::json::object();  // provenance, timesteps, training config
};

struct Checkpoint {
  CheckpointMetadata metadata;
  TensorMap tensors;  // SB3 names, see mlp_policy.h
};

/// A checkpoint's policy, validated against its metadata.
struct LoadedPolicy {
  CheckpointMetadata metadata;
  MlpPolicy policy;
};

/// The file bytes of `checkpoint`. KF_CHECKs that every tensor's data size equals the product
/// of its shape and that hyperparameters/extra are JSON objects (programmer errors).
std::string SerializeCheckpoint(const Checkpoint& checkpoint);

/// Parses file bytes. Errors, in the order they are checked: kBadMagic, kTruncated (shorter
/// than its fixed prefix or declared lengths), kUnsupportedVersion, kBadHeader (header length
/// over the limit, trailing bytes), kCrcMismatch, kBadHeader (JSON malformed, a field missing
/// or mistyped, unknown activation), kBadTensor (duplicate name, dtype not float32, shape over
/// the limits, bytes != 4 x elements, offsets misaligned, overlapping or outside the data).
PolicyResult<Checkpoint> ParseCheckpoint(std::string_view bytes);

/// Writes atomically: to "<path>.tmp.<pid>", fsync, then rename over `path`, so a reader
/// (the actor's hot reload) never sees a partial file. Returns the bytes written. kIo on
/// failure (the temporary file is removed).
PolicyResult<uint64_t> SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads and parses a file (kIo when it cannot be read, then as ParseCheckpoint).
PolicyResult<Checkpoint> LoadCheckpoint(const std::string& path);

/// Builds the MlpPolicy (MlpPolicy::FromTensors errors) and checks it against the metadata:
/// kShapeMismatch when net_arch, observation_size or the action count of "discrete-<n>"
/// disagree with the tensors; kUnknownActionSpace when action_space is not "discrete-<n>".
PolicyResult<LoadedPolicy> PolicyFromCheckpoint(const Checkpoint& checkpoint);

/// LoadCheckpoint + PolicyFromCheckpoint.
PolicyResult<LoadedPolicy> LoadPolicy(const std::string& path);

/// A checkpoint of `policy`: its tensors under SB3 names; observation_size, activation and
/// net_arch in `metadata` are overwritten from the policy.
Checkpoint MakeCheckpoint(const MlpPolicy& policy, CheckpointMetadata metadata);

}  // namespace kalshiflow::policy
