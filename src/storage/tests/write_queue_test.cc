#include "storage/write_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "storage/tests/test_util.h"

namespace kalshiflow::storage {
namespace {

using core::StatusCode;
using testing::CountRows;
using testing::DelegatingStore;
using testing::Gate;
using testing::MakeDelta;
using testing::NewSessionOrDie;
using testing::OpenOrDie;
using testing::TempDir;
using testing::WaitFor;

class WriteQueueTest : public ::testing::Test {
 protected:
  std::unique_ptr<WriteQueue> MakeQueue(Store& store, WriteQueueOptions options) {
    auto queue = WriteQueue::Create(store, std::move(options));
    KF_CHECK(queue.ok(), "create queue: {}", queue.error().ToString());
    return std::move(queue).value();
  }

  static void ExpectInvariant(const WriteQueueStats& s) {
    EXPECT_EQ(s.accepted, s.written + s.rejected + s.abandoned + s.depth);
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> sqlite_ = OpenOrDie(dir_.File("kf.db"));
  SessionId session_ = NewSessionOrDie(*sqlite_);
};

TEST_F(WriteQueueTest, RejectsInvalidOptions) {
  auto bad = [&](auto mutate) {
    WriteQueueOptions options;
    mutate(options);
    auto queue = WriteQueue::Create(*sqlite_, std::move(options));
    return !queue.ok() && queue.error().code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(bad([](auto& o) { o.capacity = 0; }));
  EXPECT_TRUE(bad([](auto& o) { o.batch_size = 0; }));
  EXPECT_TRUE(bad([](auto& o) { o.max_batch_rows = o.batch_size - 1; }));
  EXPECT_TRUE(bad([](auto& o) { o.batch_interval = std::chrono::milliseconds(0); }));
  EXPECT_TRUE(bad([](auto& o) { o.retry_initial_backoff = std::chrono::milliseconds(0); }));
  EXPECT_TRUE(bad([](auto& o) { o.retry_max_backoff = std::chrono::milliseconds(1); }));
  EXPECT_TRUE(bad([](auto& o) { o.delta_sample_every = 0; }));
  EXPECT_TRUE(bad([](auto& o) { o.delta_sample_every = 5; }));  // no provider
  EXPECT_TRUE(bad([](auto& o) {
    o.delta_sample_every = 5;
    o.snapshot_every_kept_deltas = 0;
    o.snapshot_provider = [](SessionId, std::string_view) { return std::nullopt; };
  }));
}

TEST_F(WriteQueueTest, ShutdownWritesEveryAcceptedRowFromManyProducers) {
  WriteQueueOptions options;
  options.capacity = 1'000'000;
  auto queue = MakeQueue(*sqlite_, options);
  constexpr int kProducers = 4;
  constexpr int kRowsEach = 5'000;
  std::vector<std::thread> producers;
  std::atomic<int64_t> refused{0};
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kRowsEach; ++i) {
        if (!queue->TryEnqueue(MakeDelta(session_, "KXP" + std::to_string(p), i + 1, i, 5'000, 100,
                                         core::OutcomeSide::kYes, p + 1))) {
          ++refused;
        }
      }
    });
  }
  // Meanwhile the counters stay consistent.
  for (int k = 0; k < 50; ++k) ExpectInvariant(queue->Stats());
  for (auto& t : producers) t.join();
  ASSERT_TRUE(queue->Shutdown().ok());
  WriteQueueStats stats = queue->Stats();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(stats.accepted, static_cast<uint64_t>(kProducers * kRowsEach));
  EXPECT_EQ(stats.written, stats.accepted);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.depth, 0u);
  EXPECT_GE(stats.batches, 1u);
  EXPECT_EQ(stats.write_errors, 0u);
  ExpectInvariant(stats);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), static_cast<int64_t>(stats.accepted));
  EXPECT_EQ(sqlite_->GetSession(session_)->counts.deltas, static_cast<int64_t>(stats.accepted));
  // Each producer's rows keep their order (FIFO): seq increases along local time per sid.
  auto updates = LoadSessionUpdates(*sqlite_, session_);
  ASSERT_TRUE(updates.ok());
  EXPECT_EQ(updates->size(), stats.accepted);

  // After shutdown nothing more is accepted, and that is counted separately.
  EXPECT_FALSE(queue->TryEnqueue(MakeDelta(session_, "KXLATE", 1, 1)));
  EXPECT_EQ(queue->Stats().dropped_after_shutdown, 1u);
  EXPECT_EQ(queue->Stats().dropped, 0u);
  EXPECT_TRUE(queue->Shutdown().ok());  // idempotent
}

