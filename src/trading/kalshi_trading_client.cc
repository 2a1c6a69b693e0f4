#include "trading/kalshi_trading_client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <utility>

#include "kalshi/auth/signer.h"

namespace kalshiflow::trading {
namespace {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kRestPrefix = "/trade-api/v2";
constexpr std::string_view kWsPrefix = "/trade-api/ws/v2";
constexpr int64_t kCancelCost = 2;  // PROTOCOL §4.9
constexpr int64_t kWriteCost = net::kDefaultRequestCost;
constexpr int64_t kReadCost = net::kDefaultRequestCost;
constexpr int kMaxPages = 100'000;  // safety stop for a server that never ends a cursor chain

bool IsUnreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

/// Percent-encodes a query value (RFC 3986: everything but unreserved characters).
std::string PercentEncode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

/// An id used as a path segment (order ids are UUIDs, group ids similar): 1..128 unreserved
/// characters, so that nothing can change the path that is signed.
core::Status CheckPathId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > 128 || !std::all_of(id.begin(), id.end(), IsUnreserved)) {
    return core::InvalidArgumentError(fmt::format(
        "{} must be 1-128 characters from [A-Za-z0-9._~-], got '{}'", what, id.substr(0, 128)));
  }
  return core::Status::Ok();
}

std::string WithQuery(std::string path,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  char separator = '?';
  for (const auto& [name, value] : params) {
    path += separator;
    path += name;
    path += '=';
    path += PercentEncode(value);
    separator = '&';
  }
  return path;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

// ---- environment --------------------------------------------------------------------------------

std::string_view TradingEnvironmentName(TradingEnvironment environment) {
  switch (environment) {
    case TradingEnvironment::kDemo:
      return "demo";
    case TradingEnvironment::kProduction:
      return "production";
    case TradingEnvironment::kLocal:
      return "local";
  }
  return "unknown";
}

std::optional<TradingEnvironment> ParseTradingEnvironment(std::string_view text) {
  if (text == "demo") return TradingEnvironment::kDemo;
  if (text == "production") return TradingEnvironment::kProduction;
  if (text == "local") return TradingEnvironment::kLocal;
  return std::nullopt;
}

core::Result<TradingClientConfig> TradingClientConfigFromEnv(
    const std::function<std::optional<std::string>(std::string_view)>& getenv) {
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    auto value = getenv(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
  };
  TradingClientConfig config;
  if (auto env = get(kEnvTradingEnvironment)) {
    auto parsed = ParseTradingEnvironment(*env);
    if (!parsed) {
      return core::InvalidArgumentError(
          fmt::format("{}: expected demo, production or local, got '{}'", kEnvTradingEnvironment,
                      env->substr(0, 32)));
    }
    config.environment = *parsed;
  }
  const bool demo = config.environment == TradingEnvironment::kDemo;

  // Key id: the paper-trading name wins in demo.
  std::string_view key_id_var = kEnvApiKeyId;
  std::optional<std::string> key_id;
  if (demo) {
    key_id = get(kEnvPaperApiKeyId);
    if (key_id) key_id_var = kEnvPaperApiKeyId;
  }
  if (!key_id) key_id = get(kEnvApiKeyId);
  if (!key_id) {
    return core::FailedPreconditionError(
        demo ? fmt::format("{} (or {}) is not set", kEnvApiKeyId, kEnvPaperApiKeyId)
             : fmt::format("{} is not set", kEnvApiKeyId));
  }
  for (char c : *key_id) {
    if (c < 0x21 || c > 0x7e) {
      return core::InvalidArgumentError(
          fmt::format("{}: must be printable ASCII without spaces", key_id_var));
    }
  }
  config.api_key_id = *key_id;

  // Private key: content wins over path; the paper-trading names win in demo.
  std::optional<std::string> content;
  std::optional<std::string> path;
  std::string_view path_var = kEnvPrivateKeyPath;
  if (demo) {
    content = get(kEnvPaperPrivateKeyContent);
    if (!content) {
      path = get(kEnvPaperPrivateKeyPath);
      if (path) path_var = kEnvPaperPrivateKeyPath;
    }
  }
  if (!content && !path) {
    content = get(kEnvPrivateKeyContent);
    if (!content) path = get(kEnvPrivateKeyPath);
  }
  if (content) {
    config.private_key_pem = std::move(*content);
  } else if (path) {
    core::Status permissions = kalshi::auth::CheckKeyFilePermissions(*path);
    if (!permissions.ok()) {
      return core::Status(permissions.code(),
                          fmt::format("{}: {}", path_var, permissions.message()));
    }
    config.private_key_path = std::move(*path);
  } else {
    return core::FailedPreconditionError(
        demo ? fmt::format("no private key: set {} or {} (or {} / {})", kEnvPrivateKeyPath,
                           kEnvPrivateKeyContent, kEnvPaperPrivateKeyPath,
                           kEnvPaperPrivateKeyContent)
             : fmt::format("no private key: set {} or {}", kEnvPrivateKeyPath,
                           kEnvPrivateKeyContent));
  }

  if (auto confirmed = get(kEnvProductionConfirmed)) {
    const std::string value = Lower(*confirmed);
    if (value == "true" || value == "1" || value == "yes") {
      config.production_confirmed = true;
    } else if (value == "false" || value == "0" || value == "no") {
      config.production_confirmed = false;
    } else {
      return core::InvalidArgumentError(fmt::format("{}: expected true or false, got '{}'",
                                                    kEnvProductionConfirmed,
                                                    confirmed->substr(0, 32)));
    }
  }

  if (auto url = get(kEnvRestBaseUrl)) {
    config.rest_base_url = *url;
  } else if (config.environment == TradingEnvironment::kLocal) {
    return core::FailedPreconditionError(
        fmt::format("{} is required when {}=local (e.g. http://127.0.0.1:8443/trade-api/v2)",
                    kEnvRestBaseUrl, kEnvTradingEnvironment));
  }
  return config;
}

// ---- construction -------------------------------------------------------------------------------

core::Result<std::unique_ptr<KalshiTradingClient>> KalshiTradingClient::Create(
    TradingClientConfig config) {
  if (config.environment == TradingEnvironment::kProduction && !config.production_confirmed) {
    return core::FailedPreconditionError(fmt::format(
        "refusing to trade on Kalshi production with real money: set {}=true to confirm",
        kEnvProductionConfirmed));
  }
  std::string base_url = config.rest_base_url;
  if (base_url.empty()) {
    switch (config.environment) {
      case TradingEnvironment::kDemo:
        base_url = std::string(kDemoRestBaseUrl);
        break;
      case TradingEnvironment::kProduction:
        base_url = std::string(kProductionRestBaseUrl);
        break;
      case TradingEnvironment::kLocal:
        return core::InvalidArgumentError(
            "trading client: rest_base_url is required for the local environment");
    }
  }
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  if (config.api_key_id.empty()) {
    return core::InvalidArgumentError("trading client: api_key_id is empty");
  }
  if (config.page_limit < 1 || config.page_limit > 1000) {
    return core::InvalidArgumentError(
        fmt::format("trading client: page_limit {} is outside 1..1000", config.page_limit));
  }

  std::optional<core::Result<kalshi::auth::Signer>> loaded;
  std::shared_ptr<const kalshi::auth::Signer> signer = config.signer;
  if (signer != nullptr) {
    // Loaded by the caller.
  } else if (!config.private_key_path.empty()) {
    loaded.emplace(kalshi::auth::Signer::FromFile(config.private_key_path));
  } else if (!config.private_key_pem.empty()) {
    loaded.emplace(kalshi::auth::Signer::FromPem(config.private_key_pem));
  } else {
    return core::InvalidArgumentError("trading client: no private key configured");
  }
  if (signer == nullptr && !loaded->ok()) {
    // Signer's messages never contain key text; say which source failed.
    const core::Status& error = loaded->error();
    return core::Status(
        error.code(),
        fmt::format("trading client: private key ({}): {}",
                    config.private_key_path.empty() ? "PEM content" : "file", error.message()));
  }
  if (signer == nullptr) {
    signer = std::make_shared<const kalshi::auth::Signer>(std::move(*loaded).value());
  }
  config.private_key_pem.clear();

  const core::Clock* clock = config.clock != nullptr ? config.clock : &core::RealClock::Instance();
  std::unique_ptr<KalshiTradingClient> client(
      new KalshiTradingClient(config.environment, base_url, config.api_key_id, signer, clock,
                              config.page_limit, config.budget.write.capacity));

  net::HttpsClientOptions http;
  http.base_url = base_url;
  http.tls = config.tls;
  http.signer = client->request_signer();
  http.budget = config.budget;
  http.retry = config.retry;
  http.timeout = config.timeout;
  http.clock = clock;
  http.sleep = config.sleep;
  auto created = net::HttpsClient::Create(std::move(http));
  if (!created.ok()) return created.error();
  client->http_ = std::move(created).value();

  if (config.environment == TradingEnvironment::kProduction) {
    spdlog::warn(
        "*** KALSHI PRODUCTION TRADING: REAL MONEY *** orders go to {} with API key {} "
        "({}=true)",
        base_url, config.api_key_id, kEnvProductionConfirmed);
  } else {
    spdlog::info("kalshi trading client: {} at {}", TradingEnvironmentName(config.environment),
                 base_url);
  }
  return client;
}

KalshiTradingClient::KalshiTradingClient(TradingEnvironment environment, std::string rest_base_url,
                                         std::string key_id,
                                         std::shared_ptr<const kalshi::auth::Signer> signer,
                                         const core::Clock* clock, int page_limit,
                                         int64_t write_capacity)
    : environment_(environment),
      rest_base_url_(std::move(rest_base_url)),
      key_id_(std::move(key_id)),
      signer_(std::move(signer)),
      clock_(clock),
      page_limit_(page_limit),
      write_capacity_(write_capacity) {}

KalshiTradingClient::~KalshiTradingClient() = default;

// ---- signing ------------------------------------------------------------------------------------

net::RequestSigner KalshiTradingClient::request_signer() const {
  return [key_id = key_id_, signer = signer_, clock = clock_](
             std::string_view method, std::string_view path) -> core::Result<Headers> {
    auto headers = kalshi::auth::MakeAuthHeaders(key_id, *signer, *clock, method, path);
    if (!headers.ok()) return headers.error();
    Headers out;
    for (const auto& [name, value] : headers->List()) out.emplace_back(name, value);
    return out;
  };
}

std::string KalshiTradingClient::ws_url() const {
  std::string url = rest_base_url_;
  if (url.rfind("https://", 0) == 0) {
    url.replace(0, 5, "wss");
  } else if (url.rfind("http://", 0) == 0) {
    url.replace(0, 4, "ws");
  }
  const std::size_t scheme_end = url.find("://");
  const std::size_t path_start =
      scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  std::string root = path_start == std::string::npos ? url : url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "" : url.substr(path_start);
  for (std::string_view host : {"external-api.kalshi.com", "external-api.demo.kalshi.co"}) {
    const std::string prefix = "wss://" + std::string(host);
    if (root == prefix || root.rfind(prefix + ":", 0) == 0) {
      root.replace(0, std::string_view("wss://external-api").size(), "wss://external-api-ws");
    }
  }
  if (path.size() >= kRestPrefix.size() &&
      path.compare(path.size() - kRestPrefix.size(), kRestPrefix.size(), kRestPrefix) == 0) {
    return root + path.substr(0, path.size() - kRestPrefix.size()) + std::string(kWsPrefix);
  }
  return root + std::string(kWsPrefix);
}

std::function<core::Result<Headers>()> KalshiTradingClient::websocket_headers() const {
  const std::string url = ws_url();
  const std::size_t scheme_end = url.find("://");
  const std::size_t path_start = url.find('/', scheme_end + 3);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  return [sign = request_signer(), path = std::move(path)]() { return sign("GET", path); };
}

// ---- request plumbing ---------------------------------------------------------------------------

core::Status KalshiTradingClient::Fail(core::Status status, uint64_t TradingClientStats::*counter) {
  std::lock_guard lock(stats_mutex_);
  if (counter != nullptr) ++(stats_.*counter);
  stats_.last_error = status.ToString();
  return status;
}

core::Status KalshiTradingClient::ParseFailure(std::string_view endpoint,
                                               const core::Status& status) {
  return Fail(
      core::DataLossError(fmt::format("kalshi {} response: {}", endpoint, status.message())),
      &TradingClientStats::parse_errors);
}

core::Result<Json> KalshiTradingClient::Call(std::string_view method,
                                             const std::string& path_and_query,
                                             std::string_view body, net::RequestClass request_class,
                                             int64_t cost) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.requests;
  }
  auto response = http_->Request(method, path_and_query, body, request_class, cost);
  if (!response.ok()) {
    return Fail(response.error(), &TradingClientStats::transport_errors);
  }
  const int status = response->status;
  if (status < 200 || status > 299) {
    const kalshi::ApiError error = kalshi::ApiErrorFromHttp(status, response->body);
    if (status >= 500) return Fail(error.ToStatus(), &TradingClientStats::server_errors);
    if (status == 429) {
      std::lock_guard lock(stats_mutex_);
      ++stats_.rate_limited;
    }
    return Fail(error.ToStatus(), &TradingClientStats::api_errors);
  }
  if (response->body.empty()) return Json::object();
  Json json = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Fail(core::DataLossError(fmt::format("kalshi {} {}: HTTP {} body is not JSON", method,
                                                path_and_query.substr(0, path_and_query.find('?')),
                                                status)),
                &TradingClientStats::parse_errors);
  }
  return json;
}

