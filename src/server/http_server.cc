// HttpServer: the socket layer (Boost.Beast / Asio coroutines, plain TCP). The only file of the
// module that includes Beast or Asio (heavy to compile); routes and JSON live in rl_api.cc.
#include "server/http_server.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "core/check.h"
#include "net/socket_registry.h"
#include "net/url.h"

namespace kalshiflow::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kServerName = "kalshiflow";
constexpr std::size_t kMaxWsCommandBytes = 64 * 1024;

void LogCoroutineException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("api server: coroutine failed: {}", ex.what());
  } catch (...) {
    spdlog::error("api server: coroutine failed with an unknown exception");
  }
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t j = path.find('/', i);
    const std::size_t end = j == std::string_view::npos ? path.size() : j;
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

bool IsLoopback(const std::string& address) {
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(address, ec);
  if (ec) return address == "localhost";
  return a.is_loopback();
}

std::string_view ContentTypeOf(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

// Topics from "a,b,c" (empty entries ignored).
std::set<std::string, std::less<>> ParseTopics(std::string_view list) {
  std::set<std::string, std::less<>> out;
  std::size_t i = 0;
  while (i <= list.size()) {
    const std::size_t j = std::min(list.find(',', i), list.size());
    if (j > i) out.emplace(list.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string HttpRequest::QueryParam(std::string_view name) const {
  std::string_view q = query;
  std::size_t i = 0;
  while (i <= q.size()) {
    const std::size_t j = std::min(q.find('&', i), q.size());
    const std::string_view pair = q.substr(i, j - i);
    const std::size_t eq = pair.find('=');
    const std::string key = net::PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    if (key == name) {
      return eq == std::string_view::npos ? std::string()
                                          : net::PercentDecode(pair.substr(eq + 1), true);
    }
    i = j + 1;
  }
  return {};
}

HttpResponse JsonError(int status, std::string_view code, std::string_view message) {
  nlohmann::json j;
  j["error"] = {{"code", std::string(code)}, {"message", std::string(message)}};
  HttpResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

class WsClient;

struct HttpServer::Impl {
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
    bool control = false;
  };

  HttpServerOptions options;
  std::vector<Route> routes;
  uint16_t port = 0;
  std::string host_for_urls;

  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::promise<void> thread_done;
  std::atomic<bool> started{false};
  std::atomic<bool> stop_called{false};

  std::atomic<uint64_t> connections{0}, requests{0}, not_found{0}, unauthorized{0};
  std::atomic<uint64_t> ws_clients{0}, ws_sent{0}, ws_dropped{0};

  // I/O thread only.
  bool stopping = false;
  std::set<WsClient*> clients;
  net::SocketRegistry sockets;  // every socket (Stop aborts them)

  bool Authorized(std::string_view authorization) const {
    if (options.bearer_token.empty()) return true;
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.substr(0, kBearer.size()) != kBearer) return false;
    const std::string_view token = authorization.substr(kBearer.size());
    if (token.size() != options.bearer_token.size()) return false;
    return CRYPTO_memcmp(token.data(), options.bearer_token.data(), token.size()) == 0;
  }

  HttpResponse Dispatch(HttpRequest& req, std::string_view authorization);
  std::optional<HttpResponse> StaticFile(const HttpRequest& req) const;
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> ServeHttp(tcp::socket socket);
  void Shutdown();
};

namespace {}  // namespace

/// One /rl/ws client: a reader (subscribe commands) and a writer (its bounded queue).
class WsClient final : public std::enable_shared_from_this<WsClient> {
 public:
  WsClient(HttpServer::Impl& s, beast::tcp_stream&& stream,
           std::set<std::string, std::less<>> topics)
      : s_(s), ws_(std::move(stream)), wake_(s.ioc), topics_(std::move(topics)) {}

  // I/O thread.
  void Offer(std::string_view type, const std::shared_ptr<const std::string>& json) {
    if (closed_) return;
    if (!topics_.empty() && topics_.find(type) == topics_.end()) return;
    if (queue_.size() >= s_.options.ws_max_queued_messages) {
      ++dropped_pending_;
      s_.ws_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(json);
    wake_.cancel();
  }

  void Abort() {
    closed_ = true;
    wake_.cancel();
    net::CloseLowestLayer(ws_);
  }

  asio::awaitable<void> Run(http::request<http::string_body> request) {
    auto self = shared_from_this();
    // A quiet browser answers pings by itself; a peer that does not for 60 s is dropped.
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, kServerName); }));
    ws_.read_message_max(kMaxWsCommandBytes);
    net::SocketRegistry::Entry live(s_.sockets, [this] { Abort(); });
    auto [accept_ec] = co_await ws_.async_accept(request, kUseTuple);
    if (accept_ec || s_.stopping) co_return;
    s_.clients.insert(this);
    s_.ws_clients.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(s_.ioc, Writer(self), LogCoroutineException);
    beast::flat_buffer buffer;
    while (!closed_) {
      auto [ec, n] = co_await ws_.async_read(buffer, kUseTuple);
      if (ec || closed_) break;
      const auto data = buffer.cdata();
      OnCommand(std::string_view(static_cast<const char*>(data.data()), data.size()));
      buffer.consume(buffer.size());
    }
    closed_ = true;
    wake_.cancel();
    s_.clients.erase(this);
    s_.ws_clients.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  // {"type":"subscribe","topics":[...]}: replaces the filter. Anything else: an error message.
  void OnCommand(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    std::string error;
    if (j.is_discarded() || !j.is_object()) {
      error = "a command must be a JSON object";
    } else if (!j.contains("type") || j["type"] != "subscribe") {
      error = "unknown command type (expected \"subscribe\")";
    } else if (!j.contains("topics") || !j["topics"].is_array()) {
      error = "subscribe needs \"topics\": an array of message types";
    } else {
      std::set<std::string, std::less<>> topics;
      for (const auto& t : j["topics"]) {
        if (!t.is_string()) {
          error = "topics must be strings";
          break;
        }
        topics.insert(t.get<std::string>());
      }
      if (error.empty()) {
        topics_ = std::move(topics);
        nlohmann::json ack = {{"type", "subscribed"}, {"topics", topics_}};
        Push(std::make_shared<const std::string>(ack.dump()));
        return;
      }
    }
    nlohmann::json e = {{"type", "error"}, {"code", "bad_command"}, {"message", error}};
    Push(std::make_shared<const std::string>(e.dump()));
  }

  // Replies to this client bypass the filter (but not the bound).
  void Push(std::shared_ptr<const std::string> json) {
    if (closed_ || queue_.size() >= s_.options.ws_max_queued_messages) return;
    queue_.push_back(std::move(json));
    wake_.cancel();
  }

  asio::awaitable<void> Writer([[maybe_unused]] std::shared_ptr<WsClient> self) {
    while (!closed_) {
      if (queue_.empty()) {
        if (dropped_pending_ > 0) {
          nlohmann::json e = {{"type", "error"},
                              {"code", "messages_dropped"},
                              {"dropped", dropped_pending_},
                              {"message", "this client was too slow; messages were dropped"}};
          dropped_pending_ = 0;
          queue_.push_back(std::make_shared<const std::string>(e.dump()));
          continue;
        }
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(kUseTuple);
        continue;
      }
      std::shared_ptr<const std::string> item = std::move(queue_.front());
      queue_.pop_front();
      ws_.text(true);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(*item), kUseTuple);
      if (ec) break;
      s_.ws_sent.fetch_add(1, std::memory_order_relaxed);
    }
    closed_ = true;
    queue_.clear();
    net::CloseLowestLayer(ws_);
  }

  HttpServer::Impl& s_;
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_;
  std::set<std::string, std::less<>> topics_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  uint64_t dropped_pending_ = 0;
  bool closed_ = false;
};

