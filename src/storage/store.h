// The `Store` interface: everything the collector, actor, trainer and CLI need from the
// database (DESIGN §4). Implementations: SqliteStore (sqlite_store.h); PostgreSQL later.
//
// Error policy: no method throws. Expected failures come back as core::Status / core::Result:
//  * kUnavailable        database busy/locked past the busy timeout, I/O error, cannot open
//                        (transient: retrying may succeed; the WriteQueue retries these);
//  * kResourceExhausted  disk or database full (transient as well);
//  * kNotFound           no such session;
//  * kInvalidArgument    a bad argument (e.g. closing a session as `active`);
//  * kFailedPrecondition wrong state: session already closed, a row naming a session that does
//                        not exist (foreign key), schema not migrated or newer than this binary;
//  * kAlreadyExists      a uniqueness constraint;
//  * kDataLoss           corrupt database, undecodable stored levels or frame;
//  * kInternal           anything else (including an exception caught at the boundary).
// Messages name the operation and the value that was wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "storage/models.h"
#include "storage/rows.h"

namespace kalshiflow::storage {

/// Filter for Store::ListSessions. Results are newest first (descending id).
struct SessionFilter {
  std::optional<SessionStatus> status;
  std::optional<Environment> environment;
  int64_t limit = 100;  // <= 0 means no limit
};

/// Row count of one table (for `kalshiflow db status`).
struct TableRowCount {
  std::string table;
  int64_t rows = 0;
};

/// Which updates Store::ReadSessionUpdates returns.
struct ReplayQuery {
  /// Only these markets (exact, case-sensitive match); empty = every market of the session.
  std::vector<std::string> market_tickers;
  /// Half-open local-time window [from, to); unset bounds are open.
  std::optional<core::Timestamp> from;
  std::optional<core::Timestamp> to;
  bool include_snapshots = true;
  bool include_deltas = true;
};

/// Receives updates in replay order (by value: the callee may keep it with std::move); a
/// non-ok return stops the read and is returned by it.
using ReplayCallback = std::function<core::Status(ReplayUpdate update)>;
/// Receives raw frames (decompressed) in receive order; a non-ok return stops the read.
using RawFrameCallback = std::function<core::Status(RawFrameRow frame)>;

/// Database access. Implementations are thread-safe: calls from different threads are
/// serialised internally (one connection). A callback passed to a Read* method runs on the
/// calling thread while the store is locked and must not call back into the same Store.
class Store {
 public:
  virtual ~Store() = default;

  // ---- schema ----

  /// Applies every migration newer than the database's schema version, in order, each in its
  /// own transaction, recording it in `schema_migrations`. Idempotent: returns the versions
  /// applied by this call (empty when already up to date).
  virtual core::Result<std::vector<int>> Migrate() = 0;
  /// Highest applied migration version (0 for an empty database).
  virtual core::Result<int> SchemaVersion() = 0;
  /// Row counts of `schema_migrations` and every rl_* table that exists, in schema order.
  virtual core::Result<std::vector<TableRowCount>> TableRowCounts() = 0;

  // ---- sessions ----

  /// Inserts an `active` session with zero counts; returns its id.
  virtual core::Result<SessionId> CreateSession(const NewSession& session) = 0;
  /// Ends an `active` session as `closed` or `error` (error text required for `error`).
  /// NotFound for an unknown id; FailedPrecondition if it is not active; InvalidArgument for
  /// status `active` or an `error` without text.
  virtual core::Status CloseSession(SessionId id, const SessionEnd& end) = 0;
  virtual core::Result<SessionInfo> GetSession(SessionId id) = 0;
  virtual core::Result<std::vector<SessionInfo>> ListSessions(const SessionFilter& filter) = 0;
  /// Recomputes a session's snapshot/delta/frame counts from the stored rows, saves and returns
  /// them. (WriteBatch keeps counts exact already; this repairs counts after manual edits or
  /// an import.) NotFound for an unknown id.
  virtual core::Result<SessionCounts> RecountSession(SessionId id) = 0;
  /// Crash recovery, run once at collector start-up (before creating its own session): every
  /// session still `active` was left so by a process that did not close it; each becomes
  /// `error` with `ended_at = now` and an error text saying so. Returns how many were marked.
  /// Do not call while another live process is recording into the same database.
  virtual core::Result<int64_t> RecoverSessions(core::Timestamp now) = 0;

  // ---- rows ----

  /// Writes all rows in one transaction (all or nothing) and adds them to their sessions'
  /// counts in the same transaction. Raw frames are zstd-compressed here. An empty span is a
  /// no-op. Row strings are stored verbatim (values are always bound as SQL parameters).
  virtual core::Status WriteBatch(std::span<const Row> rows) = 0;

  /// Streams a session's snapshots and deltas in replay order: ascending local receive time,
  /// then seq, then sid, then deltas before snapshots (a synthetic snapshot carries the
  /// (sid, seq) of the delta it follows), then insertion order.
  virtual core::Status ReadSessionUpdates(SessionId id, const ReplayQuery& query,
                                          const ReplayCallback& callback) = 0;
  /// Streams a session's raw frames, decompressed, in receive order (local time, insertion).
  virtual core::Status ReadRawFrames(SessionId id, const RawFrameCallback& callback) = 0;

  // ---- model registry (rl_models) ----

  /// Registers a model version: version = 1 + the highest version of the same name, assigned
  /// in the same transaction as the insert. InvalidArgument for an empty or over-long name,
  /// empty algorithm/spec/action space, or JSON fields that are not JSON objects.
  virtual core::Result<ModelInfo> CreateModel(const NewModel& model) = 0;
  /// NotFound for an unknown id.
  virtual core::Result<ModelInfo> GetModel(ModelId id) = 0;
  /// The highest version of `name`; NotFound if no model has that name.
  virtual core::Result<ModelInfo> FindLatestModel(std::string_view name) = 0;
  virtual core::Result<std::vector<ModelInfo>> ListModels(const ModelFilter& filter) = 0;
  /// Applies the set fields of `update`. NotFound for an unknown id; InvalidArgument for a
  /// performance text that is not a JSON object. Setting status `deployed` demotes any other
  /// deployed version of the same name to `ready` in the same transaction.
  virtual core::Result<ModelInfo> UpdateModel(ModelId id, const ModelUpdate& update) = 0;
};

/// Convenience for replay preloading: collects ReadSessionUpdates into a vector.
core::Result<std::vector<ReplayUpdate>> LoadSessionUpdates(Store& store, SessionId id,
                                                           const ReplayQuery& query = {});

}  // namespace kalshiflow::storage
