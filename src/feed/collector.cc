#include "feed/collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/check.h"
#include "core/market.h"
#include "kalshi/commands.h"

namespace kalshiflow::feed {

std::string_view UpdateTypeName(UpdateType type) {
  return type == UpdateType::kSnapshot ? "snapshot" : "delta";
}

struct Collector::Counters {
  std::atomic<uint64_t> frames{0}, bytes{0}, decode_errors{0}, snapshots{0}, deltas{0}, trades{0},
      tickers{0}, duplicates{0}, gaps{0}, refused{0}, resync_requests{0}, resubscribes{0},
      command_errors{0}, connects{0}, rows_enqueued{0}, rows_dropped{0}, triggers{0},
      markets_live{0}, send_failures{0}, stale_sid_frames{0};
};

namespace {
void Bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}
// Log at most this many lines per kind of problem; counters keep the totals.
constexpr uint64_t kMaxLoggedProblems = 20;
}  // namespace

core::Result<std::unique_ptr<Collector>> Collector::Create(CollectorOptions options,
                                                           storage::WriteQueue* queue,
                                                           CommandSender* sender,
                                                           const core::Clock* clock) {
  if (queue == nullptr || sender == nullptr || clock == nullptr) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "collector: queue, sender and clock are required");
  }
  if (options.session_id <= 0) {
    return core::Status(core::StatusCode::kInvalidArgument, "collector: session_id must be > 0");
  }
  if (options.market_tickers.empty()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "collector: no market tickers to subscribe to");
  }
  if (options.max_tickers_per_subscribe == 0) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "collector: max_tickers_per_subscribe must be >= 1");
  }
  for (const auto& ticker : options.market_tickers) {
    auto valid = core::ValidateTicker(ticker);
    if (!valid.ok()) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "collector: market ticker: " + valid.ToString());
    }
  }
  // Duplicates would be subscribed twice (Kalshi: error "already subscribed").
  auto& tickers = options.market_tickers;
  std::vector<std::string> unique;
  for (auto& t : tickers) {
    if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);
  }
  tickers = std::move(unique);
  return std::unique_ptr<Collector>(new Collector(std::move(options), queue, sender, clock));
}

Collector::Collector(CollectorOptions options, storage::WriteQueue* queue, CommandSender* sender,
                     const core::Clock* clock)
    : options_(std::move(options)),
      queue_(queue),
      sender_(sender),
      clock_(clock),
      counters_(std::make_unique<Counters>()) {}

Collector::~Collector() = default;

CollectorStats Collector::Stats() const {
  const Counters& c = *counters_;
  auto r = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  CollectorStats s;
  s.frames = r(c.frames);
  s.bytes = r(c.bytes);
  s.decode_errors = r(c.decode_errors);
  s.snapshots = r(c.snapshots);
  s.deltas = r(c.deltas);
  s.trades = r(c.trades);
  s.tickers = r(c.tickers);
  s.duplicates = r(c.duplicates);
  s.gaps = r(c.gaps);
  s.refused = r(c.refused);
  s.resync_requests = r(c.resync_requests);
  s.resubscribes = r(c.resubscribes);
  s.command_errors = r(c.command_errors);
  s.connects = r(c.connects);
  s.rows_enqueued = r(c.rows_enqueued);
  s.rows_dropped = r(c.rows_dropped);
  s.triggers = r(c.triggers);
  s.markets_live = r(c.markets_live);
  s.send_failures = r(c.send_failures);
  s.stale_sid_frames = r(c.stale_sid_frames);
  return s;
}

bool Collector::AllBooksLive() const {
  for (const auto& ticker : options_.market_tickers) {
    const book::OrderBook* b = books_.Find(ticker);
    if (b == nullptr || !b->live()) return false;
  }
  return true;
}

void Collector::UpdateLiveGauge() {
  uint64_t live = 0;
  books_.ForEachBook([&](const book::OrderBook& b) { live += b.live() ? 1 : 0; });
  counters_->markets_live.store(live, std::memory_order_relaxed);
}

void Collector::Send(std::string text) {
  if (!sender_->SendCommand(std::move(text))) Bump(counters_->send_failures);
}

void Collector::OnConnected() {
  Bump(counters_->connects);
  books_.Reset();
  sids_.clear();
  pending_subscribes_.clear();
  resync_commands_.clear();
  UpdateLiveGauge();
  const auto& all = options_.market_tickers;
  for (std::size_t start = 0; start < all.size(); start += options_.max_tickers_per_subscribe) {
    const std::size_t end = std::min(all.size(), start + options_.max_tickers_per_subscribe);
    std::vector<std::string> batch(all.begin() + static_cast<std::ptrdiff_t>(start),
                                   all.begin() + static_cast<std::ptrdiff_t>(end));
    Subscribe(kalshi::Channel::kOrderbookDelta, batch);
    if (options_.subscribe_ticker) Subscribe(kalshi::Channel::kTicker, batch);
    if (options_.subscribe_trade) Subscribe(kalshi::Channel::kTrade, batch);
  }
}

