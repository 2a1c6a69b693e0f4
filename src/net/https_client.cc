// The one Boost.Beast translation unit of the HTTPS client (see README.md for the compile
// cost). Synchronous API over asynchronous Beast operations on a private io_context, so that
// every attempt has one deadline covering resolve, connect, TLS, write and read.
#include "net/https_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "core/rng.h"
#include "net/url.h"

namespace kalshiflow::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace internal {
// Defined in websocket_client.cc (shared TLS setup).
core::Result<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsClientOptions& options);
bool ConfigurePeerName(SSL* ssl_handle, const std::string& host);
}  // namespace internal

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr uint32_t kHeaderLimit = 64 * 1024;

bool IsRetriableStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

bool IsClosedByPeer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

bool IsValidMethod(std::string_view method) {
  if (method.empty() || method.size() > 16) return false;
  return std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

/// Outcome of one HTTP exchange on the wire.
struct Exchange {
  std::optional<HttpResponse> response;
  std::string stage;  // where it failed
  beast::error_code error;
  bool timed_out = false;
  bool stale = false;  // a reused connection was closed by the peer before any response byte
  bool body_too_large = false;
};

}  // namespace

struct HttpsClient::Impl {
  Impl(HttpsClientOptions opts, ParsedUrl parsed, std::string prefix, TokenBucket read,
       TokenBucket write, std::shared_ptr<ssl::context> tls)
      : options(std::move(opts)),
        url(std::move(parsed)),
        base_path(std::move(prefix)),
        read_bucket(std::move(read)),
        write_bucket(std::move(write)),
        rng(options.retry.seed),
        ssl_context(std::move(tls)),
        resolver(ioc) {}

  void Sleep(std::chrono::nanoseconds duration) {
    if (duration.count() <= 0) return;
    if (options.sleep) {
      options.sleep(duration);
    } else {
      std::this_thread::sleep_for(duration);
    }
  }

  /// Runs the io_context until `done` or `deadline`; on the deadline aborts the connection
  /// and drains the aborted operation. Returns false on timeout.
  bool RunUntil(const bool& done, SteadyClock::time_point deadline) {
    ioc.restart();
    ioc.run_until(deadline);
    if (done) return true;
    Disconnect();
    ioc.restart();
    ioc.run();
    return false;
  }

  void Disconnect() {
    beast::error_code ec;
    resolver.cancel();
    if (tls_stream) {
      beast::get_lowest_layer(*tls_stream).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(*tls_stream).socket().close(ec);
    }
    if (plain_stream) {
      plain_stream->socket().shutdown(tcp::socket::shutdown_both, ec);
      plain_stream->socket().close(ec);
    }
    connected = false;
  }

  /// Opens a new connection (resolve, TCP, TLS). Fills `out` on failure.
  bool Connect(SteadyClock::time_point deadline, Exchange& out);
  template <typename Stream>
  void Send(Stream& stream, http::request<http::string_body>& request, bool head,
            SteadyClock::time_point deadline, Exchange& out);
  Exchange Attempt(http::request<http::string_body>& request, bool head);
  std::string Where(std::string_view method, std::string_view target) const {
    return std::string(method) + " " + url.HostHeader() + std::string(target);
  }

  HttpsClientOptions options;
  ParsedUrl url;
  std::string base_path;  // e.g. "/trade-api/v2" (no trailing '/')
  TokenBucket read_bucket;
  TokenBucket write_bucket;
  core::Rng rng;  // guarded by request_mutex
  std::shared_ptr<ssl::context> ssl_context;

  std::mutex request_mutex;  // one request at a time; guards everything below
  asio::io_context ioc{1};
  tcp::resolver resolver;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream;
  std::optional<beast::tcp_stream> plain_stream;
  beast::flat_buffer buffer;
  bool connected = false;

  mutable std::mutex stats_mutex;
  HttpsClientStats stats;  // guarded by stats_mutex
};

