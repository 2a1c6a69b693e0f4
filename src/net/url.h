// A minimal absolute-URL parser for the net clients: scheme://host[:port][/path] with
// lower-case scheme, an IPv6 literal in brackets, and no user-info or fragment. Enough for
// Kalshi's base URLs and loopback URLs; not a general RFC 3986 parser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kalshiflow::net {

struct ParsedUrl {
  std::string scheme;  // "wss", "ws", "https", "http"
  bool tls = false;    // wss / https
  std::string host;    // without brackets for IPv6 ("::1")
  uint16_t port = 0;   // explicit, or 443 / 80 by scheme
  bool default_port = true;
  std::string path;  // starts with '/', "/" when the URL has none; may contain a query
  /// The Host header value: host, bracketed when IPv6, plus ":port" when not the default.
  std::string HostHeader() const;
};

/// Parses `url`, accepting only the given schemes (a TLS and a plain one, e.g. "wss"/"ws").
/// InvalidArgument naming the URL and the problem (scheme, empty host, bad port, control or
/// space characters, user-info, fragment).
core::Result<ParsedUrl> ParseUrl(std::string_view url, std::string_view tls_scheme,
                                 std::string_view plain_scheme);

/// True when `text` contains no byte that is unsafe in an HTTP request target or header
/// value (control characters, space, DEL).
bool IsSafeRequestTarget(std::string_view text);

/// Percent-decodes `in` (RFC 3986 %XX, either hex case); `plus_is_space` turns '+' into ' '
/// (query strings, not paths). An invalid or truncated escape is kept literally.
std::string PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace kalshiflow::net
