// KalshiTradingClient: Kalshi's V2 order endpoints, portfolio reads and order groups over
// signed HTTPS — one code path for Kalshi demo, Kalshi production and the local exchange.
//
// Sources: DESIGN.md §8 (one client for demo and production, chosen by
// KALSHI_TRADING_ENVIRONMENT; production only with KALSHI_PRODUCTION_CONFIRMED=true and a loud
// warning; credentials from KALSHI_API_KEY_ID + KALSHI_PRIVATE_KEY_PATH/_CONTENT, demo keys
// from KALSHI_PAPER_TRADING_*; keys never logged), §11; PROTOCOL.md §1 (signing: the full path
// from the host root without the query), §2 (base URLs), §4.1 (cursor pagination), §4.3
// (V2 orders), §4.4, §4.6, §4.7, §4.9 (write bucket; cancel costs 2 tokens, other writes 10,
// batches per item; 429 → exponential backoff), §4.10 (error bodies).
//
// DTOs (requests, responses, error mapping) are kalshi/trading_messages.h's. Every call returns
// core::Result / core::Status: a non-2xx answer → kalshi::ApiError::ToStatus() (message
// "<kalshi code>: <message> (<details>)"; 409 → AlreadyExists, 429 → ResourceExhausted after
// the HTTP client's retries, 5xx → Unavailable after retries, insufficient_balance →
// FailedPrecondition); a transport failure → net::HttpsClient's Unavailable; a 2xx body that
// does not parse → DataLoss naming the endpoint and the field.
//
// Threading: thread-safe; requests are serialised (one at a time, net::HttpsClient's mutex).
// Blocking: each call waits for the rate budget, the network and any 429/5xx backoff.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/fixed_point.h"
#include "core/status.h"
#include "core/time.h"
#include "kalshi/trading_messages.h"
#include "net/https_client.h"
#include "net/tls.h"
#include "net/token_bucket.h"

namespace kalshiflow::kalshi::auth {
class Signer;
}  // namespace kalshiflow::kalshi::auth

