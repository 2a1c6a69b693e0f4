#include "net/url.h"

#include <charconv>

namespace kalshiflow::net {
namespace {

core::Status UrlError(std::string_view url, std::string_view problem) {
  return core::InvalidArgumentError("URL '" + std::string(url) + "': " + std::string(problem));
}

}  // namespace

std::string ParsedUrl::HostHeader() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

bool IsSafeRequestTarget(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

core::Result<ParsedUrl> ParseUrl(std::string_view url, std::string_view tls_scheme,
                                 std::string_view plain_scheme) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return UrlError(url, "missing scheme://");
  ParsedUrl out;
  out.scheme = std::string(url.substr(0, sep));
  if (out.scheme == tls_scheme) {
    out.tls = true;
    out.port = 443;
  } else if (out.scheme == plain_scheme) {
    out.tls = false;
    out.port = 80;
  } else {
    return UrlError(
        url, "scheme must be " + std::string(tls_scheme) + " or " + std::string(plain_scheme));
  }
  if (!IsSafeRequestTarget(url)) return UrlError(url, "contains spaces or control characters");
  std::string_view rest = url.substr(sep + 3);
  const size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) return UrlError(url, "user-info not allowed");
  if (path.find('#') != std::string_view::npos) return UrlError(url, "fragment not allowed");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return UrlError(url, "unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return UrlError(url, "garbage after IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return UrlError(url, "empty port");
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
      if (port_text.empty()) return UrlError(url, "empty port");
    }
    out.host = std::string(authority);
  }
  if (out.host.empty()) return UrlError(url, "empty host");
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return UrlError(url, "bad port '" + std::string(port_text) + "'");
    }
    out.port = static_cast<uint16_t>(value);
    out.default_port = value == (out.tls ? 443u : 80u);
  }
  if (path.empty()) {
    out.path = "/";
  } else if (path.front() == '?') {
    out.path = "/" + std::string(path);
  } else {
    out.path = std::string(path);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace kalshiflow::net
