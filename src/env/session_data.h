// Recorded sessions loaded into memory for training: every market's snapshot/delta stream in
// arrival order, its data points, and the session temporal inputs of each point, computed
// once at load time so that Reset/Step never touch a database (DESIGN §2: env depends on
// storage "load only, before training").
//
// Sources: DESIGN §4 (rl_orderbook_snapshots / rl_orderbook_deltas, replay order), §5
// (episode = one market's view of one recorded session); ../shared/spec/
// observation-kalshiflow-v1.md "Session temporal inputs" and src/features/README.md (data
// points; the loader path SessionTemporalInputs); src/feed/integrity.cc (rows -> books).
//
// Time: every update keeps its local receive time (core::Timestamp ns, the store's replay
// order key; the simulator's clock). Data points and the temporal features use that time in
// whole ms (local_ts.millis()): every stored row has it, it never goes backwards in replay
// order, and it is the time the live actor's trigger carries. (Exchange ts_ms is absent on
// snapshots.) The live actor must use the same clock for kalshiflow-v1 parity.
//
// Threading: immutable after construction; any number of environments on any threads may
// read one SessionData (share it through std::shared_ptr<const SessionData>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/market.h"
#include "core/status.h"
#include "features/temporal_tracker.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace kalshiflow::env {

/// One stored book update of one market, compact (the levels of a snapshot live in the
/// market's flat `levels` array).
struct MarketUpdate {
  enum class Kind : uint8_t { kSnapshot, kDelta };
  int64_t local_ns = 0;       // local receive time, ns since the epoch
  int64_t delta_units = 0;    // delta: signed core::Count units
  uint32_t levels_begin = 0;  // snapshot: first level in MarketStream::levels (YES, then NO)
  uint32_t yes_count = 0;     // snapshot: number of YES bid levels
  uint32_t no_count = 0;      // snapshot: number of NO bid levels (NO-leg prices)
  int32_t price_units = 0;    // delta: core::Price units (the side's leg)
  Kind kind = Kind::kSnapshot;
  core::OutcomeSide side = core::OutcomeSide::kYes;  // delta
  friend bool operator==(const MarketUpdate&, const MarketUpdate&) = default;
};

/// A data point of one market's view: a maximal run of that market's consecutive updates
/// with the same ms timestamp. Its values are those after its last update.
struct MarketPoint {
  uint32_t end = 0;  // one past the point's last update in MarketStream::updates
  int64_t ts_ms = 0;
  /// The session temporal inputs of the session point this point belongs to, final values
  /// (features::SessionTemporalInputs over all markets of the session).
  features::TemporalInputs temporal;
  /// The market's exact YES mid after the point, (byb + bya) in price units
  /// (features::BookStats::yes_mid_twice); kNoMid when a YES side is missing.
  int64_t yes_mid_twice = kNoMid;
  static constexpr int64_t kNoMid = std::numeric_limits<int64_t>::min();
  std::optional<int64_t> yes_mid() const {
    return yes_mid_twice == kNoMid ? std::nullopt : std::optional<int64_t>(yes_mid_twice);
  }
  friend bool operator==(const MarketPoint&, const MarketPoint&) = default;
};

/// One market's view of one session.
struct MarketStream {
  std::string ticker;
  std::vector<MarketUpdate> updates;     // accepted updates in arrival order
  std::vector<core::PriceLevel> levels;  // snapshot levels, flat
  std::vector<MarketPoint> points;       // data points in order
  /// Settlement value when known (SessionData::SetMarketResult): $1 YES won, $0 NO won.
  std::optional<core::Price> result;

  /// The update's snapshot ladders (empty spans for a delta).
  std::span<const core::PriceLevel> SnapshotYes(const MarketUpdate& u) const {
    return {levels.data() + u.levels_begin, u.yes_count};
  }
  std::span<const core::PriceLevel> SnapshotNo(const MarketUpdate& u) const {
    return {levels.data() + u.levels_begin + u.yes_count, u.no_count};
  }
  /// Updates of point i: [points[i-1].end, points[i].end).
  uint32_t PointBegin(std::size_t i) const { return i == 0 ? 0 : points[i - 1].end; }
};