namespace kalshiflow::trading {

/// Where orders go.
enum class TradingEnvironment {
  kDemo,        // Kalshi demo (paper money), the default
  kProduction,  // real money: needs production_confirmed
  kLocal,       // our local Kalshi-compatible exchange (src/exchange); rest_base_url required
};
/// "demo" / "production" / "local".
std::string_view TradingEnvironmentName(TradingEnvironment environment);
/// Exact "demo" / "production" / "local"; nullopt otherwise.
std::optional<TradingEnvironment> ParseTradingEnvironment(std::string_view text);

/// PROTOCOL.md §2 ("also supported" hosts, the ones the official starter code uses).
// PROTOCOL §2: the recommended external-api hosts (the WebSocket has its own -ws host).
inline constexpr std::string_view kDemoRestBaseUrl =
    "https://external-api.demo.kalshi.co/trade-api/v2";
inline constexpr std::string_view kProductionRestBaseUrl =
    "https://external-api.kalshi.com/trade-api/v2";

/// Environment variables read by TradingClientConfigFromEnv.
inline constexpr std::string_view kEnvTradingEnvironment = "KALSHI_TRADING_ENVIRONMENT";
inline constexpr std::string_view kEnvApiKeyId = "KALSHI_API_KEY_ID";
inline constexpr std::string_view kEnvPrivateKeyPath = "KALSHI_PRIVATE_KEY_PATH";
inline constexpr std::string_view kEnvPrivateKeyContent = "KALSHI_PRIVATE_KEY_CONTENT";
inline constexpr std::string_view kEnvPaperApiKeyId = "KALSHI_PAPER_TRADING_API_KEY_ID";
inline constexpr std::string_view kEnvPaperPrivateKeyPath = "KALSHI_PAPER_TRADING_PRIVATE_KEY_PATH";
inline constexpr std::string_view kEnvPaperPrivateKeyContent =
    "KALSHI_PAPER_TRADING_PRIVATE_KEY_CONTENT";
inline constexpr std::string_view kEnvProductionConfirmed = "KALSHI_PRODUCTION_CONFIRMED";
/// Optional override of the environment's REST base URL; required for `local`.
inline constexpr std::string_view kEnvRestBaseUrl = "KALSHI_REST_BASE_URL";

struct TradingClientConfig {
  TradingEnvironment environment = TradingEnvironment::kDemo;
  /// Base URL including the API prefix; empty = the environment's default (kDemoRestBaseUrl /
  /// kProductionRestBaseUrl). Required for kLocal (e.g. "http://127.0.0.1:8443/trade-api/v2").
  std::string rest_base_url;
  std::string api_key_id;
  /// The PEM private key (PKCS#1 / PKCS#8, RSA or Ed25519). Secret: never logged or put in a
  /// message. Used when private_key_path is empty.
  std::string private_key_pem;
  /// A PEM key file (mode 0600/0400 required, kalshi::auth::Signer::FromFile); wins over
  /// private_key_pem when set.
  std::string private_key_path;
  /// An already loaded key (e.g. the demo's throwaway Ed25519 key, which exists only in
  /// memory); wins over private_key_path and private_key_pem when set.
  std::shared_ptr<const kalshi::auth::Signer> signer;
  net::TlsClientOptions tls;
  net::RateBudget budget;              // default: Basic tier
  const core::Clock* clock = nullptr;  // nullptr = core::RealClock (signing, buckets)
  bool production_confirmed = false;
  /// 429 / 502-504 backoff of the HTTP client (attempts include the first).
  net::BackoffOptions retry = net::HttpsClientOptions().retry;
  std::chrono::milliseconds timeout{10'000};  // per attempt
  /// How waits happen (rate limit, backoff); empty = sleep. Tests inject a recorder.
  std::function<void(std::chrono::nanoseconds)> sleep;
  /// Page size of the paginated reads (Kalshi: 1..1000).
  int page_limit = 1000;
};

/// Reads the configuration from environment variables through `getenv` (pass a map lookup in
/// tests; std::getenv in the app). Empty values count as unset.
///  * KALSHI_TRADING_ENVIRONMENT: demo (default) | production | local.
///  * Credentials: KALSHI_API_KEY_ID, and KALSHI_PRIVATE_KEY_CONTENT (PEM text) or
///    KALSHI_PRIVATE_KEY_PATH (a 0600 file; content wins when both are set). In demo the
///    KALSHI_PAPER_TRADING_API_KEY_ID / _PRIVATE_KEY_PATH / _PRIVATE_KEY_CONTENT names win when
///    set (the key id and the key are chosen independently).
///  * KALSHI_PRODUCTION_CONFIRMED: true/1/yes or false/0/no (case-insensitive).
///  * KALSHI_REST_BASE_URL: overrides the base URL; required for local.
/// Errors name the variable (InvalidArgument for a bad value, FailedPrecondition for a missing
/// one, PermissionDenied / NotFound for a key file) and never contain key material.
core::Result<TradingClientConfig> TradingClientConfigFromEnv(
    const std::function<std::optional<std::string>(std::string_view)>& getenv);

/// GET /portfolio/orders filters. All pages are fetched (cursor) with config.page_limit per
/// page, or `limit` when > 0.
struct OrdersQuery {
  std::string ticker;  // "" = all markets
  std::optional<kalshi::OrderStatus> status;
  int limit = 0;  // page size; 0 = config.page_limit
};

/// GET /portfolio/fills filters.
struct FillsQuery {
  std::string ticker;             // "" = all
  std::string order_id;           // "" = all
  std::optional<int64_t> min_ts;  // Unix seconds
  int limit = 0;                  // page size; 0 = config.page_limit
};

/// Counters since Create.
struct TradingClientStats {
  uint64_t requests = 0;          // calls that sent at least one HTTP request
  uint64_t api_errors = 0;        // 4xx answers (after retries), incl. 429
  uint64_t rate_limited = 0;      // of which 429
  uint64_t server_errors = 0;     // 5xx answers (after retries)
  uint64_t transport_errors = 0;  // no HTTP answer (connect, TLS, timeout)
  uint64_t parse_errors = 0;      // 2xx answers whose body did not parse
  std::string last_error;         // Status::ToString() of the last failure; "" = none
  net::HttpsClientStats http;     // the underlying client's counters (attempts, retries, waits)
};

class KalshiTradingClient {
 public:
  /// Validates the configuration: production without production_confirmed → FailedPrecondition
  /// naming KALSHI_PRODUCTION_CONFIRMED=true (checked first; no network is touched by Create
  /// in any case); kLocal without rest_base_url, an empty key id, no key → InvalidArgument; a
  /// bad key → InvalidArgument without the key text (or the key file errors of
  /// Signer::FromFile); a bad URL / TLS / budget → net::HttpsClient::Create's error.
  /// Production logs one loud warning (spdlog) naming the base URL and key id.
  static core::Result<std::unique_ptr<KalshiTradingClient>> Create(TradingClientConfig config);
  ~KalshiTradingClient();
  KalshiTradingClient(const KalshiTradingClient&) = delete;
  KalshiTradingClient& operator=(const KalshiTradingClient&) = delete;

