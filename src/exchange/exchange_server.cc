// ExchangeServer: the socket layer (Boost.Beast / Asio coroutines). This is the only file of
// the module that includes Beast or Asio (they are heavy to compile); everything protocol-level
// lives in exchange_core.cc (WebSocket commands, fan-out, faults) and rest_api.cc (REST, auth).
#include "exchange/exchange_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <utility>

#include "exchange/exchange_core.h"
#include "exchange/rest_api.h"
#include "exchange/timeline.h"
#include "exchange/trading_api.h"
#include "net/socket_registry.h"
#include "net/tls.h"

namespace kalshiflow::exchange {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kServerName = "kalshiflow-exchange";
constexpr std::size_t kMaxCommandBytes = 1u << 20;
constexpr std::size_t kMaxRequestBodyBytes = 1u << 20;

// Logs an exception that escaped a coroutine (none is expected: I/O uses as_tuple).
void LogCoroutineException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("exchange: coroutine failed: {}", ex.what());
  } catch (...) {
    spdlog::error("exchange: coroutine failed with an unknown exception");
  }
}

}  // namespace

/// A WebSocket connection's outbound side, as the server sees it (not templated).
class ConnectionBase : public internal::Outbound {
 public:
  std::size_t queued_bytes() const { return queued_bytes_; }
  std::size_t queued_frames() const { return queued_frames_; }
  /// Stop(): close the socket now.
  virtual void Abort() = 0;

 protected:
  std::size_t queued_bytes_ = 0;   // queued + in flight
  std::size_t queued_frames_ = 0;  // queued + in flight
};

struct ServerState {
  ExchangeOptions options;
  const core::Clock* clock = nullptr;
  internal::AtomicStats stats;
  std::unique_ptr<internal::Timeline> timeline;
  std::unique_ptr<internal::ExchangeCore> core;
  std::unique_ptr<internal::Authenticator> auth;
  std::unique_ptr<internal::RestApi> rest;
  std::string certificate_pem;
  uint16_t port = 0;
  std::string host_for_urls;

