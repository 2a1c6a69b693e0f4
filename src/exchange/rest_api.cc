#include "exchange/rest_api.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "kalshi/auth/base64.h"
#include "kalshi/auth/signer.h"
#include "kalshi/trading_messages.h"
#include "net/url.h"

namespace kalshiflow::exchange::internal {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Authentication

core::Result<std::unique_ptr<Authenticator>> Authenticator::Create(
    const std::vector<ApiKey>& keys, std::chrono::milliseconds max_skew, const core::Clock& clock) {
  if (max_skew.count() < 0) return core::InvalidArgumentError("max_timestamp_skew must be >= 0");
  auto auth = std::unique_ptr<Authenticator>(new Authenticator(clock, max_skew.count()));
  for (const ApiKey& key : keys) {
    if (key.key_id.empty()) return core::InvalidArgumentError("API key with an empty key id");
    auto verifier = kalshi::auth::Verifier::FromPublicKeyPem(key.public_key_pem);
    if (!verifier.ok()) {
      return core::InvalidArgumentError("API key " + key.key_id + ": " +
                                        verifier.error().message());
    }
    if (!auth->verifiers_.emplace(key.key_id, std::move(*verifier)).second) {
      return core::InvalidArgumentError("API key " + key.key_id + " given twice");
    }
  }
  return auth;
}

core::Status Authenticator::Check(std::string_view method, std::string_view path,
                                  std::string_view key_id, std::string_view timestamp,
                                  std::string_view signature) const {
  using kalshi::auth::kAccessKeyHeader;
  using kalshi::auth::kAccessSignatureHeader;
  using kalshi::auth::kAccessTimestampHeader;
  auto missing = [](std::string_view header) {
    return core::UnauthenticatedError("missing " + std::string(header) + " header");
  };
  if (key_id.empty()) return missing(kAccessKeyHeader);
  if (timestamp.empty()) return missing(kAccessTimestampHeader);
  if (signature.empty()) return missing(kAccessSignatureHeader);
  auto it = verifiers_.find(key_id);
  if (it == verifiers_.end()) return core::UnauthenticatedError("unknown API key (NOT_FOUND)");
  auto ts = kalshi::auth::ParseTimestampHeader(timestamp);
  if (!ts.ok()) {
    return core::UnauthenticatedError("malformed " + std::string(kAccessTimestampHeader) + ": " +
                                      ts.error().message());
  }
  auto skew = kalshi::auth::CheckTimestampSkew(*ts, clock_, max_skew_ms_);
  if (!skew.ok()) return core::UnauthenticatedError("stale timestamp: " + skew.message());
  const std::string pre_sign = kalshi::auth::BuildPreSignText(*ts, method, path);
  core::Status verified = it->second.Verify(pre_sign, signature);
  if (verified.ok()) return verified;
  if (verified.code() == core::StatusCode::kInvalidArgument) {
    return core::UnauthenticatedError("malformed " + std::string(kAccessSignatureHeader) + ": " +
                                      verified.message());
  }
  return core::UnauthenticatedError(
      "rpc error: code = Unauthenticated desc = INCORRECT_API_KEY_SIGNATURE");
}

std::string ErrorBody(std::string_view code, std::string_view message, std::string_view details) {
  return kalshi::ErrorBodyJson(code, message, details);
}

// ---------------------------------------------------------------------------------------------
// Helpers

namespace {

RestResponse JsonResponse(const Json& j, int status = 200) {
  return RestResponse{status, j.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

RestResponse Error(int status, std::string_view code, std::string_view message,
                   std::string_view details = {}) {
  return RestResponse{status, ErrorBody(code, message, details)};
}

RestResponse BadRequest(std::string_view details) {
  return Error(400, "bad_request", "bad request", details);
}

RestResponse MarketNotFound(std::string_view ticker) {
  return Error(404, "not_found", "market not found", ticker);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Dollars(core::Price p) { return p.ToString(); }
std::string Contracts(core::Count c) { return c.ToString(); }

// Kalshi market `status` values and the GET /markets `status` filter (PROTOCOL §4.2).
// Every market on the replay timeline is open (`active`) from the exchange's start, also
// before its first recorded update: Kalshi lists markets before they trade, and a collector
// must be able to discover and subscribe to them before the replay reaches them (their
// snapshot is sent when they appear).
std::string_view MarketStatus(const MarketState& /*m*/) { return "active"; }
std::optional<std::string_view> StatusFilterToMarketStatus(std::string_view filter) {
  if (filter == "unopened") return "initialized";
  if (filter == "open") return "active";
  if (filter == "paused") return "inactive";
  if (filter == "closed") return "closed";
  if (filter == "settled") return "finalized";
  return std::nullopt;
}

Json MarketJson(const MarketState& m) {
  const auto& book = m.book;
  auto yes_bid = book.BestBid(core::OutcomeSide::kYes);
  auto no_bid = book.BestBid(core::OutcomeSide::kNo);
  const core::Price zero;
  const core::Price one = core::Price::OneDollar();
  const core::Count no_size;
  // Implied asks (PROTOCOL §3.6): YES ask = 1 - best NO bid; NO ask = 1 - best YES bid.
  // Without a bid on the other leg the ask is reported as $1 (nothing offered below it).
  Json j;
  j["ticker"] = m.ticker;
  j["event_ticker"] = m.event_ticker;
  j["market_type"] = "binary";
  j["title"] = m.ticker;
  j["subtitle"] = "";
  j["yes_sub_title"] = "";
  j["no_sub_title"] = "";
  const std::string opened = FormatRfc3339(m.first_ts);
  const std::string closes = FormatRfc3339(m.last_ts);
  j["created_time"] = opened;
  j["updated_time"] = FormatRfc3339(m.updated_ts.value_or(m.first_ts));
  j["open_time"] = opened;
  j["close_time"] = closes;
  j["expiration_time"] = closes;
  j["latest_expiration_time"] = closes;
  j["settlement_timer_seconds"] = 0;
  j["status"] = MarketStatus(m);
  j["notional_value_dollars"] = Dollars(one);
  j["yes_bid_dollars"] = Dollars(yes_bid ? yes_bid->price : zero);
  j["yes_bid_size_fp"] = Contracts(yes_bid ? yes_bid->count : no_size);
  j["yes_ask_dollars"] = Dollars(no_bid ? no_bid->price.Complement() : one);
  j["yes_ask_size_fp"] = Contracts(no_bid ? no_bid->count : no_size);
  j["no_bid_dollars"] = Dollars(no_bid ? no_bid->price : zero);
  j["no_ask_dollars"] = Dollars(yes_bid ? yes_bid->price.Complement() : one);
  j["last_price_dollars"] = Dollars(m.last_trade_price.value_or(zero));
  j["previous_yes_bid_dollars"] = Dollars(zero);
  j["previous_yes_ask_dollars"] = Dollars(zero);
  j["previous_price_dollars"] = Dollars(zero);
  j["volume_fp"] = Contracts(m.volume);
  j["volume_24h_fp"] = Contracts(m.volume);
  j["open_interest_fp"] = Contracts(no_size);
  j["liquidity_dollars"] = Dollars(zero);
  j["result"] = "";
  j["can_close_early"] = false;
  j["expiration_value"] = "";
  j["rules_primary"] = "";
  j["rules_secondary"] = "";
  if (m.subpenny) {
    j["price_level_structure"] = "deci_cent";
    j["price_ranges"] = Json::array({{{"start", "0.0000"}, {"end", "1.0000"}, {"step", "0.0010"}}});
  } else {
    j["price_level_structure"] = "linear_cent";
    j["price_ranges"] = Json::array({{{"start", "0.0000"}, {"end", "1.0000"}, {"step", "0.0100"}}});
  }
  j["exchange_index"] = 0;
  return j;
}

// [[price, count], ...] ascending, best bid last; `depth` > 0 keeps the best `depth` levels.
Json Levels(std::span<const core::PriceLevel> bids, int64_t depth) {
  std::size_t start = 0;
  if (depth > 0 && bids.size() > static_cast<std::size_t>(depth)) {
    start = bids.size() - static_cast<std::size_t>(depth);
  }
  Json out = Json::array();
  for (std::size_t i = start; i < bids.size(); ++i) {
    out.push_back(Json::array({Dollars(bids[i].price), Contracts(bids[i].count)}));
  }
  return out;
}

Json OrderbookJson(const MarketState& m, int64_t depth) {
  // REST no_dollars are always NO-leg prices (PROTOCOL §3.6).
  return Json{{"yes_dollars", Levels(m.book.Bids(core::OutcomeSide::kYes), depth)},
              {"no_dollars", Levels(m.book.Bids(core::OutcomeSide::kNo), depth)}};
}

// Opaque cursor: base64 of "m1:<ticker of the next market>".
std::string EncodeCursor(std::string_view ticker) {
  std::string raw = "m1:" + std::string(ticker);
  return kalshi::auth::Base64Encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

std::optional<std::string> DecodeCursor(std::string_view cursor) {
  auto bytes = kalshi::auth::Base64Decode(cursor);
  if (!bytes.ok()) return std::nullopt;
  std::string raw(bytes->begin(), bytes->end());
  if (raw.rfind("m1:", 0) != 0) return std::nullopt;
  return raw.substr(3);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Router

RestApi::RestApi(const MarketStore& markets, const Authenticator& auth, AtomicStats& stats)
    : markets_(markets), auth_(auth), stats_(stats) {
  using Member = RestResponse (RestApi::*)(const std::vector<std::string>&, const Params&) const;
  auto add = [this](std::string method, std::string_view pattern, bool requires_auth,
                    Member member) {
    AddRoute(std::move(method), pattern, requires_auth,
             [this, member](const RouteRequest& r) { return (this->*member)(r.args, r.query); });
  };
  // Literal routes before parameterized ones that could shadow them.
  add("GET", "/exchange/status", false, &RestApi::GetExchangeStatus);
  add("GET", "/markets", false, &RestApi::GetMarkets);
  add("GET", "/markets/orderbooks", false, &RestApi::GetMarketOrderbooks);
  add("GET", "/markets/{ticker}", false, &RestApi::GetMarket);
  add("GET", "/markets/{ticker}/orderbook", false, &RestApi::GetMarketOrderbook);
}

void RestApi::SetRateLimits(std::string tier, net::RateBudget budget) {
  rate_tier_ = std::move(tier);
  rate_budget_ = budget;
  AddRoute("GET", "/account/limits", true, [this](const RouteRequest&) {
    auto bucket = [](const net::TokenBucketOptions& o) {
      return Json{{"refill_rate", o.refill_per_second}, {"bucket_capacity", o.capacity}};
    };
    return JsonResponse(Json{{"usage_tier", rate_tier_},
                             {"read", bucket(rate_budget_.read)},
                             {"write", bucket(rate_budget_.write)},
                             {"grants", Json::array()}});
  });
}

std::pair<int64_t, bool> RestApi::CostOf(std::string_view method,
                                         const std::vector<std::string>& segments,
                                         std::string_view body) {
  // PROTOCOL §4.9: GETs (and everything else) bill the read bucket; order writes and order
  // groups the write bucket. Default cost 10; a V2 cancel 2; batches per order.
  if (method == "GET") return {net::kDefaultRequestCost, false};
  const bool batched = !segments.empty() && segments.back() == "batched";
  const bool cancel = method == "DELETE" && segments.size() >= 3 && segments[1] == "events" &&
                      segments[2] == "orders";
  int64_t per_order = cancel ? 2 : net::kDefaultRequestCost;
  if (!batched) return {per_order, true};
  const Json j = Json::parse(body, nullptr, false);
  int64_t n = 1;
  if (j.is_object()) {
    for (const char* field : {"orders", "ids"}) {
      if (j.contains(field) && j[field].is_array()) {
        n = std::max<int64_t>(1, static_cast<int64_t>(j[field].size()));
      }
    }
  }
  return {per_order * n, true};
}

void RestApi::AddRoute(std::string method, std::string_view pattern, bool requires_auth,
                       RouteHandler handler) {
  Route r;
  r.method = std::move(method);
  for (std::string_view seg : Split(pattern.substr(1), '/')) r.segments.emplace_back(seg);
  r.requires_auth = requires_auth;
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

RestResponse RestApi::Handle(const RestRequest& request) const {
  std::string_view target = request.target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  if (target.size() < kRestPrefix.size() || target.substr(0, kRestPrefix.size()) != kRestPrefix ||
      (target.size() > kRestPrefix.size() && target[kRestPrefix.size()] != '/')) {
    return Error(404, "not_found", "not found", std::string(target));
  }
  std::string_view rest = target.substr(kRestPrefix.size());
  std::vector<std::string> segments;
  if (!rest.empty() && rest != "/") {
    for (std::string_view seg : Split(rest.substr(1), '/')) {
      segments.push_back(net::PercentDecode(seg, false));
    }
  }
  const Route* match = nullptr;
  bool path_matched = false;
  std::vector<std::string> args;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> route_args;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& pat = route.segments[i];
      if (pat.size() > 2 && pat.front() == '{' && pat.back() == '}') {
        route_args.push_back(segments[i]);
      } else {
        ok = pat == segments[i];
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    match = &route;
    args = std::move(route_args);
    break;
  }
  const bool requires_auth = match == nullptr || match->requires_auth;
  std::string_view key_id;
  if (requires_auth) {
    core::Status status =
        auth_.Check(request.method, target, request.header(kalshi::auth::kAccessKeyHeader),
                    request.header(kalshi::auth::kAccessTimestampHeader),
                    request.header(kalshi::auth::kAccessSignatureHeader));
    if (!status.ok()) {
      stats_.auth_failures.fetch_add(1, std::memory_order_relaxed);
      return Error(401, "authentication_error", "authentication_error", status.message());
    }
    key_id = request.header(kalshi::auth::kAccessKeyHeader);
  }
  if (match == nullptr) {
    if (path_matched) return Error(405, "method_not_allowed", "method not allowed");
    return Error(404, "not_found", "not found", std::string(target));
  }
  if (!rate_tier_.empty() && !key_id.empty()) {
    auto it = buckets_.find(key_id);
    if (it == buckets_.end()) {
      auto read = net::TokenBucket::Create(rate_budget_.read, &core::RealClock::Instance());
      auto write = net::TokenBucket::Create(rate_budget_.write, &core::RealClock::Instance());
      KF_CHECK(read.ok() && write.ok(), "rate budget of tier {} refused", rate_tier_);
      it = buckets_
               .emplace(std::string(key_id),
                        KeyBuckets{std::move(read).value(), std::move(write).value()})
               .first;
    }
    const auto [cost, write] = CostOf(request.method, segments, request.body);
    net::TokenBucket& bucket = write ? it->second.write : it->second.read;
    if (!bucket.TryTake(cost)) {
      stats_.rate_limited.fetch_add(1, std::memory_order_relaxed);
      return RestResponse{429, R"({"error": "too many requests"})"};
    }
  }
  Params params;
  if (!query.empty()) {
    for (std::string_view pair : Split(query, '&')) {
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      std::string key = net::PercentDecode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos
                              ? std::string()
                              : net::PercentDecode(pair.substr(eq + 1), true);
      params.emplace(std::move(key), std::move(value));
    }
  }
  return match->handler(RouteRequest{args, params, key_id, request.body});
}

// ---------------------------------------------------------------------------------------------
// Handlers

RestResponse RestApi::GetExchangeStatus(const std::vector<std::string>&, const Params&) const {
  Json j = {
      {"exchange_active", true},
      {"trading_active", true},
      {"intra_exchange_transfers_active", true},
      {"exchange_estimated_resume_time", nullptr},
      {"exchange_index_statuses", Json::array({{{"exchange_index", 0},
                                                {"description", "kalshiflow local exchange"},
                                                {"exchange_active", true},
                                                {"trading_active", true},
                                                {"intra_exchange_transfers_active", true}}})}};
  return JsonResponse(j);
}

RestResponse RestApi::GetMarkets(const std::vector<std::string>&, const Params& query) const {
  auto single = [&](std::string_view key) -> std::optional<std::string> {
    auto it = query.find(key);
    if (it == query.end()) return std::nullopt;
    return it->second;
  };
  int64_t limit = 100;
  if (auto v = single("limit"); v && !v->empty()) {
    auto parsed = ParseInt(*v);
    if (!parsed || *parsed < 0 || *parsed > 1000) {
      return BadRequest("limit must be an integer between 1 and 1000");
    }
    limit = *parsed == 0 ? 100 : *parsed;
  }
  std::optional<std::string> start_after_or_at;
  if (auto v = single("cursor"); v && !v->empty()) {
    start_after_or_at = DecodeCursor(*v);
    if (!start_after_or_at) return BadRequest("invalid cursor");
  }
  std::optional<std::string_view> status;
  if (auto v = single("status"); v && !v->empty()) {
    status = StatusFilterToMarketStatus(*v);
    if (!status) {
      return BadRequest("status must be one of unopened, open, paused, closed, settled");
    }
  }
  std::set<std::string, std::less<>> tickers, events, series;
  auto collect = [&](std::string_view key, std::set<std::string, std::less<>>& out) {
    auto [lo, hi] = query.equal_range(key);
    for (auto it = lo; it != hi; ++it) {
      for (std::string_view t : Split(it->second, ',')) {
        if (!t.empty()) out.emplace(t);
      }
    }
  };
  collect("tickers", tickers);
  collect("event_ticker", events);
  collect("series_ticker", series);

  Json markets = Json::array();
  std::string cursor;
  for (const auto& m : markets_.all()) {
    if (start_after_or_at && m->ticker < *start_after_or_at) continue;
    if (!tickers.empty() && tickers.find(m->ticker) == tickers.end()) continue;
    if (!events.empty() && events.find(m->event_ticker) == events.end()) continue;
    if (!series.empty() && series.find(m->series_ticker) == series.end()) continue;
    if (status && MarketStatus(*m) != *status) continue;
    if (static_cast<int64_t>(markets.size()) == limit) {
      cursor = EncodeCursor(m->ticker);
      break;
    }
    markets.push_back(MarketJson(*m));
  }
  return JsonResponse(Json{{"markets", std::move(markets)}, {"cursor", cursor}});
}

RestResponse RestApi::GetMarket(const std::vector<std::string>& args, const Params&) const {
  const MarketState* m = markets_.Find(args.at(0));
  if (m == nullptr) return MarketNotFound(args.at(0));
  return JsonResponse(Json{{"market", MarketJson(*m)}});
}

namespace {
std::optional<int64_t> ParseDepth(const std::multimap<std::string, std::string, std::less<>>& q,
                                  bool* bad) {
  auto it = q.find("depth");
  if (it == q.end() || it->second.empty()) return 0;
  auto depth = ParseInt(it->second);
  if (!depth || *depth < 0 || *depth > 100) {
    *bad = true;
    return std::nullopt;
  }
  return depth;
}
}  // namespace

RestResponse RestApi::GetMarketOrderbook(const std::vector<std::string>& args,
                                         const Params& q) const {
  bool bad = false;
  auto depth = ParseDepth(q, &bad);
  if (bad) return BadRequest("depth must be an integer between 0 and 100");
  const MarketState* m = markets_.Find(args.at(0));
  if (m == nullptr) return MarketNotFound(args.at(0));
  return JsonResponse(Json{{"orderbook_fp", OrderbookJson(*m, *depth)}});
}

RestResponse RestApi::GetMarketOrderbooks(const std::vector<std::string>&, const Params& q) const {
  bool bad = false;
  auto depth = ParseDepth(q, &bad);
  if (bad) return BadRequest("depth must be an integer between 0 and 100");
  std::vector<std::string> tickers;
  auto [lo, hi] = q.equal_range("tickers");
  for (auto it = lo; it != hi; ++it) {
    for (std::string_view t : Split(it->second, ',')) {
      if (!t.empty() && std::find(tickers.begin(), tickers.end(), t) == tickers.end()) {
        tickers.emplace_back(t);
      }
    }
  }
  if (tickers.empty() || tickers.size() > 100) {
    return BadRequest("tickers must list between 1 and 100 markets");
  }
  Json books = Json::array();
  for (const std::string& t : tickers) {
    const MarketState* m = markets_.Find(t);
    if (m == nullptr) continue;  // unknown markets are left out
    books.push_back(Json{{"ticker", t}, {"orderbook_fp", OrderbookJson(*m, *depth)}});
  }
  return JsonResponse(Json{{"orderbooks", std::move(books)}});
}

}  // namespace kalshiflow::exchange::internal
