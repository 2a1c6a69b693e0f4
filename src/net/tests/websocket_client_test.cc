#include "net/websocket_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "net/tests/loopback_server.h"
#include "net/tls.h"

namespace kalshiflow::net {
namespace {

using std::chrono::milliseconds;
using testing::LoopbackServer;
using testing::LoopbackServerOptions;
using testing::WsScript;

constexpr auto kWait = std::chrono::seconds(20);  // generous: only bounds a broken test

const CertificateAndKey& Certificate() {
  static const CertificateAndKey cert = GenerateSelfSignedCertificate().value();
  return cert;
}

/// Records every callback; tests wait on predicates over the record.
class RecordingHandler : public WebSocketHandler {
 public:
  void OnConnected() override {
    std::lock_guard lock(mutex_);
    ++connected_;
    ++events_;
    if (on_connected) on_connected();
    cv_.notify_all();
  }
  void OnText(std::string_view frame, core::Timestamp) override {
    // Touch every padding byte: ASan reports a read past the allocation.
    unsigned sum = 0;
    for (std::size_t i = 0; i < kFramePadding; ++i) {
      sum += static_cast<unsigned char>(frame.data()[frame.size() + i]);
    }
    std::lock_guard lock(mutex_);
    padding_sum_ += sum;
    texts_.emplace_back(frame);
    ++events_;
    cv_.notify_all();
  }
  ReconnectDecision OnDisconnected(const DisconnectInfo& info) override {
    std::lock_guard lock(mutex_);
    disconnects_.push_back(info);
    ++events_;
    cv_.notify_all();
    return decide ? decide(info) : ReconnectDecision::kRetry;
  }

  bool WaitFor(const std::function<bool()>& predicate) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kWait, predicate);
  }
  int connected() {
    std::lock_guard lock(mutex_);
    return connected_;
  }
  int events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<std::string> texts() {
    std::lock_guard lock(mutex_);
    return texts_;
  }
  std::vector<DisconnectInfo> disconnects() {
    std::lock_guard lock(mutex_);
    return disconnects_;
  }
  bool Stopped() {  // the final kStopped arrived (call with mutex_ held from WaitFor)
    return !disconnects_.empty() && disconnects_.back().kind == DisconnectKind::kStopped;
  }

  std::function<ReconnectDecision(const DisconnectInfo&)> decide;
  std::function<void()> on_connected;  // runs under the handler's lock

  // Accessible from WaitFor predicates (which run with mutex_ held).
  int connected_ = 0;
  int events_ = 0;
  unsigned padding_sum_ = 0;
  std::vector<std::string> texts_;
  std::vector<DisconnectInfo> disconnects_;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

WebSocketClientOptions Options(const LoopbackServer& server, bool tls) {
  WebSocketClientOptions options;
  options.url = std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(server.port()) +
                "/trade-api/ws/v2";
  options.tls.ca_pem = Certificate().certificate_pem;
  options.connect_timeout = milliseconds(10'000);
  options.backoff.initial = milliseconds(10);
  options.backoff.max = milliseconds(50);
  return options;
}

LoopbackServerOptions ServerOptions(std::vector<WsScript> scripts, bool tls = true) {
  LoopbackServerOptions options;
  options.tls = tls;
  options.certificate = Certificate();
  options.ws_scripts = std::move(scripts);
  return options;
}

TEST(WebSocketClientTest, TlsConnectSendsHeadersAndDeliversPaddedFrames) {
  WsScript script;
  script.send_on_connect = {R"({"type":"subscribed","id":1})", std::string(5000, 'x'), "3"};
  LoopbackServer server(ServerOptions({script}));
  RecordingHandler handler;
  auto options = Options(server, true);
  int header_calls = 0;
  options.headers = [&]() -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    ++header_calls;
    return std::vector<std::pair<std::string, std::string>>{
        {"KALSHI-ACCESS-KEY", "key-id-1"}, {"KALSHI-ACCESS-TIMESTAMP", "1703123456789"}};
  };
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.texts_.size() == 3; }));
  EXPECT_TRUE(client->connected());
  const auto texts = handler.texts();
  EXPECT_EQ(texts, script.send_on_connect);

  const auto upgrades = server.upgrade_requests();
  ASSERT_EQ(upgrades.size(), 1u);
  EXPECT_EQ(upgrades[0].target, "/trade-api/ws/v2");
  EXPECT_EQ(upgrades[0].headers.at("kalshi-access-key"), "key-id-1");
  EXPECT_EQ(upgrades[0].headers.at("kalshi-access-timestamp"), "1703123456789");
  EXPECT_EQ(upgrades[0].headers.at("user-agent"), "kalshiflow/0.1");
  EXPECT_EQ(upgrades[0].headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));

  client->Stop();
  EXPECT_EQ(header_calls, 1);
  const auto stats = client->Stats();
  EXPECT_EQ(stats.connects, 1u);
  EXPECT_EQ(stats.messages_received, 3u);
  EXPECT_EQ(stats.bytes_received, script.send_on_connect[0].size() + 5000 + 1);
}