  asio::io_context ioc{1};
  std::optional<asio::ssl::context> ssl_ctx;
  tcp::acceptor acceptor{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::promise<void> thread_done;
  std::atomic<bool> stop_called{false};

  // ---- I/O-thread state ----
  bool stopping = false;
  bool replay_started = false;
  bool records_done = false;
  asio::steady_timer replay_timer{ioc};
  std::set<ConnectionBase*> connections;  // upgraded WebSocket connections
  net::SocketRegistry sockets;            // every socket (Stop aborts them)

  // ---- cross-thread ----
  std::mutex mu;
  std::condition_variable cv;

  bool Backpressured() const {
    for (const ConnectionBase* c : connections) {
      if (c->queued_bytes() > options.backpressure_bytes ||
          c->queued_frames() > options.backpressure_frames) {
        return true;
      }
    }
    return false;
  }

  void CheckReplayFinished() {
    if (!records_done || stats.replay_finished.load()) return;
    for (const ConnectionBase* c : connections) {
      if (c->queued_frames() > 0) return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      stats.replay_finished.store(true);
    }
    cv.notify_all();
  }

  void StartReplay();
  asio::awaitable<void> RunReplay();
  asio::awaitable<void> AcceptLoop();
  void Shutdown();
};

struct ExchangeServer::Impl : ServerState {};

namespace {

/// One upgraded WebSocket connection: a reader (commands) and a writer (outbound queue,
/// pings, faults, slow-subscriber close).
template <class Stream>
class WsConnection final : public ConnectionBase,
                           public std::enable_shared_from_this<WsConnection<Stream>> {
 public:
  WsConnection(ServerState& s, Stream&& stream) : s_(s), ws_(std::move(stream)), wake_(s.ioc) {}

  void Send(std::string frame) override { Enqueue(std::move(frame), SteadyClock::time_point()); }

  void SendDelayed(std::string frame, std::chrono::milliseconds delay) override {
    Enqueue(std::move(frame), SteadyClock::now() + delay);
  }

  void Enqueue(std::string frame, SteadyClock::time_point not_before) {
    if (closed_ || close_requested_) return;
    queued_bytes_ += frame.size();
    ++queued_frames_;
    queue_.push_back(Item{Item::kText, std::move(frame), not_before});
    if (s_.options.speed > 0 && queued_bytes_ > s_.options.max_queued_bytes) {
      // Too slow for a paced replay: drop what is queued and close with a close frame.
      close_requested_ = true;
      s_.stats.slow_subscriber_disconnects.fetch_add(1, std::memory_order_relaxed);
      for (const Item& item : queue_) {
        queued_bytes_ -= item.data.size();
        --queued_frames_;
      }
      queue_.clear();
    }
    wake_.cancel();
  }

  void DropConnection() override {
    if (closed_) return;
    queue_.push_back(Item{Item::kDrop, {}, SteadyClock::time_point()});
    wake_.cancel();
  }

  void Abort() override {
    closed_ = true;
    wake_.cancel();
    net::CloseLowestLayer(ws_);
  }

  asio::awaitable<void> Run(http::request<http::string_body> request) {
    auto self = this->shared_from_this();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = std::chrono::seconds(5);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, kServerName); }));
    ws_.read_message_max(kMaxCommandBytes);
    net::SocketRegistry::Entry live(s_.sockets, [this] { Abort(); });
    auto [accept_ec] = co_await ws_.async_accept(request, kUseTuple);
    if (accept_ec || s_.stopping) co_return;
    session_ = s_.core->AddSession(*this, std::string(request[kalshi::auth::kAccessKeyHeader]));
    s_.connections.insert(this);
    asio::co_spawn(s_.ioc, Writer(self), LogCoroutineException);
    beast::flat_buffer buffer;
    while (!closed_) {
      auto [ec, n] = co_await ws_.async_read(buffer, kUseTuple);
      if (ec) break;
      if (closed_) break;
      if (ws_.got_text()) {
        const auto data = buffer.cdata();
        session_->OnText(std::string_view(static_cast<const char*>(data.data()), data.size()));
      } else {
        session_->OnBinary();
      }
      buffer.consume(buffer.size());
    }
    closed_ = true;
    wake_.cancel();
    s_.core->RemoveSession(session_);
    session_ = nullptr;
    s_.connections.erase(this);
    s_.CheckReplayFinished();
  }

 private:
  struct Item {
    enum Kind { kText, kDrop } kind;
    std::string data;
    SteadyClock::time_point not_before;  // FaultOptions::private_delay; epoch = at once
  };

  // `self` keeps the connection alive while the writer runs.
  asio::awaitable<void> Writer([[maybe_unused]] std::shared_ptr<WsConnection> self) {
    auto next_ping = SteadyClock::now() + s_.options.ping_interval;
    while (!closed_) {
      if (close_requested_) {
        (void)co_await ws_.async_close(
            websocket::close_reason(websocket::close_code::policy_error, "subscriber too slow"),
            kUseTuple);
        closed_ = true;
        net::CloseLowestLayer(ws_);
        break;
      }
      if (SteadyClock::now() >= next_ping) {
        next_ping = SteadyClock::now() + s_.options.ping_interval;
        auto [ec] = co_await ws_.async_ping(websocket::ping_data("heartbeat"), kUseTuple);
        if (ec) break;
        s_.stats.pings_sent.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (queue_.empty() || queue_.front().not_before > SteadyClock::now()) {
        wake_.expires_at(queue_.empty() ? next_ping
                                        : std::min(next_ping, queue_.front().not_before));
        co_await wake_.async_wait(kUseTuple);
        continue;
      }
      Item item = std::move(queue_.front());
      queue_.pop_front();
      if (item.kind == Item::kDrop) {
        // Fault: abrupt TCP close (no close frame, no TLS close_notify).
        closed_ = true;
        net::CloseLowestLayer(ws_);
        break;
      }
      ws_.text(true);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(item.data), kUseTuple);
      queued_bytes_ -= item.data.size();
      --queued_frames_;
      if (ec) break;
      if (queued_frames_ == 0) s_.CheckReplayFinished();
    }
    closed_ = true;
    for (const Item& item : queue_) {
      queued_bytes_ -= item.data.size();
      if (item.kind == Item::kText) --queued_frames_;
    }
    queue_.clear();
    queued_bytes_ = 0;
    queued_frames_ = 0;
    net::CloseLowestLayer(ws_);
    s_.CheckReplayFinished();
  }

  ServerState& s_;
  websocket::stream<Stream> ws_;
  asio::steady_timer wake_;
  std::deque<Item> queue_;
  internal::ClientSession* session_ = nullptr;
  bool closed_ = false;
  bool close_requested_ = false;
};

template <class Body>
http::response<http::string_body> MakeResponse(const http::request<Body>& req, int status,
                                               std::string body, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, kServerName);
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

