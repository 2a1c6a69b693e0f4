// KalshiTradingClient against the scripted loopback HTTPS server (src/net/tests): what goes on
// the wire (method, path, query, body, the three signed KALSHI-ACCESS-* headers, verified with
// kalshi/auth/verifier.h), pagination, error mapping, 429 backoff, the production guard and
// the environment configuration (errors name the variable and never carry key material).
#include "trading/kalshi_trading_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kalshi/auth/verifier.h"
#include "net/tests/loopback_server.h"
#include "net/tls.h"

namespace kalshiflow::trading {
namespace {

using kalshi::auth::Verifier;
using net::testing::HttpScript;
using net::testing::LoopbackServer;
using net::testing::LoopbackServerOptions;
using net::testing::RecordedRequest;
using Json = nlohmann::json;
using core::StatusCode;

const net::CertificateAndKey& Certificate() {
  static const net::CertificateAndKey cert = net::GenerateSelfSignedCertificate().value();
  return cert;
}

/// A fresh RSA-2048 private key as PKCS#8 PEM (what Kalshi issues is RSA; generated once).
const std::string& RsaKeyPem() {
  static const std::string pem = [] {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    KF_CHECK(key != nullptr, "RSA key generation failed");
    BIO* bio = BIO_new(BIO_s_mem());
    KF_CHECK(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
             "PEM write failed");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    EVP_PKEY_free(key);
    return text;
  }();
  return pem;
}

/// The base64 body of the PEM (the secret part), to assert it never leaks.
std::string KeyBody() {
  const std::string& pem = RsaKeyPem();
  const std::size_t start = pem.find('\n') + 1;
  return pem.substr(start, 48);
}

constexpr std::string_view kKeyId = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
const core::Timestamp kNow = core::Timestamp::FromMillis(1'703'123'456'789);

struct SleepRecorder {
  std::mutex mutex;
  std::vector<std::chrono::nanoseconds> sleeps;
  std::function<void(std::chrono::nanoseconds)> Fn() {
    return [this](std::chrono::nanoseconds d) {
      std::lock_guard lock(mutex);
      sleeps.push_back(d);
    };
  }
};

class TradingClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<LoopbackServer> Serve(std::vector<HttpScript> scripts) {
    LoopbackServerOptions options;
    options.tls = true;
    options.certificate = Certificate();
    options.http_scripts = std::move(scripts);
    return std::make_unique<LoopbackServer>(std::move(options));
  }

  TradingClientConfig Config(const LoopbackServer& server) {
    TradingClientConfig config;
    config.environment = TradingEnvironment::kLocal;
    config.rest_base_url = "https://127.0.0.1:" + std::to_string(server.port()) + "/trade-api/v2";
    config.api_key_id = std::string(kKeyId);
    config.private_key_pem = RsaKeyPem();
    config.tls.ca_pem = Certificate().certificate_pem;
    config.budget.read = {1'000'000, 1'000'000};
    config.budget.write = {1'000'000, 1'000'000};
    config.clock = &clock_;
    config.sleep = sleeps_.Fn();
    return config;
  }

  std::unique_ptr<KalshiTradingClient> Client(const LoopbackServer& server) {
    auto client = KalshiTradingClient::Create(Config(server));
    KF_CHECK(client.ok(), "{}", client.error().ToString());
    return std::move(client).value();
  }

  /// Checks the three auth headers of `request` and that the signature verifies over
  /// timestamp + method + path-without-query.
  void ExpectSigned(const RecordedRequest& request) {
    const auto key = request.headers.find("kalshi-access-key");
    const auto ts = request.headers.find("kalshi-access-timestamp");
    const auto sig = request.headers.find("kalshi-access-signature");
    ASSERT_NE(key, request.headers.end());
    ASSERT_NE(ts, request.headers.end());
    ASSERT_NE(sig, request.headers.end());
    EXPECT_EQ(key->second, kKeyId);
    EXPECT_EQ(ts->second, "1703123456789");  // the injected clock, in ms
    auto verifier = Verifier::FromPrivateKeyPem(RsaKeyPem()).value();
    EXPECT_TRUE(kalshi::auth::VerifyRequest(verifier, clock_, ts->second, sig->second,
                                            request.method, request.target)
                    .ok())
        << request.method << " " << request.target;
    // The query is not part of the signed text: signing the full target must fail when there
    // is a query.
    if (request.target.find('?') != std::string::npos) {
      EXPECT_FALSE(
          verifier
              .Verify(std::to_string(kNow.millis()) + request.method + request.target, sig->second)
              .ok());
    }
  }