core::Status KalshiTradingClient::GetAllPages(
    const std::string& path, std::vector<std::pair<std::string, std::string>> params,
    int page_limit, const std::function<core::Result<std::string>(const Json&)>& on_page) {
  const int limit = page_limit > 0 ? std::min(page_limit, 1000) : page_limit_;
  params.emplace_back("limit", std::to_string(limit));
  std::string cursor;
  std::set<std::string> seen;
  for (int page = 0; page < kMaxPages; ++page) {
    auto query = params;
    if (!cursor.empty()) query.emplace_back("cursor", cursor);
    KF_ASSIGN_OR_RETURN(
        Json body, Call("GET", WithQuery(path, query), {}, net::RequestClass::kRead, kReadCost));
    KF_ASSIGN_OR_RETURN(cursor, on_page(body));
    if (cursor.empty()) return core::Status::Ok();
    if (!seen.insert(cursor).second) {
      return Fail(core::DataLossError(fmt::format(
                      "kalshi GET {}: the server repeated cursor '{}' (pagination loop)", path,
                      cursor.substr(0, 64))),
                  &TradingClientStats::parse_errors);
    }
  }
  return Fail(
      core::DataLossError(fmt::format("kalshi GET {}: more than {} pages", path, kMaxPages)),
      &TradingClientStats::parse_errors);
}

