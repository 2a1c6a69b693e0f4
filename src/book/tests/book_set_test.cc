#include "book/book_set.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "book/tests/test_util.h"

namespace kalshiflow::book {
namespace {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

using testing::C;
using testing::D;
using testing::kNo;
using testing::kYes;
using testing::L;

TEST(BookSetTest, OutcomeReportsVerdictEffectAndBook) {
  BookSet set;
  const std::vector<PriceLevel> yes = {L("0.45", "100")};
  ApplyOutcome o = set.ApplySnapshot(1, 1, "MKT", yes, {}, 1000);
  EXPECT_TRUE(o.applied);
  EXPECT_EQ(o.verdict, SeqVerdict::kApply);
  ASSERT_NE(o.book, nullptr);
  EXPECT_EQ(o.book, set.Find("MKT"));
  EXPECT_EQ(o.book->last_exchange_ts_ms(), 1000);

  o = set.ApplyDelta(1, 2, "MKT", kYes, D("0.45"), C("-100"), 2000);
  EXPECT_TRUE(o.applied);
  EXPECT_EQ(o.effect, DeltaEffect::kRemoved);
  EXPECT_EQ(o.book->last_seq(), 2);
  EXPECT_EQ(o.book->last_exchange_ts_ms(), 2000);

  o = set.ApplyDelta(1, 3, "NOPE", kYes, D("0.45"), C("1"));
  EXPECT_FALSE(o.applied);
  EXPECT_EQ(o.error, BookError::kNoSnapshot);
  EXPECT_EQ(o.book, nullptr);
  EXPECT_EQ(set.size(), 1u);
}

TEST(BookSetTest, LookupAcceptsAnyStringView) {
  BookSet set;
  ASSERT_TRUE(set.AddMarket("KXHIGHNY-25DEC05-B32.5", PriceGrid::LinearCent()).ok());
  const std::string buffer = "xxKXHIGHNY-25DEC05-B32.5yy";
  const std::string_view view = std::string_view(buffer).substr(2, 22);
  ASSERT_NE(set.Find(view), nullptr);
  EXPECT_EQ(set.Find(view)->grid(), PriceGrid::LinearCent());
  EXPECT_EQ(set.Find("KXHIGHNY"), nullptr);
  const BookSet& cset = set;
  EXPECT_NE(cset.Find(view), nullptr);
}

TEST(BookSetTest, AddMarketValidatesTickersAndUpdatesGrids) {
  BookSet set;
  auto bad = set.AddMarket("lower-case");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), core::StatusCode::kInvalidArgument);
  auto a = set.AddMarket("MKT");
  auto b = set.AddMarket("MKT", PriceGrid::DeciCent());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);  // the same, stable book
  EXPECT_EQ((*a)->grid(), PriceGrid::DeciCent());
  EXPECT_FALSE(set.BindMarket(1, "bad ticker").ok());
}

TEST(BookSetTest, GapListsMarketsNeedingSnapshotAndCountsStaleBooks) {
  BookSet set;
  ASSERT_TRUE(set.BindMarket(1, "A").ok());
  ASSERT_TRUE(set.BindMarket(1, "B").ok());
  ASSERT_TRUE(set.BindMarket(1, "C").ok());
  EXPECT_EQ(set.MarketsNeedingSnapshot(1), (std::vector<std::string_view>{"A", "B", "C"}));
  EXPECT_EQ(set.SidsNeedingSnapshot(), std::vector<int64_t>{1});
  ASSERT_TRUE(set.ApplySnapshot(1, 1, "A", {}, {}).applied);
  ASSERT_TRUE(set.ApplySnapshot(1, 2, "B", {}, {}).applied);
  ASSERT_TRUE(set.ApplySnapshot(1, 3, "C", {}, {}).applied);
  EXPECT_TRUE(set.MarketsNeedingSnapshot(1).empty());
  EXPECT_TRUE(set.SidsNeedingSnapshot().empty());
  EXPECT_EQ(set.SidOf("B"), 1);
  EXPECT_EQ(set.SidOf("Z"), BookSet::kNoSid);

  EXPECT_EQ(set.ObserveSeq(1, 10), SeqVerdict::kGap);
  EXPECT_EQ(set.MarketsNeedingSnapshot(1), (std::vector<std::string_view>{"A", "B", "C"}));
  EXPECT_EQ(set.counters().books_marked_stale, 3u);
  EXPECT_EQ(set.counters().gaps, 1u);
  int stale = 0;
  set.ForEachBook([&](const OrderBook& b) { stale += b.stale(); });
  EXPECT_EQ(stale, 3);
}

