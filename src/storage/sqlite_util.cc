#include "storage/sqlite_util.h"

#include <fmt/core.h>

#include <climits>
#include <utility>

namespace kalshiflow::storage::internal {

core::StatusCode MapSqliteCode(int extended_code) {
  using core::StatusCode;
  switch (extended_code) {
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return StatusCode::kFailedPrecondition;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return StatusCode::kAlreadyExists;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return StatusCode::kUnavailable;
    case SQLITE_FULL:
      return StatusCode::kResourceExhausted;
    case SQLITE_CONSTRAINT:
      return StatusCode::kInvalidArgument;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StatusCode::kPermissionDenied;
    default:
      return StatusCode::kInternal;
  }
}

core::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return core::Status(MapSqliteCode(rc),
                      fmt::format("sqlite: {}: {} ({})", what, message, sqlite3_errstr(rc)));
}

core::Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return core::Status::Ok();
  int extended = sqlite3_extended_errcode(db);
  std::string message = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return core::Status(MapSqliteCode(extended),
                      fmt::format("sqlite: {}: {} ({})", what, message, sqlite3_errstr(extended)));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

core::Result<Statement> Statement::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sql.size() > static_cast<size_t>(INT_MAX)) {
    return core::InvalidArgumentError("sqlite: statement too long");
  }
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db, sqlite3_extended_errcode(db), fmt::format("prepare `{}`", sql));
  }
  return Statement(stmt);
}

core::Status Statement::Check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK) return core::Status::Ok();
  sqlite3* db = sqlite3_db_handle(stmt_);
  return SqliteError(db, sqlite3_extended_errcode(db), what);
}

core::Status Statement::BindInt64(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "bind int64");
}

core::Status Statement::BindOptionalInt64(int index, const std::optional<int64_t>& value) {
  return value.has_value() ? BindInt64(index, *value) : BindNull(index);
}

core::Status Statement::BindText(int index, std::string_view text) {
  // sqlite3_bind_text64 with SQLITE_UTF8 stores the bytes verbatim (no validation).
  return Check(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8),
      "bind text");
}

core::Status Statement::BindBlob(int index, const void* data, size_t size) {
  // A zero-length blob must still be non-NULL: pass a valid pointer.
  static const char kEmpty = 0;
  return Check(sqlite3_bind_blob64(stmt_, index, size == 0 ? &kEmpty : data, size, SQLITE_STATIC),
               "bind blob");
}

core::Status Statement::BindNull(int index) {
  return Check(sqlite3_bind_null(stmt_, index), "bind null");
}

core::Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  return SqliteError(db, sqlite3_extended_errcode(db), "step");
}

core::Status Statement::Run() {
  KF_ASSIGN_OR_RETURN(bool has_row, Step());
  (void)has_row;
  return core::Status::Ok();
}

void Statement::Reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<int64_t> Statement::ColumnOptionalInt64(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt64(column);
}

std::string_view Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr || size <= 0) return {};
  return std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::string_view Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr || size <= 0) return {};
  return std::string_view(static_cast<const char*>(blob), static_cast<size_t>(size));
}

}  // namespace kalshiflow::storage::internal
