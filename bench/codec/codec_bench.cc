// Kalshi WebSocket codec throughput (items/s = frames/s), one core.
//
// Inputs are generated deterministically (seeded core::Rng) to look like live traffic: a few
// thousand orderbook_delta frames over 64 real-looking tickers in the current fixed-point format
// (as captured in production, PROTOCOL §3.4), orderbook_snapshot frames with ~10 levels a side,
// and legacy-format deltas (PROTOCOL §3.7: integer cents and their fixed-point twins, RFC 3339
// `ts`). Decoding cycles through the frames so that branch predictors cannot memorise one.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/rng.h"
#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"

namespace kalshiflow::kalshi {
namespace {

constexpr int kFrames = 4096;

std::vector<std::string> Tickers(core::Rng& rng) {
  static const char* kSeries[] = {"KXGOLD15M", "KXBTCD", "KXHIGHNY", "KXETHD", "KXINXD", "KXFED"};
  std::vector<std::string> tickers;
  for (int i = 0; i < 64; ++i) {
    tickers.push_back(std::string(kSeries[i % 6]) + "-26AUG1021" + std::to_string(10 + i) + "-" +
                      std::to_string(rng.UniformInt(10, 99999)));
  }
  return tickers;
}

// Current-format deltas like the production capture (market_id omitted, ts_ms present).
std::vector<std::string> DeltaFrames() {
  core::Rng rng(42);
  std::vector<std::string> tickers = Tickers(rng);
  std::vector<std::string> frames;
  int64_t ts_ms = 1786410915566;
  for (int i = 0; i < kFrames; ++i) {
    OrderbookDelta delta;
    delta.market_ticker = tickers[static_cast<std::size_t>(rng.UniformInt(0, 63))];
    delta.price = core::Price::FromUnits(100 * rng.UniformInt(1, 99));
    int64_t contracts = rng.UniformInt(1, 2000);
    delta.delta = core::Count::FromContracts(rng.Bernoulli(0.5) ? contracts : -contracts);
    delta.side = rng.Bernoulli(0.5) ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    ts_ms += rng.UniformInt(0, 50);
    delta.ts_ms = ts_ms;
    if (rng.Bernoulli(0.05)) delta.market_id = "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1";
    std::string frame;
    EncodeOrderbookDelta(1, 2'399'869 + i, delta, frame);
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::vector<std::string> SnapshotFrames() {
  core::Rng rng(7);
  std::vector<std::string> tickers = Tickers(rng);
  std::vector<std::string> frames;
  for (int i = 0; i < 256; ++i) {
    std::vector<core::PriceLevel> yes, no;
    int64_t yes_best = rng.UniformInt(15, 60);
    int64_t no_best = 100 - yes_best - rng.UniformInt(1, 5);
    for (int k = 0; k < 10; ++k) {
      yes.push_back({core::Price::FromCents(yes_best - 10 + k),
                     core::Count::FromContracts(rng.UniformInt(1, 5000))});
      no.push_back({core::Price::FromCents(no_best - 10 + k),
                    core::Count::FromContracts(rng.UniformInt(1, 5000))});
    }
    OrderbookSnapshot snapshot;
    snapshot.market_ticker = tickers[static_cast<std::size_t>(i % 64)];
    snapshot.market_id = "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1";
    snapshot.yes_bids = yes;
    snapshot.no_bids = no;
    std::string frame;
    EncodeOrderbookSnapshot(1, i + 1, snapshot, frame);
    frames.push_back(std::move(frame));
  }
  return frames;
}

// Legacy (pre 2026-03-12) deltas: {"price":46,"delta":-50,"price_dollars":"0.4600",
// "delta_fp":"-50.00","ts":"2026-02-14T15:30:00Z",...}.
std::vector<std::string> LegacyDeltaFrames() {
  core::Rng rng(99);
  std::vector<std::string> tickers = Tickers(rng);
  std::vector<std::string> frames;
  for (int i = 0; i < kFrames; ++i) {
    int64_t cents = rng.UniformInt(1, 99);
    int64_t delta = rng.UniformInt(-2000, 2000);
    char dollars[16];
    std::snprintf(dollars, sizeof(dollars), "0.%02lld00", static_cast<long long>(cents));
    int second = static_cast<int>(rng.UniformInt(0, 59));
    char ts[32];
    std::snprintf(ts, sizeof(ts), "2026-02-14T15:30:%02dZ", second);
    frames.push_back(
        std::string(R"({"type":"orderbook_delta","sid":5,"seq":)") + std::to_string(42 + i) +
        R"(,"msg":{"market_ticker":")" + tickers[static_cast<std::size_t>(i % 64)] +
        R"(","market_id":"9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1","price":)" + std::to_string(cents) +
        R"(,"price_dollars":")" + dollars + R"(","delta":)" + std::to_string(delta) +
        R"(,"delta_fp":")" + std::to_string(delta) + R"(.00","side":")" +
        (rng.Bernoulli(0.5) ? "yes" : "no") + R"(","ts":")" + ts + "\"}}");
  }
  return frames;
}

void RunDecode(benchmark::State& state, const std::vector<std::string>& frames) {
  Decoder decoder;
  std::size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& frame = frames[i];
    auto result = decoder.Decode(frame);
    if (!result.ok()) {
      state.SkipWithError(result.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(*result);
    bytes += static_cast<int64_t>(frame.size());
    if (++i == frames.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void BM_DecodeDelta(benchmark::State& state) {
  static const std::vector<std::string> frames = DeltaFrames();
  RunDecode(state, frames);
}
BENCHMARK(BM_DecodeDelta);

// The zero-copy entry point: frames already sit in buffers with simdjson padding.
void BM_DecodeDeltaPadded(benchmark::State& state) {
  static const std::vector<std::string> frames = [] {
    std::vector<std::string> padded = DeltaFrames();
    for (auto& f : padded) f.reserve(f.size() + Decoder::kPadding);
    return padded;
  }();
  Decoder decoder;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& frame = frames[i];
    auto result = decoder.DecodePadded(frame, frame.capacity());
    if (!result.ok()) {
      state.SkipWithError(result.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(*result);
    if (++i == frames.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeDeltaPadded);

void BM_DecodeSnapshot10Levels(benchmark::State& state) {
  static const std::vector<std::string> frames = SnapshotFrames();
  RunDecode(state, frames);
}
BENCHMARK(BM_DecodeSnapshot10Levels);

void BM_DecodeLegacyDelta(benchmark::State& state) {
  static const std::vector<std::string> frames = LegacyDeltaFrames();
  RunDecode(state, frames);
}
BENCHMARK(BM_DecodeLegacyDelta);

void BM_EncodeDelta(benchmark::State& state) {
  core::Rng rng(5);
  std::vector<std::string> tickers = Tickers(rng);
  std::string out;
  out.reserve(512);
  OrderbookDelta delta;
  delta.price = core::Price::FromUnits(4800);
  delta.delta = core::Count::FromUnits(-4000);
  delta.side = core::OutcomeSide::kNo;
  delta.ts_ms = 1786410915566;
  int64_t seq = 1;
  for (auto _ : state) {
    delta.market_ticker = tickers[static_cast<std::size_t>(seq & 63)];
    out.clear();
    EncodeOrderbookDelta(1, seq++, delta, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDelta);

}  // namespace
}  // namespace kalshiflow::kalshi

BENCHMARK_MAIN();