TEST(WebSocketClientTest, UntrustedCertificateFailsTheTlsHandshake) {
  LoopbackServer server(ServerOptions({WsScript{}}));
  RecordingHandler handler;
  handler.decide = [](const DisconnectInfo&) { return ReconnectDecision::kStop; };
  auto options = Options(server, true);
  options.tls.ca_pem.clear();  // system store only: the self-signed cert is not trusted
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.Stopped(); }));
  const auto infos = handler.disconnects();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].kind, DisconnectKind::kTlsHandshake) << infos[0].message;
  EXPECT_EQ(infos[0].attempt, 1);
  EXPECT_EQ(infos[1].kind, DisconnectKind::kStopped);
  EXPECT_FALSE(infos[1].will_retry);
  EXPECT_EQ(handler.connected(), 0);
  EXPECT_TRUE(server.upgrade_requests().empty());
  client->Stop();
  EXPECT_TRUE(client->finished());
  EXPECT_EQ(client->Stats().failed_attempts, 1u);
  EXPECT_EQ(client->Stats().connects, 0u);
}

TEST(WebSocketClientTest, AnswersServerPingsWithPongs) {
  WsScript script;
  script.ping_on_connect = true;
  LoopbackServer server(ServerOptions({script}));
  RecordingHandler handler;
  auto options = Options(server, true);
  options.ping_interval = milliseconds(0);
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.connected_ == 1; }));
  for (int i = 0; i < 2'000 && server.pongs_received() < 1; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GE(server.pongs_received(), 1);
  EXPECT_GE(client->Stats().pings_received, 1u);
  client->Stop();
}

TEST(WebSocketClientTest, ClientPingsAreAnsweredAndCounted) {
  LoopbackServer server(ServerOptions({WsScript{}}));
  RecordingHandler handler;
  auto options = Options(server, true);
  options.ping_interval = milliseconds(20);
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  for (int i = 0; i < 2'000 && client->Stats().pongs_received < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GE(client->Stats().pongs_received, 2u);
  EXPECT_GE(client->Stats().pings_sent, 2u);
  EXPECT_GE(server.pings_received(), 2);
  client->Stop();
}

TEST(WebSocketClientTest, SilentServerTriggersHeartbeatTimeoutAndReconnect) {
  WsScript silent;
  silent.silent = true;
  WsScript normal;
  normal.send_on_connect = {"hello again"};
  LoopbackServer server(ServerOptions({silent, normal}));
  RecordingHandler handler;
  auto options = Options(server, true);
  options.heartbeat_timeout = milliseconds(300);
  options.ping_interval = milliseconds(100);  // unanswered: the server does not read
  int header_calls = 0;
  options.headers = [&]() -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    ++header_calls;
    return std::vector<std::pair<std::string, std::string>>{
        {"KALSHI-ACCESS-TIMESTAMP", std::to_string(header_calls)}};
  };
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.connected_ == 2 && !handler.texts_.empty(); }));
  const auto infos = handler.disconnects();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].kind, DisconnectKind::kHeartbeatTimeout) << infos[0].message;
  EXPECT_EQ(infos[0].attempt, 0);
  EXPECT_EQ(handler.texts().back(), "hello again");
  client->Stop();
  const auto stats = client->Stats();
  EXPECT_EQ(stats.heartbeat_timeouts, 1u);
  EXPECT_EQ(stats.connects, 2u);
  EXPECT_EQ(stats.disconnects, 1u);
  // Fresh headers per attempt.
  const auto upgrades = server.upgrade_requests();
  ASSERT_EQ(upgrades.size(), 2u);
  EXPECT_EQ(upgrades[0].headers.at("kalshi-access-timestamp"), "1");
  EXPECT_EQ(upgrades[1].headers.at("kalshi-access-timestamp"), "2");
}

