// Execution simulator cost per operation (DESIGN.md §10: the replay environment must reach
// >= 1,000,000 steps/s including book update, features, simulator and reward, so the simulator's
// share must stay well under a microsecond). Run with --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true.
//
// Book: 20 levels a side on a cent grid (YES bids 0.45 down, NO bids 0.53 down); the top levels
// are deep (10^9 contracts) so consumption never exhausts them during a run.
#include <benchmark/benchmark.h>

#include <vector>

#include "book/order_book.h"
#include "sim/actions.h"
#include "sim/market_sim.h"

namespace kalshiflow::sim {
namespace {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;
using core::Timestamp;

book::OrderBook MakeBook() {
  book::OrderBook book("KXBENCH-26JAN01-T50", book::PriceGrid::LinearCent());
  std::vector<PriceLevel> yes, no;
  for (int i = 0; i < 20; ++i) {
    const Count size = Count::FromContracts(i == 0 ? 1'000'000'000 : 100 + i);
    yes.push_back({Price::FromCents(45 - i), size});
    no.push_back({Price::FromCents(53 - i), size});
  }
  (void)book.ApplySnapshot(yes, no);
  return book;
}

// Collateral is enforced (the default): $1e9 keeps every order affordable, so each op pays for
// the check and is never refused.
SimConfig Funded() {
  SimConfig config;
  config.initial_cash = core::Money::FromCents(100'000'000'000);
  return config;
}

// One marketable IOC order of 10 contracts (alternately buying YES at the ask and selling YES
// at the bid, so the position opens and nets out), then a mark of the portfolio. Argument:
// 1 = collateral enforced (the default), 0 = off (the difference is the balance check).
void BM_MarketableOrderAndMark(benchmark::State& state) {
  const book::OrderBook book = MakeBook();
  SimConfig config = Funded();
  config.collateral = state.range(0) != 0 ? CollateralMode::kEnforce : CollateralMode::kOff;
  MarketSim sim(book, config);
  sim.OnBookUpdate(Timestamp::FromNanos(1));
  const OrderOp buy{OrderOpType::kPlace,      0,
                    core::BookSide::kBid,     Price::FromCents(47),
                    Count::FromContracts(10), TimeInForce::kImmediateOrCancel};
  OrderOp sell = buy;
  sell.side = core::BookSide::kAsk;
  sell.price = Price::FromCents(45);
  bool flip = false;
  int64_t value = 0;
  for (auto _ : state) {
    sim.Submit(flip ? sell : buy, Timestamp::FromNanos(1));
    value += sim.MarkedValue().units();
    sim.ClearEvents();
    flip = !flip;
  }
  benchmark::DoNotOptimize(value);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MarketableOrderAndMark)->Arg(1)->Arg(0);

// The per-step cost with a resting order: a delta at the order's level (alternately -1 / +1
// contract: the queue model runs every time), OnBookUpdate, then a mark.
void BM_BookUpdateWithRestingOrderAndMark(benchmark::State& state) {
  book::OrderBook book = MakeBook();
  MarketSim sim(book, Funded());
  sim.OnBookUpdate(Timestamp::FromNanos(1));
  // Long 10 YES (a mark to compute), then a bid resting at 0.44 behind 101 contracts.
  sim.Submit({OrderOpType::kPlace, 0, core::BookSide::kBid, Price::FromCents(47),
              Count::FromContracts(10), TimeInForce::kImmediateOrCancel},
             Timestamp::FromNanos(1));
  sim.Submit({OrderOpType::kPlace, 0, core::BookSide::kBid, Price::FromCents(44),
              Count::FromContracts(10), TimeInForce::kGoodTillCanceled},
             Timestamp::FromNanos(1));
  int64_t ts = 1;
  int64_t value = 0;
  bool down = true;
  for (auto _ : state) {
    (void)book.ApplyDelta(OutcomeSide::kYes, Price::FromCents(44),
                          Count::FromContracts(down ? -1 : 1));
    sim.OnBookUpdate(Timestamp::FromNanos(++ts));
    value += sim.MarkedValue().units();
    down = !down;
  }
  benchmark::DoNotOptimize(value);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BookUpdateWithRestingOrderAndMark);

// PlanAction for a BUY_YES on a flat market (aggressive price from the book).
void BM_PlanAction(benchmark::State& state) {
  const book::OrderBook book = MakeBook();
  int64_t sum = 0;
  for (auto _ : state) {
    const ActionPlan plan =
        PlanAction(Action::kBuyYes, book, std::nullopt, PriceStrategy::kAggressive);
    sum += plan.ops[0].price.units();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanAction);

}  // namespace
}  // namespace kalshiflow::sim

BENCHMARK_MAIN();
