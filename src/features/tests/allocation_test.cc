// Building an observation performs no heap allocation (the actor's hot path, DESIGN §10), and
// neither does feeding the temporal tracker once its markets are known. Counts calls to the
// global operator new, which this test binary replaces.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/tests/allocation_counter.h"
#include "features/kalshiflow_v1.h"
#include "features/observation_spec.h"
#include "features/temporal_tracker.h"

using kalshiflow::testing::g_allocations;
using kalshiflow::testing::g_counting;

namespace kalshiflow::features {
namespace {

core::PriceLevel Level(int64_t cents, int64_t contracts) {
  return {core::Price::FromCents(cents), core::Count::FromContracts(contracts)};
}

TEST(FeaturesAllocation, SteadyStatePipelineDoesNotAllocate) {
  // Setup (may allocate): books of two markets, a tracker that knows them, positions.
  std::vector<book::OrderBook> books = {book::OrderBook("KXA"), book::OrderBook("KXB")};
  std::vector<core::PriceLevel> yes, no;
  for (int i = 0; i < 20; ++i) {
    yes.push_back(Level(45 - i, 100 + 10 * i));
    no.push_back(Level(53 - i, 200 + 5 * i));
  }
  for (auto& book : books) ASSERT_FALSE(book.ApplySnapshot(yes, no).has_value());
  TemporalTracker tracker;
  const uint32_t a = tracker.MarketIndex("KXA");
  const uint32_t b = tracker.MarketIndex("KXB");
  const std::vector<PositionInput> positions = {
      {core::Count::FromContracts(120), core::Money::FromCents(5'000), MarkOf(books[0])},
      {core::Count::FromContracts(-40), core::Money::FromCents(2'000), MarkOf(books[1])}};
  MarketHistory history;
  const ObservationSpec* spec = *ObservationSpecRegistry::Default().Find(kKalshiflowV1Id);
  std::array<float, kKalshiflowV1Size> out;
  int64_t ts = 1'765'000'000'000;
  auto step = [&](int i) {
    // One update: a delta on market A or B, the tracker, the observation of market A's view,
    // the history push. Every call after the first of each market must not allocate.
    const uint32_t market = i % 3 == 0 ? b : a;
    book::OrderBook& book = books[market];
    const core::Count delta = core::Count::FromContracts(i % 2 == 0 ? 7 : -7);
    (void)book.ApplyDelta(core::OutcomeSide::kYes, core::Price::FromCents(44), delta);
    ts += 1 + i % 5;
    const TemporalInputs t = tracker.Observe(market, ts, book);
    ObservationInputs in;
    in.book = &books[a];
    in.history = &history;
    in.current = MakeObservationPoint(ts, t, books[a]);
    in.portfolio = {core::Money::FromCents(50'000), core::Money::FromCents(100'000), positions};
    spec->Build(in, out);
    BuildKalshiflowV1(in, out);
    history.Push(in.current);
  };
  for (int i = 0; i < 20; ++i) step(i);  // warm-up: every market has had its first mid
  g_allocations = 0;
  g_counting = true;
  for (int i = 20; i < 2'020; ++i) step(i);
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_GT(out[0], 0.0f);  // the work was done
}

TEST(FeaturesAllocation, TheCounterSeesAllocations) {
  // Guards the test above against a counter that never counts: a new ticker allocates.
  TemporalTracker tracker;
  g_allocations = 0;
  g_counting = true;
  tracker.MarketIndex("KXA-A-TICKER-LONG-ENOUGH-TO-DEFEAT-THE-SMALL-STRING-BUFFER");
  g_counting = false;
  EXPECT_GT(g_allocations.load(), 0);
}

}  // namespace
}  // namespace kalshiflow::features
