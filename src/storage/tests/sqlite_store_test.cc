#include "storage/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <random>
#include <tuple>

#include "storage/migrations.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::storage {
namespace {

using core::StatusCode;
using core::Timestamp;
using testing::CountRows;
using testing::Level;
using testing::MakeDelta;
using testing::NewSessionOrDie;
using testing::OpenOrDie;
using testing::TempDir;

class SqliteStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.File("kf.db");
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(path_);
};

// ---------------------------------------------------------------- sessions

TEST_F(SqliteStoreTest, SessionLifecycleWithEnvironment) {
  NewSession session;
  session.market_tickers = {"KXHIGHNY-25DEC05-B32.5", "FED-23DEC-T3.00"};
  session.websocket_url = "wss://demo-api.kalshi.co/trade-api/ws/v2";
  session.environment = Environment::kDemo;
  session.started_at = Timestamp::FromMillis(1'764'000'000'123);
  auto id = store_->CreateSession(session);
  ASSERT_TRUE(id.ok()) << id.error().ToString();

  auto info = store_->GetSession(*id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->id, *id);
  EXPECT_EQ(info->market_tickers, session.market_tickers);
  EXPECT_EQ(info->websocket_url, session.websocket_url);
  EXPECT_EQ(info->environment, Environment::kDemo);
  EXPECT_EQ(info->status, SessionStatus::kActive);
  EXPECT_EQ(info->started_at, session.started_at);
  EXPECT_FALSE(info->ended_at.has_value());
  EXPECT_EQ(info->counts, SessionCounts{});
  EXPECT_TRUE(info->error.empty());

  SessionEnd end{SessionStatus::kClosed, "", Timestamp::FromMillis(1'764'000'999'000)};
  ASSERT_TRUE(store_->CloseSession(*id, end).ok());
  info = store_->GetSession(*id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->status, SessionStatus::kClosed);
  ASSERT_TRUE(info->ended_at.has_value());
  EXPECT_EQ(*info->ended_at, end.ended_at);

  // Closing twice is a state error; the first close is kept.
  auto again = store_->CloseSession(*id, SessionEnd{SessionStatus::kError, "late", {}});
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetSession(*id)->status, SessionStatus::kClosed);
}