// ---- V2 orders ----------------------------------------------------------------------------------

core::Result<kalshi::CreateOrderResponse> KalshiTradingClient::CreateOrder(
    const kalshi::CreateOrderRequest& request) {
  KF_ASSIGN_OR_RETURN(Json body,
                      Call("POST", "/portfolio/events/orders", kalshi::ToJson(request).dump(),
                           net::RequestClass::kWrite, kWriteCost));
  auto parsed = kalshi::ParseCreateOrderResponse(body);
  if (!parsed.ok()) return ParseFailure("create order", parsed.error());
  return parsed;
}

core::Result<kalshi::CancelOrderResponse> KalshiTradingClient::CancelOrder(
    std::string_view order_id, std::optional<std::string_view> market_ticker) {
  KF_RETURN_IF_ERROR(CheckPathId("order_id", order_id));
  std::vector<std::pair<std::string, std::string>> params;
  if (market_ticker && !market_ticker->empty()) {
    params.emplace_back("market_ticker", std::string(*market_ticker));
  }
  KF_ASSIGN_OR_RETURN(
      Json body,
      Call("DELETE", WithQuery(fmt::format("/portfolio/events/orders/{}", order_id), params), {},
           net::RequestClass::kWrite, kCancelCost));
  auto parsed = kalshi::ParseCancelOrderResponse(body);
  if (!parsed.ok()) return ParseFailure("cancel order", parsed.error());
  return parsed;
}

