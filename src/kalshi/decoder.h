// Decoder for Kalshi WebSocket text frames (server -> client), both the current fixed-point
// format and the legacy integer-cent format of old recordings.
//
// Source: ../shared/kalshi-api/PROTOCOL.md §3.3, §3.4, §3.7; asyncapi.2026-08-22.yaml and
// asyncapi.legacy-int-fields.2026-02-25.yaml. Parsing uses simdjson On-Demand (error-code API,
// no exceptions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/fixed_point.h"
#include "core/status.h"
#include "kalshi/messages.h"

namespace kalshiflow::kalshi {

/// Why a frame was rejected.
enum class DecodeErrorKind : uint8_t {
  kMalformedJson,       // not JSON: empty, truncated, bad syntax, trailing content, too large
  kMissingField,        // a required field is absent
  kWrongType,           // a field (or the top level) has the wrong JSON type, e.g. seq "5"
  kBadNumber,           // a decimal string does not parse (see DecodeError::decimal_error)
  kBadValue,            // an unknown enum string (side "maybe"), an invalid ticker, a level
                        // that is not a [price, count] pair, an unparsable timestamp
  kUnknownMessageType,  // `type` is not one this decoder handles (detail names it)
  kOutOfRange,          // a book price outside [0, $1], a negative size, seq/sid < 1, an
                        // integer that does not fit in 64 bits
};
inline constexpr int kNumDecodeErrorKinds = 7;

/// Stable snake_case name, e.g. "bad_number" (for counters and logs).
std::string_view DecodeErrorKindName(DecodeErrorKind kind);

/// A typed decode failure naming the field and the reason.
struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::kMalformedJson;
  /// JSON path of the offending field, e.g. "msg.price_dollars", "seq", or "<root>". Points to
  /// static storage.
  std::string_view field;
  /// Index into an array field (book level, list entry); -1 when not applicable.
  int32_t index = -1;
  /// Set when kind == kBadNumber (decimal parse failure).
  std::optional<core::DecimalError> decimal_error;
  /// Human-readable reason (may be empty for kBadNumber: then the DecimalError names it).
  std::string detail;

  /// E.g. "bad number in msg.price_dollars: too many decimal places",
  /// "wrong type in msg.yes_dollars_fp[2]: level is not an array".
  std::string ToString() const;
};

/// Parses Kalshi WebSocket frames into typed Messages.
///
/// Contract:
///  * Never throws and never crashes on any input; every rejection is a DecodeError.
///  * Unknown extra fields are ignored (forward compatibility). Where both a fixed-point field
///    and its legacy integer twin are present, the fixed-point value is used (both are
///    type-checked). Message::format reports whether legacy fields were present.
///  * Validated: market/event tickers (core::ValidateTicker), prices within [0, $1], book
///    sizes >= 0, sid/seq >= 1, required fields per PROTOCOL §3.4 (the deprecated fields of
///    trade/fill/user_order are used as fallbacks so that legacy frames and the official
///    examples decode).
///  * Allocation: none per message in steady state. The Decoder owns the simdjson parser, a
///    padded copy buffer and reusable scratch vectors; they grow only when a frame is larger or
///    has more levels than any frame seen before. (Error paths may allocate the detail string.)
///  * Lifetime: the returned Message, and every string_view/span in it, is valid until the next
///    Decode/DecodePadded call on this Decoder or its destruction.
///  * Threading: a Decoder is single-threaded (thread-compatible); use one per connection.
class Decoder {
 public:
  /// Bytes of readable memory DecodePadded needs after the frame (simdjson's padding).
  static constexpr std::size_t kPadding = 64;
  /// Default upper bound on a frame's size; larger frames are rejected as kMalformedJson.
  static constexpr std::size_t kDefaultMaxFrameBytes = 64u << 20;

  explicit Decoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  /// A moved-from Decoder may only be destroyed or assigned to.
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;

  /// Decodes one text frame (a single JSON object). The frame is copied into an internal padded
  /// buffer, so `frame` need not outlive the call.
  core::Result<const Message*, DecodeError> Decode(std::string_view frame);

  /// Like Decode, without the copy: `frame.data()` must have at least
  /// `frame.size() + kPadding` readable bytes (`readable_bytes` says how many; if fewer, this
  /// falls back to copying). The bytes must stay unchanged until the next Decode call, because
  /// the Message may point into them. Fastest when the padding does not start with '}' or ']'
  /// (simdjson then rescans the document for balance), e.g. zeroed padding.
  core::Result<const Message*, DecodeError> DecodePadded(std::string_view frame,
                                                         std::size_t readable_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kalshiflow::kalshi
