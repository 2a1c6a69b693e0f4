// The one Boost.Beast translation unit of the WebSocket client (see README.md for the
// compile cost). The session is a template over the websocket stream type, instantiated
// twice here (TLS and plain TCP); nothing Beast leaks into the header.
#include "net/websocket_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>

#include "core/check.h"
#include "core/rng.h"
#include "net/url.h"

namespace kalshiflow::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string_view DisconnectKindName(DisconnectKind kind) {
  switch (kind) {
    case DisconnectKind::kResolve:
      return "resolve";
    case DisconnectKind::kConnect:
      return "connect";
    case DisconnectKind::kTlsHandshake:
      return "tls_handshake";
    case DisconnectKind::kUpgradeRejected:
      return "upgrade_rejected";
    case DisconnectKind::kHeartbeatTimeout:
      return "heartbeat_timeout";
    case DisconnectKind::kClosedByPeer:
      return "closed_by_peer";
    case DisconnectKind::kReadError:
      return "read_error";
    case DisconnectKind::kWriteError:
      return "write_error";
    case DisconnectKind::kStopped:
      return "stopped";
    case DisconnectKind::kHeaders:
      return "headers";
  }
  return "unknown";
}

std::chrono::milliseconds BackoffDelay(const BackoffOptions& options, int attempt, double u) {
  attempt = std::max(attempt, 1);
  const double max_ms = static_cast<double>(options.max.count());
  double delay = static_cast<double>(options.initial.count());
  for (int i = 1; i < attempt && delay < max_ms; ++i) delay *= options.multiplier;
  delay = std::min(delay, max_ms);
  u = std::clamp(u, 0.0, 1.0);
  delay *= 1.0 - options.jitter + 2.0 * options.jitter * u;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(std::max(delay, 0.0))));
}

namespace internal {

/// Builds a client TLS context: system trust store plus the extra PEM / file, peer
/// verification per `options`. InvalidArgument naming the field on a bad CA.
core::Result<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsClientOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
  context->set_default_verify_paths(ec);  // a missing system store is not fatal
  if (!options.ca_pem.empty()) {
    ec = {};
    context->add_certificate_authority(asio::buffer(options.ca_pem), ec);
    if (ec)
      return core::InvalidArgumentError("tls.ca_pem: not a usable PEM certificate: " +
                                        ec.message());
  }
  if (!options.ca_file.empty()) {
    ec = {};
    context->load_verify_file(options.ca_file, ec);
    if (ec) {
      return core::InvalidArgumentError("tls.ca_file '" + options.ca_file +
                                        "': cannot load: " + ec.message());
    }
  }
  context->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return context;
}

/// SNI (DNS names only) and host-name / IP verification on one OpenSSL connection.
bool ConfigurePeerName(SSL* ssl_handle, const std::string& host) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  if (!ec) {
    (void)address;
    return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  if (SSL_set_tlsext_host_name(ssl_handle, host.c_str()) != 1) return false;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
}

}  // namespace internal

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxErrorBody = 4096;
constexpr std::chrono::milliseconds kCloseGrace{2'000};

using SteadyClock = std::chrono::steady_clock;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using PlainWs = websocket::stream<beast::tcp_stream>;

bool IsPeerClosed(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == beast::http::error::end_of_stream ||
         ec == ssl::error::stream_truncated;
}

/// What Impl needs from a connection without knowing its stream type.
struct ConnectionBase {
  virtual ~ConnectionBase() = default;
  /// I/O thread: a normal close (or abort when not yet established).
  virtual void RequestClose() = 0;
  /// I/O thread: wakes the writer after Send queued into an empty queue.
  virtual void WakeWriter() = 0;

  // Guarded by Impl::mutex.
  bool open = false;  // established and not yet ended: Send may queue
  std::deque<std::string> queue;
  std::size_t pending_bytes = 0;
};

}  // namespace

struct WebSocketClient::Impl {
  Impl(WebSocketClientOptions opts, WebSocketHandler* h, ParsedUrl parsed,
       std::shared_ptr<ssl::context> tls)
      : options(std::move(opts)),
        handler(h),
        url(std::move(parsed)),
        clock(options.clock != nullptr ? options.clock : &core::RealClock::Instance()),
        ssl_context(std::move(tls)),
        rng(options.backoff.seed),
        backoff_timer(ioc) {}

  template <typename Ws>
  struct Connection;

