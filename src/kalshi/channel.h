// Kalshi WebSocket channel names (the `channels` of a subscribe command, the `channel` of a
// `subscribed` answer).
//
// Source: ../shared/kalshi-api/PROTOCOL.md §3.2 (channel list), asyncapi.2026-08-22.yaml.
#pragma once

#include <optional>
#include <string_view>

namespace kalshiflow::kalshi {

/// A WebSocket channel. Note the channel/message-type naming quirks: channel
/// `market_positions` sends messages of type `market_position`, channel `user_orders` sends
/// `user_order`, and channel `market_lifecycle_v2` also carries `event_lifecycle` and
/// `event_fee_update` messages.
enum class Channel {
  kOrderbookDelta,               // "orderbook_delta" (snapshots + deltas; auth required)
  kTicker,                       // "ticker"
  kTrade,                        // "trade"
  kFill,                         // "fill" (private)
  kMarketPositions,              // "market_positions" (private)
  kMarketLifecycleV2,            // "market_lifecycle_v2"
  kMultivariateMarketLifecycle,  // "multivariate_market_lifecycle"
  kCommunications,               // "communications" (RFQ / quotes)
  kOrderGroupUpdates,            // "order_group_updates" (private)
  kUserOrders,                   // "user_orders" (private)
  kCfbenchmarksValue,            // "cfbenchmarks_value"
  kCfbenchmarksValue5hz,         // "cfbenchmarks_value_5hz"
  kPythValue,                    // "pyth_value"
};
inline constexpr int kNumChannels = 13;

/// The exact wire name, e.g. "orderbook_delta".
std::string_view ChannelName(Channel channel);
/// Parses an exact wire name; nullopt for anything else (case-sensitive).
std::optional<Channel> ParseChannel(std::string_view name);

}  // namespace kalshiflow::kalshi
