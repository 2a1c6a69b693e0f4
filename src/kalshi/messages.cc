#include "kalshi/messages.h"

#include <array>

namespace kalshiflow::kalshi {
namespace {

constexpr std::array<std::string_view, kNumMessageTypes> kMessageTypeNames = {
    "subscribed",
    "unsubscribed",
    "ok",
    "error",
    "orderbook_snapshot",
    "orderbook_delta",
    "ticker",
    "trade",
    "fill",
    "market_position",
    "user_order",
    "order_group_updates",
    "market_lifecycle_v2",
    "multivariate_market_lifecycle",
    "event_lifecycle",
    "event_fee_update",
};

}  // namespace

std::string_view WireFormatName(WireFormat format) {
  return format == WireFormat::kFixedPoint ? "fixed_point" : "legacy_cents";
}

std::string_view MessageTypeName(MessageType type) {
  auto index = static_cast<std::size_t>(type);
  return index < kMessageTypeNames.size() ? kMessageTypeNames[index] : std::string_view("unknown");
}

std::optional<MessageType> ParseMessageType(std::string_view name) {
  // The two hot types first.
  if (name == "orderbook_delta") return MessageType::kOrderbookDelta;
  if (name == "orderbook_snapshot") return MessageType::kOrderbookSnapshot;
  for (std::size_t i = 0; i < kMessageTypeNames.size(); ++i) {
    if (kMessageTypeNames[i] == name) return static_cast<MessageType>(i);
  }
  return std::nullopt;
}

}  // namespace kalshiflow::kalshi
