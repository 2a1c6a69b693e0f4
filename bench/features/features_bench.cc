// Observation build for `kalshiflow-v1` (DESIGN.md §10: <= 1 us median, <= 5 us p99 per
// observation) and the session temporal tracker that feeds it. Run with
// --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.
//
// Workload: 256 different market states (books with `levels` levels a side on a cent grid,
// sizes 10..5000 contracts, best prices spread over 5..95 cents), each with a full 10-point
// history and two positions, visited round-robin so branches and caches see variety.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "book/order_book.h"
#include "core/rng.h"
#include "features/kalshiflow_v1.h"
#include "features/observation_spec.h"
#include "features/temporal_tracker.h"

namespace kalshiflow::features {
namespace {

struct State {
  book::OrderBook book;
  MarketHistory history;
  ObservationPoint current;
  std::vector<PositionInput> positions;
};

std::vector<State> MakeStates(int levels, int count, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<State> states;
  states.reserve(static_cast<std::size_t>(count));
  for (int s = 0; s < count; ++s) {
    State st{book::OrderBook("KXBENCH-26JAN01-T50"), {}, {}, {}};
    const int64_t best_yes = rng.UniformInt(5, 90);                 // cents
    const int64_t best_no = 100 - best_yes - rng.UniformInt(1, 4);  // spread 1..4 cents
    std::vector<core::PriceLevel> yes, no;
    for (int i = 0; i < levels; ++i) {
      if (best_yes - i > 0)
        yes.push_back({core::Price::FromCents(best_yes - i),
                       core::Count::FromContracts(rng.UniformInt(10, 5000))});
      if (best_no - i > 0)
        no.push_back({core::Price::FromCents(best_no - i),
                      core::Count::FromContracts(rng.UniformInt(10, 5000))});
    }
    if (st.book.ApplySnapshot(yes, no).has_value()) return {};
    int64_t ts = 1'765'640'000'000 + s * 1'000;
    for (int h = 0; h < 10; ++h) {
      ts += rng.UniformInt(1, 5'000);
      TemporalInputs t{rng.Uniform01() * 10, rng.Uniform01() * 0.02, rng.Uniform01() - 0.5};
      std::optional<double> mid;
      if (rng.Bernoulli(0.9)) mid = 40.0 + static_cast<double>(rng.UniformInt(0, 40)) / 2.0;
      st.history.Push({ts, t, mid});
    }
    st.current = MakeObservationPoint(ts + 250, {0.25, 0.012, 0.1}, st.book);
    st.positions = {{core::Count::FromContracts(rng.UniformInt(-500, 500)),
                     core::Money::FromCents(rng.UniformInt(0, 50'000)), MarkOf(st.book)},
                    {core::Count::FromContracts(rng.UniformInt(1, 200)),
                     core::Money::FromCents(rng.UniformInt(0, 10'000)), std::nullopt}};
    states.push_back(std::move(st));
  }
  return states;
}

ObservationInputs InputsOf(const State& st) {
  ObservationInputs in;
  in.book = &st.book;
  in.history = &st.history;
  in.current = st.current;
  in.portfolio = {core::Money::FromCents(60'000), core::Money::FromCents(100'000), st.positions};
  return in;
}

// One observation (52 floats) from a book with `levels` levels a side, a full history and two
// positions: the DESIGN §10 "observation build" figure.
void BM_BuildKalshiflowV1(benchmark::State& state) {
  const std::vector<State> states = MakeStates(static_cast<int>(state.range(0)), 256, 42);
  if (states.empty()) state.SkipWithError("snapshot refused");
  std::array<float, kKalshiflowV1Size> out;
  std::size_t i = 0;
  for (auto _ : state) {
    BuildKalshiflowV1(InputsOf(states[i]), out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    if (++i == states.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BuildKalshiflowV1)->Arg(5)->Arg(20)->Arg(53);

// The same through the registry's virtual ObservationSpec::Build.
void BM_BuildViaRegistrySpec(benchmark::State& state) {
  const std::vector<State> states = MakeStates(20, 256, 42);
  const ObservationSpec* spec = *ObservationSpecRegistry::Default().Find(kKalshiflowV1Id);
  std::array<float, kKalshiflowV1Size> out;
  std::size_t i = 0;
  for (auto _ : state) {
    spec->Build(InputsOf(states[i]), out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    if (++i == states.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BuildViaRegistrySpec);

// Per-call latency distribution of the build (20 levels a side): p50 / p99 over 200,000
// timed calls per iteration (steady_clock around each call; its ~20 ns overhead included).
void BM_BuildKalshiflowV1Latency(benchmark::State& state) {
  const std::vector<State> states = MakeStates(20, 256, 42);
  std::array<float, kKalshiflowV1Size> out;
  std::vector<int64_t> samples(200'000);
  std::vector<int64_t> all;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < samples.size(); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      BuildKalshiflowV1(InputsOf(states[k % states.size()]), out);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      samples[k] = (std::chrono::steady_clock::now() - t0).count();
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    all.insert(all.end(), samples.begin(), samples.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : static_cast<double>(all[static_cast<std::size_t>(p * (all.size() - 1))]);
  };
  state.counters["latency_p50_ns"] = pct(0.50);
  state.counters["latency_p99_ns"] = pct(0.99);
  state.counters["latency_max_ns"] = pct(1.0);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(samples.size()));
}
BENCHMARK(BM_BuildKalshiflowV1Latency)->UseManualTime()->Iterations(5);

// TemporalTracker::Observe per update with `markets` markets that all have momentum terms
// (the momentum mean sums one term per market with a mid), fed round-robin with distinct
// timestamps; the update carries a precomputed volume and mid (no book scan).
void BM_TemporalTrackerObserve(benchmark::State& state) {
  const auto markets = static_cast<uint32_t>(state.range(0));
  TemporalTracker tracker;
  for (uint32_t m = 0; m < markets; ++m) tracker.MarketIndex("KXBENCH-" + std::to_string(m));
  core::Rng rng(7);
  std::vector<TrackerUpdate> cycle(4096);
  int64_t ts = 1'765'640'000'000;
  for (std::size_t k = 0; k < cycle.size(); ++k) {
    cycle[k].market = static_cast<uint32_t>(k % markets);
    cycle[k].volume = core::Count::FromContracts(rng.UniformInt(100, 100'000));
    cycle[k].yes_mid_twice = rng.UniformInt(80, 120) * 100;
  }
  for (uint32_t round = 0; round < 3; ++round) {  // every market gets 3 mids first
    for (uint32_t m = 0; m < markets; ++m) {
      TrackerUpdate u = cycle[m % cycle.size()];
      u.market = m;
      u.ts_ms = ++ts;
      u.yes_mid_twice = (80 + 3 * round + m % 7) * 100;
      tracker.Observe(u);
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    TrackerUpdate& u = cycle[i];
    u.ts_ms = ++ts;
    benchmark::DoNotOptimize(tracker.Observe(u));
    if (++i == cycle.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TemporalTrackerObserve)->Arg(1)->Arg(50)->Arg(1000);

// What the actor does per trigger for one market view: tracker update from the book (book
// scan), the current point, the observation, the history push. 20 levels a side, 50 markets.
void BM_ActorObservationStep(benchmark::State& state) {
  std::vector<State> states = MakeStates(20, 50, 42);
  TemporalTracker tracker;
  tracker.ReserveMarkets(static_cast<uint32_t>(states.size()));
  std::array<float, kKalshiflowV1Size> out;
  int64_t ts = 1'765'640'100'000;
  std::size_t i = 0;
  for (auto _ : state) {
    State& st = states[i];
    const TemporalInputs t = tracker.Observe(static_cast<uint32_t>(i), ++ts, st.book);
    st.current = MakeObservationPoint(ts, t, st.book);
    BuildKalshiflowV1(InputsOf(st), out);
    benchmark::DoNotOptimize(out.data());
    st.history.Push(st.current);
    if (++i == states.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ActorObservationStep);

}  // namespace
}  // namespace kalshiflow::features

BENCHMARK_MAIN();
