#include "net/https_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "net/tests/loopback_server.h"
#include "net/tls.h"

namespace kalshiflow::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using testing::HttpScript;
using testing::LoopbackServer;
using testing::LoopbackServerOptions;

const CertificateAndKey& Certificate() {
  static const CertificateAndKey cert = GenerateSelfSignedCertificate().value();
  return cert;
}

LoopbackServerOptions Server(std::vector<HttpScript> scripts, bool tls = true) {
  LoopbackServerOptions options;
  options.tls = tls;
  options.certificate = Certificate();
  options.http_scripts = std::move(scripts);
  return options;
}

/// Records every sleep instead of sleeping.
struct SleepRecorder {
  std::mutex mutex;
  std::vector<nanoseconds> sleeps;
  std::function<void(nanoseconds)> Fn() {
    return [this](nanoseconds d) {
      std::lock_guard lock(mutex);
      sleeps.push_back(d);
    };
  }
};

HttpsClientOptions Options(const LoopbackServer& server, bool tls = true) {
  HttpsClientOptions options;
  options.base_url = std::string(tls ? "https" : "http") +
                     "://127.0.0.1:" + std::to_string(server.port()) + "/trade-api/v2";
  options.tls.ca_pem = Certificate().certificate_pem;
  options.budget.read = {1'000'000, 1'000'000};  // no rate limiting unless a test wants it
  options.budget.write = {1'000'000, 1'000'000};
  options.timeout = milliseconds(10'000);
  return options;
}

TEST(HttpsClientTest, GetSignsThePathWithoutQueryAndSendsHeaders) {
  HttpScript ok;
  ok.body = R"({"markets":[],"cursor":""})";
  LoopbackServer server(Server({ok}));
  auto options = Options(server);
  std::vector<std::pair<std::string, std::string>> signed_calls;
  options.signer =
      [&](std::string_view method,
          std::string_view path) -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    signed_calls.emplace_back(method, path);
    return std::vector<std::pair<std::string, std::string>>{
        {"KALSHI-ACCESS-KEY", "key-1"},
        {"KALSHI-ACCESS-SIGNATURE", std::string(method) + std::string(path)}};
  };
  auto client = HttpsClient::Create(options).value();
  const auto response = client->Get("/markets?limit=5&status=open").value();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, ok.body);
  EXPECT_EQ(response.attempts, 1);
  ASSERT_EQ(signed_calls.size(), 1u);
  EXPECT_EQ(signed_calls[0].first, "GET");
  EXPECT_EQ(signed_calls[0].second, "/trade-api/v2/markets");

  const auto requests = server.http_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/trade-api/v2/markets?limit=5&status=open");
  EXPECT_EQ(requests[0].headers.at("kalshi-access-key"), "key-1");
  EXPECT_EQ(requests[0].headers.at("kalshi-access-signature"), "GET/trade-api/v2/markets");
  EXPECT_EQ(requests[0].headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].headers.at("user-agent"), "kalshiflow/0.1");
}

TEST(HttpsClientTest, PostSendsJsonBody) {
  HttpScript created;
  created.status = 201;
  created.body = R"({"order_id":"abc"})";
  LoopbackServer server(Server({created}));
  auto client = HttpsClient::Create(Options(server)).value();
  const std::string body = R"({"ticker":"X","side":"bid","count":"1.00","price":"0.5600"})";
  const auto response =
      client->Request("POST", "/portfolio/events/orders", body, RequestClass::kWrite).value();
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, created.body);
  const auto requests = server.http_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, body);
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
}

TEST(HttpsClientTest, RetriesTooManyRequestsWithBackoff) {
  HttpScript limited;
  limited.status = 429;
  limited.body = R"({"error": "too many requests"})";
  HttpScript ok;
  LoopbackServer server(Server({limited, limited, ok}));
  auto options = Options(server);
  SleepRecorder recorder;
  options.sleep = recorder.Fn();
  int signs = 0;
  options.signer =
      [&](std::string_view,
          std::string_view) -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    ++signs;
    return std::vector<std::pair<std::string, std::string>>{};
  };
  auto client = HttpsClient::Create(options).value();
  const auto response = client->Get("/markets").value();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.attempts, 3);
  EXPECT_EQ(signs, 3);  // a fresh signature per attempt
  EXPECT_EQ(server.http_requests().size(), 3u);
  const auto stats = client->Stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.retries_429, 2u);
  EXPECT_EQ(stats.retries_5xx, 0u);
  EXPECT_EQ(stats.connects, 1u);  // 429 keeps the connection
  // The two backoff sleeps follow BackoffDelay within the jitter bounds.
  ASSERT_EQ(recorder.sleeps.size(), 2u);
  const auto& retry = options.retry;
  for (int i = 0; i < 2; ++i) {
    const double base =
        std::min(static_cast<double>(retry.initial.count()) * (i == 0 ? 1.0 : retry.multiplier),
                 static_cast<double>(retry.max.count()));
    const auto slept = std::chrono::duration_cast<milliseconds>(recorder.sleeps[i]).count();
    EXPECT_GE(slept, static_cast<int64_t>(base * (1 - retry.jitter)) - 1) << i;
    EXPECT_LE(slept, static_cast<int64_t>(base * (1 + retry.jitter)) + 1) << i;
  }
  EXPECT_EQ(stats.retry_wait, recorder.sleeps[0] + recorder.sleeps[1]);
}

