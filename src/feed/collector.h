// Collector: the transport-independent heart of the market-data feed (DESIGN §2 "Life of a
// delta"): subscribes, decodes every frame, enforces the per-sid sequence rule on the
// connection's books, resyncs after gaps, records raw frames and normalised snapshot/delta
// rows through the write queue, and fires the actor-trigger hook for updates the queue
// accepted.
//
// Sources: PROTOCOL.md §3.2 (subscribe / update_subscription commands), §3.3 (acks, errors),
// §3.5 (seq per sid, gap → `update_subscription` action `get_snapshot`; if that does not heal
// the books, unsubscribe and subscribe again), §3.6 (we always subscribe with
// use_yes_price=false, so NO levels arrive in NO-leg prices as the books hold them).
//
// The network side (net::WebSocketClient, or a test) feeds it: OnConnected() after each
// successful upgrade (a new connection: every sid is forgotten, every book is stale until its
// snapshot), OnFrame() for every received text frame, OnDisconnected() when the connection
// ends. Commands go out through the CommandSender.
//
// Resync policy: a gap on sid S (BookSet marks S's books stale) sends a `get_snapshot` for
// the markets of S that need a snapshot (a further gap while it is in flight sends another
// for the markets then needing one). If S's books are not all live again within
// `snapshot_timeout` of the first request (checked on every frame and by Tick, which the
// owner calls periodically), or the exchange answers with an error, the collector
// unsubscribes S and subscribes its markets again (a new sid). Both are counted.
//
// Threading contract: OnConnected, OnFrame, OnDisconnected, Tick and books() are called from
// one thread (the connection's I/O thread). Stats() is thread-safe (relaxed atomics) and may
// be called from any thread, e.g. a stats printer. The trigger hook runs on the calling
// thread inside OnFrame and must not block (the actor coalesces and hands off).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "book/book_set.h"
#include "core/status.h"
#include "core/time.h"
#include "kalshi/decoder.h"
#include "storage/rows.h"
#include "storage/write_queue.h"

namespace kalshiflow::feed {

/// Sends one command text frame on the current connection; false when it could not be queued
/// (not connected, outbound queue full).
class CommandSender {
 public:
  virtual ~CommandSender() = default;
  virtual bool SendCommand(std::string text) = 0;
};

/// What the actor is told after the write queue accepted an order-book update.
enum class UpdateType { kSnapshot, kDelta };
std::string_view UpdateTypeName(UpdateType type);  // "snapshot" / "delta"

struct ActorTrigger {
  std::string_view market_ticker;  // valid during the hook call only
  UpdateType update_type = UpdateType::kDelta;
  int64_t sid = 0;
  int64_t seq = 0;
  core::Timestamp received;               // local receive time of the frame
  std::optional<int64_t> exchange_ts_ms;  // Kalshi's ts_ms of a delta (snapshots have none)
  const book::OrderBook* book = nullptr;  // the market's book after the update (hook call only)
};
using ActorTriggerHook = std::function<void(const ActorTrigger&)>;

/// One public trade (`trade` channel) as the actor is told about it — after the write queue
/// accepted its raw frame (trades are stored raw only). The actor's `hot` market ranking counts
/// traded contracts (DESIGN §7).
struct TradeTrigger {
  std::string_view market_ticker;  // valid during the hook call only
  core::Count count;               // contracts traded
  core::Price yes_price;
  int64_t ts_ms = 0;  // Kalshi's trade time (Unix ms)
};
using TradeHook = std::function<void(const TradeTrigger&)>;

struct CollectorOptions {
  storage::SessionId session_id = 0;        // the session the rows belong to (> 0)
  std::vector<std::string> market_tickers;  // >= 1, each valid (core::ValidateTicker)
  /// Tickers per `subscribe` command (Kalshi caps markets per subscription: error 26).
  std::size_t max_tickers_per_subscribe = 500;
  bool subscribe_ticker = false;  // also the `ticker` channel (stored as raw frames)
  bool subscribe_trade = false;   // also the `trade` channel (stored as raw frames)
  bool record_raw_frames = true;  // every received frame → rl_raw_frames
  std::chrono::milliseconds snapshot_timeout{5'000};
};

/// Monotonic counters (read with Collector::Stats()).
struct CollectorStats {
  uint64_t frames = 0;  // text frames received
  uint64_t bytes = 0;
  uint64_t decode_errors = 0;  // malformed / invalid frames (typed DecodeError, logged)
  uint64_t snapshots = 0;      // snapshots applied to a book
  uint64_t deltas = 0;         // deltas applied to a book
  uint64_t trades = 0;
  uint64_t tickers = 0;
  uint64_t duplicates = 0;        // (sid, seq) already seen: dropped
  uint64_t gaps = 0;              // seq gaps detected
  uint64_t refused = 0;           // updates the books refused (stale after a gap, before a
                                  // snapshot, invalid price/size: typed BookError, logged)
  uint64_t resync_requests = 0;   // get_snapshot commands sent
  uint64_t resubscribes = 0;      // fallbacks: unsubscribe + subscribe
  uint64_t command_errors = 0;    // `error` frames received
  uint64_t connects = 0;          // OnConnected calls
  uint64_t rows_enqueued = 0;     // rows the write queue accepted
  uint64_t rows_dropped = 0;      // rows the write queue refused (full / shut down)
  uint64_t triggers = 0;          // actor-trigger hook calls
  uint64_t markets_live = 0;      // books live now (gauge)
  uint64_t send_failures = 0;     // commands the sender refused
  uint64_t stale_sid_frames = 0;  // book frames of a sid no longer subscribed (ignored)
};

class Collector {
 public:
  /// InvalidArgument for an empty or invalid ticker list, session_id <= 0 or a zero batch
  /// size. `queue`, `sender` and `clock` must outlive the collector.
  static core::Result<std::unique_ptr<Collector>> Create(CollectorOptions options,
                                                         storage::WriteQueue* queue,
                                                         CommandSender* sender,
                                                         const core::Clock* clock);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  /// A new connection is up: forget every sid (books stale), subscribe every market again.
  void OnConnected();
  /// One received text frame. `frame` must have kalshi::Decoder::kPadding readable bytes
  /// after its end (net::WebSocketClient guarantees it).
  void OnFrame(std::string_view frame, core::Timestamp received);
  /// The connection ended: every book is stale until the next connection's snapshots.
  void OnDisconnected();
  /// Checks resync deadlines (call periodically on the I/O thread; OnFrame calls it too).
  void Tick(core::Timestamp now);

