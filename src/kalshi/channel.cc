#include "kalshi/channel.h"

#include <array>

namespace kalshiflow::kalshi {
namespace {

constexpr std::array<std::string_view, kNumChannels> kChannelNames = {
    "orderbook_delta",
    "ticker",
    "trade",
    "fill",
    "market_positions",
    "market_lifecycle_v2",
    "multivariate_market_lifecycle",
    "communications",
    "order_group_updates",
    "user_orders",
    "cfbenchmarks_value",
    "cfbenchmarks_value_5hz",
    "pyth_value",
};

}  // namespace

std::string_view ChannelName(Channel channel) {
  auto index = static_cast<std::size_t>(channel);
  return index < kChannelNames.size() ? kChannelNames[index] : std::string_view("unknown");
}

std::optional<Channel> ParseChannel(std::string_view name) {
  for (std::size_t i = 0; i < kChannelNames.size(); ++i) {
    if (kChannelNames[i] == name) return static_cast<Channel>(i);
  }
  return std::nullopt;
}

}  // namespace kalshiflow::kalshi
