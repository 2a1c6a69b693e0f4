// Internal to the exchange module: request authentication (PROTOCOL.md §1) and the REST API
// under /trade-api/v2 (PROTOCOL.md §4.2, §4.8, §4.10), independent of the HTTP library.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "exchange/exchange_core.h"
#include "exchange/exchange_server.h"
#include "kalshi/auth/verifier.h"
#include "net/token_bucket.h"

namespace kalshiflow::exchange::internal {

inline constexpr std::string_view kRestPrefix = "/trade-api/v2";
inline constexpr std::string_view kWebSocketPath = "/trade-api/ws/v2";

/// Verifies the KALSHI-ACCESS-* headers of a request against the configured API keys.
/// Thread-compatible (used on the I/O thread).
class Authenticator {
 public:
  /// InvalidArgument naming the key id when a public key PEM does not parse, or a key id is
  /// empty / duplicated.
  static core::Result<std::unique_ptr<Authenticator>> Create(const std::vector<ApiKey>& keys,
                                                             std::chrono::milliseconds max_skew,
                                                             const core::Clock& clock);

  /// Ok, or Unauthenticated whose message is the 401 `details` naming the cause: a missing
  /// header, an unknown key, a malformed timestamp or signature, a stale timestamp, or a
  /// signature that does not verify. `path` may carry a query (it is not signed).
  core::Status Check(std::string_view method, std::string_view path, std::string_view key_id,
                     std::string_view timestamp, std::string_view signature) const;

 private:
  Authenticator(const core::Clock& clock, int64_t max_skew_ms)
      : clock_(clock), max_skew_ms_(max_skew_ms) {}
  std::map<std::string, kalshi::auth::Verifier, std::less<>> verifiers_;
  const core::Clock& clock_;
  int64_t max_skew_ms_;
};

/// Kalshi's error body: {"error":{"code":..,"message":..[,"details":..]}} (PROTOCOL §4.10).
std::string ErrorBody(std::string_view code, std::string_view message,
                      std::string_view details = {});

/// One HTTP request as the router sees it.
struct RestRequest {
  std::string_view method;  // "GET", ...
  std::string_view target;  // path + optional "?query"
  std::string_view body;    // request body (JSON for POST/PUT/DELETE with a body)
  /// Header lookup by (case-insensitive) name; empty when absent.
  std::function<std::string_view(std::string_view)> header;
};

struct RestResponse {
  int status = 200;
  std::string body;  // JSON
};

using QueryParams = std::multimap<std::string, std::string, std::less<>>;

/// What a route handler gets: the "{x}" path segments in order, the decoded query, the
/// authenticated API key id ("" on public routes) and the body.
struct RouteRequest {
  const std::vector<std::string>& args;
  const QueryParams& query;
  std::string_view key_id;
  std::string_view body;
};
using RouteHandler = std::function<RestResponse(const RouteRequest&)>;

/// The REST API. Routes live in one table (method, path pattern, auth flag, handler); the
/// order and portfolio endpoints are added by AddTradingRoutes (trading_api.h). Market-data
/// GETs and /exchange/status are public, as on Kalshi; everything else under /trade-api/v2
/// requires authentication (401 before 404).
class RestApi {
 public:
  RestApi(const MarketStore& markets, const Authenticator& auth, AtomicStats& stats);

  RestResponse Handle(const RestRequest& request) const;

  /// Adds a route. `pattern` is relative to /trade-api/v2 ("/portfolio/orders/{id}"); earlier
  /// routes win, so literal routes go before parameterized ones that could shadow them.
  void AddRoute(std::string method, std::string_view pattern, bool requires_auth,
                RouteHandler handler);
  /// Enables PROTOCOL §4.9 rate limits per API key (see ExchangeOptions::rate_tier).
  void SetRateLimits(std::string tier, net::RateBudget budget);

 private:
  using Params = QueryParams;
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{x}" matches one segment
    bool requires_auth = false;
    RouteHandler handler;
  };

  RestResponse GetExchangeStatus(const std::vector<std::string>&, const Params&) const;
  RestResponse GetMarkets(const std::vector<std::string>&, const Params& query) const;
  RestResponse GetMarket(const std::vector<std::string>& args, const Params&) const;
  RestResponse GetMarketOrderbook(const std::vector<std::string>& args, const Params& q) const;
  RestResponse GetMarketOrderbooks(const std::vector<std::string>&, const Params& q) const;

  // The tokens an authenticated request costs and whether it bills the write bucket.
  static std::pair<int64_t, bool> CostOf(std::string_view method,
                                         const std::vector<std::string>& segments,
                                         std::string_view body);

  const MarketStore& markets_;
  const Authenticator& auth_;
  AtomicStats& stats_;
  std::vector<Route> routes_;
  struct KeyBuckets {
    net::TokenBucket read;
    net::TokenBucket write;
  };
  std::string rate_tier_;  // "" = no limits
  net::RateBudget rate_budget_;
  mutable std::map<std::string, KeyBuckets, std::less<>> buckets_;  // I/O thread only
};

}  // namespace kalshiflow::exchange::internal