core::Result<kalshi::AmendOrderResponse> KalshiTradingClient::AmendOrder(
    std::string_view order_id, const kalshi::AmendOrderRequest& request) {
  KF_RETURN_IF_ERROR(CheckPathId("order_id", order_id));
  KF_ASSIGN_OR_RETURN(Json body,
                      Call("POST", fmt::format("/portfolio/events/orders/{}/amend", order_id),
                           kalshi::ToJson(request).dump(), net::RequestClass::kWrite, kWriteCost));
  auto parsed = kalshi::ParseAmendOrderResponse(body);
  if (!parsed.ok()) return ParseFailure("amend order", parsed.error());
  return parsed;
}

core::Result<kalshi::DecreaseOrderResponse> KalshiTradingClient::DecreaseOrder(
    std::string_view order_id, const kalshi::DecreaseOrderRequest& request) {
  KF_RETURN_IF_ERROR(CheckPathId("order_id", order_id));
  if (request.reduce_by.has_value() == request.reduce_to.has_value()) {
    return core::InvalidArgumentError(
        "decrease order: exactly one of reduce_by / reduce_to must be set");
  }
  KF_ASSIGN_OR_RETURN(Json body,
                      Call("POST", fmt::format("/portfolio/events/orders/{}/decrease", order_id),
                           kalshi::ToJson(request).dump(), net::RequestClass::kWrite, kWriteCost));
  auto parsed = kalshi::ParseDecreaseOrderResponse(body);
  if (!parsed.ok()) return ParseFailure("decrease order", parsed.error());
  return parsed;
}

