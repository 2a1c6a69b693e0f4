// The API server on real loopback sockets: our HTTP client (net::HttpsClient over http://) and
// WebSocket client (net::WebSocketClient over ws://) against it — routes and path arguments,
// 404/405/413, the bearer token on control routes, the refusal to listen beyond loopback
// without one, static files without directory traversal, WebSocket topic filters and the
// bounded per-client queue that drops (and says so) instead of slowing the publisher.
#include "server/http_server.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/https_client.h"
#include "net/websocket_client.h"
#include "server/tests/test_client.h"

namespace kalshiflow::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::ClientFor;

std::unique_ptr<HttpServer> StartServer(HttpServerOptions o = {}) {
  auto s = HttpServer::Create(std::move(o));
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  if (!s.ok()) return nullptr;
  auto server = std::move(s).value();
  server->Handle("GET", "/rl/echo/{name}", [](const HttpRequest& r) {
    HttpResponse out;
    out.body = json{{"name", r.args.at(0)}, {"q", r.QueryParam("q")}}.dump();
    return out;
  });
  server->Handle(
      "POST", "/rl/control",
      [](const HttpRequest& r) {
        HttpResponse out;
        out.body = json{{"got", r.body}}.dump();
        return out;
      },
      /*control=*/true);
  return server;
}

TEST(HttpServerTest, RoutesArgumentsAndErrors) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Start();
  auto client = ClientFor(*server);
  auto r = client->Get("/rl/echo/KXA-26JAN01-T1%2B?q=a%20b&x=1");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  auto j = json::parse(r->body);
  EXPECT_EQ(j["name"], "KXA-26JAN01-T1+");
  EXPECT_EQ(j["q"], "a b");

  r = client->Get("/rl/echo/A+B?q=A+B");  // '+' is literal in a path, a space in a query
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(json::parse(r->body)["name"], "A+B");
  EXPECT_EQ(json::parse(r->body)["q"], "A B");

  r = client->Get("/rl/nothing");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "not_found");
  r = client->Request("DELETE", "/rl/echo/x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "method_not_allowed");
  // Without a token configured, a loopback server takes control requests as they come.
  r = client->Request("POST", "/rl/control", "{\"a\":1}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["got"], "{\"a\":1}");
  const HttpServerStats stats = server->Stats();
  EXPECT_EQ(stats.requests, 5u);
  EXPECT_EQ(stats.not_found, 1u);
}

TEST(HttpServerTest, BodiesOverTheLimitAre413) {
  HttpServerOptions o;
  o.max_request_body_bytes = 1024;
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  server->Start();
  auto r = ClientFor(*server)->Request("POST", "/rl/control", std::string(4096, 'x'));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 413);
}

TEST(HttpServerTest, ControlRoutesNeedTheBearerTokenWhenOneIsSet) {
  HttpServerOptions o;
  o.bearer_token = "s3cret-token-value";
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  server->Start();
  auto r = ClientFor(*server)->Request("POST", "/rl/control", "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "unauthorized");
  EXPECT_EQ(r->body.find("s3cret"), std::string::npos);  // the token is never echoed
  r = ClientFor(*server, "s3cret-token-valuX")->Request("POST", "/rl/control", "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  r = ClientFor(*server, "s3cret-token-value")->Request("POST", "/rl/control", "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  // Read routes stay open.
  r = ClientFor(*server)->Get("/rl/echo/a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server->Stats().unauthorized, 2u);
}

TEST(HttpServerTest, RefusesToListenBeyondLoopbackWithoutAToken) {
  HttpServerOptions o;
  o.bind_address = "0.0.0.0";
  auto s = HttpServer::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("bearer token"), std::string::npos) << s.error().ToString();
  o.bearer_token = "t";
  EXPECT_TRUE(HttpServer::Create(o).ok());
  o.bind_address = "127.0.0.1";
  o.ws_max_queued_messages = 0;
  EXPECT_FALSE(HttpServer::Create(o).ok());
}

TEST(HttpServerTest, ServesStaticFilesInsideTheirDirectoryOnly) {
  const fs::path root = fs::temp_directory_path() / ("kf_static_" + std::to_string(::getpid()));
  fs::create_directories(root / "www" / "js");
  std::ofstream(root / "www" / "index.html") << "<html>dashboard</html>";
  std::ofstream(root / "www" / "js" / "app.js") << "console.log(1);";
  std::ofstream(root / "secret.txt") << "do not serve";
  HttpServerOptions o;
  o.static_dir = (root / "www").string();
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  server->Start();
  auto client = ClientFor(*server);
  auto r = client->Get("/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<html>dashboard</html>");
  bool html = false;
  for (const auto& [k, v] : r->headers) html |= v.find("text/html") != std::string::npos;
  EXPECT_TRUE(html);
  r = client->Get("/js/app.js");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "console.log(1);");
  for (const char* escape : {"/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt"}) {
    r = client->Get(escape);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 404) << escape;
    EXPECT_EQ(r->body.find("do not serve"), std::string::npos) << escape;
  }
  HttpServerOptions bad;
  bad.static_dir = (root / "missing").string();
  EXPECT_FALSE(HttpServer::Create(bad).ok());
  fs::remove_all(root);
}

