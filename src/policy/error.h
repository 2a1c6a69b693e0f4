// Typed errors of the policy module: loading checkpoints, reading Stable-Baselines3 zips,
// unpickling torch state dicts, building an MlpPolicy from named tensors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kalshiflow::policy {

enum class PolicyErrorKind : uint8_t {
  kIo,                  // a file cannot be opened, read, written or renamed
  kNotZip,              // an SB3 model (or its policy.pth) is not a zip archive
  kMissingEntry,        // a zip entry is absent: "data", "policy.pth", "<dir>/data.pkl", data/<key>
  kBadMagic,            // a checkpoint does not start with "KFPOLICY"
  kUnsupportedVersion,  // a checkpoint format version this build does not read
  kTruncated,           // a file or pickle ends before its declared length
  kCrcMismatch,         // the checkpoint's CRC-32 does not match its bytes
  kBadHeader,           // a JSON header or SB3 `data` field is malformed, missing or mistyped
  kBadTensor,           // a tensor entry is malformed: duplicate name, bad shape, bad offsets
  kMissingTensor,       // a parameter the network needs is absent
  kShapeMismatch,       // tensor shapes disagree with each other, the header or the action space
  kUnsupportedPickle,   // a pickle opcode (or construct) outside the supported subset
  kBadPickle,           // a malformed pickle: stack underflow, bad memo index, wrong types
  kUnsupportedDtype,    // a tensor or array that is not float32
  kUnsupportedModel,    // shared layers, non-Discrete actions, unknown activation or policy class
  kUnknownActionSpace,  // an action-space id without a known decoding
};
inline constexpr int kNumPolicyErrorKinds = 16;

/// Stable snake_case name, e.g. "crc_mismatch".
std::string_view PolicyErrorKindName(PolicyErrorKind kind);

/// A typed failure with a human-readable detail naming the file, entry, tensor, opcode or
/// offset involved.
struct PolicyError {
  PolicyErrorKind kind = PolicyErrorKind::kIo;
  std::string detail;

  /// "<kind name>: <detail>", e.g. "unsupported_pickle: opcode 0x69 ('i') at offset 12".
  std::string ToString() const;
  /// The same error as a core::Status (kind mapped to the nearest StatusCode).
  core::Status ToStatus() const;
};

template <typename T>
using PolicyResult = core::Result<T, PolicyError>;

/// Shorthand for `core::Err(PolicyError{kind, detail})`.
inline core::Unexpected<PolicyError> PolicyErr(PolicyErrorKind kind, std::string detail) {
  return core::Err(PolicyError{kind, std::move(detail)});
}

}  // namespace kalshiflow::policy