  asio::awaitable<void> Run();
  template <typename Ws>
  asio::awaitable<void> Session(DisconnectInfo& info, bool& established);
  template <typename Ws>
  asio::awaitable<void> Writer(std::shared_ptr<Connection<Ws>> c);
  template <typename Ws>
  asio::awaitable<void> Pinger(std::shared_ptr<Connection<Ws>> c);
  template <typename Ws>
  asio::awaitable<void> Watchdog(std::shared_ptr<Connection<Ws>> c);

  bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id.load(); }

  // Declared first so it is destroyed last (handlers still queued in it own connections).
  asio::io_context ioc{1};
  WebSocketClientOptions options;
  WebSocketHandler* handler;
  ParsedUrl url;
  const core::Clock* clock;
  std::shared_ptr<ssl::context> ssl_context;  // null for ws://
  core::Rng rng;                              // I/O thread only
  asio::steady_timer backoff_timer;           // I/O thread only
  beast::flat_buffer read_buffer;             // I/O thread only, reused across messages

  std::thread thread;
  std::mutex join_mutex;  // serialises joins from concurrent Stop calls
  std::atomic<std::thread::id> io_thread_id{};
  std::atomic<bool> started{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> finished{false};
  std::atomic<bool> connected{false};

  std::mutex mutex;
  std::shared_ptr<ConnectionBase> current;  // guarded by mutex

  struct Counters {
    std::atomic<uint64_t> connects{0}, failed_attempts{0}, disconnects{0}, messages_received{0},
        bytes_received{0}, messages_sent{0}, pings_received{0}, pongs_received{0},
        heartbeat_timeouts{0}, sends_refused{0}, pings_sent{0}, bytes_sent{0};
  } counters;
};

template <typename Ws>
struct WebSocketClient::Impl::Connection final : ConnectionBase,
                                                 std::enable_shared_from_this<Connection<Ws>> {
  static constexpr bool kTls = std::is_same_v<Ws, TlsWs>;

  explicit Connection(Impl* owner)
      : impl(owner),
        ws(MakeStream(owner)),
        resolver(owner->ioc),
        connect_deadline(owner->ioc),
        watchdog_timer(owner->ioc),
        ping_timer(owner->ioc),
        writer_signal(owner->ioc),
        close_deadline(owner->ioc) {}

  static Ws MakeStream(Impl* owner) {
    if constexpr (kTls) {
      return Ws(owner->ioc, *owner->ssl_context);
    } else {
      return Ws(owner->ioc);
    }
  }

  /// Aborts everything in flight on this connection (I/O thread).
  void CloseSocket() {
    beast::error_code ec;
    resolver.cancel();
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws).socket().close(ec);
  }

  /// Ends the helper coroutines (I/O thread).
  void EndHelpers() {
    ended = true;
    connect_deadline.cancel();
    watchdog_timer.cancel();
    ping_timer.cancel();
    writer_signal.cancel();
    close_deadline.cancel();
  }

  void RequestClose() override {
    if (ended || close_requested) return;
    close_requested = true;
    if (!established) {
      CloseSocket();
      return;
    }
    ping_timer.cancel();
    writer_signal.cancel();
    auto self = this->shared_from_this();
    ws.async_close(websocket::close_code::normal, [self](beast::error_code ec) {
      if (ec) self->CloseSocket();
    });
    close_deadline.expires_after(kCloseGrace);
    close_deadline.async_wait([self](beast::error_code ec) {
      if (!ec) self->CloseSocket();  // the peer did not finish the close handshake in time
    });
  }

  void WakeWriter() override { writer_signal.cancel(); }

  Impl* impl;
  Ws ws;
  tcp::resolver resolver;
  asio::steady_timer connect_deadline;
  asio::steady_timer watchdog_timer;
  asio::steady_timer ping_timer;
  asio::steady_timer writer_signal;
  asio::steady_timer close_deadline;
  SteadyClock::time_point last_received{};
  // I/O thread only.
  bool established = false;
  bool ended = false;
  bool close_requested = false;
  bool connect_timed_out = false;
  bool heartbeat_expired = false;
  bool write_failed = false;
  std::string write_error;
};