core::Result<std::vector<kalshi::BatchCreateResult>> KalshiTradingClient::BatchCreateOrders(
    std::span<const kalshi::CreateOrderRequest> orders) {
  if (orders.empty()) return std::vector<kalshi::BatchCreateResult>{};
  const int64_t cost = kWriteCost * static_cast<int64_t>(orders.size());
  if (cost > write_capacity_) {
    return core::InvalidArgumentError(fmt::format(
        "batch create: {} orders cost {} tokens, more than the write bucket holds ({}); split "
        "the batch",
        orders.size(), cost, write_capacity_));
  }
  KF_ASSIGN_OR_RETURN(Json body, Call("POST", "/portfolio/events/orders/batched",
                                      kalshi::BatchCreateRequestToJson(orders).dump(),
                                      net::RequestClass::kWrite, cost));
  auto parsed = kalshi::ParseBatchCreateResponse(body);
  if (!parsed.ok()) return ParseFailure("batch create", parsed.error());
  if (parsed->size() != orders.size()) {
    return ParseFailure("batch create",
                        core::InvalidArgumentError(fmt::format("{} results for {} orders",
                                                               parsed->size(), orders.size())));
  }
  return parsed;
}

core::Result<std::vector<kalshi::BatchCancelResult>> KalshiTradingClient::BatchCancelOrders(
    std::span<const std::string> order_ids) {
  if (order_ids.empty()) return std::vector<kalshi::BatchCancelResult>{};
  std::vector<kalshi::BatchCancelItem> items;
  items.reserve(order_ids.size());
  for (const std::string& id : order_ids) {
    KF_RETURN_IF_ERROR(CheckPathId("order_id", id));
    items.push_back(kalshi::BatchCancelItem{id});
  }
  const int64_t cost = kCancelCost * static_cast<int64_t>(order_ids.size());
  if (cost > write_capacity_) {
    return core::InvalidArgumentError(fmt::format(
        "batch cancel: {} orders cost {} tokens, more than the write bucket holds ({}); split "
        "the batch",
        order_ids.size(), cost, write_capacity_));
  }
  KF_ASSIGN_OR_RETURN(Json body, Call("DELETE", "/portfolio/events/orders/batched",
                                      kalshi::BatchCancelRequestToJson(items).dump(),
                                      net::RequestClass::kWrite, cost));
  auto parsed = kalshi::ParseBatchCancelResponse(body);
  if (!parsed.ok()) return ParseFailure("batch cancel", parsed.error());
  return parsed;
}

