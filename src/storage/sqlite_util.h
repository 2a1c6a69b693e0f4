// Internal helpers around the SQLite C API: result-code mapping and a prepared-statement RAII
// wrapper. Not part of the storage API (used by sqlite_store.cc and migrations.cc).
// Thread-compatible: a Statement belongs to one connection, used under that connection's lock.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kalshiflow::storage::internal {

/// Maps a SQLite (extended) result code to a Status code (see store.h's error policy):
/// BUSY/LOCKED/IOERR/CANTOPEN/PROTOCOL -> Unavailable, FULL -> ResourceExhausted,
/// CONSTRAINT_FOREIGNKEY -> FailedPrecondition, CONSTRAINT_UNIQUE/PRIMARYKEY -> AlreadyExists,
/// other CONSTRAINT -> InvalidArgument, CORRUPT/NOTADB -> DataLoss, READONLY/PERM/AUTH ->
/// PermissionDenied, anything else -> Internal.
core::StatusCode MapSqliteCode(int extended_code);

/// A Status for a failed SQLite call: "sqlite: <what>: <sqlite3_errmsg> (<errstr>)".
core::Status SqliteError(sqlite3* db, int rc, std::string_view what);

/// Runs one or more SQL statements without parameters (schema, PRAGMA, BEGIN/COMMIT).
core::Status Exec(sqlite3* db, const char* sql, std::string_view what);

/// A prepared statement. Bind indexes are 1-based (SQLite convention). Text and blobs are
/// bound with SQLITE_TRANSIENT semantics only when asked; by default SQLITE_STATIC, so the
/// bound memory must stay valid until the next Step/Reset (true for rows held by the caller).
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Prepares `sql` on `db` (persistent: meant for reuse).
  static core::Result<Statement> Prepare(sqlite3* db, std::string_view sql);

  bool valid() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }

  core::Status BindInt64(int index, int64_t value);
  core::Status BindOptionalInt64(int index, const std::optional<int64_t>& value);
  core::Status BindText(int index, std::string_view text);          // SQLITE_STATIC
  core::Status BindBlob(int index, const void* data, size_t size);  // SQLITE_STATIC
  core::Status BindNull(int index);

  /// Steps once: true when a row is available, false when done, error otherwise.
  core::Result<bool> Step();
  /// Steps a statement that returns no rows (INSERT/UPDATE); error if it fails.
  core::Status Run();
  /// Resets and clears bindings so the statement can be reused. Never fails.
  void Reset();

  int64_t ColumnInt64(int column) const;
  bool ColumnIsNull(int column) const;
  std::optional<int64_t> ColumnOptionalInt64(int column) const;
  /// The column's bytes (valid until the next Step/Reset); empty for NULL.
  std::string_view ColumnText(int column) const;
  std::string_view ColumnBlob(int column) const;

 private:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  core::Status Check(int rc, std::string_view what) const;
  sqlite3_stmt* stmt_ = nullptr;
};

/// Resets a statement when leaving a scope (so an early return never leaves it mid-step,
/// which would hold a read transaction open).
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& stmt) : stmt_(stmt) {}
  ~ResetOnExit() { stmt_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& stmt_;
};

}  // namespace kalshiflow::storage::internal