template <typename Ws>
asio::awaitable<void> WebSocketClient::Impl::Writer(std::shared_ptr<Connection<Ws>> c) {
  for (;;) {
    if (c->ended || c->close_requested) co_return;
    std::string message;
    bool have = false;
    {
      std::lock_guard lock(mutex);
      if (!c->queue.empty()) {
        message = std::move(c->queue.front());
        c->queue.pop_front();
        have = true;
      }
    }
    if (!have) {
      c->writer_signal.expires_at(asio::steady_timer::time_point::max());
      co_await c->writer_signal.async_wait(kAwait);
      continue;
    }
    c->ws.text(true);
    auto [ec, written] = co_await c->ws.async_write(asio::buffer(message), kAwait);
    (void)written;
    {
      std::lock_guard lock(mutex);
      c->pending_bytes -= std::min(c->pending_bytes, message.size());
    }
    if (ec) {
      if (!c->ended && !c->close_requested) {
        c->write_failed = true;
        c->write_error = ec.message();
        c->CloseSocket();
      }
      co_return;
    }
    counters.messages_sent.fetch_add(1, std::memory_order_relaxed);
    counters.bytes_sent.fetch_add(message.size(), std::memory_order_relaxed);
  }
}

template <typename Ws>
asio::awaitable<void> WebSocketClient::Impl::Pinger(std::shared_ptr<Connection<Ws>> c) {
  for (;;) {
    c->ping_timer.expires_after(options.ping_interval);
    auto [ec] = co_await c->ping_timer.async_wait(kAwait);
    if (ec || c->ended || c->close_requested) co_return;
    auto [ping_ec] = co_await c->ws.async_ping(websocket::ping_data("kalshiflow"), kAwait);
    if (ping_ec) co_return;  // the reader sees the failure
    counters.pings_sent.fetch_add(1, std::memory_order_relaxed);
  }
}

template <typename Ws>
asio::awaitable<void> WebSocketClient::Impl::Watchdog(std::shared_ptr<Connection<Ws>> c) {
  const auto timeout = options.heartbeat_timeout;
  for (;;) {
    c->watchdog_timer.expires_at(c->last_received + timeout);
    auto [ec] = co_await c->watchdog_timer.async_wait(kAwait);
    if (ec || c->ended) co_return;
    if (SteadyClock::now() >= c->last_received + timeout) {
      c->heartbeat_expired = true;
      counters.heartbeat_timeouts.fetch_add(1, std::memory_order_relaxed);
      c->CloseSocket();
      co_return;
    }
  }
}

