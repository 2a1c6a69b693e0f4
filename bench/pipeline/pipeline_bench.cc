// The collector's per-message hot path, end to end without the socket (DESIGN §2 "Life of a
// delta", §10 first row): decode a Kalshi `orderbook_delta` frame -> check (sid, seq) and apply
// it to the market's book -> build the storage row and TryEnqueue it into the WriteQueue,
// whose writer thread commits batches to a real SQLite file (WAL) on the other core. The timed
// figure is the producer's cost per message; when the writer falls behind, the benchmark waits
// for it with timing paused, so no row is dropped (counter queue_drops must stay 0).
//
// Frames: 6 markets on one sid (as one Kalshi event), books of ~15 levels a side, deltas that
// add and later remove size near the top, contiguous seq. Generated once with the kalshi frame
// encoder (current fixed-point format), so the decoder sees real wire text.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "book/book_set.h"
#include "core/fixed_point.h"
#include "core/rng.h"
#include "core/time.h"
#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"
#include "storage/sqlite_store.h"
#include "storage/write_queue.h"

namespace kf = kalshiflow;
using kf::core::Count;
using kf::core::OutcomeSide;
using kf::core::Price;
using kf::core::PriceLevel;

namespace {

constexpr int64_t kSid = 1;
const char* const kTickers[] = {"KXHIGHNY-25DEC05-T37",   "KXHIGHNY-25DEC05-B32.5",
                                "KXHIGHNY-25DEC05-B34.5", "KXHIGHNY-25DEC05-B36.5",
                                "KXHIGHNY-25DEC05-T30",   "KXHIGHNY-25DEC05-B30.5"};
constexpr int kMarkets = 6;
constexpr size_t kQueueCapacity = 100'000;  // the WriteQueue default

struct Stream {
  std::vector<std::string> snapshots;  // seq 1..6
  std::vector<std::string> deltas;     // seq 7..
};

// Builds snapshot frames and `n` delta frames. Each delta adds size at a level within 5 ticks
// of the top and is later undone by an equal negative delta, so books stay ~15 levels deep.
Stream MakeStream(int n) {
  Stream s;
  kf::core::Rng rng(7);
  int64_t seq = 1;
  std::string out;
  for (int m = 0; m < kMarkets; ++m) {
    std::vector<PriceLevel> yes, no;
    for (int c = 20; c < 35; ++c)
      yes.push_back({Price::FromCents(c), Count::FromContracts(100 + c)});
    for (int c = 50; c < 65; ++c) no.push_back({Price::FromCents(c), Count::FromContracts(90 + c)});
    kf::kalshi::OrderbookSnapshot snap;
    snap.market_ticker = kTickers[m];
    snap.yes_bids = yes;
    snap.no_bids = no;
    out.clear();
    kf::kalshi::EncodeOrderbookSnapshot(kSid, seq++, snap, out);
    s.snapshots.push_back(out);
  }
  struct Pending {
    int market;
    OutcomeSide side;
    Price price;
    Count size;
  };
  std::vector<Pending> pending;
  int64_t ts_ms = 1'764'851'236'079;
  for (int i = 0; i < n; ++i) {
    kf::kalshi::OrderbookDelta d;
    if (!pending.empty() && (pending.size() > 64 || rng.Bernoulli(0.5))) {
      auto p =
          pending[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(pending.size()) - 1))];
      std::erase_if(pending, [&](const Pending& q) {
        return q.market == p.market && q.side == p.side && q.price == p.price && q.size == p.size;
      });
      d.market_ticker = kTickers[p.market];
      d.side = p.side;
      d.price = p.price;
      d.delta = -p.size;
    } else {
      Pending p;
      p.market = static_cast<int>(rng.UniformInt(0, kMarkets - 1));
      p.side = rng.Bernoulli(0.5) ? OutcomeSide::kYes : OutcomeSide::kNo;
      int top = p.side == OutcomeSide::kYes ? 34 : 64;
      p.price = Price::FromCents(top - rng.UniformInt(0, 4));
      p.size = Count::FromContracts(rng.UniformInt(1, 250));
      pending.push_back(p);
      d.market_ticker = kTickers[p.market];
      d.side = p.side;
      d.price = p.price;
      d.delta = p.size;
    }
    ts_ms += rng.UniformInt(0, 400);
    d.ts_ms = ts_ms;
    out.clear();
    kf::kalshi::EncodeOrderbookDelta(kSid, seq++, d, out);
    s.deltas.push_back(out);
  }
  return s;
}