TEST(HttpsClientTest, RetriesServerErrorsUntilMaxAttemptsThenReturnsTheLast) {
  HttpScript unavailable;
  unavailable.status = 503;
  unavailable.body = "maintenance";
  LoopbackServer server(Server({unavailable}));
  auto options = Options(server);
  SleepRecorder recorder;
  options.sleep = recorder.Fn();
  options.retry.max_attempts = 4;
  auto client = HttpsClient::Create(options).value();
  const auto response = client->Get("/exchange/status").value();
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "maintenance");
  EXPECT_EQ(response.attempts, 4);
  EXPECT_EQ(client->Stats().retries_5xx, 3u);
  EXPECT_EQ(recorder.sleeps.size(), 3u);
  EXPECT_EQ(server.http_requests().size(), 4u);
}

TEST(HttpsClientTest, DoesNotRetryClientErrors) {
  HttpScript unauthorized;
  unauthorized.status = 401;
  unauthorized.body = R"({"error":{"code":"authentication_error","message":"x"}})";
  LoopbackServer server(Server({unauthorized}));
  auto client = HttpsClient::Create(Options(server)).value();
  const auto response = client->Get("/portfolio/balance").value();
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body, unauthorized.body);
  EXPECT_EQ(response.attempts, 1);
}

TEST(HttpsClientTest, KeepAliveReusesOneConnection) {
  LoopbackServer server(Server({HttpScript{}}));
  auto client = HttpsClient::Create(Options(server)).value();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client->Get("/markets").value().status, 200);
  EXPECT_EQ(client->Stats().connects, 1u);
  EXPECT_EQ(server.connections(), 1);
  for (const auto& request : server.http_requests()) EXPECT_EQ(request.connection, 0);
}

TEST(HttpsClientTest, ReconnectsWhenTheServerClosedTheConnection) {
  HttpScript closing;
  closing.close = true;  // "Connection: close" after every answer
  LoopbackServer server(Server({closing}));
  auto client = HttpsClient::Create(Options(server)).value();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client->Get("/markets").value().status, 200);
  EXPECT_EQ(client->Stats().connects, 3u);
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpsClientTest, ReconnectsWhenAnIdleConnectionWasDroppedSilently) {
  // The server closes after answering without announcing it (keep-alive header kept): the
  // client finds out on the next request and re-sends it on a fresh connection.
  HttpScript first;
  first.drop_after = true;
  LoopbackServer server(Server({first, HttpScript{}}));
  auto client = HttpsClient::Create(Options(server)).value();
  EXPECT_EQ(client->Get("/a").value().status, 200);
  EXPECT_EQ(client->Get("/b").value().status, 200);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(client->Stats().stale_reconnects, 1u);
  const auto requests = server.http_requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target, "/trade-api/v2/b");
}

