// WebSocketClient: a Kalshi-style WebSocket client over TLS (wss://) or plain TCP (ws://, for
// loopback) built on Boost.Beast/Asio, with authentication headers on the upgrade, keep-alive,
// dead-connection detection and reconnection with exponential backoff and jitter.
//
// Sources: PROTOCOL.md §1.4 (the three KALSHI-ACCESS-* headers on the upgrade GET, signing
// `GET /trade-api/ws/v2`), §3.1 (server pings every 10 s with payload "heartbeat"; the client
// answers with pong; the client may ping too); DESIGN §2 (threading), §11 (reconnect with
// backoff and resubscribe).
//
// Life cycle: Create → Start (spawns the I/O thread, connects) → callbacks on that thread →
// Stop (closes with a normal close frame, joins). After a connection is lost the client waits
// a backoff delay (initial * multiplier^attempt, capped at max, times a random factor in
// [1 - jitter, 1 + jitter], seeded) and reconnects, calling `headers` again (a fresh signature
// per attempt) and then Handler::OnConnected again, where the owner resubscribes.
//
// Threading contract:
//  * All Handler callbacks run on the client's single I/O thread, one at a time, never
//    concurrently, never after Stop() returned.
//  * Send, Stop, Stats: thread-safe, callable from any thread including from callbacks.
//  * Stop must not be called from inside a callback if it would then wait forever: calling it
//    from a callback is allowed and returns without joining (the thread ends after the
//    callback returns); the destructor joins.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "net/tls.h"