// Collects the text messages of one WebSocket client; `block_first` stalls the reader on the
// first message (a slow client).
class Collector final : public net::WebSocketHandler {
 public:
  void OnConnected() override {
    std::lock_guard lock(mu);
    connected = true;
    cv.notify_all();
  }
  void OnText(std::string_view frame, core::Timestamp) override {
    if (block_first && !blocked_once) {
      blocked_once = true;
      std::unique_lock lock(mu);
      cv.wait(lock, [this] { return release; });
    }
    std::lock_guard lock(mu);
    messages.push_back(json::parse(frame));
    cv.notify_all();
  }
  net::ReconnectDecision OnDisconnected(const net::DisconnectInfo&) override {
    return net::ReconnectDecision::kStop;
  }
  bool WaitFor(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return messages.size() >= n; });
  }
  bool WaitConnected() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return connected; });
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<json> messages;
  bool connected = false;
  bool block_first = false;
  bool blocked_once = false;
  bool release = false;
};

std::unique_ptr<net::WebSocketClient> Connect(const HttpServer& server, const std::string& query,
                                              Collector& handler) {
  net::WebSocketClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/rl/ws" + query;
  o.backoff.max_attempts = 1;
  o.heartbeat_timeout = std::chrono::milliseconds(0);
  auto c = net::WebSocketClient::Create(o, &handler);
  EXPECT_TRUE(c.ok()) << c.error().ToString();
  auto client = std::move(c).value();
  EXPECT_TRUE(client->Start().ok());
  EXPECT_TRUE(handler.WaitConnected());
  return client;
}

// The server counts a client once its accept completed; wait for that before publishing.
void WaitClients(const HttpServer& server, uint64_t n) {
  for (int i = 0; i < 1000 && server.Stats().ws_clients < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server.Stats().ws_clients, n);
}

TEST(HttpServerTest, WebSocketClientsGetTheTopicsTheyAskFor) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Start();
  Collector all, actions;
  auto c1 = Connect(*server, "", all);
  auto c2 = Connect(*server, "?topics=actor_action", actions);
  WaitClients(*server, 2);
  server->Broadcast("stats", R"({"type":"stats","n":1})");
  server->Broadcast("actor_action", R"({"type":"actor_action","n":2})");
  ASSERT_TRUE(all.WaitFor(2));
  ASSERT_TRUE(actions.WaitFor(1));
  EXPECT_EQ(all.messages[0]["n"], 1);
  EXPECT_EQ(all.messages[1]["n"], 2);
  EXPECT_EQ(actions.messages[0]["n"], 2);
  // A subscribe command replaces the filter and is acknowledged; a bad one is an error message.
  ASSERT_TRUE(c2->Send(R"({"type":"subscribe","topics":["stats"]})"));
  ASSERT_TRUE(actions.WaitFor(2));
  EXPECT_EQ(actions.messages[1]["type"], "subscribed");
  ASSERT_TRUE(c2->Send("not json"));
  ASSERT_TRUE(actions.WaitFor(3));
  EXPECT_EQ(actions.messages[2]["type"], "error");
  EXPECT_EQ(actions.messages[2]["code"], "bad_command");
  server->Broadcast("actor_action", R"({"type":"actor_action","n":3})");
  server->Broadcast("stats", R"({"type":"stats","n":4})");
  ASSERT_TRUE(actions.WaitFor(4));
  EXPECT_EQ(actions.messages[3]["n"], 4);  // the action was filtered out
  ASSERT_TRUE(all.WaitFor(4));
  c1->Stop();
  c2->Stop();
}

// A client that stops reading: its queue stays bounded, the excess is dropped and counted, the
// publisher never waits, and once it reads again it is told how many messages it missed.
TEST(HttpServerTest, ASlowClientLosesMessagesAndIsToldSoWithoutSlowingThePublisher) {
  HttpServerOptions o;
  o.ws_max_queued_messages = 4;
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  server->Start();
  Collector slow;
  slow.block_first = true;
  auto client = Connect(*server, "", slow);
  WaitClients(*server, 1);
  constexpr int kMessages = 60;
  const std::string padding(512 * 1024, 'x');  // 30 MB in all: more than the socket buffers
  for (int i = 0; i < kMessages; ++i) {
    server->Broadcast("stats", json{{"type", "stats"}, {"i", i}, {"pad", padding}}.dump());
  }
  // Let the I/O thread hand out everything it can before the client reads again.
  for (int i = 0; i < 500 && server->Stats().ws_messages_dropped == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    std::lock_guard lock(slow.mu);
    slow.release = true;
  }
  slow.cv.notify_all();
  const uint64_t dropped = server->Stats().ws_messages_dropped;
  ASSERT_GT(dropped, 0u);
  const std::size_t delivered = kMessages - dropped;
  ASSERT_TRUE(slow.WaitFor(delivered + 1));  // + the messages_dropped notice
  std::lock_guard lock(slow.mu);
  int64_t notices = 0, last_i = -1;
  for (const json& m : slow.messages) {
    if (m["type"] == "error") {
      EXPECT_EQ(m["code"], "messages_dropped");
      EXPECT_EQ(m["dropped"].get<uint64_t>(), dropped);
      ++notices;
    } else {
      EXPECT_GT(m["i"].get<int64_t>(), last_i);  // in order, none twice
      last_i = m["i"].get<int64_t>();
    }
  }
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(slow.messages.size(), delivered + 1);
  client->Stop();
}

}  // namespace
}  // namespace kalshiflow::server
