// Builders for client -> server Kalshi WebSocket commands (JSON text frames).
//
// Envelope: {"id":<int>,"cmd":"<command>","params":{...}}. `id` is client-chosen, unique per
// session (start at 1, increment); 0 means "no id". Responses echo it.
//
// Source: ../shared/kalshi-api/PROTOCOL.md §3.2; asyncapi.2026-08-22.yaml (command payloads).
// Threading: pure functions; thread-safe. Not on the hot path (they allocate).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "kalshi/channel.h"

namespace kalshiflow::kalshi {

/// Parameters of `subscribe`.
struct SubscribeCommand {
  int64_t id = 0;                 // >= 0
  std::vector<Channel> channels;  // >= 1, no duplicates
  /// Market filter, mutually exclusive: a single `market_ticker`, or `market_tickers` (>= 1).
  /// Neither means "all markets" (not allowed for orderbook_delta).
  std::optional<std::string> market_ticker;
  std::vector<std::string> market_tickers;
  /// Orderbook channel: report NO levels in YES-leg prices (PROTOCOL §3.6). REQUIRED when
  /// `channels` contains orderbook_delta — the server default (false) is announced to flip,
  /// so we always write it explicitly. Written whenever set.
  std::optional<bool> use_yes_price;
  /// Ticker channel only: send the current ticker for the requested markets first.
  std::optional<bool> send_initial_snapshot;
  /// `ok` acks omit the market list.
  std::optional<bool> skip_ticker_ack;
};

/// {"id":1,"cmd":"subscribe","params":{"channels":["orderbook_delta"],
///  "market_ticker":"CPI-22DEC-TN0.1","use_yes_price":false}}
/// Errors (InvalidArgument, naming the parameter): negative id; no channels; a duplicate
/// channel; both market_ticker and market_tickers; an invalid ticker (core::ValidateTicker);
/// orderbook_delta without a market filter or without use_yes_price;
/// send_initial_snapshot without the ticker channel.
core::Result<std::string> BuildSubscribe(const SubscribeCommand& command);

/// {"id":124,"cmd":"unsubscribe","params":{"sids":[1,2]}}
/// Errors: negative id; no sids; a sid < 1.
core::Result<std::string> BuildUnsubscribe(int64_t id, const std::vector<int64_t>& sids);

/// `update_subscription` actions.
enum class UpdateAction {
  kAddMarkets,     // "add_markets"
  kDeleteMarkets,  // "delete_markets"
  kGetSnapshot,    // "get_snapshot": orderbook_delta only; fresh snapshots, subscription and
                   // delta stream unchanged (added 2026-04-20)
};
std::string_view UpdateActionName(UpdateAction action);

/// Parameters of `update_subscription`.
struct UpdateSubscriptionCommand {
  int64_t id = 0;
  /// Exactly one subscription id (Kalshi error 12 otherwise).
  std::vector<int64_t> sids;
  /// Write the sid as `"sid":N` instead of `"sids":[N]` (both accepted by Kalshi).
  bool single_sid_field = false;
  UpdateAction action = UpdateAction::kAddMarkets;
  std::vector<std::string> market_tickers;  // >= 1 (get_snapshot accepts only market_tickers)
  /// Ticker channel add_markets only: initial ticker for newly added markets.
  std::optional<bool> send_initial_snapshot;
};

/// {"id":124,"cmd":"update_subscription","params":{"sids":[456],
///  "market_tickers":["NEW-MARKET-1"],"action":"add_markets"}}
/// Errors: negative id; sids.size() != 1 or sid < 1; no market tickers; an invalid ticker;
/// send_initial_snapshot with an action other than add_markets.
core::Result<std::string> BuildUpdateSubscription(const UpdateSubscriptionCommand& command);

/// {"id":3,"cmd":"list_subscriptions"}. Error: negative id.
core::Result<std::string> BuildListSubscriptions(int64_t id);

}  // namespace kalshiflow::kalshi