namespace kalshiflow::net {

/// Bytes guaranteed readable (and zero-valued is NOT guaranteed) after the end of every frame
/// handed to Handler::OnText: enough for simdjson's padded parsing (kalshi::Decoder::
/// DecodePadded needs 64).
inline constexpr std::size_t kFramePadding = 64;

/// Why a connection attempt failed or a connection ended.
enum class DisconnectKind {
  kResolve,           // DNS resolution failed
  kConnect,           // TCP connect failed or timed out
  kTlsHandshake,      // TLS handshake failed (certificate not trusted, protocol error)
  kUpgradeRejected,   // the server answered the upgrade with an HTTP status != 101
  kHeartbeatTimeout,  // nothing (no frame, ping or pong) received for heartbeat_timeout
  kClosedByPeer,      // the server sent a close frame, or the TCP stream ended
  kReadError,         // any other read failure (includes a frame over max_message_bytes)
  kWriteError,        // a send failed
  kStopped,           // the client ended: Stop() was called, the handler returned kStop, or
                      // max_attempts was reached (always the last OnDisconnected)
  kHeaders,           // options.headers() returned an error (message has it); counts as a
                      // failed attempt
};
std::string_view DisconnectKindName(DisconnectKind kind);  // "resolve", "connect", ...

/// One disconnect or failed attempt, as reported to the handler.
struct DisconnectInfo {
  DisconnectKind kind = DisconnectKind::kClosedByPeer;
  /// kUpgradeRejected: the HTTP status (e.g. 401) and the response body (Kalshi's error
  /// JSON), truncated to 4 KiB. 0 / empty otherwise.
  int http_status = 0;
  std::string http_body;
  /// kClosedByPeer with a close frame: its code and reason.
  int close_code = 0;
  std::string message;  // human-readable detail (never contains key material)
  int attempt = 0;      // consecutive failed attempts so far (0 after a successful connect)
  /// False when the client will not reconnect whatever the handler returns (kStopped, or
  /// max_attempts reached).
  bool will_retry = true;
};

/// What the client should do after a disconnect.
enum class ReconnectDecision { kRetry, kStop };

/// Exponential backoff with jitter, seeded (deterministic for a seed).
struct BackoffOptions {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{30'000};
  double multiplier = 2.0;  // >= 1
  double jitter = 0.2;      // in [0, 1): delay *= uniform(1 - jitter, 1 + jitter)
  int max_attempts = 0;     // consecutive failed attempts before giving up; 0 = never give up
  uint64_t seed = 1;
};

/// Receives the connection's events (on the client's I/O thread).
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  /// The upgrade succeeded (101). Send subscriptions here (via WebSocketClient::Send).
  virtual void OnConnected() = 0;
  /// One complete text (or binary) message. `frame` stays valid only during the call and has
  /// kFramePadding readable bytes after its end. `received` is read from the client's clock
  /// when the message was completely read.
  virtual void OnText(std::string_view frame, core::Timestamp received) = 0;
  /// The connection ended or an attempt failed. Return kStop to end the client (e.g. on a 401:
  /// credentials will not get better by retrying); ignored when info.kind == kStopped.
  virtual ReconnectDecision OnDisconnected(const DisconnectInfo& info) = 0;
};

struct WebSocketClientOptions {
  /// "wss://host[:port]/path" or "ws://host[:port]/path" (port defaults 443 / 80).
  std::string url;
  /// Called before every connection attempt; returns extra upgrade request headers (e.g. the
  /// three KALSHI-ACCESS-* headers for a fresh timestamp). May be empty. Values are never
  /// logged.
  std::function<core::Result<std::vector<std::pair<std::string, std::string>>>()> headers;
  TlsClientOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + TCP + TLS + upgrade
  /// The connection is declared dead when nothing was received for this long (Kalshi pings
  /// every 10 s, so 3 missed pings by default). 0 disables the check.
  std::chrono::milliseconds heartbeat_timeout{30'000};
  /// Client-initiated pings at this interval (0 = never).
  std::chrono::milliseconds ping_interval{10'000};
  BackoffOptions backoff;
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  /// Outbound messages queued but not yet written beyond this many bytes → Send refuses.
  std::size_t max_pending_send_bytes = 8 * 1024 * 1024;
  const core::Clock* clock = nullptr;  // nullptr = core::RealClock
};

/// Counters since Create (monotonic; read with Stats()).
struct WebSocketClientStats {
  uint64_t connects = 0;         // successful upgrades
  uint64_t failed_attempts = 0;  // attempts that did not reach 101
  uint64_t disconnects = 0;      // established connections that ended (not by Stop)
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
  uint64_t messages_sent = 0;
  uint64_t pings_received = 0;
  uint64_t pongs_received = 0;
  uint64_t heartbeat_timeouts = 0;
  uint64_t sends_refused = 0;  // Send() while not connected or over max_pending_send_bytes
  uint64_t pings_sent = 0;     // client-initiated pings written
  uint64_t bytes_sent = 0;     // payload bytes of messages_sent
};

class WebSocketClient {
 public:
  /// Validates options (URL scheme/host/port, backoff, sizes): InvalidArgument naming the
  /// field otherwise. Does not connect. `handler` must outlive the client.
  static core::Result<std::unique_ptr<WebSocketClient>> Create(WebSocketClientOptions options,
                                                               WebSocketHandler* handler);
  ~WebSocketClient();  // Stop() and join
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  /// Starts the I/O thread and the first connection attempt. FailedPrecondition if started
  /// twice.
  core::Status Start();
  /// Queues a text message on the current connection. Returns false (and counts
  /// sends_refused) when not connected or the outbound queue is over its bound; messages are
  /// never carried over to a later connection (the owner resubscribes in OnConnected).
  bool Send(std::string text);
  /// Closes the connection (normal close), stops reconnecting, joins the I/O thread unless
  /// called from it. Idempotent. The handler gets a final OnDisconnected(kStopped).
  void Stop();
  bool connected() const;
  /// True once the I/O loop has ended (after Stop, a kStop decision or max_attempts) and the
  /// final OnDisconnected(kStopped) has returned.
  bool finished() const;
  WebSocketClientStats Stats() const;

 private:
  struct Impl;
  explicit WebSocketClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The delay before reconnect attempt `attempt` (1-based; values < 1 count as 1) for
/// `options`, given a uniform random draw `u` in [0, 1): min(initial * multiplier^(attempt-1),
/// max) * (1 - jitter + 2 * jitter * u), rounded to whole milliseconds. So the first retry
/// waits about `initial`, and jitter may take a capped delay up to max * (1 + jitter).
/// After an established connection drops the client uses attempt 1; after n consecutive
/// failed attempts, attempt n + 1. Pure; exposed for tests.
std::chrono::milliseconds BackoffDelay(const BackoffOptions& options, int attempt, double u);

}  // namespace kalshiflow::net