  core::SimulatedClock clock_{kNow};
  SleepRecorder sleeps_;
};

HttpScript Answer(int status, std::string body) {
  HttpScript script;
  script.status = status;
  script.body = std::move(body);
  return script;
}

TEST_F(TradingClientTest, CreateOrderSendsSignedV2RequestAndParsesThe201) {
  auto server = Serve({Answer(
      201,
      R"({"order_id":"3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d","client_order_id":"c-1","fill_count":"4.00","remaining_count":"6.00","average_fill_price":"0.5600","average_fee_paid":"0.0175","ts_ms":1715793600123})")});
  auto client = Client(*server);
  kalshi::CreateOrderRequest request;
  request.ticker = "HIGHNY-24JAN01-T60";
  request.client_order_id = "c-1";
  request.side = core::BookSide::kAsk;
  request.count = core::Count::FromContracts(10);
  request.price = core::Price::FromUnits(5'600);
  auto response = client->CreateOrder(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->order_id, "3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d");
  EXPECT_EQ(response->fill_count, core::Count::FromUnits(400));
  EXPECT_EQ(response->remaining_count, core::Count::FromUnits(600));
  EXPECT_EQ(response->average_fill_price, core::Price::FromUnits(5'600));
  EXPECT_EQ(response->average_fee_paid, core::Money::FromUnits(17'500));  // $0.0175

  const auto requests = server->http_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/trade-api/v2/portfolio/events/orders");
  const Json body = Json::parse(requests[0].body);
  EXPECT_EQ(body["ticker"], "HIGHNY-24JAN01-T60");
  EXPECT_EQ(body["side"], "ask");
  EXPECT_EQ(body["count"], "10.00");
  EXPECT_EQ(body["price"], "0.5600");
  EXPECT_EQ(body["time_in_force"], "good_till_canceled");
  EXPECT_EQ(body["self_trade_prevention_type"], "taker_at_cross");
  EXPECT_EQ(body["client_order_id"], "c-1");
  ExpectSigned(requests[0]);
}

TEST_F(TradingClientTest, CancelAmendDecreaseUseTheirPathsAndSignWithoutQuery) {
  auto server = Serve({
      Answer(200, R"({"order_id":"o-1","client_order_id":"c","reduced_by":"6.00","ts_ms":1})"),
      Answer(
          200,
          R"({"order_id":"o-1","remaining_count":"3.00","fill_count":"1.00","average_fill_price":"0.4000","average_fee_paid":"0.0168","ts_ms":2})"),
      Answer(200, R"({"order_id":"o-1","remaining_count":"2.00","ts_ms":3})"),
  });
  auto client = Client(*server);
  auto cancel = client->CancelOrder("o-1", "KX-A");
  ASSERT_TRUE(cancel.ok()) << cancel.error().ToString();
  EXPECT_EQ(cancel->reduced_by, core::Count::FromUnits(600));
  kalshi::AmendOrderRequest amend{"KX-A", core::BookSide::kBid, core::Price::FromUnits(4'000),
                                  core::Count::FromUnits(500)};
  auto amended = client->AmendOrder("o-1", amend);
  ASSERT_TRUE(amended.ok()) << amended.error().ToString();
  EXPECT_EQ(amended->remaining_count, core::Count::FromUnits(300));
  EXPECT_EQ(amended->fill_count, core::Count::FromUnits(100));
  kalshi::DecreaseOrderRequest decrease;
  decrease.reduce_to = core::Count::FromUnits(200);
  auto decreased = client->DecreaseOrder("o-1", decrease);
  ASSERT_TRUE(decreased.ok()) << decreased.error().ToString();
  EXPECT_EQ(decreased->remaining_count, core::Count::FromUnits(200));

  const auto requests = server->http_requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].target, "/trade-api/v2/portfolio/events/orders/o-1?market_ticker=KX-A");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/trade-api/v2/portfolio/events/orders/o-1/amend");
  EXPECT_EQ(Json::parse(requests[1].body), kalshi::ToJson(amend));
  EXPECT_EQ(requests[2].target, "/trade-api/v2/portfolio/events/orders/o-1/decrease");
  EXPECT_EQ(Json::parse(requests[2].body), Json::parse(R"({"reduce_to":"2.00"})"));
  for (const auto& r : requests) ExpectSigned(r);

  // Invalid input is refused before anything is sent.
  EXPECT_EQ(client->CancelOrder("../markets").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->DecreaseOrder("o-1", kalshi::DecreaseOrderRequest{}).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(server->http_requests().size(), 3u);
}

TEST_F(TradingClientTest, GetOrdersFollowsCursorsAcrossPages) {
  const std::string order =
      R"({"order_id":"%s","ticker":"KX-A","outcome_side":"yes","book_side":"bid","status":"resting","yes_price_dollars":"0.5000","fill_count_fp":"0.00","remaining_count_fp":"1.00"})";
  auto make = [&](const std::string& id) {
    std::string o = order;
    o.replace(o.find("%s"), 2, id);
    return o;
  };
  auto server = Serve({
      Answer(200, R"({"orders":[)" + make("o1") + "," + make("o2") + R"(],"cursor":"c/1+"})"),
      Answer(200, R"({"orders":[)" + make("o3") + R"(],"cursor":"c2"})"),
      Answer(200, R"({"orders":[],"cursor":""})"),
  });
  auto client = Client(*server);
  OrdersQuery query;
  query.ticker = "KX-A";
  query.status = kalshi::OrderStatus::kResting;
  query.limit = 2;
  auto orders = client->GetOrders(query);
  ASSERT_TRUE(orders.ok()) << orders.error().ToString();
  ASSERT_EQ(orders->size(), 3u);
  EXPECT_EQ((*orders)[0].order_id, "o1");
  EXPECT_EQ((*orders)[2].order_id, "o3");
  const auto requests = server->http_requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target,
            "/trade-api/v2/portfolio/orders?ticker=KX-A&status=resting&limit=2");
  // The opaque cursor is percent-encoded ("/" → %2F, "+" → %2B).
  EXPECT_EQ(requests[1].target,
            "/trade-api/v2/portfolio/orders?ticker=KX-A&status=resting&limit=2&cursor=c%2F1%2B");
  EXPECT_EQ(requests[2].target,
            "/trade-api/v2/portfolio/orders?ticker=KX-A&status=resting&limit=2&cursor=c2");
  for (const auto& r : requests) ExpectSigned(r);
}

TEST_F(TradingClientTest, PositionsFillsSettlementsBalanceAndRepeatedCursor) {
  auto server = Serve({
      Answer(
          200,
          R"({"market_positions":[{"ticker":"KX-A","position_fp":"-5.00","market_exposure_dollars":"2.500000"}],"event_positions":[],"cursor":"p2"})"),
      Answer(200, R"({"market_positions":[{"ticker":"KX-B","position_fp":"3.00"}],"cursor":null})"),
      Answer(
          200,
          R"({"fills":[{"fill_id":"f1","order_id":"o1","ticker":"KX-A","outcome_side":"no","book_side":"ask","count_fp":"5.00","yes_price_dollars":"0.5000","is_taker":true,"fee_cost":"0.0875","ts":1}],"cursor":""})"),
      Answer(
          200,
          R"({"settlements":[{"ticker":"KX-A","market_result":"no","revenue":500,"value":0}],"cursor":""})"),
      Answer(
          200,
          R"({"balance":10000,"balance_dollars":"100.0000","portfolio_value":2500,"updated_ts":7})"),
      Answer(200, R"({"fills":[],"cursor":"same"})"),
  });
  auto client = Client(*server);
  auto positions = client->GetPositions();
  ASSERT_TRUE(positions.ok()) << positions.error().ToString();
  ASSERT_EQ(positions->size(), 2u);
  EXPECT_EQ((*positions)[0].position, core::Count::FromUnits(-500));
  EXPECT_EQ((*positions)[0].market_exposure, core::Money::FromUnits(2'500'000));
  EXPECT_EQ((*positions)[1].ticker, "KX-B");

  FillsQuery fills_query;
  fills_query.order_id = "o1";
  fills_query.min_ts = 1'700'000'000;
  auto fills = client->GetFills(fills_query);
  ASSERT_TRUE(fills.ok()) << fills.error().ToString();
  ASSERT_EQ(fills->size(), 1u);
  EXPECT_EQ((*fills)[0].fee_cost, core::Money::FromUnits(87'500));

  auto settlements = client->GetSettlements();
  ASSERT_TRUE(settlements.ok()) << settlements.error().ToString();
  ASSERT_EQ(settlements->size(), 1u);
  EXPECT_EQ((*settlements)[0].revenue_cents, 500);

  auto balance = client->GetBalance();
  ASSERT_TRUE(balance.ok()) << balance.error().ToString();
  EXPECT_EQ(balance->balance, core::Money::FromUnits(100'000'000));

  // A server that answers the same cursor forever is stopped (the last script repeats).
  auto loop = client->GetFills();
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().code(), StatusCode::kDataLoss);
  EXPECT_NE(loop.error().message().find("repeated cursor"), std::string::npos);

  const auto requests = server->http_requests();
  ASSERT_GE(requests.size(), 7u);
  EXPECT_EQ(requests[0].target, "/trade-api/v2/portfolio/positions?limit=1000");
  EXPECT_EQ(requests[1].target, "/trade-api/v2/portfolio/positions?limit=1000&cursor=p2");
  EXPECT_EQ(requests[2].target,
            "/trade-api/v2/portfolio/fills?order_id=o1&min_ts=1700000000&limit=1000");
  EXPECT_EQ(requests[3].target, "/trade-api/v2/portfolio/settlements?limit=1000");
  EXPECT_EQ(requests[4].target, "/trade-api/v2/portfolio/balance");
}

TEST_F(TradingClientTest, ConflictMapsToAlreadyExistsWithTheKalshiCode) {
  auto server = Serve({Answer(
      409,
      R"({"error":{"code":"order_already_exists","message":"Order with this client_order_id already exists"}})")});
  auto client = Client(*server);
  kalshi::CreateOrderRequest request{"KX-A", "dup", core::BookSide::kBid,
                                     core::Count::FromContracts(1), core::Price::FromUnits(100)};
  auto response = client->CreateOrder(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(response.error().message(),
            "order_already_exists: Order with this client_order_id already exists");
  const auto stats = client->Stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.api_errors, 1u);
  EXPECT_EQ(stats.server_errors, 0u);
  EXPECT_NE(stats.last_error.find("order_already_exists"), std::string::npos);
}

TEST_F(TradingClientTest, InsufficientBalanceIsFailedPrecondition) {
  auto server = Serve({Answer(
      400, R"({"error":{"code":"insufficient_balance","message":"insufficient balance"}})")});
  auto client = Client(*server);
  auto response = client->CreateOrder(kalshi::CreateOrderRequest{"KX-A", "", core::BookSide::kBid,
                                                                 core::Count::FromContracts(1),
                                                                 core::Price::FromUnits(100)});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(response.error().message(), "insufficient_balance: insufficient balance");
}

TEST_F(TradingClientTest, TooManyRequestsIsRetriedThenResourceExhausted) {
  auto server = Serve({Answer(429, R"({"error": "too many requests"})")});
  auto config = Config(*server);
  config.retry.max_attempts = 3;
  auto client = KalshiTradingClient::Create(config).value();
  auto balance = client->GetBalance();
  ASSERT_FALSE(balance.ok());
  EXPECT_EQ(balance.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(balance.error().message(), "too_many_requests: too many requests");
  // 3 attempts in all: 2 backoff sleeps between them.
  EXPECT_EQ(server->http_requests().size(), 3u);
  EXPECT_EQ(sleeps_.sleeps.size(), 2u);
  const auto stats = client->Stats();
  EXPECT_EQ(stats.rate_limited, 1u);
  EXPECT_EQ(stats.http.retries_429, 2u);
  for (const auto& r : server->http_requests()) ExpectSigned(r);
}

TEST_F(TradingClientTest, ServerErrorsAreUnavailableAndBadBodiesDataLoss) {
  auto server = Serve({Answer(503, "<html>down</html>"), Answer(200, R"({"balance":"lots"})"),
                       Answer(200, "not json")});
  auto config = Config(*server);
  config.retry.max_attempts = 1;
  auto client = KalshiTradingClient::Create(config).value();
  auto down = client->GetBalance();
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code(), StatusCode::kUnavailable);
  auto bad_field = client->GetBalance();
  ASSERT_FALSE(bad_field.ok());
  EXPECT_EQ(bad_field.error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(bad_field.error().message(),
            "kalshi balance response: balance.balance: expected an integer, got string '\"lots\"'");
  auto not_json = client->GetBalance();
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code(), StatusCode::kDataLoss);
  const auto stats = client->Stats();
  EXPECT_EQ(stats.server_errors, 1u);
  EXPECT_EQ(stats.parse_errors, 2u);
}

TEST_F(TradingClientTest, BatchesCostPerItemAndKeepPerItemErrors) {
  auto server = Serve({
      Answer(
          201,
          R"({"orders":[{"order_id":"o1","client_order_id":"a","fill_count":"0.00","remaining_count":"1.00","ts_ms":1},{"client_order_id":"b","fill_count":null,"remaining_count":null,"error":{"code":"invalid order","message":"invalid order","details":"post only cross"}}]})"),
      Answer(
          200,
          R"({"orders":[{"order_id":"o1","reduced_by":"1.00","ts_ms":2},{"order_id":"o2","error":{"code":"not_found","message":"order not found"}}]})"),
  });
  auto config = Config(*server);
  config.budget.write = {100, 100};  // Basic write: capacity 100 tokens
  auto client = KalshiTradingClient::Create(config).value();
  const std::vector<kalshi::CreateOrderRequest> orders = {
      {"KX-A", "a", core::BookSide::kBid, core::Count::FromContracts(1),
       core::Price::FromUnits(4'000)},
      {"KX-A", "b", core::BookSide::kBid, core::Count::FromContracts(1),
       core::Price::FromUnits(6'000)}};
  auto created = client->BatchCreateOrders(orders);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_EQ(created->size(), 2u);
  EXPECT_FALSE((*created)[0].error.has_value());
  ASSERT_TRUE((*created)[1].error.has_value());
  EXPECT_EQ((*created)[1].error->details, "post only cross");
  const std::vector<std::string> ids = {"o1", "o2"};
  auto canceled = client->BatchCancelOrders(ids);
  ASSERT_TRUE(canceled.ok()) << canceled.error().ToString();
  ASSERT_EQ((*canceled)[1].error->code, "not_found");

  const auto requests = server->http_requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/trade-api/v2/portfolio/events/orders/batched");
  EXPECT_EQ(Json::parse(requests[0].body), kalshi::BatchCreateRequestToJson(orders));
  EXPECT_EQ(requests[1].method, "DELETE");
  EXPECT_EQ(requests[1].target, "/trade-api/v2/portfolio/events/orders/batched");
  EXPECT_EQ(Json::parse(requests[1].body),
            Json::parse(R"({"orders":[{"order_id":"o1"},{"order_id":"o2"}]})"));

  // 11 creates cost 11 x 10 = 110 tokens > the bucket's 100: refused before sending.
  const std::vector<kalshi::CreateOrderRequest> too_many(11, orders[0]);
  auto refused = client->BatchCreateOrders(too_many);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("110 tokens"), std::string::npos);
  EXPECT_EQ(server->http_requests().size(), 2u);
  EXPECT_TRUE(client->BatchCreateOrders({}).value().empty());
}

TEST_F(TradingClientTest, OrderGroupEndpoints) {
  auto server = Serve({
      Answer(201, R"({"order_group_id":"og_1","subaccount":0,"exchange_index":0})"),
      Answer(
          200,
          R"({"order_groups":[{"id":"og_1","contracts_limit_fp":"150.00","is_auto_cancel_enabled":true}]})"),
      Answer(200,
             R"({"is_auto_cancel_enabled":false,"contracts_limit_fp":"150.00","orders":["o1"]})"),
      Answer(200, "{}"),
      Answer(200, "{}"),
      Answer(200, "{}"),
      Answer(200, "{}"),
  });
  auto client = Client(*server);
  auto id = client->CreateOrderGroup(core::Count::FromContracts(150));
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_EQ(*id, "og_1");
  auto groups = client->GetOrderGroups();
  ASSERT_TRUE(groups.ok()) << groups.error().ToString();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].contracts_limit, core::Count::FromContracts(150));
  auto detail = client->GetOrderGroup("og_1");
  ASSERT_TRUE(detail.ok()) << detail.error().ToString();
  EXPECT_EQ(detail->id, "og_1");
  EXPECT_EQ(detail->orders, std::vector<std::string>{"o1"});
  EXPECT_TRUE(client->ResetOrderGroup("og_1").ok());
  EXPECT_TRUE(client->TriggerOrderGroup("og_1").ok());
  EXPECT_TRUE(client->UpdateOrderGroupLimit("og_1", core::Count::FromContracts(20)).ok());
  EXPECT_TRUE(client->DeleteOrderGroup("og_1").ok());

  const auto requests = server->http_requests();
  ASSERT_EQ(requests.size(), 7u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"POST", "/trade-api/v2/portfolio/order_groups/create"},
      {"GET", "/trade-api/v2/portfolio/order_groups"},
      {"GET", "/trade-api/v2/portfolio/order_groups/og_1"},
      {"PUT", "/trade-api/v2/portfolio/order_groups/og_1/reset"},
      {"PUT", "/trade-api/v2/portfolio/order_groups/og_1/trigger"},
      {"PUT", "/trade-api/v2/portfolio/order_groups/og_1/limit"},
      {"DELETE", "/trade-api/v2/portfolio/order_groups/og_1"},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(requests[i].method, expected[i].first) << i;
    EXPECT_EQ(requests[i].target, expected[i].second) << i;
    ExpectSigned(requests[i]);
  }
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"contracts_limit_fp":"150.00"})"));
  EXPECT_EQ(Json::parse(requests[5].body), Json::parse(R"({"contracts_limit_fp":"20.00"})"));
}

TEST_F(TradingClientTest, ProductionNeedsConfirmationBeforeAnyRequest) {
  auto server = Serve({Answer(200, R"({"balance":1})")});
  auto config = Config(*server);
  config.environment = TradingEnvironment::kProduction;  // rest_base_url points at the loopback
  auto refused = KalshiTradingClient::Create(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("KALSHI_PRODUCTION_CONFIRMED=true"), std::string::npos);
  EXPECT_EQ(server->http_requests().size(), 0u);
  EXPECT_EQ(server->connections(), 0);

  config.production_confirmed = true;
  auto confirmed = KalshiTradingClient::Create(config);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().ToString();
  EXPECT_EQ((*confirmed)->environment(), TradingEnvironment::kProduction);
  EXPECT_TRUE((*confirmed)->GetBalance().ok());
}

TEST_F(TradingClientTest, UrlsKeyIdAndWebSocketSigning) {
  TradingClientConfig config;
  config.api_key_id = std::string(kKeyId);
  config.private_key_pem = RsaKeyPem();
  config.clock = &clock_;
  auto demo = KalshiTradingClient::Create(config).value();
  EXPECT_EQ(demo->rest_base_url(), "https://external-api.demo.kalshi.co/trade-api/v2");
  EXPECT_EQ(demo->ws_url(), "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2");
  EXPECT_EQ(demo->key_id(), kKeyId);
  config.environment = TradingEnvironment::kProduction;
  config.production_confirmed = true;
  auto production = KalshiTradingClient::Create(config).value();
  EXPECT_EQ(production->rest_base_url(), "https://external-api.kalshi.com/trade-api/v2");
  EXPECT_EQ(production->ws_url(), "wss://external-api-ws.kalshi.com/trade-api/ws/v2");
  config.environment = TradingEnvironment::kLocal;
  config.rest_base_url = "http://127.0.0.1:8443/trade-api/v2/";
  auto local = KalshiTradingClient::Create(config).value();
  EXPECT_EQ(local->rest_base_url(), "http://127.0.0.1:8443/trade-api/v2");
  EXPECT_EQ(local->ws_url(), "ws://127.0.0.1:8443/trade-api/ws/v2");
  config.rest_base_url.clear();
  EXPECT_EQ(KalshiTradingClient::Create(config).error().code(), StatusCode::kInvalidArgument);

  // The WebSocket upgrade headers sign GET /trade-api/ws/v2 with the same key.
  auto headers = demo->websocket_headers()();
  ASSERT_TRUE(headers.ok()) << headers.error().ToString();
  std::map<std::string, std::string> by_name(headers->begin(), headers->end());
  EXPECT_EQ(by_name["KALSHI-ACCESS-KEY"], kKeyId);
  auto verifier = Verifier::FromPrivateKeyPem(RsaKeyPem()).value();
  EXPECT_TRUE(kalshi::auth::VerifyRequest(verifier, clock_, by_name["KALSHI-ACCESS-TIMESTAMP"],
                                          by_name["KALSHI-ACCESS-SIGNATURE"], "GET",
                                          "/trade-api/ws/v2")
                  .ok());
}

TEST_F(TradingClientTest, BadKeysAreRefusedWithoutTheKeyText) {
  TradingClientConfig config;
  config.api_key_id = std::string(kKeyId);
  std::string pem = RsaKeyPem();
  pem.replace(pem.find('\n') + 100, 40, std::string(40, '!'));  // corrupt the body
  config.private_key_pem = pem;
  auto refused = KalshiTradingClient::Create(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message().find(KeyBody()), std::string::npos);
  // No 24-character run of the PEM's base64 body appears (format names such as "BEGIN RSA
  // PRIVATE KEY" may: they are not secret).
  const std::size_t body_start = pem.find('\n') + 1;
  for (std::size_t i = body_start; i + 24 < pem.size() && pem[i] != '-'; i += 24) {
    EXPECT_EQ(refused.error().message().find(pem.substr(i, 24)), std::string::npos) << i;
  }
  config.private_key_pem = "not a key SECRET-MATERIAL";
  auto garbage = KalshiTradingClient::Create(config);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message().find("SECRET-MATERIAL"), std::string::npos);
}

// ---- environment configuration ----------------------------------------------------------------

using Env = std::map<std::string, std::string, std::less<>>;

core::Result<TradingClientConfig> FromEnv(const Env& env) {
  return TradingClientConfigFromEnv([&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

/// Asserts an env error names `variable` and carries none of the secrets in `env`.
void ExpectEnvError(const Env& env, std::string_view variable) {
  auto result = FromEnv(env);
  ASSERT_FALSE(result.ok()) << variable;
  EXPECT_NE(result.error().message().find(variable), std::string::npos) << result.error().message();
  for (const auto& [name, value] : env) {
    if (name.find("CONTENT") != std::string::npos) {
      EXPECT_EQ(result.error().message().find(value), std::string::npos) << "leaks " << name;
    }
  }
  EXPECT_EQ(result.error().message().find(KeyBody()), std::string::npos);
}

TEST(TradingClientConfigTest, DefaultsToDemoAndReadsCredentials) {
  auto config = FromEnv({{"KALSHI_API_KEY_ID", "key-1"}, {"KALSHI_PRIVATE_KEY_CONTENT", "pem"}});
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->environment, TradingEnvironment::kDemo);
  EXPECT_EQ(config->api_key_id, "key-1");
  EXPECT_EQ(config->private_key_pem, "pem");
  EXPECT_FALSE(config->production_confirmed);
  EXPECT_TRUE(config->rest_base_url.empty());
}

TEST(TradingClientConfigTest, PaperTradingNamesWinInDemoOnly) {
  const Env env = {{"KALSHI_API_KEY_ID", "prod-key"},
                   {"KALSHI_PRIVATE_KEY_CONTENT", "prod-pem"},
                   {"KALSHI_PAPER_TRADING_API_KEY_ID", "paper-key"},
                   {"KALSHI_PAPER_TRADING_PRIVATE_KEY_CONTENT", "paper-pem"}};
  auto demo = FromEnv(env);
  ASSERT_TRUE(demo.ok());
  EXPECT_EQ(demo->api_key_id, "paper-key");
  EXPECT_EQ(demo->private_key_pem, "paper-pem");
  Env production = env;
  production["KALSHI_TRADING_ENVIRONMENT"] = "production";
  production["KALSHI_PRODUCTION_CONFIRMED"] = "TRUE";
  auto prod = FromEnv(production);
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(prod->environment, TradingEnvironment::kProduction);
  EXPECT_EQ(prod->api_key_id, "prod-key");
  EXPECT_EQ(prod->private_key_pem, "prod-pem");
  EXPECT_TRUE(prod->production_confirmed);
}

TEST(TradingClientConfigTest, KeyFileIsCheckedAndNamed) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("kf_trading_client_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto key = dir / "key.pem";
  {
    std::ofstream out(key);
    out << RsaKeyPem();
  }
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
               std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  const Env env = {{"KALSHI_API_KEY_ID", "k"}, {"KALSHI_PRIVATE_KEY_PATH", key.string()}};
  ExpectEnvError(env, "KALSHI_PRIVATE_KEY_PATH");
  EXPECT_EQ(FromEnv(env).error().code(), StatusCode::kPermissionDenied);
  ExpectEnvError({{"KALSHI_API_KEY_ID", "k"},
                  {"KALSHI_PAPER_TRADING_PRIVATE_KEY_PATH", (dir / "missing.pem").string()}},
                 "KALSHI_PAPER_TRADING_PRIVATE_KEY_PATH");

  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto config = FromEnv(env);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->private_key_path, key.string());
  config->environment = TradingEnvironment::kLocal;
  config->rest_base_url = "http://127.0.0.1:1/trade-api/v2";
  auto client = KalshiTradingClient::Create(*config);  // loads the file; no request is made
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  EXPECT_EQ((*client)->key_id(), "k");
  std::filesystem::remove_all(dir);
}

TEST(TradingClientConfigTest, ErrorsNameTheVariableAndNeverTheSecret) {
  const std::string secret = "-----BEGIN PRIVATE KEY-----SECRET-KEY-BYTES";
  ExpectEnvError({{"KALSHI_PRIVATE_KEY_CONTENT", secret}}, "KALSHI_API_KEY_ID");
  ExpectEnvError({{"KALSHI_API_KEY_ID", "k"}}, "KALSHI_PRIVATE_KEY_PATH");
  ExpectEnvError({{"KALSHI_TRADING_ENVIRONMENT", "live"},
                  {"KALSHI_API_KEY_ID", "k"},
                  {"KALSHI_PRIVATE_KEY_CONTENT", secret}},
                 "KALSHI_TRADING_ENVIRONMENT");
  ExpectEnvError({{"KALSHI_PRODUCTION_CONFIRMED", "sure"},
                  {"KALSHI_API_KEY_ID", "k"},
                  {"KALSHI_PRIVATE_KEY_CONTENT", secret}},
                 "KALSHI_PRODUCTION_CONFIRMED");
  ExpectEnvError({{"KALSHI_TRADING_ENVIRONMENT", "local"},
                  {"KALSHI_API_KEY_ID", "k"},
                  {"KALSHI_PRIVATE_KEY_CONTENT", secret}},
                 "KALSHI_REST_BASE_URL");
  ExpectEnvError({{"KALSHI_API_KEY_ID", "bad key\n"}, {"KALSHI_PRIVATE_KEY_CONTENT", secret}},
                 "KALSHI_API_KEY_ID");
  // In production the paper names are not used: the production key id is required.
  ExpectEnvError({{"KALSHI_TRADING_ENVIRONMENT", "production"},
                  {"KALSHI_PAPER_TRADING_API_KEY_ID", "k"},
                  {"KALSHI_PRIVATE_KEY_CONTENT", secret}},
                 "KALSHI_API_KEY_ID");

  // A production config from the environment without confirmation is refused by Create.
  auto production = FromEnv({{"KALSHI_TRADING_ENVIRONMENT", "production"},
                             {"KALSHI_API_KEY_ID", "k"},
                             {"KALSHI_PRIVATE_KEY_CONTENT", secret}});
  ASSERT_TRUE(production.ok());
  auto refused = KalshiTradingClient::Create(*production);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("KALSHI_PRODUCTION_CONFIRMED=true"), std::string::npos);
  // With confirmation the (bad) key is reached and refused without its text.
  production->production_confirmed = true;
  auto bad_key = KalshiTradingClient::Create(*production);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_key.error().message().find("SECRET-KEY-BYTES"), std::string::npos);
}

TEST(TradingEnvironmentTest, NamesRoundTrip) {
  for (auto e :
       {TradingEnvironment::kDemo, TradingEnvironment::kProduction, TradingEnvironment::kLocal}) {
    EXPECT_EQ(ParseTradingEnvironment(TradingEnvironmentName(e)), e);
  }
  EXPECT_FALSE(ParseTradingEnvironment("prod").has_value());
}

}  // namespace
}  // namespace kalshiflow::trading
