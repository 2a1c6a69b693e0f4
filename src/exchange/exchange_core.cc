#include "exchange/exchange_core.h"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/check.h"
#include "core/market.h"
#include "exchange/trading_api.h"
#include "exchange/trading_engine.h"
#include "kalshi/frame_encoder.h"

namespace kalshiflow::exchange::internal {

using kalshi::Channel;
using Json = nlohmann::json;

// WebSocket error codes and messages (PROTOCOL.md §3.3, asyncapi "Error Codes Reference").
namespace ws_error {
constexpr int64_t kUnableToProcess = 1;
constexpr int64_t kParamsRequired = 2;
constexpr int64_t kChannelsRequired = 3;
constexpr int64_t kSidsRequired = 4;
constexpr int64_t kUnknownCommand = 5;
constexpr int64_t kUnknownSid = 7;
constexpr int64_t kUnknownChannel = 8;
constexpr int64_t kInvalidParameter = 11;
constexpr int64_t kExactlyOneSid = 12;
constexpr int64_t kUnsupportedAction = 13;
constexpr int64_t kMarketTickerRequired = 14;
constexpr int64_t kActionRequired = 15;
constexpr int64_t kMarketNotFound = 16;
}  // namespace ws_error

ExchangeStats AtomicStats::Snapshot() const {
  ExchangeStats s;
  s.connections_accepted = connections_accepted.load();
  s.http_requests = http_requests.load();
  s.auth_failures = auth_failures.load();
  s.commands_received = commands_received.load();
  s.command_errors = command_errors.load();
  s.market_frames_sent = market_frames_sent.load();
  s.snapshots_sent = snapshots_sent.load();
  s.pings_sent = pings_sent.load();
  s.faults_dropped_connections = faults_dropped_connections.load();
  s.faults_skipped_seqs = faults_skipped_seqs.load();
  s.faults_duplicates = faults_duplicates.load();
  s.faults_malformed = faults_malformed.load();
  s.faults_delayed_private = faults_delayed_private.load();
  s.slow_subscriber_disconnects = slow_subscriber_disconnects.load();
  s.rate_limited = rate_limited.load();
  s.replay_records_total = replay_records_total.load();
  s.replay_records_done = replay_records_done.load();
  s.replay_finished = replay_finished.load();
  return s;
}

std::string FormatRfc3339(core::Timestamp ts) {
  std::string iso = ts.ToIso8601();  // "2025-12-04T12:27:16.079996000Z"
  auto dot = iso.find('.');
  if (dot != std::string::npos) iso = iso.substr(0, dot) + "Z";
  return iso;
}

namespace {

// A UUID-shaped id (version 5 layout) from SHA-256 of the ticker: stable across runs.
std::string MarketIdFor(std::string_view ticker) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string input = "kalshiflow-market:" + std::string(ticker);
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr) != 1 ||
      len < 16) {
    return {};
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

bool IsSubpenny(core::Price p) { return p.units() % core::Price::kUnitsPerCent != 0; }

// Reads an optional bool parameter: absent -> fallback; wrong type -> nullopt.
std::optional<bool> OptionalBool(const Json& params, const char* key, bool fallback) {
  auto it = params.find(key);
  if (it == params.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

// market_ticker / market_tickers: 0 = absent, 1 = ok, -1 = invalid (both, or wrong types).
int ReadMarkets(const Json& params, std::vector<std::string>& out) {
  auto one = params.find("market_ticker");
  auto many = params.find("market_tickers");
  bool has_one = one != params.end() && !one->is_null();
  bool has_many = many != params.end() && !many->is_null();
  if (has_one && has_many) return -1;
  if (has_one) {
    if (!one->is_string()) return -1;
    out.push_back(one->get<std::string>());
    return 1;
  }
  if (has_many) {
    if (!many->is_array()) return -1;
    for (const Json& t : *many) {
      if (!t.is_string()) return -1;
      std::string ticker = t.get<std::string>();
      if (std::find(out.begin(), out.end(), ticker) == out.end()) out.push_back(std::move(ticker));
    }
    return out.empty() ? 0 : 1;
  }
  return 0;
}

// Reads an integer sid (>= 1) from a JSON value.
std::optional<int64_t> ReadSid(const Json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  return v.get<int64_t>();
}

// Channels that produce data, and channels accepted but silent on this exchange (no orders,
// no lifecycle events). Channels needing extra parameters this exchange has no data for
// (communications, benchmark prices) are refused as unknown.
bool ChannelSupported(Channel c) {
  switch (c) {
    case Channel::kOrderbookDelta:
    case Channel::kTicker:
    case Channel::kTrade:
    case Channel::kFill:
    case Channel::kMarketPositions:
    case Channel::kUserOrders:
    case Channel::kOrderGroupUpdates:
    case Channel::kMarketLifecycleV2:
    case Channel::kMultivariateMarketLifecycle:
      return true;
    default:
      return false;
  }
}

// Channels whose subscriptions take a market filter.
bool ChannelTakesMarkets(Channel c) {
  return c == Channel::kOrderbookDelta || c == Channel::kTicker || c == Channel::kTrade ||
         c == Channel::kFill || c == Channel::kUserOrders || c == Channel::kMarketPositions;
}

// Inserts `"id":N,` after the opening brace of a frame (get_snapshot snapshots echo the
// command id in the newest spec, PROTOCOL §3.2).
void PrependId(int64_t id, std::string& frame) {
  if (id == 0 || frame.empty() || frame[0] != '{') return;
  frame.insert(1, "\"id\":" + std::to_string(id) + ",");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MarketStore

MarketStore::MarketStore(const std::map<std::string, MarketSpan>& markets) {
  for (const auto& [ticker, span] : markets) {
    auto m = std::make_unique<MarketState>();
    m->ticker = ticker;
    m->market_id = MarketIdFor(ticker);
    auto last_dash = ticker.rfind('-');
    m->event_ticker = last_dash == std::string::npos ? ticker : ticker.substr(0, last_dash);
    auto first_dash = ticker.find('-');
    m->series_ticker = first_dash == std::string::npos ? ticker : ticker.substr(0, first_dash);
    m->book = book::OrderBook(ticker);
    m->first_ts = span.first_ts;
    m->last_ts = span.last_ts;
    index_.emplace(ticker, m.get());
    markets_.push_back(std::move(m));
  }
}

MarketState* MarketStore::Find(std::string_view ticker) {
  auto it = index_.find(ticker);
  return it == index_.end() ? nullptr : it->second;
}

const MarketState* MarketStore::Find(std::string_view ticker) const {
  auto it = index_.find(ticker);
  return it == index_.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------------------------------------
// ClientSession

ClientSession::ClientSession(ExchangeCore& core, Outbound& out, std::string key_id)
    : core_(core), out_(out), key_id_(std::move(key_id)) {}

void ClientSession::SendError(int64_t id, int64_t code, std::string_view message, int64_t sid,
                              std::string_view market_ticker) {
  if (dropped_) return;
  kalshi::ErrorBody body;
  body.code = code;
  body.message = message;
  body.market_ticker = market_ticker;
  std::string frame;
  kalshi::EncodeError(id, sid, std::nullopt, body, frame);
  core_.stats().command_errors.fetch_add(1, std::memory_order_relaxed);
  out_.Send(std::move(frame));
}

void ClientSession::OnBinary() {
  core_.stats().commands_received.fetch_add(1, std::memory_order_relaxed);
  SendError(0, ws_error::kUnableToProcess, "Unable to process message");
}

void ClientSession::OnText(std::string_view text) {
  core_.stats().commands_received.fetch_add(1, std::memory_order_relaxed);
  Json cmd = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (cmd.is_discarded() || !cmd.is_object()) {
    SendError(0, ws_error::kUnableToProcess, "Unable to process message");
    return;
  }
  int64_t id = 0;
  if (auto it = cmd.find("id"); it != cmd.end() && !it->is_null()) {
    auto parsed = ReadSid(*it);
    if (!parsed || *parsed < 0) {
      SendError(0, ws_error::kUnableToProcess, "Unable to process message");
      return;
    }
    id = *parsed;
  }
  auto name_it = cmd.find("cmd");
  if (name_it == cmd.end() || !name_it->is_string()) {
    SendError(id, ws_error::kUnknownCommand, "Unknown command");
    return;
  }
  const std::string name = name_it->get<std::string>();
  if (name == "list_subscriptions") {
    ListSubscriptions(id);
    return;
  }
  if (name != "subscribe" && name != "unsubscribe" && name != "update_subscription") {
    SendError(id, ws_error::kUnknownCommand, "Unknown command");
    return;
  }
  auto params_it = cmd.find("params");
  if (params_it == cmd.end() || !params_it->is_object()) {
    SendError(id, ws_error::kParamsRequired, "Params required");
    return;
  }
  if (name == "subscribe") {
    Subscribe(id, *params_it);
  } else if (name == "unsubscribe") {
    Unsubscribe(id, *params_it);
  } else {
    UpdateSubscription(id, *params_it);
  }
}

void ClientSession::Subscribe(int64_t id, const Json& params) {
  auto channels_it = params.find("channels");
  if (channels_it == params.end() || !channels_it->is_array() || channels_it->empty()) {
    SendError(id, ws_error::kChannelsRequired, "Channels required");
    return;
  }
  std::vector<Channel> channels;
  for (const Json& c : *channels_it) {
    if (!c.is_string()) {
      SendError(id, ws_error::kUnknownChannel, "Unknown channel name");
      return;
    }
    auto channel = kalshi::ParseChannel(c.get<std::string>());
    if (!channel || !ChannelSupported(*channel)) {
      SendError(id, ws_error::kUnknownChannel, "Unknown channel name");
      return;
    }
    if (std::find(channels.begin(), channels.end(), *channel) == channels.end()) {
      channels.push_back(*channel);
    }
  }
  std::vector<std::string> markets;
  int has_markets = ReadMarkets(params, markets);
  auto use_yes_price = OptionalBool(params, "use_yes_price", false);
  auto send_initial_snapshot = OptionalBool(params, "send_initial_snapshot", false);
  auto skip_ticker_ack = OptionalBool(params, "skip_ticker_ack", false);
  if (has_markets < 0 || !use_yes_price || !send_initial_snapshot || !skip_ticker_ack ||
      params.contains("market_id") || params.contains("market_ids")) {
    SendError(id, ws_error::kInvalidParameter, "Invalid parameter");
    return;
  }
  for (const std::string& ticker : markets) {
    if (core_.markets().Find(ticker) == nullptr) {
      SendError(id, ws_error::kMarketNotFound, "Market not found", 0, ticker);
      return;
    }
  }
  for (Channel c : channels) {
    if (c == Channel::kOrderbookDelta && has_markets == 0) {
      SendError(id, ws_error::kMarketTickerRequired, "Market Ticker required");
      return;
    }
  }

  bool orderbook = false;
  for (Channel channel : channels) {
    // Re-subscribing to a channel adds the markets to the existing subscription (Kalshi since
    // 2025-10-01; error 6 "Already subscribed" is retired, PROTOCOL §3.2).
    Subscription* sub = nullptr;
    for (auto& [sid, s] : subs_) {
      if (s.channel == channel) sub = &s;
    }
    std::vector<std::string> added;
    if (sub == nullptr) {
      Subscription fresh;
      fresh.sid = next_sid_++;
      fresh.channel = channel;
      fresh.use_yes_price = *use_yes_price;
      fresh.skip_ticker_ack = *skip_ticker_ack;
      fresh.all_markets = ChannelTakesMarkets(channel) ? has_markets == 0 : true;
      sub = &subs_.emplace(fresh.sid, std::move(fresh)).first->second;
    }
    if (ChannelTakesMarkets(channel)) {
      if (has_markets == 0) {
        sub->all_markets = true;
      }
      for (const std::string& ticker : markets) {
        if (sub->market_set.insert(ticker).second) {
          sub->markets.push_back(ticker);
          added.push_back(ticker);
        }
      }
    }
    std::string frame;
    kalshi::EncodeSubscribed(id, kalshi::ChannelName(channel), sub->sid, frame);
    if (!dropped_) out_.Send(std::move(frame));
    if (channel == Channel::kOrderbookDelta) {
      orderbook = true;
      for (const std::string& ticker : added) {
        const MarketState* m = core_.markets().Find(ticker);
        if (m != nullptr && m->appeared) SendSnapshot(*sub, *m, 0);
      }
    } else if (channel == Channel::kTicker && *send_initial_snapshot) {
      if (sub->all_markets && markets.empty()) {
        for (const auto& m : core_.markets().all()) SendTicker(*sub, *m);
      } else {
        for (const std::string& ticker : added) SendTicker(*sub, *core_.markets().Find(ticker));
      }
    }
  }
  if (orderbook) core_.NotifyOrderbookSubscribed();
}

void ClientSession::Unsubscribe(int64_t id, const Json& params) {
  auto sids_it = params.find("sids");
  if (sids_it == params.end() || !sids_it->is_array() || sids_it->empty()) {
    SendError(id, ws_error::kSidsRequired, "Subscription IDs required");
    return;
  }
  std::vector<int64_t> sids;
  for (const Json& v : *sids_it) {
    auto sid = ReadSid(v);
    if (!sid) {
      SendError(id, ws_error::kInvalidParameter, "Invalid parameter");
      return;
    }
    sids.push_back(*sid);
  }
  for (int64_t sid : sids) {
    auto it = subs_.find(sid);
    if (it == subs_.end()) {
      SendError(id, ws_error::kUnknownSid, "Unknown subscription ID", sid);
      continue;
    }
    // `unsubscribed` occupies a slot in the sid's sequence (PROTOCOL §3.3).
    int64_t seq = ++it->second.last_seq;
    subs_.erase(it);
    std::string frame;
    kalshi::EncodeUnsubscribed(id, sid, seq, frame);
    if (!dropped_) out_.Send(std::move(frame));
  }
}

void ClientSession::SendOk(int64_t id, Subscription& sub) {
  std::vector<std::string_view> tickers;
  if (!sub.skip_ticker_ack) tickers.assign(sub.markets.begin(), sub.markets.end());
  std::optional<int64_t> seq;
  if (sub.HasSeq()) seq = ++sub.last_seq;
  std::string frame;
  kalshi::EncodeOkMarkets(id, sub.sid, seq, tickers, {}, frame);
  if (!dropped_) out_.Send(std::move(frame));
}

void ClientSession::UpdateSubscription(int64_t id, const Json& params) {
  auto sid_it = params.find("sid");
  auto sids_it = params.find("sids");
  bool has_sid = sid_it != params.end() && !sid_it->is_null();
  bool has_sids = sids_it != params.end() && !sids_it->is_null();
  std::optional<int64_t> sid;
  if (has_sid == has_sids) {
    SendError(id, ws_error::kExactlyOneSid, "Exactly one subscription ID is required");
    return;
  }
  if (has_sid) {
    sid = ReadSid(*sid_it);
  } else if (sids_it->is_array() && sids_it->size() == 1) {
    sid = ReadSid((*sids_it)[0]);
  } else {
    SendError(id, ws_error::kExactlyOneSid, "Exactly one subscription ID is required");
    return;
  }
  if (!sid) {
    SendError(id, ws_error::kInvalidParameter, "Invalid parameter");
    return;
  }
  auto sub_it = subs_.find(*sid);
  if (sub_it == subs_.end()) {
    SendError(id, ws_error::kUnknownSid, "Unknown subscription ID", *sid);
    return;
  }
  Subscription& sub = sub_it->second;
  auto action_it = params.find("action");
  if (action_it == params.end() || action_it->is_null()) {
    SendError(id, ws_error::kActionRequired, "Action required", *sid);
    return;
  }
  if (!action_it->is_string()) {
    SendError(id, ws_error::kUnsupportedAction, "Unsupported action", *sid);
    return;
  }
  const std::string action = action_it->get<std::string>();
  if (action != "add_markets" && action != "delete_markets" && action != "get_snapshot") {
    SendError(id, ws_error::kUnsupportedAction, "Unsupported action", *sid);
    return;
  }
  if (!ChannelTakesMarkets(sub.channel) ||
      (action == "get_snapshot" && sub.channel != Channel::kOrderbookDelta)) {
    SendError(id, ws_error::kUnsupportedAction, "Unsupported action", *sid);
    return;
  }
  std::vector<std::string> markets;
  int has_markets = ReadMarkets(params, markets);
  if (has_markets < 0) {
    SendError(id, ws_error::kInvalidParameter, "Invalid parameter", *sid);
    return;
  }
  if (has_markets == 0) {
    SendError(id, ws_error::kMarketTickerRequired, "Market Ticker required", *sid);
    return;
  }
  for (const std::string& ticker : markets) {
    if (core_.markets().Find(ticker) == nullptr) {
      SendError(id, ws_error::kMarketNotFound, "Market not found", *sid, ticker);
      return;
    }
  }
  if (action == "get_snapshot") {
    for (const std::string& ticker : markets) {
      if (!sub.Covers(ticker)) {
        SendError(id, ws_error::kInvalidParameter, "Invalid parameter", *sid, ticker);
        return;
      }
    }
    for (const std::string& ticker : markets) {
      const MarketState* m = core_.markets().Find(ticker);
      // A market not yet on the timeline gets its first snapshot when it appears.
      if (m->appeared) SendSnapshot(sub, *m, id);
    }
    return;
  }
  if (action == "add_markets") {
    std::vector<std::string> added;
    for (const std::string& ticker : markets) {
      if (sub.market_set.insert(ticker).second) {
        sub.markets.push_back(ticker);
        added.push_back(ticker);
      }
    }
    SendOk(id, sub);
    for (const std::string& ticker : added) {
      const MarketState* m = core_.markets().Find(ticker);
      if (sub.channel == Channel::kOrderbookDelta && m->appeared) SendSnapshot(sub, *m, 0);
    }
    return;
  }
  // delete_markets
  for (const std::string& ticker : markets) {
    if (sub.market_set.erase(ticker) > 0) {
      sub.markets.erase(std::find(sub.markets.begin(), sub.markets.end(), ticker));
      sub.snapshot_sent.erase(ticker);
    }
  }
  SendOk(id, sub);
}

void ClientSession::ListSubscriptions(int64_t id) {
  std::vector<kalshi::SubscriptionEntry> entries;
  for (const auto& [sid, sub] : subs_) {
    kalshi::SubscriptionEntry e;
    e.channel_name = kalshi::ChannelName(sub.channel);
    e.channel = sub.channel;
    e.sid = sid;
    entries.push_back(e);
  }
  std::string frame;
  kalshi::EncodeOkSubscriptionList(id, entries, frame);
  if (!dropped_) out_.Send(std::move(frame));
}

void ClientSession::SendOrderbookFrame(std::string frame, bool snapshot) {
  if (dropped_) return;
  const FaultOptions& f = core_.faults();
  AtomicStats& stats = core_.stats();
  const uint64_t k = ++orderbook_frames_;
  auto every = [k](int64_t n) { return n > 0 && k % static_cast<uint64_t>(n) == 0; };
  if (every(f.skip_seq_every)) {
    stats.faults_skipped_seqs.fetch_add(1, std::memory_order_relaxed);
    return;  // the seq was consumed by the caller
  }
  if (every(f.malformed_every)) {
    stats.faults_malformed.fetch_add(1, std::memory_order_relaxed);
    out_.Send(frame.substr(0, frame.size() / 2));
  }
  const bool duplicate = every(f.duplicate_every);
  if (duplicate) {
    stats.faults_duplicates.fetch_add(1, std::memory_order_relaxed);
    stats.market_frames_sent.fetch_add(1, std::memory_order_relaxed);
    if (snapshot) stats.snapshots_sent.fetch_add(1, std::memory_order_relaxed);
    out_.Send(frame);
  }
  stats.market_frames_sent.fetch_add(1, std::memory_order_relaxed);
  if (snapshot) stats.snapshots_sent.fetch_add(1, std::memory_order_relaxed);
  out_.Send(std::move(frame));
  if (every(f.drop_connection_every)) {
    stats.faults_dropped_connections.fetch_add(1, std::memory_order_relaxed);
    dropped_ = true;
    out_.DropConnection();
  }
}

void ClientSession::SendSnapshot(Subscription& sub, const MarketState& market, int64_t command_id) {
  const auto yes = market.book.Bids(core::OutcomeSide::kYes);
  const auto no = market.book.Bids(core::OutcomeSide::kNo);
  std::vector<core::PriceLevel> no_levels;
  if (sub.use_yes_price) {
    // NO bids in YES-leg prices (PROTOCOL §3.6), still ascending by the price sent.
    no_levels.reserve(no.size());
    for (auto it = no.rbegin(); it != no.rend(); ++it) {
      no_levels.push_back({it->price.Complement(), it->count});
    }
  } else {
    no_levels.assign(no.begin(), no.end());
  }
  kalshi::OrderbookSnapshot snap;
  snap.market_ticker = market.ticker;
  snap.market_id = market.market_id;
  snap.yes_bids = yes;
  snap.no_bids = no_levels;
  std::string frame;
  kalshi::EncodeOrderbookSnapshot(sub.sid, ++sub.last_seq, snap, frame);
  PrependId(command_id, frame);
  sub.snapshot_sent.insert(market.ticker);
  SendOrderbookFrame(std::move(frame), /*snapshot=*/true);
}

void ClientSession::SendDelta(Subscription& sub, const MarketState& market,
                              const kalshi::OrderbookDelta& d) {
  kalshi::OrderbookDelta out = d;
  out.market_ticker = market.ticker;
  out.market_id = market.market_id;
  out.client_order_id = {};
  out.subaccount.reset();
  if (sub.use_yes_price && out.side == core::OutcomeSide::kNo) out.price = out.price.Complement();
  std::string frame;
  kalshi::EncodeOrderbookDelta(sub.sid, ++sub.last_seq, out, frame);
  SendOrderbookFrame(std::move(frame), /*snapshot=*/false);
}

void ClientSession::SendTicker(Subscription& sub, const MarketState& market) {
  if (dropped_ || !market.ticker_state.has) return;
  const TickerState& t = market.ticker_state;
  kalshi::Ticker msg;
  msg.market_ticker = market.ticker;
  msg.market_id = market.market_id;
  msg.last_price = t.last_price;
  msg.yes_bid = t.yes_bid;
  msg.yes_ask = t.yes_ask;
  msg.volume = t.volume;
  msg.open_interest = t.open_interest;
  msg.dollar_volume = t.dollar_volume;
  msg.dollar_open_interest = t.dollar_open_interest;
  msg.yes_bid_size = t.yes_bid_size;
  msg.yes_ask_size = t.yes_ask_size;
  msg.last_trade_size = t.last_trade_size;
  msg.ts_ms = t.ts_ms;
  std::string frame;
  kalshi::EncodeTicker(sub.sid, msg, frame);
  core_.stats().market_frames_sent.fetch_add(1, std::memory_order_relaxed);
  out_.Send(std::move(frame));
}

void ClientSession::OnBookUpdate(const MarketState& market,
                                 std::span<const kalshi::OrderbookDelta> deltas) {
  for (auto& [sid, sub] : subs_) {
    if (dropped_) return;
    if (sub.channel != Channel::kOrderbookDelta || !sub.Covers(market.ticker)) continue;
    if (sub.snapshot_sent.find(market.ticker) == sub.snapshot_sent.end()) {
      SendSnapshot(sub, market, 0);
      continue;
    }
    for (const kalshi::OrderbookDelta& d : deltas) {
      if (dropped_) return;
      SendDelta(sub, market, d);
    }
  }
}

void ClientSession::OnTicker(const MarketState& market) {
  for (auto& [sid, sub] : subs_) {
    if (sub.channel == Channel::kTicker && sub.Covers(market.ticker)) SendTicker(sub, market);
  }
}

void ClientSession::OnTrade(const MarketState& market, const kalshi::Trade& trade) {
  for (auto& [sid, sub] : subs_) {
    if (dropped_) return;
    if (sub.channel != Channel::kTrade || !sub.Covers(market.ticker)) continue;
    kalshi::Trade out = trade;
    out.market_ticker = market.ticker;
    std::string frame;
    kalshi::EncodeTrade(sub.sid, ++sub.last_seq, out, frame);
    core_.stats().market_frames_sent.fetch_add(1, std::memory_order_relaxed);
    out_.Send(std::move(frame));
  }
}

void ClientSession::OnPrivateEvent(
    Channel channel, std::string_view market,
    const std::function<std::string(int64_t, std::optional<int64_t>)>& encode) {
  for (auto& [sid, sub] : subs_) {
    if (dropped_) return;
    if (sub.channel != channel) continue;
    if (!market.empty() && !sub.Covers(market)) continue;
    std::optional<int64_t> seq;
    if (sub.HasSeq()) seq = ++sub.last_seq;
    const std::chrono::milliseconds delay = core_.faults().private_delay;
    if (delay.count() > 0) {
      core_.stats().faults_delayed_private.fetch_add(1, std::memory_order_relaxed);
      out_.SendDelayed(encode(sub.sid, seq), delay);
    } else {
      out_.Send(encode(sub.sid, seq));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ExchangeCore

ExchangeCore::ExchangeCore(CoreOptions options, AtomicStats& stats)
    : options_(std::move(options)), stats_(stats), markets_(options_.markets) {
  TradingOptions trading;
  trading.sim = options_.trading_sim;
  trading_ = std::make_unique<TradingEngine>(std::move(trading), markets_);
  for (const auto& [key_id, balance] : options_.accounts) trading_->AddAccount(key_id, balance);
  trading_->set_notice_sink([this](std::string_view key_id, const PrivateNotice& notice) {
    const kalshi::Channel channel = NoticeChannel(notice);
    const std::string_view market = NoticeMarket(notice);
    for (auto& session : sessions_) {
      if (session->key_id() != key_id) continue;
      session->OnPrivateEvent(channel, market, [&](int64_t sid, std::optional<int64_t> seq) {
        return EncodeNotice(notice, key_id, sid, seq);
      });
    }
  });
}

ExchangeCore::~ExchangeCore() = default;

ClientSession* ExchangeCore::AddSession(Outbound& out, std::string key_id) {
  sessions_.push_back(std::make_unique<ClientSession>(*this, out, std::move(key_id)));
  return sessions_.back().get();
}

void ExchangeCore::RemoveSession(ClientSession* session) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(),
                         [session](const auto& s) { return s.get() == session; });
  if (it != sessions_.end()) sessions_.erase(it);
}

void ExchangeCore::NotifyOrderbookSubscribed() {
  if (orderbook_subscribed_) return;
  orderbook_subscribed_ = true;
  if (on_first_orderbook_subscription) on_first_orderbook_subscription();
}

namespace {

// The level changes turning `from` into `to` (both ascending by price): one delta per price
// whose size differs.
void DiffSide(std::span<const core::PriceLevel> from, std::span<const core::PriceLevel> to,
              core::OutcomeSide side, std::optional<int64_t> ts_ms,
              std::vector<kalshi::OrderbookDelta>& out) {
  std::size_t i = 0, j = 0;
  auto emit = [&](core::Price price, core::Count delta) {
    kalshi::OrderbookDelta d;
    d.price = price;
    d.delta = delta;
    d.side = side;
    d.ts_ms = ts_ms;
    out.push_back(d);
  };
  while (i < from.size() || j < to.size()) {
    if (j == to.size() || (i < from.size() && from[i].price < to[j].price)) {
      emit(from[i].price, -from[i].count);
      ++i;
    } else if (i == from.size() || to[j].price < from[i].price) {
      emit(to[j].price, to[j].count);
      ++j;
    } else {
      if (from[i].count != to[j].count) emit(to[j].price, to[j].count - from[i].count);
      ++i;
      ++j;
    }
  }
}

}  // namespace

bool ExchangeCore::ApplyRecord(std::string_view frame, bool use_yes_price,
                               core::Timestamp local_ts) {
  auto decoded = decoder_.Decode(frame);
  if (!decoded.ok()) return false;
  const kalshi::Message& msg = **decoded;
  switch (msg.type) {
    case kalshi::MessageType::kOrderbookSnapshot: {
      MarketState* m = markets_.Find(msg.snapshot.market_ticker);
      if (m == nullptr) return true;
      // Internal books hold NO bids in NO-leg prices; a use_yes_price recording's NO levels
      // are YES-leg prices (PROTOCOL §3.6). ApplySnapshot sorts.
      yes_scratch_.assign(msg.snapshot.yes_bids.begin(), msg.snapshot.yes_bids.end());
      no_scratch_.assign(msg.snapshot.no_bids.begin(), msg.snapshot.no_bids.end());
      if (use_yes_price) {
        for (auto& l : no_scratch_) l.price = l.price.Complement();
      }
      for (const auto& l : yes_scratch_) m->subpenny |= IsSubpenny(l.price);
      for (const auto& l : no_scratch_) m->subpenny |= IsSubpenny(l.price);
      // Remember the old ladders to diff against (copies: the book reuses its vectors).
      std::vector<core::PriceLevel> old_yes(m->book.Bids(core::OutcomeSide::kYes).begin(),
                                            m->book.Bids(core::OutcomeSide::kYes).end());
      std::vector<core::PriceLevel> old_no(m->book.Bids(core::OutcomeSide::kNo).begin(),
                                           m->book.Bids(core::OutcomeSide::kNo).end());
      if (m->book.ApplySnapshot(yes_scratch_, no_scratch_).has_value()) return true;
      m->updated_ts = local_ts;
      diff_.clear();
      if (m->appeared) {
        // A recorded re-snapshot: subscribers already hold the book, and Kalshi sends no
        // unsolicited snapshots, so the change goes out as deltas.
        std::optional<int64_t> ts_ms = local_ts.millis();
        DiffSide(old_yes, m->book.Bids(core::OutcomeSide::kYes), core::OutcomeSide::kYes, ts_ms,
                 diff_);
        DiffSide(old_no, m->book.Bids(core::OutcomeSide::kNo), core::OutcomeSide::kNo, ts_ms,
                 diff_);
        if (diff_.empty()) return true;
      }
      m->appeared = true;
      for (auto& s : sessions_) s->OnBookUpdate(*m, diff_);
      trading_->OnBookUpdate(*m, local_ts);
      return true;
    }
    case kalshi::MessageType::kOrderbookDelta: {
      MarketState* m = markets_.Find(msg.delta.market_ticker);
      if (m == nullptr) return true;
      kalshi::OrderbookDelta d = msg.delta;
      if (use_yes_price && d.side == core::OutcomeSide::kNo) d.price = d.price.Complement();
      m->subpenny |= IsSubpenny(d.price);
      auto effect = m->book.ApplyDelta(d.side, d.price, d.delta);
      if (!effect.ok()) return true;  // e.g. a delta before the market's snapshot: skipped
      m->updated_ts = local_ts;
      if (*effect == book::DeltaEffect::kNoop) return true;
      for (auto& s : sessions_) s->OnBookUpdate(*m, std::span<const kalshi::OrderbookDelta>(&d, 1));
      trading_->OnBookUpdate(*m, local_ts);
      return true;
    }
    case kalshi::MessageType::kTicker: {
      MarketState* m = markets_.Find(msg.ticker.market_ticker);
      if (m == nullptr) return true;
      const kalshi::Ticker& t = msg.ticker;
      TickerState& s = m->ticker_state;
      s.has = true;
      s.last_price = t.last_price;
      s.yes_bid = t.yes_bid;
      s.yes_ask = t.yes_ask;
      s.volume = t.volume;
      s.open_interest = t.open_interest;
      s.dollar_volume = t.dollar_volume;
      s.dollar_open_interest = t.dollar_open_interest;
      s.yes_bid_size = t.yes_bid_size;
      s.yes_ask_size = t.yes_ask_size;
      s.last_trade_size = t.last_trade_size;
      s.ts_ms = t.ts_ms;
      m->updated_ts = local_ts;
      for (auto& session : sessions_) session->OnTicker(*m);
      return true;
    }
    case kalshi::MessageType::kTrade: {
      MarketState* m = markets_.Find(msg.trade.market_ticker);
      if (m == nullptr) return true;
      m->last_trade_price = msg.trade.yes_price;
      m->last_trade_size = msg.trade.count;
      m->volume += msg.trade.count;
      m->updated_ts = local_ts;
      for (auto& session : sessions_) session->OnTrade(*m, msg.trade);
      trading_->OnTrade(*m, sim::TradePrint::FromKalshi(msg.trade), local_ts);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace kalshiflow::exchange::internal