TEST_F(WriteQueueTest, OverflowIsCountedAndNeverBlocks) {
  // The store is held (a slow database): nothing completes, so the bound is exact.
  DelegatingStore slow(*sqlite_);
  Gate gate;
  slow.before_write = [&](std::span<const Row>) {
    gate.Wait();
    return core::Status::Ok();
  };
  WriteQueueOptions options;
  options.capacity = 5;
  options.batch_size = 1;
  auto queue = MakeQueue(slow, options);
  int accepted = 0;
  for (int i = 0; i < 21; ++i) accepted += queue->TryEnqueue(MakeDelta(session_, "KXA", i + 1, i));
  EXPECT_EQ(accepted, 5);
  WriteQueueStats stats = queue->Stats();
  EXPECT_EQ(stats.accepted, 5u);
  EXPECT_EQ(stats.dropped, 16u);
  EXPECT_EQ(stats.depth, 5u);
  ExpectInvariant(stats);
  gate.Open();
  ASSERT_TRUE(queue->Shutdown().ok());
  stats = queue->Stats();
  EXPECT_EQ(stats.written, 5u);
  EXPECT_EQ(stats.dropped, 16u);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 5);
}

TEST_F(WriteQueueTest, WritesABatchWhenBatchSizeRowsWait) {
  DelegatingStore recording(*sqlite_);
  std::mutex mu;
  std::vector<size_t> batch_sizes;
  recording.before_write = [&](std::span<const Row> rows) {
    std::lock_guard lock(mu);
    batch_sizes.push_back(rows.size());
    return core::Status::Ok();
  };
  WriteQueueOptions options;
  options.batch_size = 10;
  options.max_batch_rows = 10;
  options.batch_interval = std::chrono::hours(1);  // time never triggers in this test
  auto queue = MakeQueue(recording, options);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXA", i + 1, i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(queue->Stats().written, 0u) << "wrote before batch_size rows were waiting";
  EXPECT_EQ(queue->Stats().depth, 9u);
  ASSERT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXA", 10, 10)));
  ASSERT_TRUE(WaitFor([&] { return queue->Stats().written == 10; }));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(batch_sizes, std::vector<size_t>{10});
  }
  EXPECT_EQ(queue->Stats().batches, 1u);
  // A backlog is written in transactions of at most max_batch_rows.
  for (int i = 0; i < 95; ++i) ASSERT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXB", i + 1, i)));
  ASSERT_TRUE(queue->Flush());
  EXPECT_EQ(queue->Stats().written, 105u);
  std::lock_guard lock(mu);
  for (size_t size : batch_sizes) EXPECT_LE(size, 10u);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 105);
}

TEST_F(WriteQueueTest, WritesABatchWhenTheIntervalPasses) {
  DelegatingStore recording(*sqlite_);
  std::mutex mu;
  std::vector<size_t> batch_sizes;
  recording.before_write = [&](std::span<const Row> rows) {
    std::lock_guard lock(mu);
    batch_sizes.push_back(rows.size());
    return core::Status::Ok();
  };
  WriteQueueOptions options;
  options.batch_size = 1'000;  // size never triggers in this test
  options.batch_interval = std::chrono::milliseconds(20);
  auto queue = MakeQueue(recording, options);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXA", i + 1, i)));
  // No Flush: only the interval can trigger this write.
  ASSERT_TRUE(WaitFor([&] { return queue->Stats().written == 3; }));
  std::lock_guard lock(mu);
  EXPECT_EQ(batch_sizes, std::vector<size_t>{3});
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 3);
}

