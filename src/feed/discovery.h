// Market discovery (`RL_MARKET_MODE=discovery`): the top `limit` open markets by volume,
// read from Kalshi's REST API `GET /markets?status=open` with cursor pagination
// (PROTOCOL.md §4.1; fixed-point `volume_fp` strings, legacy integer `volume` accepted).
//
// Threading: runs on the calling thread (blocking HTTP through the client).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "net/https_client.h"

namespace kalshiflow::feed {

struct DiscoveredMarket {
  std::string ticker;
  int64_t volume_units = 0;  // core::Count units (1/100 contract)
  /// The market's `close_time` (RFC 3339), when present and valid (the actor's closing-soon
  /// rule).
  std::optional<core::Timestamp> close_time;
};

struct DiscoveryOptions {
  int limit = 10;        // markets to keep (>= 1)
  int page_size = 1000;  // `limit` query parameter (Kalshi: 1..1000)
  int max_pages = 50;    // stop paginating after this many pages
};

/// Lists open markets and returns the `limit` with the highest volume (ties: ticker order).
/// Errors: the client's transport errors; Unavailable / PermissionDenied naming the HTTP status
/// and Kalshi's error body for a non-200 answer; InvalidArgument for a body that is not the
/// documented shape.
core::Result<std::vector<DiscoveredMarket>> DiscoverMarkets(net::HttpsClient& client,
                                                            const DiscoveryOptions& options);

}  // namespace kalshiflow::feed
