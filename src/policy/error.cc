#include "policy/error.h"

#include <fmt/format.h>

namespace kalshiflow::policy {

std::string_view PolicyErrorKindName(PolicyErrorKind kind) {
  switch (kind) {
    case PolicyErrorKind::kIo:
      return "io";
    case PolicyErrorKind::kNotZip:
      return "not_zip";
    case PolicyErrorKind::kMissingEntry:
      return "missing_entry";
    case PolicyErrorKind::kBadMagic:
      return "bad_magic";
    case PolicyErrorKind::kUnsupportedVersion:
      return "unsupported_version";
    case PolicyErrorKind::kTruncated:
      return "truncated";
    case PolicyErrorKind::kCrcMismatch:
      return "crc_mismatch";
    case PolicyErrorKind::kBadHeader:
      return "bad_header";
    case PolicyErrorKind::kBadTensor:
      return "bad_tensor";
    case PolicyErrorKind::kMissingTensor:
      return "missing_tensor";
    case PolicyErrorKind::kShapeMismatch:
      return "shape_mismatch";
    case PolicyErrorKind::kUnsupportedPickle:
      return "unsupported_pickle";
    case PolicyErrorKind::kBadPickle:
      return "bad_pickle";
    case PolicyErrorKind::kUnsupportedDtype:
      return "unsupported_dtype";
    case PolicyErrorKind::kUnsupportedModel:
      return "unsupported_model";
    case PolicyErrorKind::kUnknownActionSpace:
      return "unknown_action_space";
  }
  return "unknown";
}

std::string PolicyError::ToString() const {
  return fmt::format("{}: {}", PolicyErrorKindName(kind), detail);
}

core::Status PolicyError::ToStatus() const {
  core::StatusCode code = core::StatusCode::kInvalidArgument;
  switch (kind) {
    case PolicyErrorKind::kIo:
      code = core::StatusCode::kUnavailable;
      break;
    case PolicyErrorKind::kMissingEntry:
    case PolicyErrorKind::kMissingTensor:
      code = core::StatusCode::kNotFound;
      break;
    case PolicyErrorKind::kTruncated:
    case PolicyErrorKind::kCrcMismatch:
    case PolicyErrorKind::kBadMagic:
      code = core::StatusCode::kDataLoss;
      break;
    case PolicyErrorKind::kUnsupportedVersion:
    case PolicyErrorKind::kUnsupportedPickle:
    case PolicyErrorKind::kUnsupportedDtype:
    case PolicyErrorKind::kUnsupportedModel:
      code = core::StatusCode::kUnimplemented;
      break;
    default:
      break;
  }
  return core::Status(code, ToString());
}

}  // namespace kalshiflow::policy