TEST_F(WriteQueueTest, RetriesAfterTransientStoreFailures) {
  DelegatingStore flaky(*sqlite_);
  std::atomic<int> failures_left{3};
  flaky.before_write = [&](std::span<const Row>) {
    if (failures_left.fetch_sub(1) > 0) return core::UnavailableError("injected: database locked");
    return core::Status::Ok();
  };
  WriteQueueOptions options;
  options.retry_initial_backoff = std::chrono::milliseconds(1);
  options.retry_max_backoff = std::chrono::milliseconds(4);
  auto queue = MakeQueue(flaky, options);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXA", i + 1, i)));
  ASSERT_TRUE(queue->Flush());
  WriteQueueStats stats = queue->Stats();
  EXPECT_EQ(stats.written, 50u);
  EXPECT_EQ(stats.write_errors, 3u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_FALSE(stats.store_failing);
  EXPECT_NE(stats.last_error.find("injected"), std::string::npos) << stats.last_error;
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 50);
}

TEST_F(WriteQueueTest, OutageKeepsRowsUpToTheBoundThenRecoversAutomatically) {
  DelegatingStore down(*sqlite_);
  std::atomic<bool> available{false};
  std::atomic<int> attempts{0};
  down.before_write = [&](std::span<const Row>) {
    ++attempts;
    return available ? core::Status::Ok() : core::UnavailableError("injected: disk I/O error");
  };
  WriteQueueOptions options;
  options.capacity = 20;
  options.batch_size = 4;
  options.retry_initial_backoff = std::chrono::milliseconds(1);
  options.retry_max_backoff = std::chrono::milliseconds(2);
  auto queue = MakeQueue(down, options);
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += queue->TryEnqueue(MakeDelta(session_, "KXA", i + 1, i));
  EXPECT_EQ(accepted, 20);
  ASSERT_TRUE(WaitFor([&] { return attempts.load() >= 3; }));
  WriteQueueStats stats = queue->Stats();
  EXPECT_EQ(stats.dropped, 80u);
  EXPECT_EQ(stats.written, 0u);
  EXPECT_EQ(stats.depth, 20u);
  EXPECT_TRUE(stats.store_failing);
  EXPECT_GE(stats.write_errors, 3u);
  EXPECT_FALSE(queue->Flush(std::chrono::milliseconds(20)));  // cannot finish while down
  available = true;
  ASSERT_TRUE(queue->Flush());
  stats = queue->Stats();
  EXPECT_EQ(stats.written, 20u);
  EXPECT_FALSE(stats.store_failing);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 20);
  // Capacity is available again.
  EXPECT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXA", 101, 101)));
  ASSERT_TRUE(queue->Shutdown().ok());
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 21);
}

TEST_F(WriteQueueTest, PermanentlyRejectedRowsAreIsolatedAndCounted) {
  WriteQueueOptions options;
  options.batch_interval = std::chrono::hours(1);
  auto queue = MakeQueue(*sqlite_, options);
  for (int i = 0; i < 10; ++i) {
    SessionId target = i == 4 ? session_ + 1'000 : session_;  // no such session: FK violation
    ASSERT_TRUE(queue->TryEnqueue(MakeDelta(target, "KXA", i + 1, i)));
  }
  ASSERT_TRUE(queue->Flush());
  WriteQueueStats stats = queue->Stats();
  EXPECT_EQ(stats.rejected, 1u);
  EXPECT_EQ(stats.written, 9u);
  EXPECT_NE(stats.last_error.find("failed_precondition"), std::string::npos) << stats.last_error;
  ExpectInvariant(stats);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 9);
  EXPECT_TRUE(queue->Shutdown().ok());
}

TEST_F(WriteQueueTest, ShutdownGivesUpOnADeadStoreAfterItsDeadline) {
  DelegatingStore dead(*sqlite_);
  dead.before_write = [](std::span<const Row>) {
    return core::UnavailableError("injected: unable to open database file");
  };
  WriteQueueOptions options;
  options.retry_initial_backoff = std::chrono::milliseconds(1);
  options.retry_max_backoff = std::chrono::milliseconds(5);
  options.shutdown_timeout = std::chrono::milliseconds(30);
  auto queue = MakeQueue(dead, options);
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(queue->TryEnqueue(MakeDelta(session_, "KXA", i + 1, i)));
  core::Status status = queue->Shutdown();
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("7 accepted rows"), std::string::npos) << status.message();
  WriteQueueStats stats = queue->Stats();
  EXPECT_EQ(stats.abandoned, 7u);
  EXPECT_EQ(stats.written, 0u);
  ExpectInvariant(stats);
  EXPECT_TRUE(queue->Flush());  // nothing left in the queue
}

