#include "storage/migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>

#include "storage/sqlite_store.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::storage {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

// Every schema object (type, name, sql) in the database, read directly with SQLite.
std::set<std::string> SchemaObjects(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT type || ' ' || name || ' ' || IFNULL(sql, '') "
                               "FROM sqlite_master",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  std::set<std::string> objects;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    objects.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return objects;
}

std::vector<int> RecordedVersions(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT version FROM schema_migrations ORDER BY version", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  std::vector<int> versions;
  while (sqlite3_step(stmt) == SQLITE_ROW) versions.push_back(sqlite3_column_int(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return versions;
}

TEST(MigrationsTest, VersionsAreStrictlyIncreasingWithoutGaps) {
  auto migrations = SqliteMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(migrations[i].description.empty());
  }
  EXPECT_EQ(LatestSchemaVersion(), migrations.back().version);
}

TEST(MigrationsTest, MigrateTwiceIsIdempotent) {
  TempDir dir;
  std::string path = dir.File("kf.db");
  OpenOptions no_migrate;
  no_migrate.migrate = false;
  auto store = OpenOrDie(path, no_migrate);
  EXPECT_EQ(*store->SchemaVersion(), 0);

  auto first = store->Migrate();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  std::vector<int> all;
  for (const auto& m : SqliteMigrations()) all.push_back(m.version);
  EXPECT_EQ(*first, all);
  auto objects_after_first = SchemaObjects(path);

  auto second = store->Migrate();
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(SchemaObjects(path), objects_after_first);
  EXPECT_EQ(RecordedVersions(path), all);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());

  // Re-opening (which migrates at start-up) changes nothing either.
  store.reset();
  auto reopened = OpenOrDie(path);
  EXPECT_EQ(SchemaObjects(path), objects_after_first);
  EXPECT_EQ(RecordedVersions(path), all);
}

TEST(MigrationsTest, EveryTableOfTheSchemaExists) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("kf.db"));
  auto counts = store->TableRowCounts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), SchemaTables().size());
  for (size_t i = 0; i < counts->size(); ++i) {
    EXPECT_EQ((*counts)[i].table, SchemaTables()[i]);
  }
  EXPECT_EQ(testing::CountRows(*store, "schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(testing::CountRows(*store, "rl_orderbook_deltas"), 0);
}

TEST(MigrationsTest, AppliesOnlyTheMissingStepsInOrder) {
  TempDir dir;
  std::string path = dir.File("kf.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto now = core::Timestamp::FromSeconds(1'700'000'000);
  auto partial = ApplySqliteMigrations(db, now, 1);
  ASSERT_TRUE(partial.ok()) << partial.error().ToString();
  EXPECT_EQ(*partial, std::vector<int>{1});
  EXPECT_EQ(*ReadSqliteSchemaVersion(db), 1);
  auto rest = ApplySqliteMigrations(db, now);
  ASSERT_TRUE(rest.ok());
  std::vector<int> expected;
  for (const auto& m : SqliteMigrations()) {
    if (m.version > 1) expected.push_back(m.version);
  }
  EXPECT_EQ(*rest, expected);
  auto again = ApplySqliteMigrations(db, now);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  sqlite3_close(db);
}

TEST(MigrationsTest, RefusesADatabaseNewerThanTheBinary) {
  TempDir dir;
  std::string path = dir.File("kf.db");
  OpenOrDie(path).reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO schema_migrations (version, description, applied_at_ns) "
                         "VALUES (999, 'from the future', 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto direct = ApplySqliteMigrations(db, core::Timestamp());
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().code(), core::StatusCode::kFailedPrecondition);
  sqlite3_close(db);
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("999"), std::string::npos);
}

TEST(MigrationsTest, UnmigratedStoreAnswersFailedPrecondition) {
  TempDir dir;
  OpenOptions no_migrate;
  no_migrate.migrate = false;
  auto store = OpenOrDie(dir.File("kf.db"), no_migrate);
  std::vector<Row> rows = {testing::MakeDelta(1, "KXA", 1, 1)};
  core::Status write = store->WriteBatch(rows);
  EXPECT_EQ(write.code(), core::StatusCode::kFailedPrecondition) << write.ToString();
  NewSession session;
  auto created = store->CreateSession(session);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code(), core::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->Migrate().ok());
  EXPECT_TRUE(store->CreateSession(session).ok());
}

}  // namespace
}  // namespace kalshiflow::storage
