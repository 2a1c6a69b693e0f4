// ExchangeServer: the local Kalshi-compatible exchange for loopback use (`kalshiflow
// exchange`, the demo, and the collector's end-to-end and fault tests).
//
// One port serves both Kalshi surfaces, as api.elections.kalshi.com does:
//  * WebSocket at /trade-api/ws/v2 (PROTOCOL.md §3): subscribe / unsubscribe /
//    update_subscription (add_markets, delete_markets, get_snapshot) / list_subscriptions with
//    the documented acks and error codes; channels orderbook_delta (snapshot first, then
//    deltas, per-sid seq, use_yes_price honoured), ticker and trade (when the recording has
//    them); a Ping with payload "heartbeat" every ping_interval.
//  * REST under /trade-api/v2 (PROTOCOL.md §4): GET /markets (filters, cursor pagination),
//    /markets/{ticker}, /markets/{ticker}/orderbook, /markets/orderbooks, /exchange/status;
//    and trading (exchange/trading_api.h): the V2 order endpoints, order reads, portfolio,
//    order groups. Each API key is an account with its own starting balance; its orders are
//    matched against the replayed book by exchange/trading_engine.h, and its fills, orders,
//    positions and order-group events go out on the private channels fill, user_orders,
//    market_positions and order_group_updates of its WebSocket connections.
//  * Authentication exactly as Kalshi (PROTOCOL.md §1): the three KALSHI-ACCESS-* headers,
//    RSA-PSS or Ed25519 signature over timestamp+METHOD+path (no query), verified against the
//    public keys given; a missing, malformed, unknown-key, wrong or stale signature gets HTTP
//    401 with Kalshi's error body (on the REST request or on the WebSocket upgrade).
//
// Market data comes from recordings (recording/format.h) replayed on one timeline merged by
// local timestamp: each recorded orderbook_snapshot / orderbook_delta / ticker / trade frame
// updates the exchange's own book of that market and is fanned out, re-encoded with the
// subscription's sid and next seq, to every subscription covering the market. A subscription
// starts with a snapshot of each covered market that already has a book; a market that has
// not appeared in the timeline yet gets its first snapshot when it appears.
//
// Threading: the server owns its threads (Asio I/O + the replay driver); every public method
// is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "sim/market_sim.h"