TEST(WebSocketClientTest, ReconnectsAfterServerCloseAndCallsOnConnectedAgain) {
  WsScript closing;
  closing.send_on_connect = {"first"};
  closing.close_after_messages = true;
  WsScript normal;
  normal.send_on_connect = {"second"};
  LoopbackServer server(ServerOptions({closing, normal}));
  RecordingHandler handler;
  auto client = WebSocketClient::Create(Options(server, true), &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(
      handler.WaitFor([&] { return handler.connected_ == 2 && handler.texts_.size() == 2; }));
  const auto infos = handler.disconnects();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].kind, DisconnectKind::kClosedByPeer) << infos[0].message;
  EXPECT_EQ(infos[0].close_code, 1001);
  EXPECT_EQ(handler.texts(), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(server.connections(), 2);
  client->Stop();
  EXPECT_EQ(client->Stats().disconnects, 1u);
}

TEST(WebSocketClientTest, UpgradeRejectionReachesTheHandlerWithStatusAndBody) {
  const std::string body =
      R"({"error":{"code":"authentication_error","message":"authentication_error",)"
      R"("details":"INCORRECT_API_KEY_SIGNATURE"}})";
  WsScript reject;
  reject.reject_status = 401;
  reject.reject_body = body;
  LoopbackServer server(ServerOptions({reject}));
  RecordingHandler handler;
  handler.decide = [](const DisconnectInfo& info) {
    return info.http_status == 401 ? ReconnectDecision::kStop : ReconnectDecision::kRetry;
  };
  auto client = WebSocketClient::Create(Options(server, true), &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.Stopped(); }));
  const auto infos = handler.disconnects();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].kind, DisconnectKind::kUpgradeRejected);
  EXPECT_EQ(infos[0].http_status, 401);
  EXPECT_EQ(infos[0].http_body, body);
  EXPECT_EQ(infos[1].kind, DisconnectKind::kStopped);
  EXPECT_EQ(server.upgrade_requests().size(), 1u);  // kStop: no second attempt
  client->Stop();
  EXPECT_EQ(client->Stats().failed_attempts, 1u);
}

TEST(WebSocketClientTest, GivesUpAfterMaxAttempts) {
  WsScript reject;
  reject.reject_status = 503;
  LoopbackServer server(ServerOptions({reject}));
  RecordingHandler handler;
  auto options = Options(server, true);
  options.backoff.max_attempts = 3;
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.Stopped(); }));
  const auto infos = handler.disconnects();
  ASSERT_EQ(infos.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(infos[i].kind, DisconnectKind::kUpgradeRejected);
    EXPECT_EQ(infos[i].http_status, 503);
    EXPECT_EQ(infos[i].attempt, i + 1);
    EXPECT_EQ(infos[i].will_retry, i < 2);
  }
  EXPECT_EQ(server.upgrade_requests().size(), 3u);
  for (int i = 0; i < 2'000 && !client->finished(); ++i)
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_TRUE(client->finished());
  client->Stop();
}

TEST(WebSocketClientTest, HeaderErrorIsReported) {
  LoopbackServer server(ServerOptions({WsScript{}}));
  RecordingHandler handler;
  handler.decide = [](const DisconnectInfo&) { return ReconnectDecision::kStop; };
  auto options = Options(server, true);
  options.headers = []() -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    return core::PermissionDeniedError("key file is world-readable");
  };
  auto client = WebSocketClient::Create(options, &handler).value();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.Stopped(); }));
  const auto infos = handler.disconnects();
  EXPECT_EQ(infos[0].kind, DisconnectKind::kHeaders);
  EXPECT_NE(infos[0].message.find("world-readable"), std::string::npos);
  EXPECT_TRUE(server.upgrade_requests().empty());
  client->Stop();
}

