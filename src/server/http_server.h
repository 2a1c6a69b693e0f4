// HttpServer: the API server of DESIGN §9 — HTTP/1.1 JSON routes, one WebSocket broadcast hub
// with topic filters, and static files (the dashboard), on Boost.Beast over plain TCP.
//
// Security: it listens on loopback by default. Bound to any other address it refuses to start
// without a bearer token, and then every control route (registered with `control = true`)
// needs `Authorization: Bearer <token>` (401 otherwise, compared in constant time). A token
// given on loopback is required too. The token is never logged.
//
// WebSocket (`ws_path`, default /rl/ws): every message is one JSON object with a "type"; a
// client receives every type unless it filters, by `?topics=a,b` on the upgrade URL or by
// sending {"type":"subscribe","topics":["a","b"]} (an empty list = everything again). Each
// client has a bounded outbound queue (`ws_max_queued_messages`); a message that does not fit
// is dropped for that client and counted, and once the queue drains the client receives
// {"type":"error","code":"messages_dropped","dropped":N} so it knows it missed data. A slow
// client never slows the publisher.
//
// Threading: one Asio I/O thread runs accept, HTTP, WebSocket and the handlers (so handlers
// must be quick; a handler may block on another thread for a bounded time). Handle() before
// Start(); Broadcast(), HasSubscribers(), Stats() and Stop() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kalshiflow::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, e.g. "/rl/orderbook/KXA-26JAN01-T1"
  std::string query;   // after '?', undecoded ("" when none)
  std::string body;
  /// The `{name}` segments of the route pattern, in order (e.g. the ticker above).
  std::vector<std::string> args;
  /// The value of query parameter `name` (percent-decoded), "" when absent.
  std::string QueryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// {"error":{"code":..., "message":...}} with the given status.
HttpResponse JsonError(int status, std::string_view code, std::string_view message);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port (see HttpServer::port)
  /// Required when bind_address is not a loopback address; see the file comment.
  std::string bearer_token;
  /// Served for GET paths no route matches ("/" = index.html); empty = none.
  std::string static_dir;
  std::string ws_path = "/rl/ws";
  std::size_t ws_max_queued_messages = 1024;  // per client, >= 1
  std::size_t max_request_body_bytes = 1 << 20;
};

struct HttpServerStats {
  uint64_t connections = 0;
  uint64_t requests = 0;
  uint64_t not_found = 0;
  uint64_t unauthorized = 0;  // control requests refused for a missing or wrong token
  uint64_t ws_clients = 0;    // connected now
  uint64_t ws_messages_sent = 0;
  uint64_t ws_messages_dropped = 0;  // over a client's queue bound
};

class HttpServer {
 public:
  /// Binds the port. Errors: InvalidArgument (a non-loopback bind without a token, a
  /// ws_max_queued_messages of 0, a static_dir that is not a directory), Unavailable (the
  /// address cannot be bound, naming it).
  static core::Result<std::unique_ptr<HttpServer>> Create(HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Routes `method` + `pattern` (segments; "{name}" matches one non-empty segment) to
  /// `handler`. Control routes need the bearer token when one is configured. Before Start().
  /// A path that matches a pattern under another method answers 405.
  void Handle(std::string method, std::string pattern, HttpHandler handler, bool control = false);
  void Start();
  /// Closes every connection and joins the I/O thread. Idempotent.
  void Stop();

  /// Sends `json` (one object with "type" == `type`) to every WebSocket client whose filter
  /// takes `type`. Never blocks on a client.
  void Broadcast(std::string_view type, std::string json);
  /// Whether any client is connected (publishers skip encoding when none is).
  bool HasSubscribers() const;

  uint16_t port() const;
  /// "http://<address>:<port>".
  std::string url() const;
  HttpServerStats Stats() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kalshiflow::server
