// LiveCollector: a Collector on a real Kalshi WebSocket connection (net::WebSocketClient):
// connection events drive the collector, its commands go out on the socket, and credentials
// problems end it (an HTTP 401/403 on the upgrade will not get better by retrying).
//
// Sources: PROTOCOL.md §1.4 (signed upgrade), §3.1 (pings, reconnect).
//
// Threading: the collector runs on the client's I/O thread, and under an internal mutex so
// that Tick() (its resync deadlines) can be driven from the owner's thread while the stream
// is quiet. Start/Stop/Tick/fatal_error are thread-safe; collector().Stats() is too. After
// Stop() returns (or finished() is true) the collector may be read from the caller's thread
// (e.g. its books for a summary).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "feed/collector.h"
#include "net/websocket_client.h"

namespace kalshiflow::feed {

class LiveCollector : public net::WebSocketHandler, public CommandSender {
 public:
  /// `queue` and `clock` must outlive this object. The client's options.clock is set to
  /// `clock`. Errors as Collector::Create and WebSocketClient::Create.
  static core::Result<std::unique_ptr<LiveCollector>> Create(
      net::WebSocketClientOptions client_options, CollectorOptions collector_options,
      storage::WriteQueue* queue, const core::Clock* clock);
  ~LiveCollector() override;

  core::Status Start();
  /// Closes the connection and joins the I/O thread. Idempotent.
  void Stop();
  /// Runs the collector's resync deadline check now (call every ~100 ms from any thread).
  void Tick();
  /// The client gave up (fatal error or max attempts) and ended.
  bool finished() const { return client_->finished(); }
  /// Set when the exchange refused our credentials (HTTP 401/403 on the upgrade) or the
  /// client gave up: the message names the cause (and Kalshi's error body).
  std::optional<std::string> fatal_error() const;

  Collector& collector() { return *collector_; }
  const Collector& collector() const { return *collector_; }
  net::WebSocketClientStats ClientStats() const { return client_->Stats(); }
  uint64_t disconnects() const { return disconnects_.load(std::memory_order_relaxed); }

  // net::WebSocketHandler (I/O thread)
  void OnConnected() override;
  void OnText(std::string_view frame, core::Timestamp received) override;
  net::ReconnectDecision OnDisconnected(const net::DisconnectInfo& info) override;
  // CommandSender (I/O thread)
  bool SendCommand(std::string text) override;

 private:
  LiveCollector() = default;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<net::WebSocketClient> client_;
  mutable std::mutex mutex_;    // guards fatal_error_
  std::mutex collector_mutex_;  // serialises every call into collector_
  std::optional<std::string> fatal_error_;
  std::atomic<uint64_t> disconnects_{0};
  const core::Clock* clock_ = nullptr;
};

}  // namespace kalshiflow::feed