TEST_F(SqliteStoreTest, CloseSessionValidatesItsArguments) {
  SessionId id = NewSessionOrDie(*store_);
  EXPECT_EQ(store_->CloseSession(id, SessionEnd{SessionStatus::kActive, "", {}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CloseSession(id, SessionEnd{SessionStatus::kError, "", {}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CloseSession(id + 100, SessionEnd{}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession(id + 100).error().code(), StatusCode::kNotFound);
  ASSERT_TRUE(
      store_->CloseSession(id, SessionEnd{SessionStatus::kError, "websocket closed: 1006", {}})
          .ok());
  auto info = store_->GetSession(id);
  EXPECT_EQ(info->status, SessionStatus::kError);
  EXPECT_EQ(info->error, "websocket closed: 1006");
}

TEST_F(SqliteStoreTest, ListSessionsFiltersNewestFirst) {
  SessionId a = NewSessionOrDie(*store_, Environment::kDemo);
  SessionId b = NewSessionOrDie(*store_, Environment::kProduction);
  SessionId c = NewSessionOrDie(*store_, Environment::kDemo);
  ASSERT_TRUE(store_->CloseSession(b, SessionEnd{}).ok());

  auto all = store_->ListSessions({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, c);
  EXPECT_EQ((*all)[2].id, a);

  auto demo = store_->ListSessions({.environment = Environment::kDemo});
  ASSERT_EQ(demo->size(), 2u);
  EXPECT_EQ((*demo)[0].id, c);
  EXPECT_EQ((*demo)[1].id, a);

  auto closed = store_->ListSessions({.status = SessionStatus::kClosed});
  ASSERT_EQ(closed->size(), 1u);
  EXPECT_EQ((*closed)[0].id, b);
  EXPECT_EQ((*closed)[0].environment, Environment::kProduction);

  auto limited = store_->ListSessions({.limit = 1});
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].id, c);
}

TEST_F(SqliteStoreTest, RecoverMarksSessionsOfAKilledProcessAsError) {
  // A child process opens the database, starts a session, commits some rows and is killed
  // without closing anything (SIGKILL: no destructors, no clean shutdown).
  SessionId closed = NewSessionOrDie(*store_);
  ASSERT_TRUE(store_->CloseSession(closed, SessionEnd{}).ok());
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    auto store = SqliteStore::Open(path_);
    if (!store.ok()) _exit(2);
    NewSession session;
    session.market_tickers = {"KXKILLED"};
    session.environment = Environment::kProduction;
    auto id = (*store)->CreateSession(session);
    if (!id.ok()) _exit(3);
    std::vector<Row> rows = {MakeDelta(*id, "KXKILLED", 1, 10), MakeDelta(*id, "KXKILLED", 2, 20)};
    if (!(*store)->WriteBatch(rows).ok()) _exit(4);
    SessionId value = *id;
    if (write(pipe_fds[1], &value, sizeof value) != sizeof value) _exit(5);
    kill(getpid(), SIGKILL);
    _exit(6);
  }
  close(pipe_fds[1]);
  SessionId killed = 0;
  ASSERT_EQ(read(pipe_fds[0], &killed, sizeof killed), static_cast<ssize_t>(sizeof killed));
  close(pipe_fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

  // A fresh process (here: a fresh store) starts up and recovers.
  store_.reset();
  auto store = OpenOrDie(path_);
  EXPECT_EQ(store->GetSession(killed)->status, SessionStatus::kActive);
  Timestamp now = Timestamp::FromSeconds(1'800'000'000);
  auto recovered = store->RecoverSessions(now);
  ASSERT_TRUE(recovered.ok()) << recovered.error().ToString();
  EXPECT_EQ(*recovered, 1);
  auto info = store->GetSession(killed);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->status, SessionStatus::kError);
  EXPECT_EQ(info->ended_at, now);
  EXPECT_NE(info->error.find("left active"), std::string::npos) << info->error;
  // The committed rows survived the kill, and the counts match them.
  EXPECT_EQ(info->counts.deltas, 2);
  EXPECT_EQ(CountRows(*store, "rl_orderbook_deltas"), 2);
  // Sessions that were closed properly are untouched; a second recovery finds nothing.
  EXPECT_EQ(store->GetSession(closed)->status, SessionStatus::kClosed);
  EXPECT_EQ(*store->RecoverSessions(now), 0);
}

// ---------------------------------------------------------------- rows

SnapshotRow MakeSnapshot(SessionId session, std::string ticker, int64_t seq, int64_t local_ns) {
  SnapshotRow row;
  row.session_id = session;
  row.market_ticker = std::move(ticker);
  row.sid = 1;
  row.seq = seq;
  row.local_ts = Timestamp::FromNanos(local_ns);
  row.yes_bids = {Level(800, 30'000), Level(2'200, 33'300)};
  row.no_bids = {Level(5'400, 2'000), Level(5'600, 14'600)};
  return row;
}

// Replay order as documented in store.h, computed independently for the expectation.
std::tuple<int64_t, int64_t, int64_t, int> SortKey(const ReplayUpdate& u) {
  return std::visit(
      [](const auto& r) {
        int kind = std::is_same_v<std::decay_t<decltype(r)>, SnapshotRow> ? 1 : 0;
        return std::make_tuple(r.local_ts.nanos(), r.seq, r.sid, kind);
      },
      u);
}

TEST_F(SqliteStoreTest, WritesAndReadsBackSnapshotsAndDeltasExactlyInReplayOrder) {
  SessionId id = NewSessionOrDie(*store_);
  std::vector<ReplayUpdate> written;
  // Extreme integer units round-trip exactly; the exchange timestamp is optional.
  auto extreme = MakeDelta(id, "KXA", 7, 5'000, INT64_MAX, INT64_MIN, core::OutcomeSide::kNo);
  extreme.exchange_ts_ms.reset();
  written.push_back(extreme);
  auto negative = MakeDelta(id, "KXB", 3, 5'000, 1, -4'050, core::OutcomeSide::kYes);
  written.push_back(negative);  // same local ts, lower seq: comes first
  auto big_snapshot = MakeSnapshot(id, "KXA", 1, 1'000);
  big_snapshot.yes_bids.push_back(Level(INT64_MIN, INT64_MAX));
  big_snapshot.no_bids.clear();
  written.push_back(big_snapshot);
  written.push_back(MakeSnapshot(id, "KXB", 2, 1'000));
  // Same (local ts, seq, sid) as a delta: the delta comes first (a synthetic snapshot follows
  // the delta it was taken after).
  auto synthetic = MakeSnapshot(id, "KXA", 9, 9'000);
  synthetic.synthetic = true;
  written.push_back(synthetic);
  written.push_back(MakeDelta(id, "KXA", 9, 9'000, 9'900, 100));
  // A different sid with a smaller seq at the same time sorts by seq first.
  written.push_back(MakeDelta(id, "KXC", 1, 9'000, 100, 100, core::OutcomeSide::kYes, 2));
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    int64_t local = 10'000 + static_cast<int64_t>(rng() % 50) * 1'000;  // many equal times
    auto side = rng() % 2 ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    written.push_back(MakeDelta(id, i % 3 ? "KXA" : "KXB", 100 + i, local,
                                static_cast<int64_t>(rng() % 10'000),
                                static_cast<int64_t>(rng() % 200'001) - 100'000, side));
  }
  // Write in shuffled order across several batches.
  std::vector<ReplayUpdate> shuffled = written;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (size_t begin = 0; begin < shuffled.size(); begin += 37) {
    std::vector<Row> batch;
    for (size_t i = begin; i < std::min(shuffled.size(), begin + 37); ++i) {
      std::visit([&](const auto& r) { batch.push_back(r); }, shuffled[i]);
    }
    ASSERT_TRUE(store_->WriteBatch(batch).ok());
  }

  auto read = LoadSessionUpdates(*store_, id);
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  std::vector<ReplayUpdate> expected = written;
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return SortKey(a) < SortKey(b); });
  ASSERT_EQ(read->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    // Rows with identical keys keep no promised relative order between batches: compare keys
    // everywhere, and full contents where the key is unique.
    EXPECT_EQ(SortKey((*read)[i]), SortKey(expected[i])) << "position " << i;
  }
  // Every written row comes back exactly (as a multiset).
  auto contains = [&](const ReplayUpdate& u) {
    return std::count(read->begin(), read->end(), u) ==
           std::count(written.begin(), written.end(), u);
  };
  for (const auto& u : written) EXPECT_TRUE(contains(u));
  // Spot checks of the hand-made rows and their positions.
  EXPECT_EQ(std::get<SnapshotRow>((*read)[0]).market_ticker, "KXA");
  EXPECT_EQ((*read)[0], ReplayUpdate(big_snapshot));
  EXPECT_EQ((*read)[1], ReplayUpdate(MakeSnapshot(id, "KXB", 2, 1'000)));
  EXPECT_EQ((*read)[2], ReplayUpdate(negative));
  EXPECT_EQ((*read)[3], ReplayUpdate(extreme));
  EXPECT_EQ(std::get<DeltaRow>((*read)[4]).market_ticker, "KXC");
  EXPECT_TRUE(std::holds_alternative<DeltaRow>((*read)[5]));
  EXPECT_EQ((*read)[6], ReplayUpdate(synthetic));

  // Counts were maintained by the batches and agree with a recount.
  auto info = store_->GetSession(id);
  EXPECT_EQ(info->counts.snapshots, 3);
  EXPECT_EQ(info->counts.deltas, static_cast<int64_t>(written.size()) - 3);
  auto recount = store_->RecountSession(id);
  ASSERT_TRUE(recount.ok());
  EXPECT_EQ(*recount, info->counts);
}

TEST_F(SqliteStoreTest, ReplayQueryFiltersMarketsTimeAndKinds) {
  SessionId id = NewSessionOrDie(*store_);
  SessionId other = NewSessionOrDie(*store_);
  std::vector<Row> rows;
  for (int i = 0; i < 30; ++i) {
    rows.push_back(MakeDelta(id, i % 2 ? "KXA" : "KXB", i + 1, 1'000 * i));
  }
  rows.push_back(MakeSnapshot(id, "KXA", 100, 5'000));
  rows.push_back(MakeDelta(other, "KXA", 1, 7'000));
  ASSERT_TRUE(store_->WriteBatch(rows).ok());

  ReplayQuery only_a{.market_tickers = {"KXA"}};
  auto a = LoadSessionUpdates(*store_, id, only_a);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size(), 16u);  // 15 deltas + 1 snapshot, none from the other session
  for (const auto& u : *a) {
    std::visit([](const auto& r) { EXPECT_EQ(r.market_ticker, "KXA"); }, u);
  }

  ReplayQuery window{.from = Timestamp::FromNanos(5'000), .to = Timestamp::FromNanos(10'000)};
  auto w = LoadSessionUpdates(*store_, id, window);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->size(), 6u);  // deltas at 5000..9000 and the snapshot at 5000
  for (const auto& u : *w) {
    EXPECT_GE(UpdateLocalTs(u).nanos(), 5'000);
    EXPECT_LT(UpdateLocalTs(u).nanos(), 10'000);
  }

  ReplayQuery snapshots_only{.include_deltas = false};
  auto s = LoadSessionUpdates(*store_, id, snapshots_only);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SnapshotRow>((*s)[0]));

  // The callback can stop the read; its status comes back.
  int seen = 0;
  core::Status stopped = store_->ReadSessionUpdates(id, {}, [&](ReplayUpdate) {
    return ++seen == 3 ? core::OutOfRangeError("enough") : core::Status::Ok();
  });
  EXPECT_EQ(stopped.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(seen, 3);
  // An exception thrown by a callback is caught at the library boundary.
  core::Status thrown = store_->ReadSessionUpdates(
      id, {}, [&](ReplayUpdate) -> core::Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(thrown.code(), StatusCode::kInternal);
  // The store is still usable afterwards.
  EXPECT_TRUE(store_->WriteBatch(std::vector<Row>{MakeDelta(id, "KXA", 999, 99'000)}).ok());
}

TEST_F(SqliteStoreTest, RawFramesAreCompressedAndDecompressByteIdentical) {
  SessionId id = NewSessionOrDie(*store_);
  std::vector<RawFrameRow> frames;
  auto frame = [&](std::string bytes, std::optional<int64_t> sid, std::optional<int64_t> seq,
                   int64_t local) {
    RawFrameRow row;
    row.session_id = id;
    row.sid = sid;
    row.seq = seq;
    row.local_ts = Timestamp::FromNanos(local);
    row.frame = std::move(bytes);
    frames.push_back(row);
  };
  frame(
      R"({"type":"orderbook_delta","sid":1,"seq":2399869,"msg":{"market_ticker":"KXGOLD15M-26AUG102130-30","price_dollars":"0.4800","delta_fp":"-40.00","side":"no","ts_ms":1786410915566}})",
      1, 2'399'869, 100);
  frame("", std::nullopt, std::nullopt, 200);  // empty frame
  frame(std::string("\0\x01\xff\x00binary\0", 11), std::nullopt, std::nullopt, 300);
  std::string repetitive;
  for (int i = 0; i < 20'000; ++i) repetitive += R"({"price_dollars":"0.5600","delta_fp":"1.00"})";
  frame(repetitive, 3, 4, 400);
  std::mt19937_64 rng(11);
  std::string noise(300'000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  frame(noise, 5, 6, 500);

  std::vector<Row> rows(frames.begin(), frames.end());
  ASSERT_TRUE(store_->WriteBatch(rows).ok());

  std::vector<RawFrameRow> back;
  ASSERT_TRUE(store_
                  ->ReadRawFrames(id,
                                  [&](RawFrameRow r) {
                                    back.push_back(std::move(r));
                                    return core::Status::Ok();
                                  })
                  .ok());
  ASSERT_EQ(back.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(back[i], frames[i]) << "frame " << i;
  }
  EXPECT_EQ(store_->GetSession(id)->counts.frames, static_cast<int64_t>(frames.size()));

  // The stored blob really is zstd: much smaller for the repetitive frame, and starting with the
  // zstd magic number.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT frame_bytes, length(frame_zstd), hex(substr(frame_zstd, 1, "
                               "4)) FROM rl_raw_frames WHERE local_ts_ns = 400",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), static_cast<int64_t>(repetitive.size()));
  EXPECT_LT(sqlite3_column_int64(stmt, 1) * 20, static_cast<int64_t>(repetitive.size()));
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)), "28B52FFD");
  sqlite3_finalize(stmt);

  // A corrupted blob is reported as DataLoss, not a crash.
  sqlite3_close(db);
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(
                db, "UPDATE rl_raw_frames SET frame_zstd = x'28B52FFD0000' WHERE local_ts_ns = 100",
                nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  core::Status corrupt = store_->ReadRawFrames(id, [](RawFrameRow) { return core::Status::Ok(); });
  EXPECT_EQ(corrupt.code(), StatusCode::kDataLoss) << corrupt.ToString();
}

TEST_F(SqliteStoreTest, CorruptStoredLevelsAreDataLoss) {
  SessionId id = NewSessionOrDie(*store_);
  ASSERT_TRUE(store_->WriteBatch(std::vector<Row>{MakeSnapshot(id, "KXA", 1, 1)}).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE rl_orderbook_snapshots SET yes_levels = '[[1,2],[3]'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto read = LoadSessionUpdates(*store_, id);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code(), StatusCode::kDataLoss);
}

TEST_F(SqliteStoreTest, HostileStringsAreStoredVerbatim) {
  const std::string evil_ticker = "KX'); DROP TABLE rl_orderbook_deltas; --\"quoted\" 'single'";
  const std::string evil_url = "wss://x/'; DELETE FROM rl_orderbook_sessions; --";
  NewSession session;
  session.market_tickers = {evil_ticker, "\"", "'", "", "a\\b"};
  session.websocket_url = evil_url;
  auto id = store_->CreateSession(session);
  ASSERT_TRUE(id.ok());
  auto delta = MakeDelta(*id, evil_ticker, 1, 100);
  auto snapshot = MakeSnapshot(*id, evil_ticker, 2, 200);
  ASSERT_TRUE(store_->WriteBatch(std::vector<Row>{delta, snapshot}).ok());

  auto info = store_->GetSession(*id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->market_tickers, session.market_tickers);
  EXPECT_EQ(info->websocket_url, evil_url);
  // Filtering by the hostile ticker is parameterised as well.
  auto read = LoadSessionUpdates(*store_, *id, ReplayQuery{.market_tickers = {evil_ticker}});
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0], ReplayUpdate(delta));
  EXPECT_EQ((*read)[1], ReplayUpdate(snapshot));
  // Every table is still there.
  auto counts = store_->TableRowCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->size(), SchemaTables().size());
  EXPECT_EQ(CountRows(*store_, "rl_orderbook_deltas"), 1);
  EXPECT_EQ(CountRows(*store_, "rl_orderbook_sessions"), 1);
}

TEST_F(SqliteStoreTest, ABatchIsAllOrNothing) {
  SessionId id = NewSessionOrDie(*store_);
  std::vector<Row> rows = {MakeDelta(id, "KXA", 1, 1), MakeDelta(id + 41, "KXA", 2, 2),
                           MakeDelta(id, "KXA", 3, 3)};
  core::Status status = store_->WriteBatch(rows);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_NE(status.message().find("row 1"), std::string::npos) << status.message();
  EXPECT_EQ(CountRows(*store_, "rl_orderbook_deltas"), 0);
  EXPECT_EQ(store_->GetSession(id)->counts.deltas, 0);
  // The store keeps working after a failed batch.
  rows.erase(rows.begin() + 1);
  ASSERT_TRUE(store_->WriteBatch(rows).ok());
  EXPECT_EQ(store_->GetSession(id)->counts.deltas, 2);
  EXPECT_TRUE(store_->WriteBatch({}).ok());
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  // The collector writes through one connection while a reader (e.g. `db status`) uses another.
  SessionId id = NewSessionOrDie(*store_);
  auto reader = OpenOrDie(path_);
  std::vector<Row> rows;
  for (int i = 0; i < 500; ++i) rows.push_back(MakeDelta(id, "KXA", i + 1, i));
  std::thread writer([&] {
    for (int k = 0; k < 10; ++k) ASSERT_TRUE(store_->WriteBatch(rows).ok());
  });
  for (int k = 0; k < 20; ++k) {
    auto counts = reader->TableRowCounts();
    ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  }
  writer.join();
  EXPECT_EQ(CountRows(*reader, "rl_orderbook_deltas"), 5'000);
  EXPECT_EQ(reader->GetSession(id)->counts.deltas, 5'000);
}

TEST(SqliteStoreInMemoryTest, InMemoryDatabaseWorks) {
  auto store = OpenOrDie(":memory:");
  SessionId id = NewSessionOrDie(*store, Environment::kReplay);
  ASSERT_TRUE(store->WriteBatch(std::vector<Row>{MakeDelta(id, "KXA", 1, 1)}).ok());
  EXPECT_EQ(store->GetSession(id)->environment, Environment::kReplay);
  EXPECT_EQ(LoadSessionUpdates(*store, id)->size(), 1u);
}

TEST(SqliteStoreNamesTest, EnumNamesRoundTrip) {
  for (auto e :
       {Environment::kDemo, Environment::kProduction, Environment::kLocal, Environment::kReplay}) {
    EXPECT_EQ(ParseEnvironment(EnvironmentName(e)), e);
  }
  EXPECT_EQ(ParseEnvironment("Production"), std::nullopt);
  for (auto s : {SessionStatus::kActive, SessionStatus::kClosed, SessionStatus::kError}) {
    EXPECT_EQ(ParseSessionStatus(SessionStatusName(s)), s);
  }
  EXPECT_EQ(ParseSessionStatus(""), std::nullopt);
}

}  // namespace
}  // namespace kalshiflow::storage

namespace kalshiflow::storage {
namespace {

// An actor decision goes through WriteBatch into rl_actor_events with every column, NULLs where
// the row has no value, and leaves the session's market-data counts alone.
TEST(SqliteStoreActorEventTest, ActorEventRowsAreStoredColumnByColumn) {
  testing::TempDir dir;
  const std::string path = dir.File("kf.db");
  auto store = testing::OpenOrDie(path);
  const SessionId id = testing::NewSessionOrDie(*store);
  ActorEventRow full;
  full.session_id = id;
  full.market_ticker = "KXA-26JAN01-T1";
  full.seq = 42;
  full.local_ts = core::Timestamp::FromNanos(1'767'225'600'123'456'789);
  full.event_type = "decision";
  full.action = 1;
  full.action_name = "BUY_YES";
  full.position_units = 1'000;
  full.cash_micros = 996'700'000;
  full.portfolio_value_micros = 999'500'000;
  full.latency_ns = 3'210;
  full.details = R"({"outcome":"executed"})";
  ActorEventRow bare;  // no session, no model, no numbers
  bare.market_ticker = "KXB-26JAN01-T1";
  bare.local_ts = core::Timestamp::FromNanos(5);
  bare.event_type = "decision";
  bare.error = "model produced a non-finite output";
  ASSERT_TRUE(store->WriteBatch(std::vector<Row>{full, bare}).ok());
  EXPECT_EQ(RowKindName(Row(full)), "actor_event");

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT session_id, model_id, market_ticker, sequence_id, "
                               "local_ts_ns, action, action_name, position_units, cash_micros, "
                               "portfolio_value_micros, latency_ns, error, details FROM "
                               "rl_actor_events ORDER BY id",
                               -1, &q, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(q, 0), id);
  EXPECT_EQ(sqlite3_column_type(q, 1), SQLITE_NULL);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 2)), "KXA-26JAN01-T1");
  EXPECT_EQ(sqlite3_column_int64(q, 3), 42);
  EXPECT_EQ(sqlite3_column_int64(q, 4), 1'767'225'600'123'456'789);
  EXPECT_EQ(sqlite3_column_int64(q, 5), 1);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 6)), "BUY_YES");
  EXPECT_EQ(sqlite3_column_int64(q, 7), 1'000);
  EXPECT_EQ(sqlite3_column_int64(q, 8), 996'700'000);
  EXPECT_EQ(sqlite3_column_int64(q, 9), 999'500'000);
  EXPECT_EQ(sqlite3_column_int64(q, 10), 3'210);
  EXPECT_EQ(sqlite3_column_type(q, 11), SQLITE_NULL);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 12)),
               R"({"outcome":"executed"})");
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_type(q, 0), SQLITE_NULL);  // no session
  EXPECT_EQ(sqlite3_column_type(q, 5), SQLITE_NULL);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 11)),
               "model produced a non-finite output");
  EXPECT_EQ(sqlite3_column_type(q, 12), SQLITE_NULL);
  EXPECT_EQ(sqlite3_step(q), SQLITE_DONE);
  sqlite3_finalize(q);
  sqlite3_close(db);
  auto info = store->GetSession(id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->counts.frames, 0);
  EXPECT_EQ(info->counts.snapshots, 0);
}

}  // namespace
}  // namespace kalshiflow::storage
