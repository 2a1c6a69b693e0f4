// Internal to the exchange module: everything the exchange does that is not socket I/O.
//  * MarketStore: the exchange's own book and statistics per market (ground truth).
//  * ClientSession: one WebSocket connection's command handling (PROTOCOL.md §3.2, §3.3),
//    subscriptions, per-sid seq and fault injection. It writes frames to an Outbound, which the
//    Beast layer (exchange_server.cc) implements with a queue.
//  * ExchangeCore: applies replayed records to the MarketStore and fans them out to sessions.
// Threading: all of it runs on the server's single I/O thread (thread-compatible); only
// AtomicStats is read from other threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/time.h"
#include "exchange/exchange_server.h"
#include "exchange/timeline.h"
#include "kalshi/channel.h"
#include "kalshi/decoder.h"
#include "kalshi/messages.h"
#include "sim/market_sim.h"

namespace kalshiflow::exchange::internal {

/// ExchangeStats with atomic counters (written on the I/O thread, read by Stats()).
struct AtomicStats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> auth_failures{0};
  std::atomic<uint64_t> commands_received{0};
  std::atomic<uint64_t> command_errors{0};
  std::atomic<uint64_t> market_frames_sent{0};
  std::atomic<uint64_t> snapshots_sent{0};
  std::atomic<uint64_t> pings_sent{0};
  std::atomic<uint64_t> faults_dropped_connections{0};
  std::atomic<uint64_t> faults_skipped_seqs{0};
  std::atomic<uint64_t> faults_duplicates{0};
  std::atomic<uint64_t> faults_malformed{0};
  std::atomic<uint64_t> faults_delayed_private{0};
  std::atomic<uint64_t> slow_subscriber_disconnects{0};
  std::atomic<uint64_t> rate_limited{0};
  std::atomic<uint64_t> replay_records_total{0};
  std::atomic<uint64_t> replay_records_done{0};
  std::atomic<bool> replay_finished{false};

  ExchangeStats Snapshot() const;
};

/// The last recorded `ticker` message of a market (copied out of the decoder's buffers).
struct TickerState {
  bool has = false;
  core::Price last_price, yes_bid, yes_ask;
  core::Count volume, open_interest;
  int64_t dollar_volume = 0;
  int64_t dollar_open_interest = 0;
  std::optional<core::Count> yes_bid_size, yes_ask_size, last_trade_size;
  int64_t ts_ms = 0;
};

/// One market of the exchange.
struct MarketState {
  std::string ticker;
  std::string market_id;      // deterministic UUID-shaped id derived from the ticker
  std::string event_ticker;   // ticker up to its last '-'
  std::string series_ticker;  // ticker up to its first '-'
  book::OrderBook book;       // YES bids and NO bids, NO-leg prices
  bool appeared = false;      // its first snapshot has been replayed
  bool subpenny = false;      // a price off the whole-cent grid was seen
  std::optional<core::Price> last_trade_price;
  core::Count volume;  // sum of replayed trade counts
  std::optional<core::Count> last_trade_size;
  core::Timestamp first_ts;  // local_ts of its first record on the timeline (pre-scan)
  core::Timestamp last_ts;   // local_ts of its last record on the timeline (pre-scan)
  std::optional<core::Timestamp> updated_ts;  // local_ts of the last replayed record
  TickerState ticker_state;
};

/// All markets, sorted by ticker (stable addresses).
class MarketStore {
 public:
  explicit MarketStore(const std::map<std::string, MarketSpan>& markets);
  MarketState* Find(std::string_view ticker);
  const MarketState* Find(std::string_view ticker) const;
  /// Sorted by ticker.
  const std::vector<std::unique_ptr<MarketState>>& all() const { return markets_; }

 private:
  std::vector<std::unique_ptr<MarketState>> markets_;
  std::map<std::string, MarketState*, std::less<>> index_;
};

/// Where a session's frames go (the Beast connection's outbound queue).
class Outbound {
 public:
  virtual ~Outbound() = default;
  /// Queues one text frame.
  virtual void Send(std::string frame) = 0;
  /// Queues one text frame that is not written before `delay` has passed (frames behind it
  /// wait too: the order is kept). FaultOptions::private_delay.
  virtual void SendDelayed(std::string frame, std::chrono::milliseconds delay) = 0;
  /// Closes the TCP connection abruptly (no close frame) once the frames queued so far are
  /// written (fault injection).
  virtual void DropConnection() = 0;
};

class ExchangeCore;
class TradingEngine;
struct TradingOptions;

/// One subscription (sid) of a session.
struct Subscription {
  int64_t sid = 0;
  kalshi::Channel channel = kalshi::Channel::kOrderbookDelta;
  bool all_markets = false;          // ticker/trade without a market filter
  std::vector<std::string> markets;  // in subscription order
  std::set<std::string, std::less<>> market_set;
  std::set<std::string, std::less<>> snapshot_sent;  // orderbook: markets that got a snapshot
  bool use_yes_price = false;
  bool skip_ticker_ack = false;
  int64_t last_seq = 0;

  bool Covers(std::string_view ticker) const {
    return all_markets || market_set.find(ticker) != market_set.end();
  }
  /// orderbook_delta, trade and order_group_updates carry seq (PROTOCOL §3.5); ticker, fill,
  /// market_positions and user_orders do not.
  bool HasSeq() const {
    return channel == kalshi::Channel::kOrderbookDelta || channel == kalshi::Channel::kTrade ||
           channel == kalshi::Channel::kOrderGroupUpdates;
  }
};