HttpResponse HttpServer::Impl::Dispatch(HttpRequest& req, std::string_view authorization) {
  const auto segments = Segments(req.path);
  bool path_matched = false;
  for (const Route& route : routes) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> args;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& p = route.segments[i];
      if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
        args.push_back(net::PercentDecode(segments[i], /*plus_is_space=*/false));
      } else {
        match = p == segments[i];
      }
    }
    if (!match) continue;
    path_matched = true;
    if (route.method != req.method) continue;
    if (route.control && !Authorized(authorization)) {
      unauthorized.fetch_add(1, std::memory_order_relaxed);
      return JsonError(401, "unauthorized",
                       "this control endpoint needs 'Authorization: Bearer <token>' (the API "
                       "token the server was started with)");
    }
    req.args = std::move(args);
    try {
      return route.handler(req);
    } catch (const std::exception& e) {
      spdlog::error("api server: {} {} failed: {}", req.method, req.path, e.what());
      return JsonError(500, "internal", e.what());
    }
  }
  if (path_matched) {
    return JsonError(405, "method_not_allowed",
                     fmt::format("{} is not allowed on {}", req.method, req.path));
  }
  if (req.method == "GET") {
    if (auto file = StaticFile(req)) return std::move(*file);
  }
  not_found.fetch_add(1, std::memory_order_relaxed);
  return JsonError(404, "not_found", fmt::format("no route for {} {}", req.method, req.path));
}

