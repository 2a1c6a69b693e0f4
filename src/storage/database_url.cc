#include "storage/database_url.h"

#include <fmt/core.h>

#include <cctype>

#include "storage/sqlite_store.h"

namespace kalshiflow::storage {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Replaces the password of "scheme://user:password@host/..." with "***". Text that is not a
// URL with a scheme is not echoed at all when it contains an '@' (a mistyped
// "postgres:user:secret@host" would otherwise leak the password).
std::string RedactUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return url.find('@') == std::string_view::npos ? std::string(url) : "<redacted>";
  }
  size_t authority_begin = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, authority_begin + colon + 1));
  out += "***";
  out += url.substr(authority_begin + at);
  return out;
}

}  // namespace

std::string DatabaseUrl::Redacted() const { return RedactUrl(url); }

core::Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url) {
  if (url.empty()) return core::InvalidArgumentError("DATABASE_URL is empty");
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return core::InvalidArgumentError(fmt::format(
        "DATABASE_URL '{}' has no scheme; expected sqlite:///path.db or postgresql://...",
        RedactUrl(url)));
  }
  std::string scheme = Lower(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  DatabaseUrl parsed;
  parsed.url = std::string(url);
  if (scheme == "sqlite") {
    if (rest.empty()) {
      return core::InvalidArgumentError(
          fmt::format("DATABASE_URL '{}' names no SQLite file; expected sqlite:///abs/path.db or "
                      "sqlite://./relative.db",
                      RedactUrl(url)));
    }
    if (rest.find('?') != std::string_view::npos) {
      return core::InvalidArgumentError(fmt::format(
          "DATABASE_URL '{}': query parameters are not supported for SQLite", RedactUrl(url)));
    }
    parsed.kind = DatabaseUrl::Kind::kSqlite;
    parsed.sqlite_path = std::string(rest);
    return parsed;
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    parsed.kind = DatabaseUrl::Kind::kPostgres;
    return parsed;
  }
  return core::InvalidArgumentError(fmt::format(
      "DATABASE_URL scheme '{}' is not supported; expected sqlite:// or postgresql://", scheme));
}

core::Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const OpenOptions& options) {
  KF_ASSIGN_OR_RETURN(DatabaseUrl parsed, ParseDatabaseUrl(url));
  switch (parsed.kind) {
    case DatabaseUrl::Kind::kSqlite: {
      KF_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                          SqliteStore::Open(parsed.sqlite_path, options));
      return std::unique_ptr<Store>(std::move(store));
    }
    case DatabaseUrl::Kind::kPostgres:
      return core::UnimplementedError(fmt::format(
          "PostgreSQL stores are not implemented yet ({}); use a sqlite:// DATABASE_URL",
          parsed.Redacted()));
  }
  return core::InternalError("unknown database kind");
}

}  // namespace kalshiflow::storage