void Collector::Subscribe(kalshi::Channel channel, std::vector<std::string> tickers) {
  kalshi::SubscribeCommand command;
  command.id = NextId();
  command.channels = {channel};
  command.market_tickers = tickers;
  if (channel == kalshi::Channel::kOrderbookDelta) command.use_yes_price = false;  // §3.6
  auto text = kalshi::BuildSubscribe(command);
  KF_CHECK(text.ok(), "subscribe command for validated tickers: {}", text.error().ToString());
  pending_subscribes_[command.id] = PendingSubscribe{channel, std::move(tickers)};
  Send(std::move(*text));
}

void Collector::OnDisconnected() {
  books_.Reset();
  sids_.clear();
  pending_subscribes_.clear();
  resync_commands_.clear();
  UpdateLiveGauge();
}

bool Collector::Enqueue(storage::Row row) {
  if (queue_->TryEnqueue(std::move(row))) {
    Bump(counters_->rows_enqueued);
    return true;
  }
  const uint64_t dropped = counters_->rows_dropped.load(std::memory_order_relaxed);
  if (dropped < kMaxLoggedProblems) {
    spdlog::warn("collector: write queue refused a row (full or shut down); dropped so far: {}",
                 dropped + 1);
  }
  Bump(counters_->rows_dropped);
  return false;
}

void Collector::Fire(std::string_view ticker, UpdateType type, int64_t sid, int64_t seq,
                     core::Timestamp received, std::optional<int64_t> exchange_ts_ms) {
  if (!trigger_hook_) return;
  Bump(counters_->triggers);
  trigger_hook_(
      ActorTrigger{ticker, type, sid, seq, received, exchange_ts_ms, books_.Find(ticker)});
}

void Collector::OnFrame(std::string_view frame, core::Timestamp received) {
  Bump(counters_->frames);
  Bump(counters_->bytes, frame.size());
  // Strictly increasing local timestamps: replay order (local_ts, then seq) is receive order
  // even when the wall clock steps back or two frames share a nanosecond.
  core::Timestamp local_ts = received;
  if (local_ts.nanos() <= last_local_ts_.nanos()) {
    local_ts = core::Timestamp::FromNanos(last_local_ts_.nanos() + 1);
  }
  last_local_ts_ = local_ts;

  auto decoded = decoder_.DecodePadded(frame, frame.size() + kalshi::Decoder::kPadding);
  if (options_.record_raw_frames) {
    storage::RawFrameRow raw;
    raw.session_id = options_.session_id;
    if (decoded.ok()) {
      const kalshi::Message& m = **decoded;
      if (m.sid > 0) raw.sid = m.sid;
      raw.seq = m.seq;
    }
    raw.local_ts = local_ts;
    raw.frame.assign(frame);
    raw_accepted_ = Enqueue(std::move(raw));
  } else {
    raw_accepted_ = true;
  }
  if (!decoded.ok()) {
    const uint64_t errors = counters_->decode_errors.load(std::memory_order_relaxed);
    if (errors < kMaxLoggedProblems) {
      spdlog::warn("collector: frame {} refused: {}",
                   counters_->frames.load(std::memory_order_relaxed), decoded.error().ToString());
    }
    Bump(counters_->decode_errors);
  } else {
    HandleMessage(**decoded, frame, local_ts);
  }
  if (!resync_commands_.empty()) Tick(received);
}