std::optional<HttpResponse> HttpServer::Impl::StaticFile(const HttpRequest& req) const {
  if (options.static_dir.empty()) return std::nullopt;
  std::string rel = req.path == "/" ? std::string("index.html")
                                    : net::PercentDecode(req.path, /*plus_is_space=*/false);
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  for (std::string_view seg : Segments(rel)) {
    if (seg == ".." || seg == ".") return std::nullopt;  // never leave the directory
  }
  const fs::path file = fs::path(options.static_dir) / rel;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream data;
  data << in.rdbuf();
  HttpResponse r;
  r.content_type = std::string(ContentTypeOf(file));
  r.body = std::move(data).str();
  return r;
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    connections.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(ioc, ServeHttp(std::move(socket)), LogCoroutineException);
  }
}

asio::awaitable<void> HttpServer::Impl::ServeHttp(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  net::SocketRegistry::Entry live(sockets, [&stream] { net::CloseLowestLayer(stream); });
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_request_body_bytes);
    stream.expires_after(std::chrono::seconds(120));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) {
      if (ec == http::error::body_limit) {
        http::response<http::string_body> res{http::status::payload_too_large, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = JsonError(413, "payload_too_large", "request body too large").body;
        res.prepare_payload();
        res.keep_alive(false);
        co_await http::async_write(stream, res, kUseTuple);
      }
      break;
    }
    http::request<http::string_body> req = parser.release();
    requests.fetch_add(1, std::memory_order_relaxed);
    const std::string target(req.target());
    const std::size_t q = target.find('?');
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? std::string() : target.substr(q + 1);
    if (websocket::is_upgrade(req) && r.path == options.ws_path) {
      stream.expires_never();
      live.Release();
      auto client =
          std::make_shared<WsClient>(*this, std::move(stream), ParseTopics(r.QueryParam("topics")));
      co_await client->Run(std::move(req));
      co_return;
    }
    r.body = std::move(req.body());
    HttpResponse out = Dispatch(r, req[http::field::authorization]);
    const bool keep_alive = req.keep_alive() && !stopping;
    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::server, kServerName);
    res.set(http::field::content_type, out.content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = std::move(out.body);
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
    if (wec || !keep_alive) break;
  }
  net::CloseLowestLayer(stream);
}

void HttpServer::Impl::Shutdown() {
  stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  sockets.AbortAll();
  for (WsClient* c : std::set<WsClient*>(clients)) c->Abort();
}

// ---------------------------------------------------------------------------------------------

