// HttpsClient: a synchronous HTTP/1.1 client for Kalshi's REST API (https://, or http:// for
// loopback) on Boost.Beast, with request signing, client-side token buckets and backoff on 429.
//
// Sources: PROTOCOL.md §1.1–1.2 (three KALSHI-ACCESS-* headers; the signed path is the full
// URL path from the host root *without* the query string), §4.9 (read and write token
// buckets; 429 body {"error":"too many requests"}, no Retry-After: back off exponentially),
// §4.10 (error bodies).
//
// One keep-alive connection, re-established transparently when the server closed it.
// Threading: one request at a time per client (an internal mutex serialises callers), so it
// is thread-safe but not concurrent; use one client per thread for parallel requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "net/tls.h"
#include "net/token_bucket.h"
#include "net/websocket_client.h"  // BackoffOptions

namespace kalshiflow::net {

enum class RequestClass {
  kRead,   // GETs and everything else (PROTOCOL §4.9)
  kWrite,  // order create/amend/cancel/decrease, order groups
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int attempts = 1;  // including 429 retries
};

/// Signs one request: gets the HTTP method and the full path without query (e.g.
/// "/trade-api/v2/portfolio/orders") and returns the headers to add. Empty function = no auth.
using RequestSigner = std::function<core::Result<std::vector<std::pair<std::string, std::string>>>(
    std::string_view method, std::string_view path)>;

struct HttpsClientOptions {
  /// Base URL including the API prefix, e.g. "https://api.elections.kalshi.com/trade-api/v2"
  /// or "http://127.0.0.1:8443/trade-api/v2".
  std::string base_url;
  TlsClientOptions tls;
  RequestSigner signer;
  RateBudget budget;  // defaults: Basic tier
  /// Cost charged per request when the caller passes none.
  int64_t default_cost = kDefaultRequestCost;
  /// 429 and 5xx (502/503/504) are retried with this backoff up to max_attempts attempts in
  /// all, the first included (then the last response is returned; 0 = no limit). The delay
  /// before attempt n+1 is BackoffDelay(retry, n, u).
  BackoffOptions retry{
      std::chrono::milliseconds(200), std::chrono::milliseconds(5'000), 2.0, 0.2, 5, 1};
  std::chrono::milliseconds timeout{10'000};  // per attempt: connect + write + read
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  const core::Clock* clock = nullptr;  // nullptr = RealClock; used for buckets and signing
  /// How the client waits (rate-limit delays and retry backoff). Empty =
  /// std::this_thread::sleep_for; tests inject a recorder.
  std::function<void(std::chrono::nanoseconds)> sleep;
};

struct HttpsClientStats {
  uint64_t requests = 0;  // Request() calls
  uint64_t attempts = 0;  // HTTP exchanges sent (requests + retries)
  uint64_t retries_429 = 0;
  uint64_t retries_5xx = 0;
  uint64_t connects = 0;
  std::chrono::nanoseconds rate_limit_wait{0};  // total time spent waiting on the buckets
  std::chrono::nanoseconds retry_wait{0};       // total backoff slept before retries
  uint64_t stale_reconnects = 0;  // reused connections found closed by the server, re-sent
  uint64_t transport_errors = 0;  // Requests that returned Unavailable
};

class HttpsClient {
 public:
  /// Validates the base URL (scheme http/https, host, optional port, path) and budgets.
  static core::Result<std::unique_ptr<HttpsClient>> Create(HttpsClientOptions options);
  ~HttpsClient();

  /// Sends `method` `path_and_query` relative to the base URL's path (e.g. "/markets?limit=5"
  /// → GET /trade-api/v2/markets?limit=5), with `body` as application/json when non-empty.
  /// Waits on the bucket of `request_class` first. Returns the final response for any HTTP
  /// status (callers map 4xx bodies); errors only for transport failures: Unavailable
  /// (connect/TLS/read/write/timeout, naming the host and stage), InvalidArgument (bad path,
  /// method or cost), ResourceExhausted (response body over max_body_bytes), or the signer's
  /// own error unchanged. The signer and the buckets are consulted again for every retry
  /// (a fresh timestamp per attempt). A request whose reused keep-alive connection turns out
  /// to be closed by the server (no response byte received) is re-sent once on a new
  /// connection without counting as an attempt.
  core::Result<HttpResponse> Request(std::string_view method, std::string_view path_and_query,
                                     std::string_view body = {},
                                     RequestClass request_class = RequestClass::kRead,
                                     std::optional<int64_t> cost = std::nullopt);
  core::Result<HttpResponse> Get(std::string_view path_and_query) {
    return Request("GET", path_and_query);
  }
  HttpsClientStats Stats() const;

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kalshiflow::net
