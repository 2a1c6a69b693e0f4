// Storage throughput (DESIGN §10: >= 200,000 rows/s into SQLite through the write queue, no
// drops at 10,000 msgs/s sustained). Databases live in a fresh directory under /tmp.
//
//   BM_StoreWriteBatch/<rows>        direct Store::WriteBatch of delta rows, one transaction each
//   BM_StoreWriteBatchRawFrames      direct WriteBatch of 1,000 raw frames (zstd on this thread)
//   BM_WriteQueueToSqlite            100,000 delta rows through WriteQueue (default batching)
//                                    into SQLite, enqueue through Flush; rows/s
//   BM_TryEnqueueDelta               producer-side cost of one TryEnqueue (writer draining)
//   BM_WriteQueueSustained10kMsgs    2 s of 10,000 msgs/s (a delta + its raw frame each), paced
//                                    in 1 ms bursts, default options: counters drops, max_depth
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "core/check.h"
#include "storage/sqlite_store.h"
#include "storage/write_queue.h"

namespace kalshiflow::storage {
namespace {

class BenchDb {
 public:
  BenchDb() {
    std::string pattern = "/tmp/kf-storage-bench-XXXXXX";
    KF_CHECK(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    dir_ = pattern;
    auto store = SqliteStore::Open((dir_ / "bench.db").string());
    KF_CHECK(store.ok(), "{}", store.error().ToString());
    store_ = std::move(store).value();
    NewSession session;
    session.market_tickers = {"KXHIGHNY-25DEC05-B32.5"};
    session.environment = Environment::kLocal;
    auto id = store_->CreateSession(session);
    KF_CHECK(id.ok(), "{}", id.error().ToString());
    session_ = *id;
  }
  ~BenchDb() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SqliteStore& store() { return *store_; }
  SessionId session() const { return session_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
  SessionId session_ = 0;
};

DeltaRow Delta(SessionId session, int64_t i) {
  DeltaRow row;
  row.session_id = session;
  row.market_ticker = i % 2 ? "KXHIGHNY-25DEC05-B32.5" : "KXGOLD15M-26AUG102130-30";
  row.sid = 1;
  row.seq = i + 1;
  row.exchange_ts_ms = 1'786'410'915'566 + i;
  row.local_ts = core::Timestamp::FromNanos(1'786'410'915'566'000'000 + i * 1'000);
  row.side = i % 3 ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
  row.price = core::Price::FromUnits(100 * (1 + i % 99));
  row.delta = core::Count::FromUnits((i % 7 - 3) * 100);
  return row;
}

RawFrameRow Frame(SessionId session, int64_t i) {
  RawFrameRow row;
  row.session_id = session;
  row.sid = 1;
  row.seq = i + 1;
  row.local_ts = core::Timestamp::FromNanos(1'786'410'915'566'000'000 + i * 1'000);
  row.frame = fmt::format(
      R"({{"type":"orderbook_delta","sid":1,"seq":{},"msg":{{"market_ticker":"KXGOLD15M-26AUG102130-30","price_dollars":"0.{:02}00","delta_fp":"-40.00","side":"no","ts_ms":{}}}}})",
      i + 1, 1 + i % 99, 1'786'410'915'566 + i);
  return row;
}

void BM_StoreWriteBatch(benchmark::State& state) {
  BenchDb db;
  const int64_t rows_per_batch = state.range(0);
  std::vector<Row> rows;
  for (int64_t i = 0; i < rows_per_batch; ++i) rows.push_back(Delta(db.session(), i));
  int64_t next = 0;
  for (auto _ : state) {
    // Fresh, increasing (local_ts, seq) each batch, as a live feed produces (an in-place update
    // of two integers per row; rewriting the same keys would measure B-tree splits instead).
    for (Row& row : rows) {
      auto& delta = std::get<DeltaRow>(row);
      delta.seq = ++next;
      delta.local_ts = core::Timestamp::FromNanos(1'786'410'915'566'000'000 + next * 1'000);
    }
    core::Status status = db.store().WriteBatch(rows);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * rows_per_batch);
}
BENCHMARK(BM_StoreWriteBatch)->Arg(100)->Arg(1'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StoreWriteBatchRawFrames(benchmark::State& state) {
  BenchDb db;
  std::vector<Row> rows;
  for (int64_t i = 0; i < 1'000; ++i) rows.push_back(Frame(db.session(), i));
  int64_t next = 0;
  for (auto _ : state) {
    for (Row& row : rows) {
      auto& frame = std::get<RawFrameRow>(row);
      frame.seq = ++next;
      frame.local_ts = core::Timestamp::FromNanos(1'786'410'915'566'000'000 + next * 1'000);
    }
    core::Status status = db.store().WriteBatch(rows);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_StoreWriteBatchRawFrames)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WriteQueueToSqlite(benchmark::State& state) {
  constexpr int64_t kRows = 100'000;
  BenchDb db;
  WriteQueueOptions options;  // default batching: 100 rows or 1 s, <= 1,000 per transaction
  options.capacity = kRows;   // measure the writer, not drops
  auto queue = WriteQueue::Create(db.store(), options);
  KF_CHECK(queue.ok(), "{}", queue.error().ToString());
  int64_t next = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kRows; ++i) (*queue)->TryEnqueue(Delta(db.session(), next++));
    (*queue)->Flush();
  }
  WriteQueueStats stats = (*queue)->Stats();
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["drops"] = static_cast<double>(stats.dropped);
  state.counters["rows_per_txn"] =
      stats.batches ? static_cast<double>(stats.written) / static_cast<double>(stats.batches) : 0;
  KF_CHECK((*queue)->Shutdown().ok(), "shutdown");
}
BENCHMARK(BM_WriteQueueToSqlite)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TryEnqueueDelta(benchmark::State& state) {
  // The producer's cost per accepted delta (the collector's hot path), with the writer draining
  // into SQLite on the other core. The row is built outside the queue (its ticker copy included).
  BenchDb db;
  WriteQueueOptions options;
  options.capacity = 4'000'000;
  auto queue = WriteQueue::Create(db.store(), options);
  KF_CHECK(queue.ok(), "{}", queue.error().ToString());
  DeltaRow prototype = Delta(db.session(), 0);
  int64_t next = 0;
  for (auto _ : state) {
    DeltaRow row = prototype;
    row.seq = ++next;
    benchmark::DoNotOptimize((*queue)->TryEnqueue(std::move(row)));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["drops"] = static_cast<double>((*queue)->Stats().dropped);
  KF_CHECK((*queue)->Shutdown().ok(), "shutdown");
}
BENCHMARK(BM_TryEnqueueDelta)->Iterations(1'000'000);

void BM_WriteQueueSustained10kMsgs(benchmark::State& state) {
  constexpr int kMsgsPerSecond = 10'000;
  constexpr int kSeconds = 2;
  constexpr int kPerMs = kMsgsPerSecond / 1'000;
  BenchDb db;
  auto queue = WriteQueue::Create(db.store(), WriteQueueOptions{});  // all defaults
  KF_CHECK(queue.ok(), "{}", queue.error().ToString());
  size_t max_depth = 0;
  int64_t next = 0;
  for (auto _ : state) {
    auto tick = std::chrono::steady_clock::now();
    for (int ms = 0; ms < kSeconds * 1'000; ++ms) {
      for (int k = 0; k < kPerMs; ++k, ++next) {
        (*queue)->TryEnqueue(Delta(db.session(), next));
        (*queue)->TryEnqueue(Frame(db.session(), next));
      }
      max_depth = std::max(max_depth, (*queue)->Stats().depth);
      tick += std::chrono::milliseconds(1);
      std::this_thread::sleep_until(tick);
    }
    (*queue)->Flush();
  }
  WriteQueueStats stats = (*queue)->Stats();
  state.SetItemsProcessed(next);
  state.counters["drops"] = static_cast<double>(stats.dropped);
  state.counters["max_depth"] = static_cast<double>(max_depth);
  state.counters["written"] = static_cast<double>(stats.written);
  KF_CHECK((*queue)->Shutdown().ok(), "shutdown");
}
BENCHMARK(BM_WriteQueueSustained10kMsgs)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kalshiflow::storage

BENCHMARK_MAIN();