TEST(WebSocketClientTest, SendReachesTheServerAndStopClosesNormally) {
  WsScript echo;
  echo.echo = true;
  LoopbackServer server(ServerOptions({echo}, /*tls=*/false));  // plain ws:// too
  RecordingHandler handler;
  WebSocketClient* client_ptr = nullptr;
  handler.on_connected = [&] {
    EXPECT_TRUE(client_ptr->Send(R"({"id":1,"cmd":"subscribe"})"));  // from the callback
  };
  auto client = WebSocketClient::Create(Options(server, false), &handler).value();
  client_ptr = client.get();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.texts_.size() == 1; }));
  EXPECT_TRUE(client->Send("second"));  // from another thread
  ASSERT_TRUE(handler.WaitFor([&] { return handler.texts_.size() == 2; }));
  EXPECT_EQ(handler.texts(), (std::vector<std::string>{R"({"id":1,"cmd":"subscribe"})", "second"}));
  EXPECT_EQ(server.messages_received().size(), 2u);

  client->Stop();
  const int events_at_stop = handler.events();
  const auto infos = handler.disconnects();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].kind, DisconnectKind::kStopped);
  EXPECT_FALSE(client->connected());
  EXPECT_TRUE(client->finished());
  EXPECT_FALSE(client->Send("late"));
  client->Stop();  // idempotent
  for (int i = 0; i < 2'000 && server.close_codes_received().empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(server.close_codes_received(), std::vector<int>{1000});
  EXPECT_EQ(handler.events(), events_at_stop);  // nothing after Stop returned
  const auto stats = client->Stats();
  EXPECT_EQ(stats.messages_sent, 2u);
  EXPECT_EQ(stats.disconnects, 0u);  // ended by Stop, not counted
  EXPECT_EQ(stats.sends_refused, 1u);
}

TEST(WebSocketClientTest, StopFromInsideACallbackDoesNotDeadlock) {
  WsScript script;
  script.send_on_connect = {"x"};
  LoopbackServer server(ServerOptions({script}));
  RecordingHandler handler;
  WebSocketClient* client_ptr = nullptr;
  handler.on_connected = [&] { client_ptr->Stop(); };
  auto client = WebSocketClient::Create(Options(server, true), &handler).value();
  client_ptr = client.get();
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.Stopped(); }));
  client->Stop();  // joins
  EXPECT_EQ(handler.disconnects().size(), 1u);
  EXPECT_TRUE(handler.texts().empty());  // nothing delivered after Stop was requested
}

TEST(WebSocketClientTest, SendIsRefusedWhileDisconnectedOrOverTheBound) {
  LoopbackServer server(ServerOptions({WsScript{}}));
  RecordingHandler handler;
  auto options = Options(server, true);
  options.max_pending_send_bytes = 8;
  auto client = WebSocketClient::Create(options, &handler).value();
  EXPECT_FALSE(client->Send("before start"));
  EXPECT_EQ(client->Stats().sends_refused, 1u);
  ASSERT_TRUE(client->Start().ok());
  ASSERT_TRUE(handler.WaitFor([&] { return handler.connected_ == 1; }));
  EXPECT_FALSE(client->Send("more than eight bytes"));
  EXPECT_EQ(client->Stats().sends_refused, 2u);
  client->Stop();
  EXPECT_FALSE(client->Send("after stop"));
  EXPECT_EQ(client->Stats().sends_refused, 3u);
}

TEST(WebSocketClientTest, CreateValidatesOptions) {
  RecordingHandler handler;
  const auto invalid = [&](WebSocketClientOptions options, WebSocketHandler* h) {
    auto result = WebSocketClient::Create(std::move(options), h);
    return !result.ok() && result.error().code() == core::StatusCode::kInvalidArgument;
  };
  WebSocketClientOptions good;
  good.url = "wss://127.0.0.1:1/trade-api/ws/v2";
  EXPECT_TRUE(WebSocketClient::Create(good, &handler).ok());
  EXPECT_TRUE(invalid(good, nullptr));
  auto o = good;
  o.url = "https://127.0.0.1/";
  EXPECT_TRUE(invalid(o, &handler));
  o = good;
  o.backoff.jitter = 1.0;
  EXPECT_TRUE(invalid(o, &handler));
  o = good;
  o.backoff.multiplier = 0.5;
  EXPECT_TRUE(invalid(o, &handler));
  o = good;
  o.backoff.max = milliseconds(1);
  EXPECT_TRUE(invalid(o, &handler));
  o = good;
  o.connect_timeout = milliseconds(0);
  EXPECT_TRUE(invalid(o, &handler));
  o = good;
  o.tls.ca_pem = "not a certificate";
  EXPECT_TRUE(invalid(o, &handler));
  o = good;
  o.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_TRUE(invalid(o, &handler));
  auto client = WebSocketClient::Create(good, &handler).value();
  EXPECT_EQ(client->Start().code(), core::StatusCode::kOk);
  EXPECT_EQ(client->Start().code(), core::StatusCode::kFailedPrecondition);
  client->Stop();
}

}  // namespace
}  // namespace kalshiflow::net
