// Standard base64 (RFC 4648 §4: alphabet A-Z a-z 0-9 + /, '=' padding, no line breaks), the
// encoding of the KALSHI-ACCESS-SIGNATURE header (PROTOCOL.md §1.1, §1.3).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kalshiflow::kalshi::auth {

/// Encodes bytes as standard, padded base64 without line breaks.
std::string Base64Encode(std::span<const uint8_t> bytes);

/// Decodes strict standard base64: length a multiple of 4, only the standard alphabet, '='
/// only as 1-2 final padding characters, no whitespace. InvalidArgument naming the offending
/// position otherwise (the input itself is not echoed).
core::Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace kalshiflow::kalshi::auth
