// `kalshiflow db ...`: database schema commands (DESIGN §4).
//   db migrate [--database-url URL]   apply pending migrations, print the versions applied
//   db status  [--database-url URL]   print the schema version and every table's row count
// The URL comes from --database-url, else the DATABASE_URL environment variable, else
// sqlite://./data/kalshiflow.db. (backup / restore / verify come in a later issue.)
#include <fmt/core.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/database.h"
#include "storage/database_url.h"
#include "storage/migrations.h"
#include "storage/store.h"

namespace kalshiflow::app {
namespace {

[[noreturn]] void Fail(const core::Status& status) { throw CommandFailed(1, status.ToString()); }

void RunMigrate(const std::string& flag) {
  const std::string url = ResolveDatabaseUrl(flag);
  auto store = OpenStoreOrFail(url, /*create_if_missing=*/true);
  auto before = store->SchemaVersion();
  if (!before.ok()) Fail(before.error());
  fmt::print("database: {}\n", RedactedDatabaseUrl(url));
  fmt::print("schema version before: {}\n", *before);
  auto applied = store->Migrate();
  if (!applied.ok()) Fail(applied.error());
  for (int version : *applied) {
    std::string_view description;
    for (const auto& m : storage::SqliteMigrations()) {
      if (m.version == version) description = m.description;
    }
    fmt::print("applied migration {}: {}\n", version, description);
  }
  if (applied->empty()) fmt::print("no migrations to apply\n");
  fmt::print("schema version: {}\n", storage::LatestSchemaVersion());
}

void RunStatus(const std::string& flag) {
  const std::string url = ResolveDatabaseUrl(flag);
  auto store = OpenStoreOrFail(url, /*create_if_missing=*/false);
  auto version = store->SchemaVersion();
  if (!version.ok()) Fail(version.error());
  auto counts = store->TableRowCounts();
  if (!counts.ok()) Fail(counts.error());
  fmt::print("database: {}\n", RedactedDatabaseUrl(url));
  fmt::print("schema version: {} (this binary knows up to {})\n", *version,
             storage::LatestSchemaVersion());
  if (*version < storage::LatestSchemaVersion()) {
    fmt::print("pending migrations: {} (run `kalshiflow db migrate`)\n",
               storage::LatestSchemaVersion() - *version);
  }
  fmt::print("{:<26} {:>14}\n", "table", "rows");
  for (const auto& c : *counts) fmt::print("{:<26} {:>14}\n", c.table, c.rows);
}

}  // namespace

void AddDbCommand(CLI::App& app) {
  auto* db = app.add_subcommand(
      "db", "Database schema: migrate, status (DATABASE_URL; sqlite:// now, postgresql:// later)");
  db->require_subcommand(1);
  auto url = std::make_shared<std::string>();
  const std::string url_help =
      "Database URL: sqlite:///abs/path.db or sqlite://./relative.db "
      "(default: $DATABASE_URL, else sqlite://./data/kalshiflow.db)";

  auto* migrate = db->add_subcommand(
      "migrate", "Apply pending schema migrations (creates the database and its directory)");
  migrate->add_option("--database-url", *url, url_help);
  migrate->callback([url] { RunMigrate(*url); });

  auto* status = db->add_subcommand("status", "Print the schema version and table row counts");
  status->add_option("--database-url", *url, url_help);
  status->callback([url] { RunStatus(*url); });
}

}  // namespace kalshiflow::app