TEST(HttpsClientTest, TimeoutIsUnavailable) {
  HttpScript slow;
  slow.delay = milliseconds(5'000);
  LoopbackServer server(Server({slow, HttpScript{}}));
  auto options = Options(server);
  options.timeout = milliseconds(200);
  auto client = HttpsClient::Create(options).value();
  const auto result = client->Get("/markets");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(result.error().message().find("timed out"), std::string::npos);
  EXPECT_NE(result.error().message().find("read"), std::string::npos);
  EXPECT_EQ(client->Stats().transport_errors, 1u);
  // The client recovers on a new connection.
  EXPECT_EQ(client->Get("/markets").value().status, 200);
  EXPECT_EQ(client->Stats().connects, 2u);
}

TEST(HttpsClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t port = 0;
  {
    LoopbackServer server(Server({HttpScript{}}, false));
    port = server.port();
  }
  HttpsClientOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(port) + "/trade-api/v2";
  auto client = HttpsClient::Create(options).value();
  const auto result = client->Get("/markets");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(result.error().message().find("connect"), std::string::npos);
}

TEST(HttpsClientTest, UntrustedCertificateIsUnavailable) {
  LoopbackServer server(Server({HttpScript{}}));
  auto options = Options(server);
  options.tls.ca_pem.clear();
  auto client = HttpsClient::Create(options).value();
  const auto result = client->Get("/markets");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(result.error().message().find("TLS"), std::string::npos);
}

TEST(HttpsClientTest, PlainHttpWorks) {
  HttpScript ok;
  ok.body = R"({"exchange_active":true})";
  LoopbackServer server(Server({ok}, /*tls=*/false));
  auto client = HttpsClient::Create(Options(server, /*tls=*/false)).value();
  const auto response = client->Get("/exchange/status").value();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, ok.body);
  EXPECT_EQ(server.http_requests().at(0).target, "/trade-api/v2/exchange/status");
}

TEST(HttpsClientTest, OversizedBodyIsRefused) {
  HttpScript big;
  big.body = std::string(10'000, 'x');
  LoopbackServer server(Server({big}));
  auto options = Options(server);
  options.max_body_bytes = 1'000;
  auto client = HttpsClient::Create(options).value();
  const auto result = client->Get("/markets");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::StatusCode::kResourceExhausted);
}

TEST(HttpsClientTest, WaitsOnTheBucketOfItsClass) {
  LoopbackServer server(Server({HttpScript{}}));
  auto options = Options(server);
  core::SimulatedClock clock(core::Timestamp::FromSeconds(1'000));  // frozen: no refill
  options.clock = &clock;
  options.budget.read = {100, 20};   // two requests at cost 10, then 100 ms each
  options.budget.write = {100, 10};  // one request, then 100 ms each
  SleepRecorder recorder;
  options.sleep = recorder.Fn();
  auto client = HttpsClient::Create(options).value();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->Get("/markets").ok());
  ASSERT_TRUE(client->Request("DELETE", "/portfolio/orders/1", {}, RequestClass::kWrite).ok());
  ASSERT_TRUE(client->Request("DELETE", "/portfolio/orders/2", {}, RequestClass::kWrite).ok());
  // A custom cost (V2 cancel costs 2) is charged instead of the default.
  ASSERT_TRUE(client->Request("DELETE", "/portfolio/orders/3", {}, RequestClass::kWrite, 2).ok());
  const std::vector<nanoseconds> expected = {
      milliseconds(100), milliseconds(200),  // reads 3 and 4
      milliseconds(100),                     // write 2
      milliseconds(120),                     // write 3: 2 more tokens = 20 ms more
  };
  EXPECT_EQ(recorder.sleeps, expected);
  EXPECT_EQ(client->Stats().rate_limit_wait, milliseconds(520));
}

TEST(HttpsClientTest, RejectsBadInput) {
  LoopbackServer server(Server({HttpScript{}}));
  auto client = HttpsClient::Create(Options(server)).value();
  EXPECT_EQ(client->Get("markets").error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Get("/markets x").error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Get("/a\r\nX-Evil: 1").error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Request("get", "/markets").error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Request("GET", "/markets", {}, RequestClass::kRead, 10'000'000).error().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server.http_requests().empty());

  HttpsClientOptions options;
  for (const char* url : {"ftp://x/", "https://", "https://h:99999/", "https://h/?q=1"}) {
    options.base_url = url;
    EXPECT_EQ(HttpsClient::Create(options).error().code(), core::StatusCode::kInvalidArgument)
        << url;
  }
  options.base_url = "https://h/trade-api/v2";
  options.budget.read.refill_per_second = 0;
  EXPECT_EQ(HttpsClient::Create(options).error().code(), core::StatusCode::kInvalidArgument);
}

TEST(HttpsClientTest, SignerErrorIsReturned) {
  LoopbackServer server(Server({HttpScript{}}));
  auto options = Options(server);
  options.signer =
      [](std::string_view,
         std::string_view) -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    return core::UnauthenticatedError("no key loaded");
  };
  auto client = HttpsClient::Create(options).value();
  EXPECT_EQ(client->Get("/markets").error().code(), core::StatusCode::kUnauthenticated);
  EXPECT_TRUE(server.http_requests().empty());
}

}  // namespace
}  // namespace kalshiflow::net