  // ---- V2 orders (write bucket) ----
  /// POST /portfolio/events/orders (201), 10 tokens.
  core::Result<kalshi::CreateOrderResponse> CreateOrder(const kalshi::CreateOrderRequest& request);
  /// DELETE /portfolio/events/orders/{id}[?market_ticker=], 2 tokens.
  core::Result<kalshi::CancelOrderResponse> CancelOrder(
      std::string_view order_id, std::optional<std::string_view> market_ticker = std::nullopt);
  /// POST /portfolio/events/orders/{id}/amend, 10 tokens.
  core::Result<kalshi::AmendOrderResponse> AmendOrder(std::string_view order_id,
                                                      const kalshi::AmendOrderRequest& request);
  /// POST /portfolio/events/orders/{id}/decrease, 10 tokens. InvalidArgument unless exactly
  /// one of reduce_by / reduce_to is set (checked before sending).
  core::Result<kalshi::DecreaseOrderResponse> DecreaseOrder(
      std::string_view order_id, const kalshi::DecreaseOrderRequest& request);
  /// POST /portfolio/events/orders/batched, 10 tokens per order. Results in request order,
  /// per-item errors in BatchCreateResult::error. Empty input → empty result, no request.
  /// InvalidArgument (before sending) when the batch costs more than the write bucket holds.
  core::Result<std::vector<kalshi::BatchCreateResult>> BatchCreateOrders(
      std::span<const kalshi::CreateOrderRequest> orders);
  /// DELETE /portfolio/events/orders/batched, 2 tokens per order.
  core::Result<std::vector<kalshi::BatchCancelResult>> BatchCancelOrders(
      std::span<const std::string> order_ids);

  // ---- reads (read bucket, 10 tokens per page) ----
  /// GET /portfolio/orders, every page.
  core::Result<std::vector<kalshi::Order>> GetOrders(const OrdersQuery& query = {});
  /// GET /portfolio/orders/{id} → the "order" object.
  core::Result<kalshi::Order> GetOrder(std::string_view order_id);
  /// GET /portfolio/positions (market positions of every page; event positions dropped).
  core::Result<std::vector<kalshi::MarketPositionRecord>> GetPositions(
      std::optional<std::string_view> ticker = std::nullopt);
  /// GET /portfolio/balance.
  core::Result<kalshi::Balance> GetBalance();
  /// GET /portfolio/fills, every page.
  core::Result<std::vector<kalshi::FillRecord>> GetFills(const FillsQuery& query = {});
  /// GET /portfolio/settlements, every page.
  core::Result<std::vector<kalshi::SettlementRecord>> GetSettlements(
      std::optional<std::string_view> ticker = std::nullopt);