  void SetActorTriggerHook(ActorTriggerHook hook) { trigger_hook_ = std::move(hook); }
  /// Called for every decoded trade whose raw frame the write queue accepted (or every trade
  /// when raw frames are not recorded). Same thread as OnFrame.
  void SetTradeHook(TradeHook hook) { trade_hook_ = std::move(hook); }
  CollectorStats Stats() const;
  /// The connection's books (I/O thread only).
  const book::BookSet& books() const { return books_; }
  /// Every market has a live book (I/O thread only).
  bool AllBooksLive() const;

 private:
  struct Counters;
  struct PendingSubscribe {
    kalshi::Channel channel;
    std::vector<std::string> tickers;
  };
  struct SidState {
    kalshi::Channel channel;
    std::vector<std::string> tickers;
    std::optional<int64_t> resync_command_id;  // get_snapshot in flight
    core::Timestamp resync_deadline;
  };

  Collector(CollectorOptions options, storage::WriteQueue* queue, CommandSender* sender,
            const core::Clock* clock);
  void Subscribe(kalshi::Channel channel, std::vector<std::string> tickers);
  void HandleMessage(const kalshi::Message& message, std::string_view frame,
                     core::Timestamp received);
  void OnSnapshot(const kalshi::Message& m, core::Timestamp received);
  void OnDelta(const kalshi::Message& m, core::Timestamp received);
  void OnError(const kalshi::Message& m);
  void RequestSnapshots(int64_t sid, core::Timestamp now);
  void Resubscribe(int64_t sid);
  void CheckResyncDone(int64_t sid);
  void ForgetResync(int64_t sid);
  bool Enqueue(storage::Row row);
  void Fire(std::string_view ticker, UpdateType type, int64_t sid, int64_t seq,
            core::Timestamp received, std::optional<int64_t> exchange_ts_ms);
  void Send(std::string text);
  int64_t NextId() { return next_command_id_++; }
  void UpdateLiveGauge();

  CollectorOptions options_;
  storage::WriteQueue* queue_;
  CommandSender* sender_;
  const core::Clock* clock_;
  kalshi::Decoder decoder_;
  book::BookSet books_;
  std::string padded_copy_;
  int64_t next_command_id_ = 1;
  std::map<int64_t, PendingSubscribe> pending_subscribes_;  // command id → request
  std::map<int64_t, SidState> sids_;                        // live subscriptions
  std::map<int64_t, int64_t> resync_commands_;              // command id → sid
  core::Timestamp last_local_ts_;
  ActorTriggerHook trigger_hook_;
  TradeHook trade_hook_;
  bool raw_accepted_ = true;  // the current frame's raw row was accepted (or not recorded)
  std::unique_ptr<Counters> counters_;
};

}  // namespace kalshiflow::feed