core::Result<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options) {
  if (options.ws_max_queued_messages == 0) {
    return core::InvalidArgumentError("ws_max_queued_messages must be >= 1");
  }
  if (!IsLoopback(options.bind_address) && options.bearer_token.empty()) {
    return core::InvalidArgumentError(fmt::format(
        "the API binds {} (beyond loopback): give it a bearer token (--api-token-file or "
        "KALSHIFLOW_API_TOKEN) so control endpoints are not open to the network",
        options.bind_address));
  }
  if (!options.static_dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(options.static_dir, ec)) {
      return core::InvalidArgumentError("static_dir is not a directory: " + options.static_dir);
    }
  }
  auto impl = std::make_unique<Impl>();
  try {
    beast::error_code ec;
    tcp::endpoint endpoint;
    auto address = asio::ip::make_address(options.bind_address, ec);
    if (!ec) {
      endpoint = tcp::endpoint(address, options.port);
    } else {
      tcp::resolver resolver(impl->ioc);
      auto results = resolver.resolve(options.bind_address, std::to_string(options.port), ec);
      if (ec || results.empty()) {
        return core::UnavailableError("cannot resolve " + options.bind_address + ": " +
                                      ec.message());
      }
      endpoint = results.begin()->endpoint();
    }
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(endpoint, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return core::UnavailableError(fmt::format("cannot listen on {}:{}: {}", options.bind_address,
                                                options.port, ec.message()));
    }
    impl->port = impl->acceptor.local_endpoint().port();
    const std::string addr = impl->acceptor.local_endpoint().address().to_string();
    impl->host_for_urls =
        impl->acceptor.local_endpoint().address().is_v6() ? "[" + addr + "]" : addr;
  } catch (const std::exception& e) {
    return core::InternalError(std::string("api server setup failed: ") + e.what());
  }
  impl->options = std::move(options);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string method, std::string pattern, HttpHandler handler,
                        bool control) {
  KF_CHECK(!impl_->started.load(), "HttpServer::Handle after Start ({} {})", method, pattern);
  Impl::Route route;
  route.method = std::move(method);
  for (std::string_view s : Segments(pattern)) route.segments.emplace_back(s);
  route.handler = std::move(handler);
  route.control = control;
  impl_->routes.push_back(std::move(route));
}

void HttpServer::Start() {
  if (impl_->started.exchange(true)) return;
  Impl* raw = impl_.get();
  raw->work.emplace(raw->ioc.get_executor());
  asio::co_spawn(raw->ioc, raw->AcceptLoop(), LogCoroutineException);
  raw->thread = std::thread([raw] {
    try {
      raw->ioc.run();
    } catch (const std::exception& e) {
      spdlog::error("api server: I/O thread failed: {}", e.what());
    }
    raw->thread_done.set_value();
  });
}

void HttpServer::Stop() {
  if (!impl_->started.load() || impl_->stop_called.exchange(true)) return;
  Impl* raw = impl_.get();
  asio::post(raw->ioc, [raw] { raw->Shutdown(); });
  raw->work.reset();
  auto done = raw->thread_done.get_future();
  if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    spdlog::warn("api server: connections did not close within 5 s; stopping the I/O loop");
    raw->ioc.stop();
  }
  if (raw->thread.joinable()) raw->thread.join();
}

void HttpServer::Broadcast(std::string_view type, std::string json) {
  if (!impl_->started.load() || impl_->stop_called.load()) return;
  if (impl_->ws_clients.load(std::memory_order_relaxed) == 0) return;
  Impl* raw = impl_.get();
  auto message = std::make_shared<const std::string>(std::move(json));
  asio::post(raw->ioc, [raw, type = std::string(type), message] {
    for (WsClient* c : raw->clients) c->Offer(type, message);
  });
}

bool HttpServer::HasSubscribers() const {
  return impl_->ws_clients.load(std::memory_order_relaxed) > 0;
}

uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
  return fmt::format("http://{}:{}", impl_->host_for_urls, impl_->port);
}

HttpServerStats HttpServer::Stats() const {
  HttpServerStats s;
  s.connections = impl_->connections.load();
  s.requests = impl_->requests.load();
  s.not_found = impl_->not_found.load();
  s.unauthorized = impl_->unauthorized.load();
  s.ws_clients = impl_->ws_clients.load();
  s.ws_messages_sent = impl_->ws_sent.load();
  s.ws_messages_dropped = impl_->ws_dropped.load();
  return s;
}

}  // namespace kalshiflow::server