void Collector::HandleMessage(const kalshi::Message& m, std::string_view /*frame*/,
                              core::Timestamp received) {
  using kalshi::MessageType;
  switch (m.type) {
    case MessageType::kSubscribed: {
      auto it = pending_subscribes_.find(m.id);
      if (it == pending_subscribes_.end()) {
        spdlog::warn("collector: `subscribed` for unknown command id {} (sid {})", m.id,
                     m.subscribed.sid);
        return;
      }
      const int64_t sid = m.subscribed.sid;
      SidState state{it->second.channel, std::move(it->second.tickers), std::nullopt, {}};
      pending_subscribes_.erase(it);
      if (state.channel == kalshi::Channel::kOrderbookDelta) {
        for (const auto& ticker : state.tickers) {
          auto bound = books_.BindMarket(sid, ticker);
          KF_CHECK(bound.ok(), "binding validated ticker {}: {}", ticker, bound.ToString());
        }
      }
      sids_[sid] = std::move(state);
      return;
    }
    case MessageType::kOk: {
      // An update_subscription answer carries the sid's next seq (PROTOCOL §3.3).
      auto sid_it = sids_.find(m.sid);
      if (m.seq && sid_it != sids_.end() &&
          sid_it->second.channel == kalshi::Channel::kOrderbookDelta) {
        const book::SeqVerdict verdict = books_.ObserveSeq(m.sid, *m.seq);
        if (verdict == book::SeqVerdict::kGap) {
          Bump(counters_->gaps);
          UpdateLiveGauge();
          RequestSnapshots(m.sid, received);
        }
      }
      return;
    }
    case MessageType::kError:
      OnError(m);
      return;
    case MessageType::kOrderbookSnapshot:
    case MessageType::kOrderbookDelta:
      // Frames of a subscription we dropped (resubscribe) may still be in flight: they are
      // not part of any live sequence, so they neither count as gaps nor touch the books.
      if (!sids_.contains(m.sid)) {
        Bump(counters_->stale_sid_frames);
        return;
      }
      if (m.type == MessageType::kOrderbookSnapshot) {
        OnSnapshot(m, received);
      } else {
        OnDelta(m, received);
      }
      return;
    case MessageType::kTrade:
      Bump(counters_->trades);
      if (trade_hook_ && raw_accepted_) {
        trade_hook_(
            TradeTrigger{m.trade.market_ticker, m.trade.count, m.trade.yes_price, m.trade.ts_ms});
      }
      return;
    case MessageType::kTicker:
      Bump(counters_->tickers);
      return;
    default:
      return;  // other channels are not subscribed by the collector; raw frame kept
  }
}

void Collector::OnSnapshot(const kalshi::Message& m, core::Timestamp received) {
  const auto& s = m.snapshot;
  if (!m.seq) {
    Bump(counters_->refused);
    spdlog::warn("collector: orderbook_snapshot for {} without seq refused", s.market_ticker);
    return;
  }
  const book::ApplyOutcome outcome =
      books_.ApplySnapshot(m.sid, *m.seq, s.market_ticker, s.yes_bids, s.no_bids);
  if (outcome.verdict == book::SeqVerdict::kDuplicate) {
    Bump(counters_->duplicates);
    return;
  }
  if (outcome.verdict == book::SeqVerdict::kGap) Bump(counters_->gaps);
  if (outcome.applied) {
    Bump(counters_->snapshots);
    storage::SnapshotRow row;
    row.session_id = options_.session_id;
    row.market_ticker.assign(s.market_ticker);
    row.sid = m.sid;
    row.seq = *m.seq;
    row.local_ts = received;
    row.yes_bids.assign(s.yes_bids.begin(), s.yes_bids.end());
    row.no_bids.assign(s.no_bids.begin(), s.no_bids.end());
    if (Enqueue(std::move(row))) {
      Fire(s.market_ticker, UpdateType::kSnapshot, m.sid, *m.seq, received, std::nullopt);
    }
  } else {
    Bump(counters_->refused);
    spdlog::warn("collector: orderbook_snapshot {} sid {} seq {} refused: {}", s.market_ticker,
                 m.sid, *m.seq,
                 outcome.error ? book::BookErrorName(*outcome.error)
                               : book::SeqVerdictName(outcome.verdict));
  }
  UpdateLiveGauge();
  if (outcome.verdict == book::SeqVerdict::kGap) RequestSnapshots(m.sid, received);
  CheckResyncDone(m.sid);
}

void Collector::OnDelta(const kalshi::Message& m, core::Timestamp received) {
  const auto& d = m.delta;
  if (!m.seq) {
    Bump(counters_->refused);
    return;
  }
  const book::ApplyOutcome outcome =
      books_.ApplyDelta(m.sid, *m.seq, d.market_ticker, d.side, d.price, d.delta, d.ts_ms);
  switch (outcome.verdict) {
    case book::SeqVerdict::kDuplicate:
      Bump(counters_->duplicates);
      return;
    case book::SeqVerdict::kGap:
      Bump(counters_->gaps);
      UpdateLiveGauge();
      spdlog::info("collector: seq gap on sid {} at seq {} ({}): requesting snapshots", m.sid,
                   *m.seq, d.market_ticker);
      RequestSnapshots(m.sid, received);
      return;
    case book::SeqVerdict::kInvalid:
      Bump(counters_->refused);
      return;
    case book::SeqVerdict::kApply:
      break;
  }
  if (!outcome.applied) {
    // Expected while a book waits for its snapshot (stale after a gap, or a delta racing the
    // subscription); anything else is bad data from the exchange.
    const bool waiting = outcome.error && (*outcome.error == book::BookError::kStale ||
                                           *outcome.error == book::BookError::kNoSnapshot ||
                                           *outcome.error == book::BookError::kWrongSid);
    const uint64_t refused = counters_->refused.load(std::memory_order_relaxed);
    if (!waiting && refused < kMaxLoggedProblems) {
      spdlog::warn("collector: orderbook_delta {} sid {} seq {} refused: {}", d.market_ticker,
                   m.sid, *m.seq,
                   outcome.error ? book::BookErrorName(*outcome.error) : "not applied");
    }
    Bump(counters_->refused);
    return;
  }
  Bump(counters_->deltas);
  storage::DeltaRow row;
  row.session_id = options_.session_id;
  row.market_ticker.assign(d.market_ticker);
  row.sid = m.sid;
  row.seq = *m.seq;
  row.exchange_ts_ms = d.ts_ms;
  row.local_ts = received;
  row.side = d.side;
  row.price = d.price;
  row.delta = d.delta;
  if (Enqueue(std::move(row))) {
    Fire(d.market_ticker, UpdateType::kDelta, m.sid, *m.seq, received, d.ts_ms);
  }
}

