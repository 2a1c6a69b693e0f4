#include "net/tests/loopback_server.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <mutex>
#include <thread>
#include <type_traits>

#include "core/check.h"

namespace kalshiflow::net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <typename T>
const T& Pick(const std::vector<T>& scripts, std::size_t index) {
  KF_CHECK(!scripts.empty(), "loopback server: empty script list");
  return scripts[std::min(index, scripts.size() - 1)];
}
}  // namespace

struct LoopbackServer::State {
  explicit State(LoopbackServerOptions opts)
      : options(std::move(opts)), ssl_context(ssl::context::tls_server), acceptor(ioc) {}
  // Member order: ssl_context outlives ioc, whose destructor destroys the connections.

  RecordedRequest Record(const http::request<http::string_body>& request, int connection) {
    RecordedRequest out;
    out.method = std::string(request.method_string());
    out.target = std::string(request.target());
    for (const auto& field : request) {
      out.headers[Lower(field.name_string())] = std::string(field.value());
    }
    out.body = request.body();
    out.connection = connection;
    return out;
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kAwait);
      if (ec) co_return;
      int index = 0;
      {
        std::lock_guard lock(mutex);
        index = connections++;
      }
      beast::tcp_stream stream(std::move(socket));
      if (options.tls) {
        asio::co_spawn(
            ioc, Serve(beast::ssl_stream<beast::tcp_stream>(std::move(stream), ssl_context), index),
            asio::detached);
      } else {
        asio::co_spawn(ioc, Serve(std::move(stream), index), asio::detached);
      }
    }
  }

  template <typename Stream>
  asio::awaitable<void> Serve(Stream stream, int connection) {
    constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
    if constexpr (kTls) {
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kAwait);
      if (ec) co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      auto [read_ec, bytes] = co_await http::async_read(stream, buffer, request, kAwait);
      (void)bytes;
      if (read_ec) co_return;
      if (websocket::is_upgrade(request)) {
        std::size_t index = 0;
        {
          std::lock_guard lock(mutex);
          index = upgrades.size();
          upgrades.push_back(Record(request, connection));
        }
        const WsScript script = Pick(options.ws_scripts, index);
        if (script.reject_status != 0) {
          http::response<http::string_body> response(
              static_cast<http::status>(script.reject_status), request.version());
          response.set(http::field::content_type, "application/json");
          response.body() = script.reject_body;
          response.keep_alive(false);
          response.prepare_payload();
          co_await http::async_write(stream, response, kAwait);
          co_return;
        }
        co_await ServeWebSocket(websocket::stream<Stream>(std::move(stream)), std::move(request),
                                script);
        co_return;
      }
      std::size_t index = 0;
      {
        std::lock_guard lock(mutex);
        index = requests.size();
        requests.push_back(Record(request, connection));
      }
      const HttpScript script = Pick(options.http_scripts, index);
      if (script.delay.count() > 0) {
        asio::steady_timer timer(ioc);
        timer.expires_after(script.delay);
        co_await timer.async_wait(kAwait);
      }
      http::response<http::string_body> response(static_cast<http::status>(script.status),
                                                 request.version());
      response.set(http::field::content_type, "application/json");
      response.body() = script.body;
      response.keep_alive(!script.close && request.keep_alive());
      response.prepare_payload();
      auto [write_ec, written] = co_await http::async_write(stream, response, kAwait);
      (void)written;
      if (write_ec || !response.keep_alive() || script.drop_after) {
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
    }
  }

  template <typename Ws>
  asio::awaitable<void> ServeWebSocket(Ws ws, http::request<http::string_body> request,
                                       WsScript script) {
    ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
      std::lock_guard lock(mutex);
      if (kind == websocket::frame_type::ping) ++pings;
      if (kind == websocket::frame_type::pong) ++pongs;
    });
    auto [accept_ec] = co_await ws.async_accept(request, kAwait);
    if (accept_ec) co_return;
    for (const std::string& text : script.send_on_connect) {
      ws.text(true);
      auto [ec, n] = co_await ws.async_write(asio::buffer(text), kAwait);
      (void)n;
      if (ec) co_return;
    }
    if (script.ping_on_connect) {
      auto [ec] = co_await ws.async_ping(websocket::ping_data("heartbeat"), kAwait);
      if (ec) co_return;
    }
    if (script.silent) {
      asio::steady_timer timer(ioc);
      timer.expires_after(std::chrono::hours(1));
      co_await timer.async_wait(kAwait);
      co_return;
    }
    if (script.close_after_messages) {
      auto [ec] = co_await ws.async_close(websocket::close_code::going_away, kAwait);
      if (ec) co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws.async_read(buffer, kAwait);
      (void)n;
      if (ec) {
        if (ec == websocket::error::closed && !script.close_after_messages) {
          std::lock_guard lock(mutex);
          close_codes.push_back(static_cast<int>(ws.reason().code));
        }
        co_return;
      }
      std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      {
        std::lock_guard lock(mutex);
        messages.push_back(text);
      }
      if (script.echo) {
        ws.text(true);
        auto [write_ec, written] = co_await ws.async_write(asio::buffer(text), kAwait);
        (void)written;
        if (write_ec) co_return;
      }
    }
  }

  LoopbackServerOptions options;
  ssl::context ssl_context;
  asio::io_context ioc{1};
  tcp::acceptor acceptor;
  uint16_t port = 0;
  std::thread thread;

  mutable std::mutex mutex;
  int connections = 0;
  std::vector<RecordedRequest> upgrades;
  std::vector<RecordedRequest> requests;
  std::vector<std::string> messages;
  int pings = 0;
  int pongs = 0;
  std::vector<int> close_codes;
};

LoopbackServer::LoopbackServer(LoopbackServerOptions options)
    : state_(std::make_shared<State>(std::move(options))) {
  State& s = *state_;
  if (s.options.tls) {
    s.ssl_context.use_certificate_chain(asio::buffer(s.options.certificate.certificate_pem));
    s.ssl_context.use_private_key(asio::buffer(s.options.certificate.private_key_pem),
                                  ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(endpoint.protocol());
  s.acceptor.set_option(asio::socket_base::reuse_address(true));
  s.acceptor.bind(endpoint);
  s.acceptor.listen();
  s.port = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.ioc, s.Accept(), asio::detached);
  s.thread = std::thread([state = state_.get()] { state->ioc.run(); });
}

LoopbackServer::~LoopbackServer() {
  state_->ioc.stop();
  state_->thread.join();
}

uint16_t LoopbackServer::port() const { return state_->port; }

int LoopbackServer::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}
std::vector<RecordedRequest> LoopbackServer::upgrade_requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->upgrades;
}
std::vector<RecordedRequest> LoopbackServer::http_requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}
std::vector<std::string> LoopbackServer::messages_received() const {
  std::lock_guard lock(state_->mutex);
  return state_->messages;
}
int LoopbackServer::pings_received() const {
  std::lock_guard lock(state_->mutex);
  return state_->pings;
}
int LoopbackServer::pongs_received() const {
  std::lock_guard lock(state_->mutex);
  return state_->pongs;
}
std::vector<int> LoopbackServer::close_codes_received() const {
  std::lock_guard lock(state_->mutex);
  return state_->close_codes;
}

}  // namespace kalshiflow::net::testing
