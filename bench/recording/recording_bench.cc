// Benchmarks of the recording module: writing and reading recordings (raw and with decode +
// book apply, i.e. replay), converting one real day, the depth model and CRC-32C.
// Figures are for one core; run from the repository root (real data via KF_SHARED_DIR or
// ../shared).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "book/book_set.h"
#include "core/rng.h"
#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"
#include "recording/convert.h"
#include "recording/depth_model.h"
#include "recording/format.h"

namespace kr = kalshiflow::recording;
namespace core = kalshiflow::core;
namespace kalshi = kalshiflow::kalshi;

namespace {

constexpr int kFrames = 200'000;

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("kf-bench-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::string SharedData() {
  const char* env = std::getenv("KF_SHARED_DIR");
  return std::string(env != nullptr && *env != '\0' ? env : "../shared") + "/data";
}

// Realistic frames: one snapshot per market, then deltas around the top of book.
std::vector<std::string> MakeFrames() {
  std::vector<std::string> frames;
  core::Rng rng(1);
  const char* tickers[] = {"KXHIGHNY-25DEC05-B30.5", "KXHIGHNY-25DEC05-B32.5",
                           "KXHIGHNY-25DEC05-B34.5", "KXHIGHNY-25DEC05-T37"};
  int64_t seq = 1;
  for (const char* t : tickers) {
    std::vector<core::PriceLevel> yes, no;
    for (int c = 30; c <= 40; ++c) {
      yes.push_back({core::Price::FromCents(c), core::Count::FromContracts(100)});
      no.push_back({core::Price::FromCents(c + 15), core::Count::FromContracts(100)});
    }
    kalshi::OrderbookSnapshot s;
    s.market_ticker = t;
    s.yes_bids = yes;
    s.no_bids = no;
    std::string f;
    kalshi::EncodeOrderbookSnapshot(1, seq++, s, f);
    frames.push_back(f);
  }
  while (static_cast<int>(frames.size()) < kFrames) {
    kalshi::OrderbookDelta d;
    d.market_ticker = tickers[rng.UniformInt(0, 3)];
    d.side = rng.Bernoulli(0.5) ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    d.price = core::Price::FromCents(rng.UniformInt(30, 40) +
                                     (d.side == core::OutcomeSide::kNo ? 15 : 0));
    d.delta = core::Count::FromContracts(rng.UniformInt(1, 50));
    d.ts_ms = 1'764'851'241'272 + static_cast<int64_t>(frames.size());
    std::string f;
    kalshi::EncodeOrderbookDelta(1, seq++, d, f);
    frames.push_back(f);
  }
  return frames;
}

const std::vector<std::string>& Frames() {
  static const std::vector<std::string> frames = MakeFrames();
  return frames;
}

kr::RecordingHeader Header() {
  kr::RecordingHeader h;
  h.source = "benchmark";
  h.creator = "recording_bench";
  return h;
}

void WriteFile(const std::string& path, int level) {
  kr::WriterOptions o;
  o.zstd_level = level;
  auto w = kr::RecordingWriter::Create(path, Header(), o);
  if (!w.ok()) std::abort();
  int64_t ts = 1'764'851'241'272'000'000;
  for (std::size_t i = 0; i < Frames().size(); ++i) {
    const std::string& f = Frames()[i];
    if (!(*w)->Append({core::Timestamp::FromNanos(ts + static_cast<int64_t>(i) * 1000),
                       kr::Direction::kServerToClient, 1, static_cast<int64_t>(i) + 1, f})
             .ok()) {
      std::abort();
    }
  }
  if (!(*w)->Close().ok()) std::abort();
}

// A recording of Frames(), written once and removed at exit.
struct Fixture {
  std::string path = TempPath("read.kfrec");
  Fixture() { WriteFile(path, 6); }
  ~Fixture() { std::remove(path.c_str()); }
};

const std::string& ReadFixture() {
  static const Fixture fixture;
  return fixture.path;
}

void BM_RecordingWrite(benchmark::State& state) {
  const std::string path = TempPath("write.kfrec");
  int64_t bytes = 0;
  for (const auto& f : Frames()) bytes += static_cast<int64_t>(f.size() + kr::kRecordHeaderBytes);
  for (auto _ : state) WriteFile(path, static_cast<int>(state.range(0)));
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * bytes);
  std::remove(path.c_str());
}
BENCHMARK(BM_RecordingWrite)->Arg(3)->Arg(6)->Unit(benchmark::kMillisecond);