namespace kalshiflow::exchange {

/// One API key the exchange accepts: its id (the KALSHI-ACCESS-KEY value) and public key.
struct ApiKey {
  std::string key_id;
  std::string public_key_pem;  // SubjectPublicKeyInfo PEM (RSA >= 2048 or Ed25519)
  /// The key's account starts with this balance (GET /portfolio/balance), in cents (>= 0).
  int64_t starting_balance_cents = 100'000;  // $1,000
};

/// When the replay timeline starts moving.
enum class ReplayStart {
  kImmediately,          // at Start()
  kOnFirstSubscription,  // when the first orderbook_delta subscription is acknowledged
};

/// Test faults, each counted per WebSocket connection over the orderbook frames it is sent
/// (0 = off). Every injected fault is counted in ExchangeStats.
struct FaultOptions {
  int64_t drop_connection_every = 0;  // close the TCP connection abruptly after every Nth frame
  int64_t skip_seq_every = 0;         // do not send every Nth frame, but consume its seq
  int64_t duplicate_every = 0;        // send every Nth frame twice (same seq)
  int64_t malformed_every = 0;        // send a malformed (truncated JSON) frame before every Nth
  /// A lagging account feed: every private-channel frame (fill, user_orders, market_positions,
  /// order_group_updates) is held this long before it is written, in order — the REST answer
  /// to an order then beats its fill message by at least this much, as it can on Kalshi.
  /// Counted in ExchangeStats::faults_delayed_private. 0 = off.
  std::chrono::milliseconds private_delay{0};
};

struct ExchangeOptions {
  std::string host = "127.0.0.1";  // bind address (loopback by default)
  uint16_t port = 0;               // 0 = an ephemeral port (see port())
  bool tls = true;                 // false = plain ws:// and http:// (loopback only)
  /// PEM certificate and key for TLS. Both empty = generate a self-signed one
  /// (net::GenerateSelfSignedCertificate), readable via certificate_pem().
  std::string certificate_pem;
  std::string private_key_pem;
  /// Accepted keys. Empty → every authenticated endpoint answers 401 (there is no anonymous
  /// mode, as on Kalshi).
  std::vector<ApiKey> api_keys;
  /// Largest accepted |server time − KALSHI-ACCESS-TIMESTAMP| (Kalshi does not document its
  /// window, PROTOCOL §1.4 [UNCERTAIN]).
  std::chrono::milliseconds max_timestamp_skew{30'000};
  std::vector<std::string> recordings;  // recording files, replayed merged by local_ts
  /// Replay speed: 1 = real time, N = N× real time, 0 = as fast as the slowest subscriber
  /// reads (`--speed max`).
  double speed = 1.0;
  ReplayStart start = ReplayStart::kOnFirstSubscription;
  FaultOptions faults;
  /// How account orders fill against the replayed book (exchange/trading_engine.h): queue
  /// model, fees (one schedule for every market), balance precision, marking. latency_ns and
  /// initial_cash must be 0 (InvalidArgument otherwise).
  sim::SimConfig trading_sim;
  /// PROTOCOL §4.9 rate limits per API key: "" = none, else a tier ("basic", "advanced", ...,
  /// "prestige"). Every authenticated REST request then costs tokens (10; a V2 cancel 2;
  /// batches per order) from the key's read (GET) or write bucket (orders, order groups);
  /// a request that finds too few answers 429 {"error": "too many requests"} with no
  /// Retry-After. GET /account/limits reports the buckets. Refill follows the real clock.
  std::string rate_tier;
  std::chrono::milliseconds ping_interval{10'000};
  const core::Clock* clock = nullptr;  // nullptr = RealClock (auth timestamps, pacing)
  /// Max-speed back-pressure (speed 0): the replay pauses while any subscriber has more than
  /// this many bytes or frames queued for its socket.
  std::size_t backpressure_bytes = 1u << 20;
  std::size_t backpressure_frames = 4096;
  /// Paced replay (speed > 0): a subscriber whose outbound queue exceeds this many bytes is
  /// too slow; it is disconnected with a WebSocket close frame (1008 "subscriber too slow").
  std::size_t max_queued_bytes = 64u << 20;
};

struct ExchangeStats {
  uint64_t connections_accepted = 0;
  uint64_t http_requests = 0;
  uint64_t auth_failures = 0;  // 401s sent (REST and WebSocket upgrades)
  uint64_t commands_received = 0;
  uint64_t command_errors = 0;      // error frames sent in answer to commands
  uint64_t market_frames_sent = 0;  // orderbook/ticker/trade frames written to clients
  uint64_t snapshots_sent = 0;      // included in market_frames_sent
  uint64_t pings_sent = 0;
  uint64_t faults_dropped_connections = 0;
  uint64_t faults_skipped_seqs = 0;
  uint64_t faults_duplicates = 0;
  uint64_t faults_malformed = 0;
  uint64_t faults_delayed_private = 0;       // private frames held by FaultOptions::private_delay
  uint64_t slow_subscriber_disconnects = 0;  // paced replay: queue over max_queued_bytes
  uint64_t rate_limited = 0;                 // 429s sent (rate_tier)
  uint64_t replay_records_total = 0;         // market-data records on the timeline
  uint64_t replay_records_done = 0;
  bool replay_finished = false;
};

class ExchangeServer {
 public:
  /// Loads the recordings (InvalidArgument / DataLoss naming the file), sets up TLS, binds
  /// and starts serving. Unavailable when the address cannot be bound.
  static core::Result<std::unique_ptr<ExchangeServer>> Start(ExchangeOptions options);
  ~ExchangeServer();  // Stop()
  ExchangeServer(const ExchangeServer&) = delete;
  ExchangeServer& operator=(const ExchangeServer&) = delete;

  uint16_t port() const;
  std::string ws_url() const;    // e.g. "wss://127.0.0.1:40123/trade-api/ws/v2"
  std::string rest_url() const;  // e.g. "https://127.0.0.1:40123/trade-api/v2"
  /// The TLS certificate in use (PEM), for clients to trust; empty without TLS.
  const std::string& certificate_pem() const;
  /// Blocks until every record of the timeline has been processed and its frames handed to
  /// every connected subscriber's socket, or the timeout passes. Returns replay_finished.
  bool WaitReplayFinished(std::chrono::milliseconds timeout);
  ExchangeStats Stats() const;
  /// Settles `ticker` (an operator hook: recordings carry no results): every account's
  /// position is paid out (PROTOCOL §4.6: $1 per winning contract), its resting orders in the
  /// market are cancelled, and GET /portfolio/settlements lists it. Runs on the I/O thread;
  /// blocks until done. NotFound for an unknown market, Unavailable once stopped.
  core::Status Settle(std::string_view ticker, bool yes_won);
  /// Settles every market whose current book is decisive (TradingEngine::SettleDecidedMarkets:
  /// best YES or NO bid >= `decisive`, e.g. $0.95 at the end of a resolved day's replay).
  /// Returns "<ticker>=yes|no" per settled market. Unavailable once stopped.
  core::Result<std::vector<std::string>> SettleDecidedMarkets(core::Price decisive);
  /// Closes every connection and joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit ExchangeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kalshiflow::exchange