void Collector::OnError(const kalshi::Message& m) {
  Bump(counters_->command_errors);
  spdlog::warn("collector: exchange error for command {}: code {} \"{}\"{}", m.id, m.error.code,
               m.error.message,
               m.error.market_ticker.empty()
                   ? std::string()
                   : " (market " + std::string(m.error.market_ticker) + ")");
  if (auto it = resync_commands_.find(m.id); it != resync_commands_.end()) {
    Resubscribe(it->second);
    return;
  }
  if (auto it = pending_subscribes_.find(m.id); it != pending_subscribes_.end()) {
    spdlog::error("collector: subscribe command {} for {} markets failed: {}", m.id,
                  it->second.tickers.size(), m.error.message);
    pending_subscribes_.erase(it);
  }
}

void Collector::RequestSnapshots(int64_t sid, core::Timestamp now) {
  auto it = sids_.find(sid);
  if (it == sids_.end()) return;
  const std::vector<std::string_view> markets = books_.MarketsNeedingSnapshot(sid);
  if (markets.empty()) return;
  // A new gap while a request is in flight (e.g. one of its snapshots was lost) supersedes
  // it: ask again for every market that now needs a snapshot, with a fresh deadline.
  kalshi::UpdateSubscriptionCommand command;
  command.id = NextId();
  command.sids = {sid};
  command.action = kalshi::UpdateAction::kGetSnapshot;
  command.market_tickers.assign(markets.begin(), markets.end());
  auto text = kalshi::BuildUpdateSubscription(command);
  KF_CHECK(text.ok(), "get_snapshot command: {}", text.error().ToString());
  if (!it->second.resync_command_id) {
    it->second.resync_deadline = core::Timestamp::FromNanos(
        now.nanos() + std::chrono::nanoseconds(options_.snapshot_timeout).count());
  }
  it->second.resync_command_id = command.id;
  resync_commands_[command.id] = sid;
  Bump(counters_->resync_requests);
  Send(std::move(*text));
}

void Collector::CheckResyncDone(int64_t sid) {
  auto it = sids_.find(sid);
  if (it == sids_.end() || !it->second.resync_command_id) return;
  if (!books_.MarketsNeedingSnapshot(sid).empty()) return;
  ForgetResync(sid);
}

void Collector::ForgetResync(int64_t sid) {
  for (auto c = resync_commands_.begin(); c != resync_commands_.end();) {
    c = c->second == sid ? resync_commands_.erase(c) : std::next(c);
  }
  if (auto it = sids_.find(sid); it != sids_.end()) it->second.resync_command_id.reset();
}

void Collector::Tick(core::Timestamp now) {
  std::vector<int64_t> expired;
  for (const auto& [sid, state] : sids_) {
    if (state.resync_command_id && now.nanos() >= state.resync_deadline.nanos()) {
      expired.push_back(sid);
    }
  }
  for (int64_t sid : expired) {
    spdlog::warn(
        "collector: get_snapshot on sid {} did not heal its books within {} ms: "
        "resubscribing",
        sid, options_.snapshot_timeout.count());
    Resubscribe(sid);
  }
}

void Collector::Resubscribe(int64_t sid) {
  auto it = sids_.find(sid);
  if (it == sids_.end()) return;
  ForgetResync(sid);
  SidState state = std::move(it->second);
  sids_.erase(it);
  auto text = kalshi::BuildUnsubscribe(NextId(), {sid});
  KF_CHECK(text.ok(), "unsubscribe command: {}", text.error().ToString());
  Send(std::move(*text));
  if (state.channel == kalshi::Channel::kOrderbookDelta) books_.DropSid(sid);
  UpdateLiveGauge();
  Bump(counters_->resubscribes);
  Subscribe(state.channel, std::move(state.tickers));
}

}  // namespace kalshiflow::feed