// Read + verify (zstd checksum, CRC-32C per record) every frame.
void BM_RecordingRead(benchmark::State& state) {
  const std::string& path = ReadFixture();
  int64_t bytes = 0;
  for (auto _ : state) {
    auto r = kr::RecordingReader::Open(path);
    if (!r.ok()) std::abort();
    kr::Record rec;
    int64_t n = 0;
    while (*(*r)->Next(&rec)) {
      benchmark::DoNotOptimize(rec.frame.data());
      ++n;
    }
    if (n != kFrames) std::abort();
    bytes = static_cast<int64_t>((*r)->offset());
  }
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_RecordingRead)->Unit(benchmark::kMillisecond);

// Replay: read + decode (kalshi::Decoder) + sequence check + book apply (book::BookSet).
void BM_RecordingReplay(benchmark::State& state) {
  const std::string& path = ReadFixture();
  for (auto _ : state) {
    auto r = kr::RecordingReader::Open(path);
    if (!r.ok()) std::abort();
    kalshi::Decoder decoder;
    kalshiflow::book::BookSet books;
    kr::Record rec;
    while (*(*r)->Next(&rec)) {
      auto m = decoder.Decode(rec.frame);
      if (!m.ok()) std::abort();
      const kalshi::Message& msg = **m;
      if (msg.type == kalshi::MessageType::kOrderbookSnapshot) {
        books.ApplySnapshot(msg.sid, *msg.seq, msg.snapshot.market_ticker, msg.snapshot.yes_bids,
                            msg.snapshot.no_bids);
      } else {
        books.ApplyDelta(msg.sid, *msg.seq, msg.delta.market_ticker, msg.delta.side,
                         msg.delta.price, msg.delta.delta, msg.delta.ts_ms);
      }
    }
    benchmark::DoNotOptimize(books.counters().deltas_applied);
  }
  state.SetItemsProcessed(state.iterations() * kFrames);
}
BENCHMARK(BM_RecordingReplay)->Unit(benchmark::kMillisecond);

// One real day (KXHIGHNY-25DEC05, 40,342 rows) -> recording (zstd level 6).
void BM_ConvertRealDay(benchmark::State& state) {
  const std::string csv =
      SharedData() + "/Kalshi-Trader/market_logs/market_data_KXHIGHNY-25DEC05.csv";
  if (!std::filesystem::exists(csv)) {
    state.SkipWithError("real data not found");
    return;
  }
  const std::string out = TempPath("convert.kfrec");
  const std::vector<std::string> in{csv};
  int64_t rows = 0;
  for (auto _ : state) {
    auto report = kr::ConvertTopOfBookCsvToFile(in, out, {});
    if (!report.ok()) std::abort();
    rows = report->rows;
    state.counters["frames"] = static_cast<double>(report->frames);
    state.counters["output_bytes"] = static_cast<double>(report->output_bytes);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  std::remove(out.c_str());
}
BENCHMARK(BM_ConvertRealDay)->Unit(benchmark::kMillisecond);

void BM_DepthModelMoveTo(benchmark::State& state) {
  kr::SyntheticBook book(&kr::DefaultCalibration(), 1);
  book.Start(40, 55);
  core::Rng rng(2);
  std::vector<int> path;
  for (int i = 0; i < 4096; ++i) path.push_back(static_cast<int>(rng.UniformInt(35, 45)));
  std::vector<kr::LevelChange> changes;
  std::size_t i = 0;
  for (auto _ : state) {
    changes.clear();
    book.MoveTo(path[i & 4095], 55 - (path[i & 4095] - 35) / 2, &changes);
    benchmark::DoNotOptimize(changes.data());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DepthModelMoveTo);

void BM_Crc32c(benchmark::State& state) {
  std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(kr::Crc32c(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(200)->Arg(1 << 16);

}  // namespace

BENCHMARK_MAIN();