/// HTTP/1.1 with keep-alive on one stream; hands over to WsConnection on an upgrade.
template <class Stream>
asio::awaitable<void> ServeHttp(ServerState& s, Stream stream) {
  beast::flat_buffer buffer;
  net::SocketRegistry::Entry live(s.sockets, [&stream] { net::CloseLowestLayer(stream); });
  while (!s.stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBodyBytes);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) break;
    http::request<http::string_body> req = parser.release();
    s.stats.http_requests.fetch_add(1, std::memory_order_relaxed);
    const std::string target(req.target());
    const std::string_view path = std::string_view(target).substr(0, target.find('?'));
    const bool upgrade = websocket::is_upgrade(req);
    if (upgrade || path == internal::kWebSocketPath) {
      int status = 0;
      std::string body;
      if (path != internal::kWebSocketPath) {
        status = 404;
        body = internal::ErrorBody("not_found", "not found", path);
      } else {
        core::Status auth = s.auth->Check(
            std::string_view(req.method_string()), path, req[kalshi::auth::kAccessKeyHeader],
            req[kalshi::auth::kAccessTimestampHeader], req[kalshi::auth::kAccessSignatureHeader]);
        if (!auth.ok()) {
          s.stats.auth_failures.fetch_add(1, std::memory_order_relaxed);
          status = 401;
          body =
              internal::ErrorBody("authentication_error", "authentication_error", auth.message());
        } else if (!upgrade) {
          status = 400;
          body = internal::ErrorBody("bad_request", "bad request", "expected a WebSocket upgrade");
        }
      }
      if (status != 0) {
        auto res = MakeResponse(req, status, std::move(body), false);
        co_await http::async_write(stream, res, kUseTuple);
        break;
      }
      beast::get_lowest_layer(stream).expires_never();
      live.Release();
      auto conn = std::make_shared<WsConnection<Stream>>(s, std::move(stream));
      co_await conn->Run(std::move(req));
      co_return;
    }
    internal::RestRequest rest_req;
    rest_req.method = std::string_view(req.method_string());
    rest_req.target = target;
    rest_req.body = req.body();
    rest_req.header = [&req](std::string_view name) -> std::string_view { return req[name]; };
    internal::RestResponse out = s.rest->Handle(rest_req);
    const bool keep_alive = req.keep_alive() && !s.stopping;
    auto res = MakeResponse(req, out.status, std::move(out.body), keep_alive);
    auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
    if (wec || !keep_alive) break;
  }
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kUseTuple);
  }
  net::CloseLowestLayer(stream);
}

asio::awaitable<void> ServeTls(ServerState& s, tcp::socket socket) {
  TlsStream stream(std::move(socket), *s.ssl_ctx);
  {
    net::SocketRegistry::Entry live(s.sockets, [&stream] { net::CloseLowestLayer(stream); });
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
    if (ec || s.stopping) {
      net::CloseLowestLayer(stream);
      co_return;
    }
  }
  co_await ServeHttp(s, std::move(stream));
}

}  // namespace

asio::awaitable<void> ServerState::AcceptLoop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (ssl_ctx) {
      asio::co_spawn(ioc, ServeTls(*this, std::move(socket)), LogCoroutineException);
    } else {
      asio::co_spawn(ioc, ServeHttp(*this, beast::tcp_stream(std::move(socket))),
                     LogCoroutineException);
    }
  }
}

void ServerState::StartReplay() {
  if (replay_started || stopping) return;
  replay_started = true;
  asio::co_spawn(ioc, RunReplay(), LogCoroutineException);
}

asio::awaitable<void> ServerState::RunReplay() {
  const auto wall_start = SteadyClock::now();
  std::optional<core::Timestamp> first_ts;
  if (timeline) first_ts = timeline->first_ts();
  internal::TimelineRecord rec;
  uint64_t since_yield = 0;
  while (timeline && !stopping) {
    auto more = timeline->Next(&rec);
    if (!more.ok()) {
      spdlog::error("exchange: replay stopped: {}", more.error().ToString());
      break;
    }
    if (!*more) break;
    if (options.speed > 0) {
      const double offset_ns =
          static_cast<double>(rec.local_ts.nanos() - first_ts.value_or(rec.local_ts).nanos()) /
          options.speed;
      const auto due = wall_start + std::chrono::nanoseconds(static_cast<int64_t>(offset_ns));
      if (due > SteadyClock::now()) {
        replay_timer.expires_at(due);
        co_await replay_timer.async_wait(kUseTuple);
        since_yield = 0;
        if (stopping) co_return;
      }
    } else {
      // Max speed: paced by the slowest subscriber's queue.
      while (Backpressured() && !stopping) {
        replay_timer.expires_after(std::chrono::milliseconds(1));
        co_await replay_timer.async_wait(kUseTuple);
        since_yield = 0;
      }
      if (stopping) co_return;
    }
    if (++since_yield >= 64) {
      since_yield = 0;
      co_await asio::post(ioc, asio::use_awaitable);  // let the sockets run
      if (stopping) co_return;
    }
    if (core->ApplyRecord(rec.frame, rec.use_yes_price, rec.local_ts)) {
      stats.replay_records_done.fetch_add(1, std::memory_order_relaxed);
    }
  }
  records_done = true;
  CheckReplayFinished();
}

