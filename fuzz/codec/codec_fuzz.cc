// libFuzzer target for the Kalshi WebSocket codec: arbitrary bytes go to Decoder::Decode, which
// must never crash, leak or trip a sanitizer, and must either succeed or return a typed error.
// A successfully decoded message of an encodable type is re-encoded and must decode again to
// the same type (the encoder only writes valid frames).
//
// Seed corpus: fuzz/corpus/codec/ (the golden frames of src/kalshi/tests/golden).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"

namespace {

using kalshiflow::kalshi::DecodeErrorKindName;
using kalshiflow::kalshi::Decoder;
using kalshiflow::kalshi::EncodeMessage;
using kalshiflow::kalshi::Message;

[[noreturn]] void Die(const char* what) {
  std::fputs(what, stderr);
  std::fputc('\n', stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Decoder decoder;  // reused across inputs, as on a live connection
  static Decoder second;
  static std::string frame;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto result = decoder.Decode(input);
  if (!result.ok()) {
    // The error must be describable.
    std::string text = result.error().ToString();
    if (text.empty() || DecodeErrorKindName(result.error().kind) == "unknown") Die("bad error");
    return 0;
  }
  const Message& message = **result;
  frame.clear();
  if (!EncodeMessage(message, frame).ok()) return 0;  // not an encodable type
  auto again = second.Decode(frame);
  if (!again.ok()) {
    std::fprintf(stderr, "re-encoded frame does not decode: %s\n%s\n",
                 again.error().ToString().c_str(), frame.c_str());
    std::abort();
  }
  if ((*again)->type != message.type || (*again)->sid != message.sid ||
      (*again)->seq != message.seq) {
    Die("re-encoded frame decodes to a different envelope");
  }
  return 0;
}
