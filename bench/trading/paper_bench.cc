// PaperOrderManager cost per call on the actor's path (DESIGN.md §10: trigger -> order handed to
// the order manager <= 50 us p99; the paper manager is the "order manager" end of it). Run with
// --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.
//
// Books: 20 levels a side on a cent grid (YES bids 0.45 down, NO bids 0.53 down), the top
// levels 10^9 deep so consumption never exhausts them. The account holds $1e9 (collateral
// enforced: every op pays for the account-level check and none is refused). Argument: the
// number of markets the account spans (the account sum is O(markets)).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "book/order_book.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::trading {
namespace {

using core::Count;
using core::Price;
using core::PriceLevel;
using core::Timestamp;

std::unique_ptr<book::OrderBook> MakeBook(int index) {
  auto book = std::make_unique<book::OrderBook>("KXBENCH" + std::to_string(index) + "-26JAN01-T50",
                                                book::PriceGrid::LinearCent());
  std::vector<PriceLevel> yes, no;
  for (int i = 0; i < 20; ++i) {
    const Count size = Count::FromContracts(i == 0 ? 1'000'000'000 : 100 + i);
    yes.push_back({Price::FromCents(45 - i), size});
    no.push_back({Price::FromCents(53 - i), size});
  }
  (void)book->ApplySnapshot(yes, no);
  return book;
}

PaperConfig Funded() {
  PaperConfig config;
  config.initial_cash = core::Money::FromCents(100'000'000'000);
  return config;
}

// Every market but the first has a resting bid (so the account sum has reservations to add).
struct Account {
  explicit Account(int markets) : manager(Funded()) {
    for (int i = 0; i < markets; ++i) {
      books.push_back(MakeBook(i));
      manager.OnBookUpdate(books.back()->ticker(), *books.back(), Timestamp::FromNanos(1));
      if (i > 0) {
        (void)manager.ExecuteAction(books.back()->ticker(), sim::Action::kBuyYes, *books.back(),
                                    sim::PriceStrategy::kPassive, sim::kActionContracts,
                                    Timestamp::FromNanos(1));
      }
    }
  }
  std::vector<std::unique_ptr<book::OrderBook>> books;
  PaperOrderManager manager;
  std::vector<FillEvent> fills;
  std::vector<OrderEvent> orders;
};

// Per update of the first market: OnBookUpdate + HOLD (no working order: no ops) + the
// account figures the actor reads (cash, portfolio value).
void BM_UpdateHoldAndValue(benchmark::State& state) {
  Account a(static_cast<int>(state.range(0)));
  const book::OrderBook& book = *a.books[0];
  int64_t ts = 2;
  for (auto _ : state) {
    a.manager.OnBookUpdate(book.ticker(), book, Timestamp::FromNanos(ts));
    ExecutionResult r = a.manager.ExecuteAction(book.ticker(), sim::Action::kHold, book,
                                                sim::PriceStrategy::kAggressive,
                                                sim::kActionContracts, Timestamp::FromNanos(ts));
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(a.manager.cash());
    benchmark::DoNotOptimize(a.manager.portfolio_value());
    ++ts;
  }
}
BENCHMARK(BM_UpdateHoldAndValue)->Arg(1)->Arg(10);

// Per update of the first market: OnBookUpdate + an aggressive action that fills at once
// (alternately BUY_YES and SELL_YES: the position opens and nets out) + DrainEvents.
void BM_UpdateFillAndDrain(benchmark::State& state) {
  Account a(static_cast<int>(state.range(0)));
  const book::OrderBook& book = *a.books[0];
  int64_t ts = 2;
  bool flip = false;
  for (auto _ : state) {
    a.manager.OnBookUpdate(book.ticker(), book, Timestamp::FromNanos(ts));
    ExecutionResult r = a.manager.ExecuteAction(
        book.ticker(), flip ? sim::Action::kSellYes : sim::Action::kBuyYes, book,
        sim::PriceStrategy::kAggressive, sim::kActionContracts, Timestamp::FromNanos(ts));
    benchmark::DoNotOptimize(r);
    a.fills.clear();
    a.orders.clear();
    a.manager.DrainEvents(&a.fills, &a.orders);
    flip = !flip;
    ++ts;
  }
}
BENCHMARK(BM_UpdateFillAndDrain)->Arg(1)->Arg(10);

}  // namespace
}  // namespace kalshiflow::trading

BENCHMARK_MAIN();