// ---- reads --------------------------------------------------------------------------------------

core::Result<std::vector<kalshi::Order>> KalshiTradingClient::GetOrders(const OrdersQuery& query) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!query.ticker.empty()) params.emplace_back("ticker", query.ticker);
  if (query.status) {
    params.emplace_back("status", std::string(kalshi::OrderStatusName(*query.status)));
  }
  std::vector<kalshi::Order> out;
  KF_RETURN_IF_ERROR(GetAllPages("/portfolio/orders", std::move(params), query.limit,
                                 [&](const Json& body) -> core::Result<std::string> {
                                   auto page = kalshi::ParseOrdersPage(body);
                                   if (!page.ok()) return ParseFailure("orders", page.error());
                                   for (auto& o : page->orders) out.push_back(std::move(o));
                                   return page->cursor;
                                 }));
  return out;
}

core::Result<kalshi::Order> KalshiTradingClient::GetOrder(std::string_view order_id) {
  KF_RETURN_IF_ERROR(CheckPathId("order_id", order_id));
  KF_ASSIGN_OR_RETURN(Json body, Call("GET", fmt::format("/portfolio/orders/{}", order_id), {},
                                      net::RequestClass::kRead, kReadCost));
  if (!body.is_object() || !body.contains("order")) {
    return ParseFailure("order", core::InvalidArgumentError("order: missing"));
  }
  auto parsed = kalshi::ParseOrder(body["order"]);
  if (!parsed.ok()) return ParseFailure("order", parsed.error());
  return parsed;
}

core::Result<std::vector<kalshi::MarketPositionRecord>> KalshiTradingClient::GetPositions(
    std::optional<std::string_view> ticker) {
  std::vector<std::pair<std::string, std::string>> params;
  if (ticker && !ticker->empty()) params.emplace_back("ticker", std::string(*ticker));
  std::vector<kalshi::MarketPositionRecord> out;
  KF_RETURN_IF_ERROR(GetAllPages("/portfolio/positions", std::move(params), 0,
                                 [&](const Json& body) -> core::Result<std::string> {
                                   auto page = kalshi::ParsePositionsPage(body);
                                   if (!page.ok()) return ParseFailure("positions", page.error());
                                   for (auto& p : page->market_positions) {
                                     out.push_back(std::move(p));
                                   }
                                   return page->cursor;
                                 }));
  return out;
}

core::Result<kalshi::Balance> KalshiTradingClient::GetBalance() {
  KF_ASSIGN_OR_RETURN(Json body,
                      Call("GET", "/portfolio/balance", {}, net::RequestClass::kRead, kReadCost));
  auto parsed = kalshi::ParseBalance(body);
  if (!parsed.ok()) return ParseFailure("balance", parsed.error());
  return parsed;
}

core::Result<std::vector<kalshi::FillRecord>> KalshiTradingClient::GetFills(
    const FillsQuery& query) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!query.ticker.empty()) params.emplace_back("ticker", query.ticker);
  if (!query.order_id.empty()) params.emplace_back("order_id", query.order_id);
  if (query.min_ts) params.emplace_back("min_ts", std::to_string(*query.min_ts));
  std::vector<kalshi::FillRecord> out;
  KF_RETURN_IF_ERROR(GetAllPages("/portfolio/fills", std::move(params), query.limit,
                                 [&](const Json& body) -> core::Result<std::string> {
                                   auto page = kalshi::ParseFillsPage(body);
                                   if (!page.ok()) return ParseFailure("fills", page.error());
                                   for (auto& f : page->fills) out.push_back(std::move(f));
                                   return page->cursor;
                                 }));
  return out;
}