template <typename Ws>
asio::awaitable<void> WebSocketClient::Impl::Session(DisconnectInfo& info, bool& established) {
  auto c = std::make_shared<Connection<Ws>>(this);
  {
    std::lock_guard lock(mutex);
    current = c;
  }
  // Clears `current` and ends the helpers on every exit path.
  struct Cleanup {
    Impl* impl;
    std::shared_ptr<Connection<Ws>> c;
    ~Cleanup() {
      {
        std::lock_guard lock(impl->mutex);
        c->open = false;
        c->queue.clear();
        c->pending_bytes = 0;
        if (impl->current == c) impl->current.reset();
      }
      impl->connected.store(false);
      c->EndHelpers();
      c->CloseSocket();
    }
  } cleanup{this, c};

  const auto stopped = [&] {
    if (!stop_requested.load()) return false;
    info.kind = DisconnectKind::kStopped;
    info.message = "stopped";
    return true;
  };
  const auto fail = [&](DisconnectKind kind, std::string_view stage, const beast::error_code& ec) {
    info.kind = kind;
    info.message =
        std::string(stage) + " " + url.HostHeader() + ": " +
        (c->connect_timed_out
             ? "timed out after " + std::to_string(options.connect_timeout.count()) + " ms"
             : ec.message());
  };
  if (stopped()) co_return;

  // One deadline for resolve + TCP + TLS + upgrade.
  c->connect_deadline.expires_after(options.connect_timeout);
  c->connect_deadline.async_wait([weak = std::weak_ptr<Connection<Ws>>(c)](beast::error_code ec) {
    if (ec) return;
    if (auto conn = weak.lock(); conn && !conn->established && !conn->ended) {
      conn->connect_timed_out = true;
      conn->CloseSocket();
    }
  });

  auto [resolve_ec, endpoints] =
      co_await c->resolver.async_resolve(url.host, std::to_string(url.port), kAwait);
  if (stopped()) co_return;
  if (resolve_ec) co_return fail(DisconnectKind::kResolve, "resolve", resolve_ec);

  auto& tcp_layer = beast::get_lowest_layer(c->ws);
  auto [connect_ec, endpoint] = co_await tcp_layer.async_connect(endpoints, kAwait);
  (void)endpoint;
  if (stopped()) co_return;
  if (connect_ec) co_return fail(DisconnectKind::kConnect, "connect", connect_ec);
  beast::error_code ignored;
  tcp_layer.socket().set_option(tcp::no_delay(true), ignored);

  if constexpr (Connection<Ws>::kTls) {
    auto& tls_layer = c->ws.next_layer();
    if (!internal::ConfigurePeerName(tls_layer.native_handle(), url.host)) {
      info.kind = DisconnectKind::kTlsHandshake;
      info.message = "TLS setup for " + url.HostHeader() + ": cannot set the peer name";
      co_return;
    }
    auto [tls_ec] = co_await tls_layer.async_handshake(ssl::stream_base::client, kAwait);
    if (stopped()) co_return;
    if (tls_ec) co_return fail(DisconnectKind::kTlsHandshake, "TLS handshake with", tls_ec);
  }

  std::vector<std::pair<std::string, std::string>> headers;
  if (options.headers) {
    auto result = options.headers();
    if (!result.ok()) {
      info.kind = DisconnectKind::kHeaders;
      info.message = "upgrade headers: " + result.error().ToString();
      co_return;
    }
    headers = std::move(result).value();
  }
  c->ws.set_option(websocket::stream_base::decorator(
      [headers = std::move(headers)](websocket::request_type& request) {
        request.set(beast::http::field::user_agent, "kalshiflow/0.1");
        for (const auto& [name, value] : headers) request.set(name, value);
      }));
  // Our own watchdog and pinger replace Beast's timeouts; the connect deadline covers the
  // handshake.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = websocket::stream_base::none();
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  c->ws.set_option(timeouts);
  c->ws.read_message_max(options.max_message_bytes);
  c->ws.auto_fragment(false);
  Connection<Ws>* raw = c.get();
  c->ws.control_callback([this, raw](websocket::frame_type kind, beast::string_view) {
    raw->last_received = SteadyClock::now();
    if (kind == websocket::frame_type::ping) {
      counters.pings_received.fetch_add(1, std::memory_order_relaxed);
    } else if (kind == websocket::frame_type::pong) {
      counters.pongs_received.fetch_add(1, std::memory_order_relaxed);
    }
  });

  websocket::response_type response;
  auto [upgrade_ec] = co_await c->ws.async_handshake(response, url.HostHeader(), url.path, kAwait);
  if (stopped()) co_return;
  if (upgrade_ec) {
    const int status = static_cast<int>(response.result_int());
    if (status != 0 && status != 101) {
      info.kind = DisconnectKind::kUpgradeRejected;
      info.http_status = status;
      info.http_body = response.body().substr(0, kMaxErrorBody);
      info.message =
          "upgrade rejected by " + url.HostHeader() + " with HTTP " + std::to_string(status);
      co_return;
    }
    co_return fail(DisconnectKind::kUpgradeRejected, "upgrade with", upgrade_ec);
  }

  // Established.
  c->established = true;
  c->connect_deadline.cancel();
  tcp_layer.expires_never();
  c->last_received = SteadyClock::now();
  established = true;
  {
    std::lock_guard lock(mutex);
    c->open = true;
  }
  connected.store(true);
  counters.connects.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("websocket: connected to {}{}", url.HostHeader(), url.path);
  if (options.heartbeat_timeout.count() > 0) {
    asio::co_spawn(ioc, Watchdog<Ws>(c), asio::detached);
  }
  if (options.ping_interval.count() > 0) asio::co_spawn(ioc, Pinger<Ws>(c), asio::detached);
  asio::co_spawn(ioc, Writer<Ws>(c), asio::detached);
  if (!stop_requested.load()) handler->OnConnected();

  read_buffer.clear();
  beast::error_code read_ec;
  for (;;) {
    auto [ec, bytes] = co_await c->ws.async_read(read_buffer, kAwait);
    if (ec) {
      read_ec = ec;
      break;
    }
    c->last_received = SteadyClock::now();
    counters.messages_received.fetch_add(1, std::memory_order_relaxed);
    counters.bytes_received.fetch_add(bytes, std::memory_order_relaxed);
    if (!stop_requested.load()) {
      // kFramePadding readable bytes after the message, inside the buffer's own storage
      // (flat_buffer is one contiguous allocation, so prepare() keeps it behind the data).
      read_buffer.prepare(kFramePadding);
      const auto data = read_buffer.data();
      handler->OnText(std::string_view(static_cast<const char*>(data.data()), data.size()),
                      clock->Now());
    }
    read_buffer.consume(read_buffer.size());
  }
  if (stopped()) co_return;
  if (c->heartbeat_expired) {
    info.kind = DisconnectKind::kHeartbeatTimeout;
    info.message = "nothing received from " + url.HostHeader() + " for " +
                   std::to_string(options.heartbeat_timeout.count()) + " ms";
  } else if (c->write_failed) {
    info.kind = DisconnectKind::kWriteError;
    info.message = "write to " + url.HostHeader() + ": " + c->write_error;
  } else if (IsPeerClosed(read_ec)) {
    info.kind = DisconnectKind::kClosedByPeer;
    if (read_ec == websocket::error::closed) {
      info.close_code = static_cast<int>(c->ws.reason().code);
      info.message =
          "closed by " + url.HostHeader() + " with code " + std::to_string(info.close_code);
      if (!c->ws.reason().reason.empty()) {
        info.message += ": " + std::string(c->ws.reason().reason.c_str());
      }
    } else {
      info.message = "connection to " + url.HostHeader() + " ended: " + read_ec.message();
    }
  } else {
    info.kind = DisconnectKind::kReadError;
    info.message = "read from " + url.HostHeader() + ": " + read_ec.message();
  }
  if (c->ws.reason().code != websocket::close_code::none) {
    info.close_code = static_cast<int>(c->ws.reason().code);
  }
}