bool HttpsClient::Impl::Connect(SteadyClock::time_point deadline, Exchange& out) {
  Disconnect();
  tls_stream.reset();
  plain_stream.reset();
  buffer.clear();
  bool done = false;
  beast::error_code ec;
  tcp::resolver::results_type endpoints;
  out.stage = "resolve";
  resolver.async_resolve(url.host, std::to_string(url.port),
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                           done = true;
                         });
  if (!RunUntil(done, deadline)) return out.timed_out = true, false;
  if (ec) return out.error = ec, false;

  beast::tcp_stream* tcp_layer = nullptr;
  if (url.tls) {
    tls_stream.emplace(ioc, *ssl_context);
    tcp_layer = &beast::get_lowest_layer(*tls_stream);
  } else {
    plain_stream.emplace(ioc);
    tcp_layer = &*plain_stream;
  }
  out.stage = "connect";
  done = false;
  tcp_layer->async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, deadline)) return out.timed_out = true, false;
  if (ec) return out.error = ec, false;
  beast::error_code ignored;
  tcp_layer->socket().set_option(tcp::no_delay(true), ignored);

  if (url.tls) {
    out.stage = "TLS handshake";
    if (!internal::ConfigurePeerName(tls_stream->native_handle(), url.host)) {
      out.error = asio::error::invalid_argument;
      return false;
    }
    done = false;
    tls_stream->async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    if (!RunUntil(done, deadline)) return out.timed_out = true, false;
    if (ec) return out.error = ec, false;
  }
  connected = true;
  std::lock_guard lock(stats_mutex);
  ++stats.connects;
  return true;
}

template <typename Stream>
void HttpsClient::Impl::Send(Stream& stream, http::request<http::string_body>& request, bool head,
                             SteadyClock::time_point deadline, Exchange& out) {
  bool done = false;
  beast::error_code ec;
  out.stage = "write";
  http::async_write(stream, request, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, deadline)) {
    out.timed_out = true;
    return;
  }
  if (ec) {
    out.error = ec;
    out.stale = IsClosedByPeer(ec);
    return;
  }
  out.stage = "read";
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(kHeaderLimit);
  parser.skip(head);
  done = false;
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, deadline)) {
    out.timed_out = true;
    return;
  }
  if (ec) {
    out.error = ec;
    out.stale = IsClosedByPeer(ec) && !parser.got_some();
    out.body_too_large = ec == http::error::body_limit;
    return;
  }
  auto message = parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  if (!message.keep_alive()) Disconnect();
  out.response = std::move(response);
}

Exchange HttpsClient::Impl::Attempt(http::request<http::string_body>& request, bool head) {
  const auto deadline = SteadyClock::now() + options.timeout;
  for (int pass = 0;; ++pass) {
    Exchange out;
    const bool reused = connected;
    if (!connected && !Connect(deadline, out)) {
      Disconnect();
      return out;
    }
    if (url.tls) {
      Send(*tls_stream, request, head, deadline, out);
    } else {
      Send(*plain_stream, request, head, deadline, out);
    }
    if (out.response) return out;
    Disconnect();
    // The server closed an idle keep-alive connection: re-send once on a fresh one.
    if (reused && out.stale && pass == 0) {
      std::lock_guard lock(stats_mutex);
      ++stats.stale_reconnects;
      continue;
    }
    return out;
  }
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsClient::~HttpsClient() {
  if (impl_) impl_->Disconnect();
}

core::Result<std::unique_ptr<HttpsClient>> HttpsClient::Create(HttpsClientOptions options) {
  KF_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(options.base_url, "https", "http"));
  std::string prefix = url.path;
  if (prefix.find('?') != std::string::npos) {
    return core::InvalidArgumentError("https: base_url '" + options.base_url +
                                      "' must not have a query");
  }
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const core::Clock* clock =
      options.clock != nullptr ? options.clock : &core::RealClock::Instance();
  auto read = TokenBucket::Create(options.budget.read, clock);
  if (!read.ok())
    return core::InvalidArgumentError("https: budget.read: " + read.error().message());
  auto write = TokenBucket::Create(options.budget.write, clock);
  if (!write.ok()) {
    return core::InvalidArgumentError("https: budget.write: " + write.error().message());
  }
  if (options.default_cost < 0 || options.default_cost > options.budget.read.capacity ||
      options.default_cost > options.budget.write.capacity) {
    return core::InvalidArgumentError("https: default_cost must be in [0, bucket capacity]");
  }
  const BackoffOptions& b = options.retry;
  if (b.initial.count() < 0 || b.max < b.initial || !(b.multiplier >= 1.0) ||
      !(b.jitter >= 0.0 && b.jitter < 1.0) || b.max_attempts < 0) {
    return core::InvalidArgumentError(
        "https: retry backoff needs 0 <= initial <= max, multiplier >= 1, jitter in [0, 1), "
        "max_attempts >= 0");
  }
  if (options.timeout.count() <= 0) return core::InvalidArgumentError("https: timeout must be > 0");
  if (options.max_body_bytes == 0) {
    return core::InvalidArgumentError("https: max_body_bytes must be > 0");
  }
  std::shared_ptr<ssl::context> tls;
  if (url.tls) {
    try {
      KF_ASSIGN_OR_RETURN(tls, internal::MakeClientTlsContext(options.tls));
    } catch (const std::exception& e) {
      return core::InternalError(std::string("https: TLS context: ") + e.what());
    }
  }
  return std::unique_ptr<HttpsClient>(new HttpsClient(
      std::make_unique<Impl>(std::move(options), std::move(url), std::move(prefix),
                             std::move(read).value(), std::move(write).value(), std::move(tls))));
}