core::Result<std::vector<kalshi::SettlementRecord>> KalshiTradingClient::GetSettlements(
    std::optional<std::string_view> ticker) {
  std::vector<std::pair<std::string, std::string>> params;
  if (ticker && !ticker->empty()) params.emplace_back("ticker", std::string(*ticker));
  std::vector<kalshi::SettlementRecord> out;
  KF_RETURN_IF_ERROR(GetAllPages("/portfolio/settlements", std::move(params), 0,
                                 [&](const Json& body) -> core::Result<std::string> {
                                   auto page = kalshi::ParseSettlementsPage(body);
                                   if (!page.ok()) {
                                     return ParseFailure("settlements", page.error());
                                   }
                                   for (auto& s : page->settlements) out.push_back(std::move(s));
                                   return page->cursor;
                                 }));
  return out;
}

// ---- order groups -------------------------------------------------------------------------------

core::Result<std::string> KalshiTradingClient::CreateOrderGroup(core::Count contracts_limit) {
  kalshi::OrderGroupLimitRequest request;
  request.contracts_limit = contracts_limit;
  KF_ASSIGN_OR_RETURN(Json body,
                      Call("POST", "/portfolio/order_groups/create", kalshi::ToJson(request).dump(),
                           net::RequestClass::kWrite, kWriteCost));
  auto parsed = kalshi::ParseCreateOrderGroupResponse(body);
  if (!parsed.ok()) return ParseFailure("create order group", parsed.error());
  return parsed->order_group_id;
}

core::Result<std::vector<kalshi::OrderGroup>> KalshiTradingClient::GetOrderGroups() {
  KF_ASSIGN_OR_RETURN(
      Json body, Call("GET", "/portfolio/order_groups", {}, net::RequestClass::kRead, kReadCost));
  auto parsed = kalshi::ParseOrderGroups(body);
  if (!parsed.ok()) return ParseFailure("order groups", parsed.error());
  return parsed;
}

core::Result<kalshi::OrderGroupDetail> KalshiTradingClient::GetOrderGroup(std::string_view id) {
  KF_RETURN_IF_ERROR(CheckPathId("order group id", id));
  KF_ASSIGN_OR_RETURN(Json body, Call("GET", fmt::format("/portfolio/order_groups/{}", id), {},
                                      net::RequestClass::kRead, kReadCost));
  auto parsed = kalshi::ParseOrderGroupDetail(body);
  if (!parsed.ok()) return ParseFailure("order group", parsed.error());
  parsed->id = std::string(id);
  return parsed;
}

core::Status KalshiTradingClient::DeleteOrderGroup(std::string_view id) {
  KF_RETURN_IF_ERROR(CheckPathId("order group id", id));
  auto body = Call("DELETE", fmt::format("/portfolio/order_groups/{}", id), {},
                   net::RequestClass::kWrite, kWriteCost);
  return body.ok() ? core::Status::Ok() : body.error();
}

core::Status KalshiTradingClient::ResetOrderGroup(std::string_view id) {
  KF_RETURN_IF_ERROR(CheckPathId("order group id", id));
  auto body = Call("PUT", fmt::format("/portfolio/order_groups/{}/reset", id), "{}",
                   net::RequestClass::kWrite, kWriteCost);
  return body.ok() ? core::Status::Ok() : body.error();
}

core::Status KalshiTradingClient::TriggerOrderGroup(std::string_view id) {
  KF_RETURN_IF_ERROR(CheckPathId("order group id", id));
  auto body = Call("PUT", fmt::format("/portfolio/order_groups/{}/trigger", id), "{}",
                   net::RequestClass::kWrite, kWriteCost);
  return body.ok() ? core::Status::Ok() : body.error();
}

core::Status KalshiTradingClient::UpdateOrderGroupLimit(std::string_view id,
                                                        core::Count contracts_limit) {
  KF_RETURN_IF_ERROR(CheckPathId("order group id", id));
  kalshi::OrderGroupLimitRequest request;
  request.contracts_limit = contracts_limit;
  auto body = Call("PUT", fmt::format("/portfolio/order_groups/{}/limit", id),
                   kalshi::ToJson(request).dump(), net::RequestClass::kWrite, kWriteCost);
  return body.ok() ? core::Status::Ok() : body.error();
}

TradingClientStats KalshiTradingClient::Stats() const {
  TradingClientStats out;
  {
    std::lock_guard lock(stats_mutex_);
    out = stats_;
  }
  out.http = http_->Stats();
  return out;
}

}  // namespace kalshiflow::trading