asio::awaitable<void> WebSocketClient::Impl::Run() {
  int failures = 0;  // consecutive failed attempts
  std::string end_reason = "stopped by Stop()";
  while (!stop_requested.load()) {
    DisconnectInfo info;
    bool established = false;
    if (url.tls) {
      co_await Session<TlsWs>(info, established);
    } else {
      co_await Session<PlainWs>(info, established);
    }
    if (stop_requested.load()) break;
    if (established) {
      counters.disconnects.fetch_add(1, std::memory_order_relaxed);
      failures = 0;
    } else {
      counters.failed_attempts.fetch_add(1, std::memory_order_relaxed);
      ++failures;
    }
    info.attempt = failures;
    const bool give_up =
        options.backoff.max_attempts > 0 && failures >= options.backoff.max_attempts;
    info.will_retry = !give_up;
    spdlog::warn("websocket: {} ({}), attempt {}", DisconnectKindName(info.kind), info.message,
                 failures);
    const ReconnectDecision decision = handler->OnDisconnected(info);
    if (give_up) {
      end_reason = "gave up after " + std::to_string(failures) + " failed attempts";
      break;
    }
    if (decision == ReconnectDecision::kStop) {
      end_reason = "the handler returned kStop";
      break;
    }
    if (stop_requested.load()) break;
    const auto delay = BackoffDelay(options.backoff, failures + 1, rng.Uniform01());
    backoff_timer.expires_after(delay);
    co_await backoff_timer.async_wait(kAwait);
  }
  connected.store(false);
  DisconnectInfo final_info;
  final_info.kind = DisconnectKind::kStopped;
  final_info.message = end_reason;
  final_info.attempt = failures;
  final_info.will_retry = false;
  handler->OnDisconnected(final_info);
}

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocketClient::~WebSocketClient() {
  KF_CHECK(!impl_->OnIoThread(),
           "WebSocketClient destroyed from its own I/O thread (inside a handler callback)");
  Stop();
}

