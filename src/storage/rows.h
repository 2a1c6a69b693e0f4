// Value types the storage layer reads and writes: sessions, and the rows the write queue
// batches into the database (order-book snapshots, deltas, raw WebSocket frames).
//
// Units (DESIGN §3, §4): prices are core::Price units (1/10,000 $), sizes are core::Count units
// (1/100 contract), exchange times are Kalshi `ts_ms` (ms since the Unix epoch), local receive
// times are core::Timestamp (ns since the Unix epoch, from the injected Clock). Everything is
// stored as exact integers; nothing here is a floating-point number.
//
// NO-side prices follow core::PriceLevel: they are NO-leg prices (Kalshi's default
// `use_yes_price=false` scale, PROTOCOL.md §3.6). A producer that subscribes with
// `use_yes_price=true` converts before writing, so every stored book uses one scale.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/market.h"
#include "core/time.h"

namespace kalshiflow::storage {

/// Row id of `rl_orderbook_sessions` (SQLite INTEGER PRIMARY KEY, > 0).
using SessionId = int64_t;

/// Which Kalshi environment a session recorded (DESIGN §4).
enum class Environment {
  kDemo,        // Kalshi's demo exchange (demo-api.kalshi.co)
  kProduction,  // Kalshi production (api.elections.kalshi.com)
  kLocal,       // our local Kalshi-compatible exchange (`kalshiflow exchange`)
  kReplay,      // produced by replaying recorded data, not a live feed
};
/// "demo" / "production" / "local" / "replay" (the values stored in the database).
std::string_view EnvironmentName(Environment environment);
/// Exact inverse of EnvironmentName; nullopt for anything else.
std::optional<Environment> ParseEnvironment(std::string_view text);

/// Life-cycle state of a recording session.
enum class SessionStatus {
  kActive,  // being written by a running collector
  kClosed,  // ended cleanly
  kError,   // ended by an error, or left active by a killed process (see Store::RecoverSessions)
};
/// "active" / "closed" / "error".
std::string_view SessionStatusName(SessionStatus status);
/// Exact inverse of SessionStatusName; nullopt for anything else.
std::optional<SessionStatus> ParseSessionStatus(std::string_view text);

/// What a collector knows when it starts a session.
struct NewSession {
  std::vector<std::string> market_tickers;  // stored verbatim (as a JSON array)
  std::string websocket_url;                // e.g. "wss://api.elections.kalshi.com/trade-api/ws/v2"
  Environment environment = Environment::kProduction;
  core::Timestamp started_at;  // local time from the caller's Clock
};

/// Number of rows stored for a session. Maintained by Store::WriteBatch in the same
/// transaction as the rows, so the counts always equal the rows present.
struct SessionCounts {
  int64_t snapshots = 0;
  int64_t deltas = 0;
  int64_t frames = 0;
  friend bool operator==(const SessionCounts&, const SessionCounts&) = default;
};

/// One row of `rl_orderbook_sessions`.
struct SessionInfo {
  SessionId id = 0;
  std::vector<std::string> market_tickers;
  core::Timestamp started_at;
  std::optional<core::Timestamp> ended_at;  // set when closed or recovered
  SessionStatus status = SessionStatus::kActive;
  std::string websocket_url;
  Environment environment = Environment::kProduction;
  SessionCounts counts;
  std::string error;  // empty unless status == kError
};

/// How a session ended (Store::CloseSession).
struct SessionEnd {
  SessionStatus status = SessionStatus::kClosed;  // kClosed or kError (never kActive)
  std::string error;                              // required text when status == kError
  core::Timestamp ended_at;                       // local time from the caller's Clock
};

/// A full order-book snapshot of one market (Kalshi `orderbook_snapshot`, PROTOCOL.md §3.4),
/// both sides bids only, levels in the producer's order (stored and read back verbatim).
struct SnapshotRow {
  SessionId session_id = 0;
  std::string market_ticker;
  int64_t sid = 0;                        // subscription id
  int64_t seq = 0;                        // per-sid sequence number
  std::optional<int64_t> exchange_ts_ms;  // Kalshi `ts_ms` when present (snapshots have none)
  core::Timestamp local_ts;               // local receive time
  std::vector<core::PriceLevel> yes_bids;
  std::vector<core::PriceLevel> no_bids;  // NO-leg prices
  /// True when the snapshot was built by the write queue's delta sampling (from the producer's
  /// book) rather than received from the exchange. It carries the (sid, seq, local_ts) of the
  /// delta after which it was taken.
  bool synthetic = false;
  friend bool operator==(const SnapshotRow&, const SnapshotRow&) = default;
};

/// One order-book change (Kalshi `orderbook_delta`): `level_qty += delta` at `price` on `side`.
struct DeltaRow {
  SessionId session_id = 0;
  std::string market_ticker;
  int64_t sid = 0;
  int64_t seq = 0;
  std::optional<int64_t> exchange_ts_ms;  // Kalshi `ts_ms`
  core::Timestamp local_ts;
  core::OutcomeSide side = core::OutcomeSide::kYes;
  core::Price price;  // NO-leg price when side == kNo
  core::Count delta;  // signed change in resting size
  friend bool operator==(const DeltaRow&, const DeltaRow&) = default;
};

/// One raw WebSocket text frame exactly as received, for byte-exact replay. Compressed with
/// zstd by the store (on the writer thread), decompressed on read.
struct RawFrameRow {
  SessionId session_id = 0;
  std::optional<int64_t> sid;  // when the frame carries one
  std::optional<int64_t> seq;  // when the frame carries one
  core::Timestamp local_ts;
  std::string frame;  // raw bytes (any content, may contain NULs)
  friend bool operator==(const RawFrameRow&, const RawFrameRow&) = default;
};

/// One actor decision (DESIGN §7 "actor events"), table rl_actor_events (schema version 2).
/// Units: position in core::Count units (+YES / -NO), money in core::Money units (1e-6 $),
/// latency in ns.
struct ActorEventRow {
  SessionId session_id = 0;         // the collection session the actor ran on (0: none, NULL)
  std::optional<int64_t> model_id;  // rl_model decisions: the registry id
  std::string market_ticker;
  std::optional<int64_t> sid;  // the order-book update acted on (sid may be unknown)
  std::optional<int64_t> seq;
  core::Timestamp local_ts;       // when the decision was made (business clock)
  std::string event_type;         // "decision"
  std::optional<int32_t> action;  // sim::Action index
  std::string action_name;        // "HOLD", "BUY_YES", ...
  std::optional<int64_t> position_units;
  std::optional<int64_t> cash_micros;
  std::optional<int64_t> portfolio_value_micros;
  std::optional<int64_t> latency_ns;  // trigger -> order handed over (or HOLD)
  std::string error;                  // empty: NULL
  std::string details;                // a JSON object (outcome, risk reason, plan, timings)
  friend bool operator==(const ActorEventRow&, const ActorEventRow&) = default;
};

/// Anything the write queue can carry. To add a kind (orders, fills: their tables exist since
/// schema version 2), add a struct here, a case in RowKindName, and an insert in every Store
/// implementation: std::visit makes a missing handler a compile error.
using Row = std::variant<SnapshotRow, DeltaRow, RawFrameRow, ActorEventRow>;

/// "snapshot" / "delta" / "raw_frame" / "actor_event".
std::string_view RowKindName(const Row& row);

/// An update read back for replay: a snapshot or a delta.
using ReplayUpdate = std::variant<SnapshotRow, DeltaRow>;

/// Local receive time of an update (the primary replay order key).
core::Timestamp UpdateLocalTs(const ReplayUpdate& update);

}  // namespace kalshiflow::storage
