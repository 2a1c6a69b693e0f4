// A scriptable loopback HTTP + WebSocket server for the net tests (test-only; the one Beast
// TU of the test binary). One port serves both: a request with an Upgrade header follows the
// WebSocket script of its connection, any other request the HTTP script of its index.
//
// Threading: runs its own I/O thread; every accessor is thread-safe and returns a snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/tls.h"

namespace kalshiflow::net::testing {

/// Behaviour of the server on one WebSocket connection (the Nth upgrade request uses
/// ws_scripts[N], the last one repeating).
struct WsScript {
  int reject_status = 0;  // != 0: answer the upgrade with this HTTP status and body
  std::string reject_body;
  std::vector<std::string> send_on_connect;  // text frames sent right after the upgrade
  bool ping_on_connect = false;              // then a Ping with payload "heartbeat"
  bool silent = false;                       // then neither read nor write (so no pongs either)
  bool close_after_messages = false;         // then a close frame with code 1001 (going away)
  bool echo = false;                         // echo every received text frame back
};

/// The answer to the Nth plain HTTP request (http_scripts[N], the last one repeating).
struct HttpScript {
  int status = 200;
  std::string body = "{}";
  bool close = false;       // "Connection: close" and close the TCP connection after the answer
  bool drop_after = false;  // close the TCP connection after the answer without announcing it
  std::chrono::milliseconds delay{0};  // wait before answering
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int connection = 0;  // index of the TCP connection it arrived on
};

struct LoopbackServerOptions {
  bool tls = true;
  CertificateAndKey certificate;  // required when tls
  std::vector<WsScript> ws_scripts{WsScript{}};
  std::vector<HttpScript> http_scripts{HttpScript{}};
};

class LoopbackServer {
 public:
  /// Binds 127.0.0.1 on an ephemeral port and starts serving. Crashes (KF_CHECK) on failure.
  explicit LoopbackServer(LoopbackServerOptions options);
  ~LoopbackServer();  // stops the thread, drops every connection
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const;
  int connections() const;  // TCP connections accepted
  std::vector<RecordedRequest> upgrade_requests() const;
  std::vector<RecordedRequest> http_requests() const;
  std::vector<std::string> messages_received() const;  // WebSocket text frames
  int pings_received() const;
  int pongs_received() const;
  std::vector<int> close_codes_received() const;  // close frames the clients sent

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace kalshiflow::net::testing