const Stream& SharedStream() {
  static const Stream stream = MakeStream(200'000);
  return stream;
}

// Applies the snapshots to a fresh BookSet through the decoder.
void LoadSnapshots(kf::kalshi::Decoder& decoder, kf::book::BookSet& books) {
  for (const auto& f : SharedStream().snapshots) {
    auto m = decoder.Decode(f);
    const auto& s = (*m)->snapshot;
    auto outcome =
        books.ApplySnapshot((*m)->sid, *(*m)->seq, s.market_ticker, s.yes_bids, s.no_bids);
    if (!outcome.applied) std::abort();
  }
}

void BM_DecodeDeltaOnly(benchmark::State& state) {
  const auto& stream = SharedStream();
  kf::kalshi::Decoder decoder;
  size_t i = 0;
  for (auto _ : state) {
    auto m = decoder.Decode(stream.deltas[i]);
    benchmark::DoNotOptimize(m);
    if (++i == stream.deltas.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeDeltaOnly);

void BM_ParseSequenceApply(benchmark::State& state) {
  const auto& stream = SharedStream();
  kf::kalshi::Decoder decoder;
  auto books = std::make_unique<kf::book::BookSet>();
  LoadSnapshots(decoder, *books);
  size_t i = 0;
  uint64_t errors = 0;
  for (auto _ : state) {
    auto m = decoder.Decode(stream.deltas[i]);
    const auto& d = (*m)->delta;
    auto outcome = books->ApplyDelta((*m)->sid, *(*m)->seq, d.market_ticker, d.side, d.price,
                                     d.delta, d.ts_ms);
    errors += !outcome.applied;
    if (++i == stream.deltas.size()) {  // replay from the snapshots with a fresh BookSet
      state.PauseTiming();
      books = std::make_unique<kf::book::BookSet>();
      LoadSnapshots(decoder, *books);
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["book_errors"] = static_cast<double>(errors);
}
BENCHMARK(BM_ParseSequenceApply);

void BM_ParseSequenceApplyEnqueue(benchmark::State& state) {
  const auto& stream = SharedStream();
  const auto path = std::filesystem::temp_directory_path() / "kalshiflow_pipeline_bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  auto store = kf::storage::SqliteStore::Open(path.string());
  if (!store.ok() || !(*store)->Migrate().ok()) {
    state.SkipWithError("cannot open the SQLite store");
    return;
  }
  kf::storage::NewSession session;
  for (const char* t : kTickers) session.market_tickers.emplace_back(t);
  session.environment = kf::storage::Environment::kReplay;
  auto session_id = (*store)->CreateSession(session);
  kf::storage::WriteQueueOptions options;
  options.capacity = kQueueCapacity;
  auto queue = kf::storage::WriteQueue::Create(**store, options);
  if (!session_id.ok() || !queue.ok()) {
    state.SkipWithError("cannot create the session or the write queue");
    return;
  }
  const kf::core::SimulatedClock clock(kf::core::Timestamp::FromMillis(1'764'851'236'079));
  kf::kalshi::Decoder decoder;
  auto books = std::make_unique<kf::book::BookSet>();
  LoadSnapshots(decoder, *books);
  size_t i = 0;
  uint64_t errors = 0, not_enqueued = 0;
  for (auto _ : state) {
    auto m = decoder.Decode(stream.deltas[i]);
    const auto& d = (*m)->delta;
    auto outcome = books->ApplyDelta((*m)->sid, *(*m)->seq, d.market_ticker, d.side, d.price,
                                     d.delta, d.ts_ms);
    if (outcome.applied) {
      kf::storage::DeltaRow row;
      row.session_id = *session_id;
      row.market_ticker.assign(d.market_ticker);
      row.sid = (*m)->sid;
      row.seq = *(*m)->seq;
      row.exchange_ts_ms = d.ts_ms;
      row.local_ts = clock.Now();
      row.side = d.side;
      row.price = d.price;
      row.delta = d.delta;
      not_enqueued += !(*queue)->TryEnqueue(std::move(row));
      // Measure accepted enqueues only: a full queue refuses faster than it accepts, so when
      // SQLite (~0.4 M rows/s) falls behind, wait for it outside the timed region.
      if ((i & 4095) == 0 && (*queue)->Stats().depth > kQueueCapacity / 2) {
        state.PauseTiming();
        (*queue)->Flush();
        state.ResumeTiming();
      }
    } else {
      ++errors;
    }
    if (++i == stream.deltas.size()) {
      state.PauseTiming();
      books = std::make_unique<kf::book::BookSet>();
      LoadSnapshots(decoder, *books);
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  auto status = (*queue)->Shutdown();
  auto stats = (*queue)->Stats();
  state.counters["book_errors"] = static_cast<double>(errors);
  state.counters["queue_drops"] = static_cast<double>(not_enqueued);
  state.counters["rows_written"] = static_cast<double>(stats.written);
  if (!status.ok()) state.SkipWithError(status.ToString().c_str());
  queue->reset();
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
BENCHMARK(BM_ParseSequenceApplyEnqueue);

}  // namespace

BENCHMARK_MAIN();