/// The command protocol and market-data fan-out of one WebSocket connection.
class ClientSession {
 public:
  /// `key_id`: the API key the connection authenticated with (its private channels carry
  /// that account's fills, orders, positions and order groups).
  ClientSession(ExchangeCore& core, Outbound& out, std::string key_id);

  /// One text frame from the client: a command (PROTOCOL §3.2). Answers are sent to the
  /// Outbound: acks, errors (§3.3 codes), snapshots.
  void OnText(std::string_view text);
  /// A binary frame: answered with error 1.
  void OnBinary();

  /// `market`'s book changed by `deltas` (NO-leg prices; already applied to market.book), or
  /// appeared (no deltas). Subscriptions covering it get a snapshot if they have not had one,
  /// else the deltas.
  void OnBookUpdate(const MarketState& market, std::span<const kalshi::OrderbookDelta> deltas);
  void OnTicker(const MarketState& market);
  void OnTrade(const MarketState& market, const kalshi::Trade& trade);
  /// An event of this connection's account on private `channel` about `market` ("" for order
  /// groups): `encode(sid, seq)` makes the frame for every subscription of that channel that
  /// covers the market (fill, user_orders, market_positions; order_group_updates always, with
  /// the sid's next seq).
  void OnPrivateEvent(kalshi::Channel channel, std::string_view market,
                      const std::function<std::string(int64_t, std::optional<int64_t>)>& encode);
  const std::string& key_id() const { return key_id_; }

  const std::map<int64_t, Subscription>& subscriptions() const { return subs_; }

 private:
  void SendError(int64_t id, int64_t code, std::string_view message, int64_t sid = 0,
                 std::string_view market_ticker = {});
  void Subscribe(int64_t id, const nlohmann::json& params);
  void Unsubscribe(int64_t id, const nlohmann::json& params);
  void UpdateSubscription(int64_t id, const nlohmann::json& params);
  void ListSubscriptions(int64_t id);
  void SendSnapshot(Subscription& sub, const MarketState& market, int64_t command_id);
  void SendDelta(Subscription& sub, const MarketState& market, const kalshi::OrderbookDelta& d);
  void SendTicker(Subscription& sub, const MarketState& market);
  /// Orderbook frames go through the fault injector (counted per connection).
  void SendOrderbookFrame(std::string frame, bool snapshot);
  void SendOk(int64_t id, Subscription& sub);

  ExchangeCore& core_;
  Outbound& out_;
  std::string key_id_;
  std::map<int64_t, Subscription> subs_;
  int64_t next_sid_ = 1;
  uint64_t orderbook_frames_ = 0;  // fault counter
  bool dropped_ = false;           // a drop fault fired: nothing more is sent
  std::string scratch_;
};

struct CoreOptions {
  FaultOptions faults;
  std::map<std::string, MarketSpan> markets;  // from the timeline pre-scan
  /// The trading engine's simulator settings (trading_engine.h; latency and initial cash 0).
  sim::SimConfig trading_sim;
  /// Accounts: API key id → starting balance.
  std::vector<std::pair<std::string, core::Money>> accounts;
};

/// The exchange's state and fan-out. Single-threaded (the I/O thread).
class ExchangeCore {
 public:
  ExchangeCore(CoreOptions options, AtomicStats& stats);
  ~ExchangeCore();
  ExchangeCore(const ExchangeCore&) = delete;
  ExchangeCore& operator=(const ExchangeCore&) = delete;

  /// A new connection's session (owned here until RemoveSession); `key_id` is the API key
  /// its upgrade was signed with.
  ClientSession* AddSession(Outbound& out, std::string key_id = {});
  void RemoveSession(ClientSession* session);

  /// Applies one replayed frame: updates the market's book / statistics and fans it out.
  /// `use_yes_price` is the recording's header flag (its NO prices are YES-leg prices).
  /// Returns true for a market-data record (counted in replay_records_done), false for a frame
  /// of another type or one that does not decode.
  bool ApplyRecord(std::string_view frame, bool use_yes_price, core::Timestamp local_ts);

  MarketStore& markets() { return markets_; }
  /// Orders, accounts and matching (trading_engine.h).
  TradingEngine& trading() { return *trading_; }
  const MarketStore& markets() const { return markets_; }
  const FaultOptions& faults() const { return options_.faults; }
  AtomicStats& stats() { return stats_; }

  /// Called once, when the first orderbook_delta subscription is acknowledged.
  std::function<void()> on_first_orderbook_subscription;
  void NotifyOrderbookSubscribed();

 private:
  CoreOptions options_;
  AtomicStats& stats_;
  MarketStore markets_;
  std::unique_ptr<TradingEngine> trading_;
  std::vector<std::unique_ptr<ClientSession>> sessions_;
  kalshi::Decoder decoder_;
  std::vector<kalshi::OrderbookDelta> diff_;
  std::vector<core::PriceLevel> yes_scratch_, no_scratch_;
  bool orderbook_subscribed_ = false;
};

/// "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, whole seconds, as Kalshi's REST times).
std::string FormatRfc3339(core::Timestamp ts);

}  // namespace kalshiflow::exchange::internal
