#include "feed/discovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/fixed_point.h"
#include "core/market.h"

namespace kalshiflow::feed {
namespace {

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

core::Result<std::vector<DiscoveredMarket>> DiscoverMarkets(net::HttpsClient& client,
                                                            const DiscoveryOptions& options) {
  if (options.limit < 1 || options.page_size < 1 || options.page_size > 1000 ||
      options.max_pages < 1) {
    return core::InvalidArgumentError("market discovery: limit >= 1, page_size 1..1000");
  }
  std::vector<DiscoveredMarket> markets;
  std::string cursor;
  for (int page = 0; page < options.max_pages; ++page) {
    std::string path = fmt::format("/markets?status=open&limit={}", options.page_size);
    if (!cursor.empty()) path += "&cursor=" + UrlEncode(cursor);
    KF_ASSIGN_OR_RETURN(net::HttpResponse response, client.Get(path));
    if (response.status != 200) {
      const auto code = response.status == 401 || response.status == 403
                            ? core::StatusCode::kPermissionDenied
                            : core::StatusCode::kUnavailable;
      return core::Status(code, fmt::format("market discovery: GET /markets answered HTTP {}: {}",
                                            response.status, response.body.substr(0, 512)));
    }
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("markets") ||
        !body["markets"].is_array()) {
      return core::InvalidArgumentError(
          "market discovery: GET /markets body is not {\"markets\":[...],...}");
    }
    for (const auto& m : body["markets"]) {
      if (!m.is_object() || !m.contains("ticker") || !m["ticker"].is_string()) {
        return core::InvalidArgumentError("market discovery: a market without a string ticker");
      }
      DiscoveredMarket market;
      market.ticker = m["ticker"].get<std::string>();
      if (!core::ValidateTicker(market.ticker).ok()) continue;  // not subscribable: skip
      if (m.contains("volume_fp") && m["volume_fp"].is_string()) {
        auto volume = core::Count::Parse(m["volume_fp"].get<std::string>());
        if (volume.ok()) market.volume_units = volume->units();
      } else if (m.contains("volume") && m["volume"].is_number_integer()) {
        market.volume_units = m["volume"].get<int64_t>() * 100;
      }
      if (m.contains("close_time") && m["close_time"].is_string()) {
        auto close = core::Timestamp::ParseIso8601(m["close_time"].get<std::string>());
        if (close.ok()) market.close_time = *close;  // optional: a bad one is left unset
      }
      markets.push_back(std::move(market));
    }
    cursor = body.contains("cursor") && body["cursor"].is_string()
                 ? body["cursor"].get<std::string>()
                 : std::string();
    if (cursor.empty() || body["markets"].empty()) break;
  }
  std::sort(markets.begin(), markets.end(), [](const auto& a, const auto& b) {
    return a.volume_units != b.volume_units ? a.volume_units > b.volume_units : a.ticker < b.ticker;
  });
  markets.erase(std::unique(markets.begin(), markets.end(),
                            [](const auto& a, const auto& b) { return a.ticker == b.ticker; }),
                markets.end());
  if (markets.size() > static_cast<size_t>(options.limit)) markets.resize(options.limit);
  return markets;
}

}  // namespace kalshiflow::feed