// A producer-side book (the collector's role): YES/NO bids keyed by price units.
struct TestBook {
  std::map<int64_t, int64_t> yes;
  std::map<int64_t, int64_t> no;
  void Apply(const DeltaRow& d) {
    auto& side = d.side == core::OutcomeSide::kYes ? yes : no;
    int64_t& qty = side[d.price.units()];
    qty += d.delta.units();
    if (qty <= 0) side.erase(d.price.units());
  }
  void Apply(const SnapshotRow& s) {
    yes.clear();
    no.clear();
    for (const auto& l : s.yes_bids) yes[l.price.units()] = l.count.units();
    for (const auto& l : s.no_bids) no[l.price.units()] = l.count.units();
  }
  BookLevels Levels() const {
    BookLevels out;
    for (auto [p, c] : yes) out.yes_bids.push_back(testing::Level(p, c));
    for (auto [p, c] : no) out.no_bids.push_back(testing::Level(p, c));
    return out;
  }
  friend bool operator==(const TestBook&, const TestBook&) = default;
};

TEST_F(WriteQueueTest, SamplingKeepsOneOfNDeltasAndWritesReconstructibleSnapshots) {
  constexpr int kEvery = 3;
  constexpr int kSnapshotEvery = 2;
  std::map<std::string, TestBook> books;  // producer-owned; read by the provider on our thread
  std::atomic<int> provider_calls{0};
  WriteQueueOptions options;
  options.delta_sample_every = kEvery;
  options.snapshot_every_kept_deltas = kSnapshotEvery;
  options.snapshot_provider = [&](SessionId session,
                                  std::string_view ticker) -> std::optional<BookLevels> {
    EXPECT_EQ(session, session_);
    ++provider_calls;
    return books.at(std::string(ticker)).Levels();
  };
  auto queue = MakeQueue(*sqlite_, options);

  // Truth: the book after every delta, per market, keyed by seq.
  std::map<int64_t, TestBook> truth_after_seq;
  int64_t seq = 0;
  for (int i = 0; i < 30; ++i) {
    for (std::string ticker : {"KXA", "KXB"}) {
      ++seq;
      auto side = (i % 4 < 2) ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
      DeltaRow d = MakeDelta(session_, ticker, seq, seq * 1'000, 1'000 * (1 + i % 5),
                             (i % 3 == 2) ? -700 : 1'000, side);
      books[ticker].Apply(d);  // the collector applies, then enqueues
      truth_after_seq[seq] = books[ticker];
      EXPECT_TRUE(queue->TryEnqueue(d));
    }
  }
  ASSERT_TRUE(queue->Shutdown().ok());
  WriteQueueStats stats = queue->Stats();
  // Per market 30 deltas: kept #0, #3, ..., #27 = 10; sampled out 20.
  EXPECT_EQ(stats.deltas_sampled_out, 40u);
  EXPECT_EQ(stats.snapshots_synthesized, 10u);  // after every 2nd kept delta: 5 per market
  EXPECT_EQ(provider_calls.load(), 10);
  EXPECT_EQ(stats.accepted, 30u);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 20);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_snapshots"), 10);

  auto updates = LoadSessionUpdates(*sqlite_, session_);
  ASSERT_TRUE(updates.ok());
  std::map<std::string, int> kept_per_market;
  const DeltaRow* previous_delta = nullptr;
  for (const auto& u : *updates) {
    if (const auto* d = std::get_if<DeltaRow>(&u)) {
      // 1 of N per market: the market's 1st, 4th, 7th, ... delta.
      int index = kept_per_market[d->market_ticker]++;
      int64_t market_index = (d->seq - (d->market_ticker == "KXA" ? 1 : 2)) / 2;
      EXPECT_EQ(market_index, static_cast<int64_t>(index) * kEvery) << "seq " << d->seq;
      previous_delta = d;
    } else {
      const auto& s = std::get<SnapshotRow>(u);
      EXPECT_TRUE(s.synthetic);
      // Taken right after a kept delta of the same market, carrying its identity.
      ASSERT_NE(previous_delta, nullptr);
      EXPECT_EQ(previous_delta->market_ticker, s.market_ticker);
      EXPECT_EQ(previous_delta->seq, s.seq);
      EXPECT_EQ(kept_per_market[s.market_ticker] % kSnapshotEvery, 0);
      // The stored snapshot is exactly the book at that point.
      TestBook at_snapshot;
      at_snapshot.Apply(s);
      EXPECT_EQ(at_snapshot, truth_after_seq.at(s.seq)) << "seq " << s.seq;
    }
  }
  EXPECT_EQ(kept_per_market["KXA"], 10);
  EXPECT_EQ(kept_per_market["KXB"], 10);
}

