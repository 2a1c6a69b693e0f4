#include "storage/database_url.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/migrations.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::storage {
namespace {

using core::StatusCode;

TEST(DatabaseUrlTest, SqliteForms) {
  auto abs = ParseDatabaseUrl("sqlite:///var/lib/kalshiflow/kf.db");
  ASSERT_TRUE(abs.ok()) << abs.error().ToString();
  EXPECT_EQ(abs->kind, DatabaseUrl::Kind::kSqlite);
  EXPECT_EQ(abs->sqlite_path, "/var/lib/kalshiflow/kf.db");

  auto rel = ParseDatabaseUrl("sqlite://./data/x.db");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->sqlite_path, "./data/x.db");

  auto bare = ParseDatabaseUrl("sqlite://x.db");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->sqlite_path, "x.db");

  auto memory = ParseDatabaseUrl("sqlite://:memory:");
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(memory->sqlite_path, ":memory:");

  auto upper = ParseDatabaseUrl("SQLite:///a.db");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->sqlite_path, "/a.db");

  auto def = ParseDatabaseUrl(kDefaultDatabaseUrl);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->sqlite_path, "./data/kalshiflow.db");
}

TEST(DatabaseUrlTest, RejectsMalformedUrls) {
  for (std::string_view bad : {"", "kalshiflow.db", "://x", "sqlite://", "sqlite:///x.db?mode=ro",
                               "mysql://u:p@h/db", "file:///x.db"}) {
    auto parsed = ParseDatabaseUrl(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DatabaseUrlTest, PostgresIsRecognisedButUnimplementedAndNeverLeaksPasswords) {
  for (std::string_view url :
       {"postgresql://kf:s3cret@db.example:5432/kalshiflow", "postgres://kf:s3cret@localhost/kf"}) {
    auto parsed = ParseDatabaseUrl(url);
    ASSERT_TRUE(parsed.ok()) << url;
    EXPECT_EQ(parsed->kind, DatabaseUrl::Kind::kPostgres);
    EXPECT_EQ(parsed->Redacted().find("s3cret"), std::string::npos);
    EXPECT_NE(parsed->Redacted().find("kf:***@"), std::string::npos) << parsed->Redacted();
    auto store = OpenStore(url);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code(), StatusCode::kUnimplemented);
    EXPECT_EQ(store.error().message().find("s3cret"), std::string::npos);
  }
  auto unknown = ParseDatabaseUrl("mysql://kf:s3cret@h/db");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message().find("s3cret"), std::string::npos);
  // Without a password there is nothing to redact.
  auto plain = ParseDatabaseUrl("postgresql://localhost/kf");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->Redacted(), "postgresql://localhost/kf");
}

TEST(DatabaseUrlTest, MistypedUrlErrorsNeverEchoThePassword) {
  for (const char* url : {"postgres:kf:s3cret@db.example/kf", "kf:s3cret@localhost"}) {
    auto parsed = ParseDatabaseUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().message().find("s3cret"), std::string::npos)
        << parsed.error().message();
  }
}

TEST(DatabaseUrlTest, OpenStoreCreatesParentDirectoryAndMigrates) {
  testing::TempDir dir;
  std::string path = (dir.path() / "nested" / "deeper" / "kf.db").string();
  auto store = OpenStore("sqlite://" + path);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(path));
  auto version = (*store)->SchemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, LatestSchemaVersion());
}

TEST(DatabaseUrlTest, MissingDatabaseIsNotFoundWhenCreationIsOff) {
  testing::TempDir dir;
  OpenOptions options;
  options.create_if_missing = false;
  auto store = OpenStore("sqlite://" + dir.File("absent.db"), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.File("absent.db")));
}

TEST(DatabaseUrlTest, NonDatabaseFileIsDataLossNotACrash) {
  testing::TempDir dir;
  std::string path = dir.File("garbage.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string junk(4096, '\x5a');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto store = OpenStore("sqlite://" + path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kDataLoss) << store.error().ToString();
}

}  // namespace
}  // namespace kalshiflow::storage
