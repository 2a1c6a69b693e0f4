// Versioned schema migrations (DESIGN §4). Each migration is one SQL script applied inside its
// own transaction and recorded in `schema_migrations (version, description, applied_at_ns)`;
// applying is idempotent (versions already recorded are skipped) and in ascending order.
// The scripts are SQLite dialect; a PostgreSQL store will carry its own list with the same
// version numbers and the same tables/columns.
//
//   version 1: rl_orderbook_sessions, rl_orderbook_snapshots, rl_orderbook_deltas,
//              rl_raw_frames and their replay indexes
//   version 2: rl_models, rl_trading_episodes, rl_trading_actions, rl_actor_events,
//              rl_orders, rl_fills
// Column meanings and units: src/storage/README.md.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

struct sqlite3;

namespace kalshiflow::storage {

/// One schema step.
struct Migration {
  int version;                   // 1, 2, ... (strictly increasing, no gaps)
  std::string_view description;  // one line, e.g. "order-book recording tables"
  std::string_view sql;          // one or more statements
};

/// Every SQLite migration, in ascending version order.
std::span<const Migration> SqliteMigrations();

/// The highest version this binary knows.
int LatestSchemaVersion();

/// The tables of the schema (after the latest migration), in creation order, starting with
/// `schema_migrations`. Used by `db status`; fixed names, never user input.
std::span<const std::string_view> SchemaTables();

/// Reads the highest recorded version of `db` (0 when `schema_migrations` is missing or empty).
/// Unavailable/Internal on SQLite errors.
core::Result<int> ReadSqliteSchemaVersion(sqlite3* db);

/// Applies, in order, every migration with version in (current, up_to_version] to `db`; each in
/// a `BEGIN IMMEDIATE` transaction that re-reads the version under the write lock (so two
/// processes migrating at once apply each step once). Returns the versions applied.
/// FailedPrecondition when the database is newer than this binary; the failing migration's
/// SQLite error otherwise (its transaction rolled back, earlier ones kept).
core::Result<std::vector<int>> ApplySqliteMigrations(sqlite3* db, core::Timestamp now,
                                                     int up_to_version = LatestSchemaVersion());

}  // namespace kalshiflow::storage