  // ---- order groups (PROTOCOL §4.7; writes use the write bucket) ----
  /// POST /portfolio/order_groups/create {contracts_limit_fp} (201) → the new group's id.
  core::Result<std::string> CreateOrderGroup(core::Count contracts_limit);
  /// GET /portfolio/order_groups.
  core::Result<std::vector<kalshi::OrderGroup>> GetOrderGroups();
  /// GET /portfolio/order_groups/{id} (the result's id is set to `id`).
  core::Result<kalshi::OrderGroupDetail> GetOrderGroup(std::string_view id);
  /// DELETE /portfolio/order_groups/{id}: cancels the group's orders and removes it.
  core::Status DeleteOrderGroup(std::string_view id);
  /// PUT /portfolio/order_groups/{id}/reset {}.
  core::Status ResetOrderGroup(std::string_view id);
  /// PUT /portfolio/order_groups/{id}/trigger {}.
  core::Status TriggerOrderGroup(std::string_view id);
  /// PUT /portfolio/order_groups/{id}/limit {contracts_limit_fp}.
  core::Status UpdateOrderGroupLimit(std::string_view id, core::Count contracts_limit);

  TradingClientStats Stats() const;

  TradingEnvironment environment() const { return environment_; }
  /// The REST base URL in use (with the /trade-api/v2 prefix).
  const std::string& rest_base_url() const { return rest_base_url_; }
  /// The private-channel WebSocket URL derived from rest_base_url: https → wss, http → ws,
  /// a trailing /trade-api/v2 → /trade-api/ws/v2 (any other path → host + /trade-api/ws/v2);
  /// Kalshi's external-api hosts map to their WebSocket hosts (external-api.kalshi.com →
  /// external-api-ws.kalshi.com, external-api.demo.kalshi.co → external-api-ws.demo.kalshi.co;
  /// PROTOCOL §2).
  std::string ws_url() const;
  /// The API key id (public; not a secret).
  const std::string& key_id() const { return key_id_; }

  /// Signs (method, full path without query) with this client's key: the three
  /// KALSHI-ACCESS-* headers. The function shares the key and stays valid after the client is
  /// destroyed. Suitable as net::HttpsClientOptions::signer.
  net::RequestSigner request_signer() const;
  /// Upgrade headers for the private-channel WebSocket (signs GET + ws_url()'s path), for
  /// net::WebSocketClientOptions::headers; a fresh timestamp per call.
  std::function<core::Result<std::vector<std::pair<std::string, std::string>>>()>
  websocket_headers() const;

 private:
  KalshiTradingClient(TradingEnvironment environment, std::string rest_base_url, std::string key_id,
                      std::shared_ptr<const kalshi::auth::Signer> signer, const core::Clock* clock,
                      int page_limit, int64_t write_capacity);

  /// Sends one request and returns the parsed JSON body of a 2xx answer, or the mapped error.
  core::Result<nlohmann::json> Call(std::string_view method, const std::string& path_and_query,
                                    std::string_view body, net::RequestClass request_class,
                                    int64_t cost);
  /// Records a failure in the stats and returns it.
  core::Status Fail(core::Status status, uint64_t TradingClientStats::*counter);
  /// A response DTO parse failure → DataLoss naming the endpoint.
  core::Status ParseFailure(std::string_view endpoint, const core::Status& status);
  /// Fetches every page of a cursor-paginated GET and hands each body to `on_page`, which
  /// returns the page's cursor.
  core::Status GetAllPages(
      const std::string& path, std::vector<std::pair<std::string, std::string>> params,
      int page_limit,
      const std::function<core::Result<std::string>(const nlohmann::json&)>& on_page);

  TradingEnvironment environment_;
  std::string rest_base_url_;
  std::string key_id_;
  std::shared_ptr<const kalshi::auth::Signer> signer_;
  const core::Clock* clock_;
  int page_limit_;
  int64_t write_capacity_;
  std::unique_ptr<net::HttpsClient> http_;
  mutable std::mutex stats_mutex_;
  TradingClientStats stats_;
};

}  // namespace kalshiflow::trading