/// Applies the updates of data point `point` of `stream` to `book` in order (snapshots replace
/// the ladders, deltas change one level), calling `after_each` after every update when given.
/// The updates were accepted by a book at load time, so a refusal here is a broken invariant
/// (KF_CHECK naming the market). Used by ReplayEnv and by `features dump`.
void ApplyPointUpdates(const MarketStream& stream, std::size_t point, book::OrderBook& book,
                       const std::function<void(const MarketUpdate&)>& after_each = {});

/// Load-time counters of one session.
struct SessionStats {
  int64_t rows = 0;                 // snapshot + delta rows read
  int64_t accepted = 0;             // rows applied to a book and kept
  int64_t skipped_no_snapshot = 0;  // deltas before their market's first snapshot (dropped)
  int64_t skipped_refused = 0;      // other rows the book refused (off-grid, bad size, ...)
  int64_t session_points = 0;       // session-wide data points (all markets)
  /// Data points are on the exchange's clock (rows carry Kalshi's ts_ms), not local receive
  /// time (see SessionData::Load).
  bool exchange_clock = false;
};

/// One recorded session: its markets (in order of first appearance).
struct SessionReplay {
  storage::SessionId id = 0;
  std::vector<MarketStream> markets;
  SessionStats stats;
};

/// Options of SessionData::Load.
struct LoadOptions {
  /// Only these markets (empty = all). The temporal inputs are always computed over every
  /// market of the session (the live tracker sees them all), so a filter changes nothing in
  /// the kept markets' observations.
  std::vector<std::string> market_tickers;
};

/// A set of sessions in memory. Immutable once built; move-only (large).
class SessionData {
 public:
  /// Reads `ids` from `store` (GetSession, then ReadSessionUpdates in replay order) and
  /// builds every market's stream. Errors: the store's (NotFound for an unknown session,
  /// Unavailable, DataLoss ...); FailedPrecondition naming the session when it has no
  /// snapshot or delta rows, or no market with a snapshot; InvalidArgument for no ids or a
  /// repeated id. Blocks on the store; call before training.
  /// Data points are grouped on the exchange's clock (the rows' Kalshi ts_ms) when the rows
  /// carry it, else on local receive time (SessionStats::exchange_clock says which); see
  /// session_data.cc. The live actor must time its data points the same way.
  static core::Result<SessionData> Load(storage::Store& store,
                                        std::span<const storage::SessionId> ids,
                                        const LoadOptions& options = {});

  /// One session's updates in memory, in arrival order (the store's replay order).
  struct SessionInput {
    storage::SessionId id = 0;
    std::vector<storage::ReplayUpdate> updates;
  };
  /// The same build from in-memory rows (tests, synthetic markets). Errors as Load, plus
  /// InvalidArgument when a session's local times go backwards.
  static core::Result<SessionData> FromUpdates(std::vector<SessionInput> sessions,
                                               const LoadOptions& options = {});

  SessionData(SessionData&&) = default;
  SessionData& operator=(SessionData&&) = default;
  SessionData(const SessionData&) = delete;
  SessionData& operator=(const SessionData&) = delete;

  std::span<const SessionReplay> sessions() const { return sessions_; }
  const SessionReplay* FindSession(storage::SessionId id) const;

  /// Records the settlement value of a market ($1 YES won, $0 NO won) for
  /// EnvConfig::settle_known_results. NotFound naming session and ticker; InvalidArgument for
  /// a value outside [0, 1].
  core::Status SetMarketResult(storage::SessionId session, std::string_view ticker,
                               core::Price yes_value);

  /// Totals over all sessions.
  int64_t total_updates() const;
  int64_t total_points() const;
  /// Approximate heap bytes held (updates, levels, points).
  std::size_t MemoryBytes() const;

 private:
  SessionData() = default;
  std::vector<SessionReplay> sessions_;
};

}  // namespace kalshiflow::env