TEST(BookSetTest, RefusedSnapshotLeavesTheMarketNeedingOne) {
  BookSet set;
  ASSERT_TRUE(set.AddMarket("A", PriceGrid::LinearCent()).ok());
  ASSERT_TRUE(set.ApplySnapshot(1, 1, "A", std::vector<PriceLevel>{L("0.45", "1")}, {}).applied);
  const auto o = set.ApplySnapshot(1, 2, "A", std::vector<PriceLevel>{L("0.455", "1")}, {});
  EXPECT_EQ(o.error, BookError::kOffGrid);
  EXPECT_EQ(set.MarketsNeedingSnapshot(1), std::vector<std::string_view>{"A"});
  EXPECT_EQ(set.ApplyDelta(1, 3, "A", kYes, D("0.45"), C("1")).error, BookError::kStale);
  EXPECT_EQ(set.counters().errors[static_cast<std::size_t>(BookError::kOffGrid)], 1u);
}

// ---- property: a live book is never wrong ----------------------------------------------------
//
// A true stream on one sid (3 markets: snapshots, deltas, and re-snapshots as get_snapshot
// would send) is delivered with random drops and re-deliveries. After every delivered
// message, each live book must equal the true book as of the newest true message delivered.

struct Msg {
  bool snapshot = false;
  int market = 0;
  int64_t seq = 0;
  bool yes = true;
  int64_t price_units = 0;
  int64_t delta_units = 0;
  std::vector<PriceLevel> yes_levels, no_levels;
};

const char* const kTickers[] = {"AAA", "BBB", "CCC"};

RC_GTEST_PROP(BookSetProperty, LiveBooksAlwaysMatchTheTrueBook, ()) {
  const int n = *rc::gen::inRange(1, 150);
  std::vector<Msg> stream;
  std::vector<std::vector<OrderBook>> truth;  // truth[i] = books after true message i
  std::vector<OrderBook> books;
  for (const char* t : kTickers) books.emplace_back(t);
  int64_t seq = 0;
  for (int m = 0; m < 3; ++m) {
    Msg msg;
    msg.snapshot = true;
    msg.market = m;
    msg.seq = ++seq;
    msg.yes_levels = {{Price::FromUnits(4000 + m * 100), Count::FromUnits(500)}};
    RC_ASSERT(!books[m].ApplySnapshot(msg.yes_levels, msg.no_levels).has_value());
    stream.push_back(msg);
    truth.push_back(books);
  }
  for (int i = 0; i < n; ++i) {
    Msg msg;
    msg.market = *rc::gen::inRange(0, 3);
    msg.seq = ++seq;
    if (*rc::gen::inRange(0, 10) == 0) {  // a get_snapshot answer with the true state
      msg.snapshot = true;
      const auto& b = books[msg.market];
      msg.yes_levels.assign(b.Bids(kYes).begin(), b.Bids(kYes).end());
      msg.no_levels.assign(b.Bids(kNo).begin(), b.Bids(kNo).end());
    } else {
      msg.yes = *rc::gen::arbitrary<bool>();
      msg.price_units = *rc::gen::inRange<int64_t>(38, 48) * 100;
      msg.delta_units = *rc::gen::inRange<int64_t>(-300, 301);
      RC_ASSERT(books[msg.market]
                    .ApplyDelta(msg.yes ? kYes : kNo, Price::FromUnits(msg.price_units),
                                Count::FromUnits(msg.delta_units))
                    .ok());
    }
    stream.push_back(msg);
    truth.push_back(books);
  }

  BookSet set;
  std::size_t newest = 0;  // 1 + index of the newest true message delivered
  int lost = 0;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const int fate = *rc::gen::inRange(0, 20);
    if (fate == 0) {  // dropped
      ++lost;
      continue;
    }
    std::vector<std::size_t> deliveries = {i};
    if (fate == 1 && i > 0)
      deliveries.insert(deliveries.begin(), *rc::gen::inRange<std::size_t>(0, i));
    if (fate == 2) deliveries.push_back(i);  // delivered twice
    for (std::size_t k : deliveries) {
      const Msg& msg = stream[k];
      const char* ticker = kTickers[msg.market];
      if (msg.snapshot) {
        set.ApplySnapshot(1, msg.seq, ticker, msg.yes_levels, msg.no_levels);
      } else {
        set.ApplyDelta(1, msg.seq, ticker, msg.yes ? kYes : kNo, Price::FromUnits(msg.price_units),
                       Count::FromUnits(msg.delta_units));
      }
      newest = std::max(newest, k + 1);
      for (int m = 0; m < 3; ++m) {
        const OrderBook* live = set.Find(kTickers[m]);
        if (live != nullptr && live->live()) RC_ASSERT(live->LevelsEqual(truth[newest - 1][m]));
      }
    }
  }
  if (lost == 0) {
    // Nothing lost: every book is live and equals the final truth.
    for (int m = 0; m < 3; ++m) {
      RC_ASSERT(set.Find(kTickers[m])->live());
      RC_ASSERT(set.Find(kTickers[m])->LevelsEqual(truth.back()[m]));
    }
    RC_ASSERT(set.counters().gaps == 0u);
  }
}

}  // namespace
}  // namespace kalshiflow::book