TEST_F(WriteQueueTest, SamplingRestartsAtExchangeSnapshotsAndRetriesWithoutABook) {
  bool book_valid = false;
  WriteQueueOptions options;
  options.delta_sample_every = 2;
  options.snapshot_every_kept_deltas = 2;
  options.snapshot_provider = [&](SessionId, std::string_view) -> std::optional<BookLevels> {
    if (!book_valid) return std::nullopt;
    return BookLevels{{testing::Level(100, 100)}, {}};
  };
  auto queue = MakeQueue(*sqlite_, options);
  int64_t seq = 0;
  auto next = [&] {
    ++seq;
    return MakeDelta(session_, "KXA", seq, seq);
  };
  // Deltas 1..4: kept 1 and 3; at 3 a snapshot is due but there is no valid book.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(queue->TryEnqueue(next()));
  EXPECT_EQ(queue->Stats().snapshots_synthesized, 0u);
  EXPECT_EQ(queue->Stats().deltas_sampled_out, 2u);
  book_valid = true;
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 5: kept, still due -> snapshot now
  EXPECT_EQ(queue->Stats().snapshots_synthesized, 1u);
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 6: sampled out
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 7: kept, 1 since the snapshot
  // An exchange snapshot restarts the count for its market.
  SnapshotRow exchange;
  exchange.session_id = session_;
  exchange.market_ticker = "KXA";
  exchange.seq = ++seq;  // 8
  exchange.local_ts = core::Timestamp::FromNanos(seq);
  EXPECT_TRUE(queue->TryEnqueue(exchange));
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 9: sampled out
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 10: kept, 1 since the exchange snapshot: not due
  EXPECT_EQ(queue->Stats().snapshots_synthesized, 1u);
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 11: sampled out
  EXPECT_TRUE(queue->TryEnqueue(next()));  // 12: kept, 2 since: due -> snapshot
  EXPECT_EQ(queue->Stats().snapshots_synthesized, 2u);
  ASSERT_TRUE(queue->Shutdown().ok());
  EXPECT_EQ(queue->Stats().accepted, 9u);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_deltas"), 6);
  EXPECT_EQ(CountRows(*sqlite_, "rl_orderbook_snapshots"), 3);
}

}  // namespace
}  // namespace kalshiflow::storage

namespace kalshiflow::storage {
namespace {

TEST(WriteQueueCommitHookTest, ReportsEveryCommittedRowOnceAfterItsTransaction) {
  testing::TempDir dir;
  auto sqlite = testing::OpenOrDie(dir.File("kf.db"));
  const SessionId session = testing::NewSessionOrDie(*sqlite);
  std::atomic<int64_t> committed{0};
  std::atomic<int64_t> seen_in_store_before_hook{0};
  WriteQueueOptions options;
  options.batch_size = 10;
  options.on_committed = [&](std::span<const Row> rows) {
    committed += static_cast<int64_t>(rows.size());
    // The rows are already durable when the hook runs.
    seen_in_store_before_hook = testing::CountRows(*sqlite, "rl_orderbook_deltas");
  };
  auto queue = WriteQueue::Create(*sqlite, options);
  ASSERT_TRUE(queue.ok());
  for (int i = 0; i < 95; ++i) {
    ASSERT_TRUE((*queue)->TryEnqueue(
        testing::MakeDelta(session, "KXH-1", i + 1, i, 5'000, 100, core::OutcomeSide::kYes, 1)));
  }
  ASSERT_TRUE((*queue)->Shutdown().ok());
  EXPECT_EQ(committed.load(), 95);
  EXPECT_EQ(seen_in_store_before_hook.load(), 95);
}

}  // namespace
}  // namespace kalshiflow::storage