void ServerState::Shutdown() {
  stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  replay_timer.cancel();
  sockets.AbortAll();
  for (ConnectionBase* c : std::set<ConnectionBase*>(connections)) c->Abort();
}

// ---------------------------------------------------------------------------------------------

core::Result<std::unique_ptr<ExchangeServer>> ExchangeServer::Start(ExchangeOptions options) {
  if (!(options.speed >= 0) || !std::isfinite(options.speed)) {
    return core::InvalidArgumentError("speed must be a finite number >= 0 (0 = max)");
  }
  if (options.ping_interval.count() <= 0) {
    return core::InvalidArgumentError("ping_interval must be > 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->clock = options.clock != nullptr ? options.clock : &core::RealClock::Instance();

  internal::CoreOptions core_options;
  core_options.faults = options.faults;
  if (options.trading_sim.latency_ns != 0 || !options.trading_sim.initial_cash.IsZero()) {
    return core::InvalidArgumentError(
        "trading_sim: latency_ns and initial_cash must be 0 (the venue acts on the book as it "
        "is; an account's money is its key's starting balance)");
  }
  core_options.trading_sim = options.trading_sim;
  for (const ApiKey& key : options.api_keys) {
    if (key.starting_balance_cents < 0) {
      return core::InvalidArgumentError(
          fmt::format("api key {}: starting_balance_cents must be >= 0, got {}", key.key_id,
                      key.starting_balance_cents));
    }
    core_options.accounts.emplace_back(key.key_id,
                                       core::Money::FromCents(key.starting_balance_cents));
  }
  if (!options.recordings.empty()) {
    KF_ASSIGN_OR_RETURN(impl->timeline, internal::Timeline::Open(options.recordings));
    impl->stats.replay_records_total.store(impl->timeline->market_records());
    core_options.markets = impl->timeline->markets();
  }
  impl->core = std::make_unique<internal::ExchangeCore>(std::move(core_options), impl->stats);
  KF_ASSIGN_OR_RETURN(impl->auth, internal::Authenticator::Create(
                                      options.api_keys, options.max_timestamp_skew, *impl->clock));
  impl->rest = std::make_unique<internal::RestApi>(impl->core->markets(), *impl->auth, impl->stats);
  internal::AddTradingRoutes(*impl->rest, impl->core->trading());
  if (!options.rate_tier.empty()) {
    KF_ASSIGN_OR_RETURN(const net::RateBudget budget, net::RateBudgetForTier(options.rate_tier));
    impl->rest->SetRateLimits(options.rate_tier, budget);
  }

  try {
    if (options.tls) {
      std::string cert = options.certificate_pem;
      std::string key = options.private_key_pem;
      if (cert.empty() != key.empty()) {
        return core::InvalidArgumentError(
            "give both certificate_pem and private_key_pem, or neither");
      }
      if (cert.empty()) {
        KF_ASSIGN_OR_RETURN(auto generated, net::GenerateSelfSignedCertificate());
        cert = std::move(generated.certificate_pem);
        key = std::move(generated.private_key_pem);
      }
      impl->ssl_ctx.emplace(asio::ssl::context::tls_server);
      impl->ssl_ctx->set_options(asio::ssl::context::default_workarounds |
                                 asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                                 asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      beast::error_code ec;
      impl->ssl_ctx->use_certificate_chain(asio::buffer(cert), ec);
      if (ec) return core::InvalidArgumentError("TLS certificate: " + ec.message());
      impl->ssl_ctx->use_private_key(asio::buffer(key), asio::ssl::context::pem, ec);
      if (ec) return core::InvalidArgumentError("TLS private key: " + ec.message());
      impl->certificate_pem = std::move(cert);
    }

    beast::error_code ec;
    tcp::endpoint endpoint;
    auto address = asio::ip::make_address(options.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(address, options.port);
    } else {
      tcp::resolver resolver(impl->ioc);
      auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
      if (ec || results.empty()) {
        return core::UnavailableError("cannot resolve host " + options.host + ": " + ec.message());
      }
      endpoint = results.begin()->endpoint();
    }
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(endpoint, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return core::UnavailableError("cannot listen on " + options.host + ":" +
                                    std::to_string(options.port) + ": " + ec.message());
    }
    impl->port = impl->acceptor.local_endpoint().port();
    const std::string addr = impl->acceptor.local_endpoint().address().to_string();
    impl->host_for_urls =
        impl->acceptor.local_endpoint().address().is_v6() ? "[" + addr + "]" : addr;
  } catch (const std::exception& e) {
    return core::InternalError(std::string("exchange server setup failed: ") + e.what());
  }

  impl->options = std::move(options);
  Impl* raw = impl.get();
  impl->core->on_first_orderbook_subscription = [raw] {
    if (raw->options.start == ReplayStart::kOnFirstSubscription) raw->StartReplay();
  };
  impl->work.emplace(impl->ioc.get_executor());
  asio::co_spawn(impl->ioc, raw->AcceptLoop(), LogCoroutineException);
  if (impl->options.start == ReplayStart::kImmediately) {
    asio::post(impl->ioc, [raw] { raw->StartReplay(); });
  }
  impl->thread = std::thread([raw] {
    try {
      raw->ioc.run();
    } catch (const std::exception& e) {
      spdlog::error("exchange: I/O thread failed: {}", e.what());
    }
    raw->thread_done.set_value();
  });
  return std::unique_ptr<ExchangeServer>(new ExchangeServer(std::move(impl)));
}

ExchangeServer::ExchangeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ExchangeServer::~ExchangeServer() { Stop(); }

uint16_t ExchangeServer::port() const { return impl_->port; }

std::string ExchangeServer::ws_url() const {
  return std::string(impl_->ssl_ctx ? "wss://" : "ws://") + impl_->host_for_urls + ":" +
         std::to_string(impl_->port) + std::string(internal::kWebSocketPath);
}

std::string ExchangeServer::rest_url() const {
  return std::string(impl_->ssl_ctx ? "https://" : "http://") + impl_->host_for_urls + ":" +
         std::to_string(impl_->port) + std::string(internal::kRestPrefix);
}

const std::string& ExchangeServer::certificate_pem() const { return impl_->certificate_pem; }

bool ExchangeServer::WaitReplayFinished(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->stats.replay_finished.load(); });
}

ExchangeStats ExchangeServer::Stats() const { return impl_->stats.Snapshot(); }

core::Result<std::vector<std::string>> ExchangeServer::SettleDecidedMarkets(core::Price decisive) {
  if (impl_->stop_called.load()) return core::UnavailableError("the exchange has stopped");
  auto done = std::make_shared<std::promise<std::vector<std::string>>>();
  auto result = done->get_future();
  Impl* raw = impl_.get();
  asio::post(raw->ioc, [raw, decisive, done] {
    done->set_value(raw->core->trading().SettleDecidedMarkets(decisive));
  });
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return core::UnavailableError("the exchange's I/O thread did not answer within 10 s");
  }
  return result.get();
}

core::Status ExchangeServer::Settle(std::string_view ticker, bool yes_won) {
  if (impl_->stop_called.load()) return core::UnavailableError("the exchange has stopped");
  auto done = std::make_shared<std::promise<core::Status>>();
  auto result = done->get_future();
  Impl* raw = impl_.get();
  asio::post(raw->ioc, [raw, t = std::string(ticker), yes_won, done] {
    done->set_value(raw->core->trading().Settle(t, yes_won));
  });
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return core::UnavailableError("the exchange's I/O thread did not answer within 10 s");
  }
  return result.get();
}

void ExchangeServer::Stop() {
  if (impl_->stop_called.exchange(true)) return;
  Impl* raw = impl_.get();
  asio::post(raw->ioc, [raw] { raw->Shutdown(); });
  raw->work.reset();
  auto done = raw->thread_done.get_future();
  if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    spdlog::warn("exchange: connections did not close within 5 s; stopping the I/O loop");
    raw->ioc.stop();
  }
  if (raw->thread.joinable()) raw->thread.join();
}

}  // namespace kalshiflow::exchange
