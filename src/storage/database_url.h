// `DATABASE_URL` parsing and the store factory (DESIGN §4).
//
// Accepted forms:
//   sqlite:///abs/path.db       absolute path "/abs/path.db"
//   sqlite://./relative.db      path relative to the working directory ("./relative.db")
//   sqlite://relative.db        likewise ("relative.db")
//   sqlite://:memory:           a private in-memory database (tests)
//   postgresql://... and postgres://...   recognised; OpenStore answers Unimplemented for now
// Paths are taken literally (no percent-decoding); query strings ("?...") are rejected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "storage/store.h"

namespace kalshiflow::storage {

/// The default when neither a flag nor the `DATABASE_URL` environment variable is given.
inline constexpr std::string_view kDefaultDatabaseUrl = "sqlite://./data/kalshiflow.db";

/// A parsed database URL. Value type.
struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  /// For kSqlite: the file path (or ":memory:"). Empty for kPostgres.
  std::string sqlite_path;
  /// The URL as given.
  std::string url;
  /// The URL with any password replaced by "***" (safe to log or print).
  std::string Redacted() const;
};

/// Parses `url` (forms above). InvalidArgument naming the problem for an empty URL, an unknown
/// scheme, a missing SQLite path or a query string; the message never contains a password.
core::Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url);

/// Options for opening a store.
struct OpenOptions {
  /// Apply pending migrations while opening (collector/actor/trainer start-up).
  bool migrate = true;
  /// Create the database (and, for SQLite, its parent directory) if it does not exist.
  /// When false, a missing database is NotFound.
  bool create_if_missing = true;
  /// SQLite busy timeout: how long a statement waits for a lock held by another connection
  /// before failing with Unavailable.
  int busy_timeout_ms = 5'000;
  /// SQLite page cache per connection, KiB (>= 0).
  int64_t cache_size_kib = 32 * 1024;
  /// zstd level for raw frames: ZSTD_minCLevel() (fastest) .. ZSTD_maxCLevel(), 0 = zstd's
  /// default (3). Default -1 (zstd's fast mode): a raw frame is one small JSON message
  /// (~240 bytes), which level 3 shrinks by only ~17% for ~3.7 µs of the writer thread per
  /// frame, the collector's largest CPU cost; level -1 takes ~1.4 µs. Archival copies of
  /// recordings use the recording format's own (higher) level.
  int zstd_level = -1;
  /// Time source for metadata stamps (`schema_migrations.applied_at_ns`). Must outlive the
  /// store; nullptr means core::RealClock::Instance().
  const core::Clock* clock = nullptr;
};

/// Opens the store `url` names. SQLite: opens/creates the file, sets WAL, synchronous=NORMAL,
/// the busy timeout and foreign keys, then migrates when options.migrate. PostgreSQL:
/// Unimplemented (a later issue). Errors as ParseDatabaseUrl, plus the open/migrate errors of
/// the implementation (Unavailable when the file cannot be opened, FailedPrecondition when the
/// schema is newer than this binary).
core::Result<std::unique_ptr<Store>> OpenStore(std::string_view url,
                                               const OpenOptions& options = {});

}  // namespace kalshiflow::storage