core::Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Create(
    WebSocketClientOptions options, WebSocketHandler* handler) {
  if (handler == nullptr) return core::InvalidArgumentError("websocket: handler is null");
  KF_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(options.url, "wss", "ws"));
  const BackoffOptions& b = options.backoff;
  if (b.initial.count() < 0) return core::InvalidArgumentError("websocket: backoff.initial < 0");
  if (b.max < b.initial) return core::InvalidArgumentError("websocket: backoff.max < initial");
  if (!(b.multiplier >= 1.0) || !std::isfinite(b.multiplier)) {
    return core::InvalidArgumentError("websocket: backoff.multiplier must be >= 1");
  }
  if (!(b.jitter >= 0.0 && b.jitter < 1.0)) {
    return core::InvalidArgumentError("websocket: backoff.jitter must be in [0, 1)");
  }
  if (b.max_attempts < 0) return core::InvalidArgumentError("websocket: backoff.max_attempts < 0");
  if (options.connect_timeout.count() <= 0) {
    return core::InvalidArgumentError("websocket: connect_timeout must be > 0");
  }
  if (options.heartbeat_timeout.count() < 0) {
    return core::InvalidArgumentError("websocket: heartbeat_timeout must be >= 0");
  }
  if (options.ping_interval.count() < 0) {
    return core::InvalidArgumentError("websocket: ping_interval must be >= 0");
  }
  if (options.max_message_bytes == 0) {
    return core::InvalidArgumentError("websocket: max_message_bytes must be > 0");
  }
  if (options.max_pending_send_bytes == 0) {
    return core::InvalidArgumentError("websocket: max_pending_send_bytes must be > 0");
  }
  std::shared_ptr<ssl::context> tls;
  if (url.tls) {
    try {
      KF_ASSIGN_OR_RETURN(tls, internal::MakeClientTlsContext(options.tls));
    } catch (const std::exception& e) {
      return core::InternalError(std::string("websocket: TLS context: ") + e.what());
    }
  }
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(
      std::make_unique<Impl>(std::move(options), handler, std::move(url), std::move(tls))));
}

core::Status WebSocketClient::Start() {
  if (impl_->started.exchange(true)) {
    return core::FailedPreconditionError("websocket: Start called twice");
  }
  if (impl_->stop_requested.load()) {
    return core::FailedPreconditionError("websocket: Start after Stop");
  }
  Impl* impl = impl_.get();
  asio::co_spawn(impl->ioc, impl->Run(), [impl](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("websocket: I/O loop ended by an exception: {}", e.what());
      } catch (...) {
        spdlog::error("websocket: I/O loop ended by an unknown exception");
      }
    }
    impl->connected.store(false);
    impl->finished.store(true);
    impl->ioc.stop();  // drop the helpers' leftovers; nothing may call back any more
  });
  impl->thread = std::thread([impl] {
    impl->io_thread_id.store(std::this_thread::get_id());
    impl->ioc.run();
  });
  return core::Status::Ok();
}

bool WebSocketClient::Send(std::string text) {
  Impl& impl = *impl_;
  std::shared_ptr<ConnectionBase> connection;
  bool wake = false;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.current && impl.current->open && !impl.stop_requested.load() &&
        impl.current->pending_bytes + text.size() <= impl.options.max_pending_send_bytes) {
      connection = impl.current;
      wake = connection->queue.empty();
      connection->pending_bytes += text.size();
      connection->queue.push_back(std::move(text));
    }
  }
  if (!connection) {
    impl.counters.sends_refused.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (wake) asio::post(impl.ioc, [connection] { connection->WakeWriter(); });
  return true;
}

void WebSocketClient::Stop() {
  Impl& impl = *impl_;
  if (!impl.stop_requested.exchange(true) && impl.started.load()) {
    asio::post(impl.ioc, [&impl] {
      impl.backoff_timer.cancel();
      std::shared_ptr<ConnectionBase> connection;
      {
        std::lock_guard lock(impl.mutex);
        connection = impl.current;
      }
      if (connection) connection->RequestClose();
    });
  }
  if (impl.OnIoThread()) return;
  std::lock_guard lock(impl.join_mutex);
  if (impl.thread.joinable()) impl.thread.join();
}

bool WebSocketClient::connected() const { return impl_->connected.load(); }

bool WebSocketClient::finished() const { return impl_->finished.load(); }

WebSocketClientStats WebSocketClient::Stats() const {
  const auto& c = impl_->counters;
  WebSocketClientStats s;
  s.connects = c.connects.load();
  s.failed_attempts = c.failed_attempts.load();
  s.disconnects = c.disconnects.load();
  s.messages_received = c.messages_received.load();
  s.bytes_received = c.bytes_received.load();
  s.messages_sent = c.messages_sent.load();
  s.pings_received = c.pings_received.load();
  s.pongs_received = c.pongs_received.load();
  s.heartbeat_timeouts = c.heartbeat_timeouts.load();
  s.sends_refused = c.sends_refused.load();
  s.pings_sent = c.pings_sent.load();
  s.bytes_sent = c.bytes_sent.load();
  return s;
}

}  // namespace kalshiflow::net
