// Order book apply throughput (DESIGN.md §10: the whole per-message pipeline must reach
// >= 1M msgs/s; C++ order books anchor at 54-138 ns/update, so a book apply should be well
// under 200 ns). Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.
//
// The workload is a realistic Kalshi book: 20 levels a side on a cent grid, deltas mostly on
// the top 5 levels (including levels emptied and re-created, and new best levels), replayed
// as a cycle of N operations followed by their inverses so the book never drifts.
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "book/book_set.h"
#include "book/order_book.h"
#include "core/rng.h"

namespace kalshiflow::book {
namespace {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

struct Op {
  OutcomeSide side;
  Price price;
  Count delta;
};

struct Workload {
  std::vector<PriceLevel> yes, no;
  std::vector<Op> ops;  // a cycle: applying all of them restores the initial book
};

// `levels` a side: YES bids 0.45 down, NO bids 0.53 down (cent grid, at most 45 / 53
// levels), sizes 10..500 contracts.
Workload MakeWorkload(int levels, int top_levels, uint64_t seed) {
  core::Rng rng(seed);
  Workload w;
  std::map<int64_t, int64_t> book[2];
  for (int i = 0; i < levels; ++i) {
    if (4500 - i * 100 > 0) book[0][4500 - i * 100] = rng.UniformInt(10, 500) * 100;
    if (5300 - i * 100 > 0) book[1][5300 - i * 100] = rng.UniformInt(10, 500) * 100;
  }
  for (int s = 0; s < 2; ++s) {
    for (auto [p, c] : book[s]) {
      (s == 0 ? w.yes : w.no).push_back({Price::FromUnits(p), Count::FromUnits(c)});
    }
  }
  constexpr int kHalf = 4096;
  std::vector<Op> forward;
  for (int i = 0; i < kHalf; ++i) {
    const int s = static_cast<int>(rng.UniformInt(0, 1));
    auto& side = book[s];
    const int64_t best = side.empty() ? (s == 0 ? 4500 : 5300) : side.rbegin()->first;
    // Top `top_levels` levels, or one tick better than the best (a new best bid).
    const int64_t price = best - rng.UniformInt(-1, top_levels - 1) * 100;
    if (price <= 0 || price >= 10'000) continue;
    const int64_t size = side.count(price) ? side[price] : 0;
    int64_t delta;
    if (size > 0 && rng.Bernoulli(0.5)) {
      // A cancel or fill: sometimes the whole level (removal), never below zero.
      delta = rng.Bernoulli(0.2) ? -size : -rng.UniformInt(1, size);
    } else {
      delta = rng.UniformInt(1, 200) * 100;
    }
    if (size + delta == 0) {
      side.erase(price);
    } else {
      side[price] = size + delta;
    }
    forward.push_back({s == 0 ? OutcomeSide::kYes : OutcomeSide::kNo, Price::FromUnits(price),
                       Count::FromUnits(delta)});
  }
  w.ops = forward;
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
    w.ops.push_back({it->side, it->price, -it->delta});
  }
  return w;
}

void BM_OrderBookApplyDelta(benchmark::State& state) {
  const Workload w = MakeWorkload(static_cast<int>(state.range(0)), 5, 42);
  OrderBook book("KXBENCH-26JAN01-T50", PriceGrid::LinearCent());
  if (book.ApplySnapshot(w.yes, w.no).has_value()) state.SkipWithError("snapshot refused");
  std::size_t i = 0;
  for (auto _ : state) {
    const Op& op = w.ops[i];
    auto r = book.ApplyDelta(op.side, op.price, op.delta);
    benchmark::DoNotOptimize(r);
    if (++i == w.ops.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (book.counters().rejected != 0) state.SkipWithError("deltas refused");
}
BENCHMARK(BM_OrderBookApplyDelta)->Arg(5)->Arg(20)->Arg(53);

// Deltas anywhere in a full cent ladder (every cent below the best bid): mostly the
// binary-search path of the level lookup.
void BM_OrderBookApplyDeltaDeep(benchmark::State& state) {
  const Workload w = MakeWorkload(53, 53, 7);
  OrderBook book("KXBENCH-26JAN01-T50", PriceGrid::LinearCent());
  if (book.ApplySnapshot(w.yes, w.no).has_value()) state.SkipWithError("snapshot refused");
  std::size_t i = 0;
  for (auto _ : state) {
    const Op& op = w.ops[i];
    auto r = book.ApplyDelta(op.side, op.price, op.delta);
    benchmark::DoNotOptimize(r);
    if (++i == w.ops.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_OrderBookApplyDeltaDeep);

// The collector path: Sequencer check + ticker lookup (string_view) + book apply, with
// `markets` books on one sid and messages spread over them.
void BM_BookSetApplyDelta(benchmark::State& state) {
  const int markets = static_cast<int>(state.range(0));
  const Workload w = MakeWorkload(20, 5, 42);
  BookSet set;
  std::vector<std::string> tickers;
  for (int m = 0; m < markets; ++m)
    tickers.push_back("KXBENCH-26JAN01-T" + std::to_string(100 + m));
  int64_t seq = 0;
  for (const std::string& t : tickers) {
    if (!set.ApplySnapshot(1, ++seq, t, w.yes, w.no).applied) state.SkipWithError("snapshot");
  }
  // Each market replays the same cycle, one op per visit; visits go round-robin, so every
  // book sees its cycle in order and never drifts.
  std::size_t op_index = 0;
  int market = 0;
  for (auto _ : state) {
    const Op& op = w.ops[op_index];
    auto outcome = set.ApplyDelta(1, ++seq, tickers[market], op.side, op.price, op.delta);
    benchmark::DoNotOptimize(outcome);
    if (++market == markets) {
      market = 0;
      if (++op_index == w.ops.size()) op_index = 0;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (set.counters().deltas_applied != static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("deltas refused");
  }
}
BENCHMARK(BM_BookSetApplyDelta)->Arg(1)->Arg(50)->Arg(1000);

void BM_OrderBookApplySnapshot(benchmark::State& state) {
  const Workload w = MakeWorkload(20, 5, 42);
  OrderBook book("KXBENCH-26JAN01-T50", PriceGrid::LinearCent());
  for (auto _ : state) {
    auto err = book.ApplySnapshot(w.yes, w.no);
    benchmark::DoNotOptimize(err);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_OrderBookApplySnapshot);

// Top-of-book reads a feature builder does per update.
void BM_OrderBookTopOfBookQueries(benchmark::State& state) {
  const Workload w = MakeWorkload(20, 5, 42);
  OrderBook book("KXBENCH-26JAN01-T50");
  if (book.ApplySnapshot(w.yes, w.no).has_value()) state.SkipWithError("snapshot refused");
  PriceLevel top[5];
  for (auto _ : state) {
    benchmark::DoNotOptimize(book.BestBid(OutcomeSide::kYes));
    benchmark::DoNotOptimize(book.BestAsk(OutcomeSide::kYes));
    benchmark::DoNotOptimize(book.Mid(OutcomeSide::kYes));
    benchmark::DoNotOptimize(book.TopBids(OutcomeSide::kNo, top));
    benchmark::DoNotOptimize(book.IsCrossed());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_OrderBookTopOfBookQueries);

}  // namespace
}  // namespace kalshiflow::book

BENCHMARK_MAIN();