core::Result<HttpResponse> HttpsClient::Request(std::string_view method,
                                                std::string_view path_and_query,
                                                std::string_view body, RequestClass request_class,
                                                std::optional<int64_t> cost) {
  Impl& impl = *impl_;
  if (!IsValidMethod(method)) {
    return core::InvalidArgumentError("https: bad HTTP method '" + std::string(method) + "'");
  }
  if (path_and_query.empty() || path_and_query.front() != '/' ||
      !IsSafeRequestTarget(path_and_query) || path_and_query.find('#') != std::string_view::npos) {
    return core::InvalidArgumentError("https: path '" + std::string(path_and_query) +
                                      "' must start with '/' and contain no spaces, control "
                                      "characters or fragment");
  }
  TokenBucket& bucket =
      request_class == RequestClass::kWrite ? impl.write_bucket : impl.read_bucket;
  const int64_t charge = cost.value_or(impl.options.default_cost);
  if (charge < 0 || charge > bucket.options().capacity) {
    return core::InvalidArgumentError("https: cost " + std::to_string(charge) +
                                      " outside [0, bucket capacity " +
                                      std::to_string(bucket.options().capacity) + "]");
  }
  const std::string target = impl.base_path + std::string(path_and_query);
  // PROTOCOL.md §1.2: sign the full path from the host root, without the query string.
  const std::string signed_path = target.substr(0, target.find('?'));

  std::lock_guard request_lock(impl.request_mutex);
  {
    std::lock_guard lock(impl.stats_mutex);
    ++impl.stats.requests;
  }
  const auto transport_error = [&](core::Status status) {
    std::lock_guard lock(impl.stats_mutex);
    ++impl.stats.transport_errors;
    return status;
  };
  for (int attempt = 1;; ++attempt) {
    const auto wait = bucket.Reserve(charge);
    if (wait.count() > 0) {
      impl.Sleep(wait);
      std::lock_guard lock(impl.stats_mutex);
      impl.stats.rate_limit_wait += wait;
    }
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, impl.url.HostHeader());
    request.set(http::field::user_agent, "kalshiflow/0.1");
    request.set(http::field::accept, "application/json");
    request.keep_alive(true);
    if (impl.options.signer) {
      auto signed_headers = impl.options.signer(method, signed_path);
      if (!signed_headers.ok()) return signed_headers.error();
      for (const auto& [name, value] : signed_headers.value()) {
        if (!IsSafeRequestTarget(name) || value.find_first_of("\r\n") != std::string::npos) {
          return core::InvalidArgumentError("https: signer returned a malformed header '" + name +
                                            "'");
        }
        request.set(name, value);
      }
    }
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = std::string(body);
    }
    request.prepare_payload();
    {
      std::lock_guard lock(impl.stats_mutex);
      ++impl.stats.attempts;
    }
    Exchange exchange = impl.Attempt(request, method == "HEAD");
    if (!exchange.response) {
      const std::string where = impl.Where(method, target);
      if (exchange.body_too_large) {
        return transport_error(
            core::ResourceExhaustedError(where + ": response body over " +
                                         std::to_string(impl.options.max_body_bytes) + " bytes"));
      }
      if (exchange.timed_out) {
        return transport_error(
            core::UnavailableError(where + ": " + exchange.stage + ": timed out after " +
                                   std::to_string(impl.options.timeout.count()) + " ms"));
      }
      return transport_error(
          core::UnavailableError(where + ": " + exchange.stage + ": " + exchange.error.message()));
    }
    HttpResponse response = std::move(*exchange.response);
    response.attempts = attempt;
    const int max_attempts = impl.options.retry.max_attempts;
    if (IsRetriableStatus(response.status) && (max_attempts == 0 || attempt < max_attempts)) {
      const auto delay = BackoffDelay(impl.options.retry, attempt, impl.rng.Uniform01());
      {
        std::lock_guard lock(impl.stats_mutex);
        if (response.status == 429) {
          ++impl.stats.retries_429;
        } else {
          ++impl.stats.retries_5xx;
        }
        impl.stats.retry_wait += delay;
      }
      impl.Sleep(delay);
      continue;
    }
    return response;
  }
}

HttpsClientStats HttpsClient::Stats() const {
  std::lock_guard lock(impl_->stats_mutex);
  return impl_->stats;
}

}  // namespace kalshiflow::net
