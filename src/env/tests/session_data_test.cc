// SessionData: splitting sessions into per-market streams and data points, the load-time
// temporal inputs, skipped rows and errors.
#include "env/session_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "book/order_book.h"
#include "env/synthetic.h"
#include "env/tests/env_test_util.h"
#include "features/temporal_tracker.h"

namespace kalshiflow::env {
namespace {

using testing::Delta;
using testing::HandMarket;
using testing::kNo;
using testing::kYes;
using testing::Snap;
using testing::WalkMarket;

std::vector<storage::ReplayUpdate> Merge(std::vector<std::vector<storage::ReplayUpdate>> parts) {
  std::vector<storage::ReplayUpdate> all;
  for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return storage::UpdateLocalTs(a) < storage::UpdateLocalTs(b);
  });
  return all;
}

TEST(SessionData, SplitsAMarketIntoDataPoints) {
  auto data = SessionData::FromUpdates({{1, HandMarket("KXA")}});
  ASSERT_TRUE(data.ok()) << data.error().ToString();
  ASSERT_EQ(data->sessions().size(), 1u);
  const SessionReplay& s = data->sessions()[0];
  EXPECT_EQ(s.id, 1);
  ASSERT_EQ(s.markets.size(), 1u);
  const MarketStream& m = s.markets[0];
  EXPECT_EQ(m.ticker, "KXA");
  ASSERT_EQ(m.updates.size(), 5u);
  // Points at 1000, 2000, 3000 (two deltas), 4000 ms: ends 1, 2, 4, 5.
  ASSERT_EQ(m.points.size(), 4u);
  EXPECT_EQ(m.points[0].end, 1u);
  EXPECT_EQ(m.points[1].end, 2u);
  EXPECT_EQ(m.points[2].end, 4u);
  EXPECT_EQ(m.points[3].end, 5u);
  EXPECT_EQ(m.points[2].ts_ms, 3000);
  EXPECT_EQ(m.PointBegin(2), 2u);
  // Mids: P0 0.45 + 0.46 (1 - 0.54) = 9100 units; P2 0.47 + 0.47 (1 - 0.53) = 9400.
  EXPECT_EQ(m.points[0].yes_mid(), 9100);
  EXPECT_EQ(m.points[2].yes_mid(), 9400);
  // The snapshot's levels are stored flat: YES then NO, as given.
  EXPECT_EQ(m.updates[0].kind, MarketUpdate::Kind::kSnapshot);
  ASSERT_EQ(m.SnapshotYes(m.updates[0]).size(), 2u);
  EXPECT_EQ(m.SnapshotYes(m.updates[0])[0].price, core::Price::FromCents(45));
  EXPECT_EQ(m.SnapshotNo(m.updates[0])[1].count, core::Count::FromContracts(50));
  EXPECT_EQ(m.updates[2].kind, MarketUpdate::Kind::kDelta);
  EXPECT_EQ(m.updates[2].side, kNo);
  EXPECT_EQ(m.updates[2].price_units, 5400);
  EXPECT_EQ(m.updates[2].delta_units, -10'000);
  EXPECT_EQ(m.updates[3].local_ns, 3'000'000'001);
  EXPECT_EQ(s.stats.rows, 5);
  EXPECT_EQ(s.stats.accepted, 5);
  EXPECT_EQ(s.stats.session_points, 4);
  EXPECT_EQ(data->total_updates(), 5);
  EXPECT_EQ(data->total_points(), 4);
  EXPECT_GT(data->MemoryBytes(), 0u);
}

TEST(SessionData, MarketWithoutAMidHasNoMid) {
  auto data = SessionData::FromUpdates(
      {{1, {Snap("KXA", 1000, {{45, 10}}, {}), Delta("KXA", 2000, kNo, 50, 5)}}});
  ASSERT_TRUE(data.ok());
  const MarketStream& m = data->sessions()[0].markets[0];
  EXPECT_EQ(m.points[0].yes_mid(), std::nullopt);  // no NO bid: no YES ask
  EXPECT_EQ(m.points[1].yes_mid(), 4500 + 5000);
}

TEST(SessionData, DropsRowsTheBookRefusesAndCountsThem) {
  std::vector<storage::ReplayUpdate> rows = {
      Delta("KXB", 500, kYes, 40, 5),  // before KXB's snapshot: dropped
      Snap("KXA", 1000, {{45, 10}}, {{54, 10}}),
      Snap("KXB", 1000, {{40, 10}}, {{58, 10}}, 1),
      Delta("KXA", 2000, kYes, 45, 3),
  };
  // A price outside (0, 1): refused by the book.
  storage::DeltaRow bad = std::get<storage::DeltaRow>(Delta("KXA", 3000, kYes, 45, 1));
  bad.price = core::Price::OneDollar();
  rows.push_back(bad);
  rows.push_back(Delta("KXA", 4000, kYes, 45, 1));
  auto data = SessionData::FromUpdates({{3, rows}});
  ASSERT_TRUE(data.ok()) << data.error().ToString();
  const SessionReplay& s = data->sessions()[0];
  EXPECT_EQ(s.stats.rows, 6);
  EXPECT_EQ(s.stats.accepted, 4);
  EXPECT_EQ(s.stats.skipped_no_snapshot, 1);
  EXPECT_EQ(s.stats.skipped_refused, 1);
  // Markets in order of first appearance (KXB's first row was the dropped delta).
  ASSERT_EQ(s.markets.size(), 2u);
  EXPECT_EQ(s.markets[0].ticker, "KXB");
  EXPECT_EQ(s.markets[1].ticker, "KXA");
  EXPECT_EQ(s.markets[1].points.size(), 3u);  // 1000, 2000, 4000
}

// The loader's temporal inputs are the values an online tracker (the live actor's) has at
// the end of every session data point.
TEST(SessionData, TemporalInputsEqualTheOnlineTrackerAtTheEndOfEveryPoint) {
  auto rows = Merge({WalkMarket("KXA", 12, 1000), WalkMarket("KXB", 9, 1500), HandMarket("KXC"),
                     WalkMarket("KXD", 6, 2000)});
  auto data = SessionData::FromUpdates({{1, rows}});
  ASSERT_TRUE(data.ok()) << data.error().ToString();

  features::TemporalTracker tracker;
  std::map<std::string, book::OrderBook> books;
  std::map<int64_t, features::TemporalInputs> at_end_of_point;
  for (const auto& row : rows) {
    const bool snap = std::holds_alternative<storage::SnapshotRow>(row);
    const std::string& ticker = snap ? std::get<storage::SnapshotRow>(row).market_ticker
                                     : std::get<storage::DeltaRow>(row).market_ticker;
    book::OrderBook& b = books.try_emplace(ticker, ticker).first->second;
    if (snap) {
      const auto& s = std::get<storage::SnapshotRow>(row);
      ASSERT_FALSE(b.ApplySnapshot(s.yes_bids, s.no_bids).has_value());
    } else {
      const auto& d = std::get<storage::DeltaRow>(row);
      ASSERT_TRUE(b.ApplyDelta(d.side, d.price, d.delta).ok());
    }
    const int64_t ms = storage::UpdateLocalTs(row).millis();
    at_end_of_point[ms] = tracker.Observe(tracker.MarketIndex(ticker), ms, b);
  }
  int checked = 0;
  for (const MarketStream& m : data->sessions()[0].markets) {
    for (const MarketPoint& p : m.points) {
      EXPECT_EQ(p.temporal, at_end_of_point.at(p.ts_ms)) << m.ticker << " at " << p.ts_ms;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12 + 9 + 4 + 6);
  // Not all zeros: the session has many points, so gaps and activity are set.
  EXPECT_GT(data->sessions()[0].markets[0].points[3].temporal.time_gap_s, 0.0);
}

TEST(SessionData, MarketFilterKeepsTheSessionWideTemporalInputs) {
  auto rows = Merge({WalkMarket("KXA", 8, 1000), WalkMarket("KXB", 8, 1500)});
  auto all = SessionData::FromUpdates({{1, rows}});
  LoadOptions only_b;
  only_b.market_tickers = {"KXB"};
  auto filtered = SessionData::FromUpdates({{1, rows}}, only_b);
  ASSERT_TRUE(all.ok() && filtered.ok());
  ASSERT_EQ(filtered->sessions()[0].markets.size(), 1u);
  const MarketStream& b = filtered->sessions()[0].markets[0];
  EXPECT_EQ(b.ticker, "KXB");
  EXPECT_EQ(b.points, all->sessions()[0].markets[1].points);
  EXPECT_EQ(b.updates, all->sessions()[0].markets[1].updates);
}

TEST(SessionData, ErrorsNameTheSession) {
  auto empty = SessionData::FromUpdates({{7, {}}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(empty.error().message().find("session 7 has no snapshot or delta rows"),
            std::string::npos);

  auto deltas_only = SessionData::FromUpdates({{8, {Delta("KXA", 1, kYes, 40, 1)}}});
  ASSERT_FALSE(deltas_only.ok());
  EXPECT_EQ(deltas_only.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(deltas_only.error().message().find("session 8"), std::string::npos);

  auto backwards = SessionData::FromUpdates(
      {{9, {Snap("KXA", 2000, {{45, 1}}, {}), Snap("KXA", 1000, {{45, 1}}, {})}}});
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(backwards.error().message().find("session 9"), std::string::npos);

  auto twice = SessionData::FromUpdates({{1, HandMarket()}, {1, HandMarket()}});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), core::StatusCode::kInvalidArgument);

  LoadOptions other;
  other.market_tickers = {"KXNONE"};
  auto none = SessionData::FromUpdates({{4, HandMarket()}}, other);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("session 4"), std::string::npos);
}

TEST(SessionData, MarketResults) {
  auto data = SessionData::FromUpdates({{5, HandMarket("KXA")}});
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(data->SetMarketResult(5, "KXA", core::Price::OneDollar()).ok());
  EXPECT_EQ(data->sessions()[0].markets[0].result, core::Price::OneDollar());
  EXPECT_EQ(data->SetMarketResult(5, "KXZ", core::Price()).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(data->SetMarketResult(6, "KXA", core::Price()).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(data->SetMarketResult(5, "KXA", core::Price::FromUnits(10'001)).code(),
            core::StatusCode::kInvalidArgument);
}

// A recording replayed faster than real time (the demo: three days in under a second) keeps
// its timing only in the exchange times: data points follow them, not local receive time.
TEST(SessionData, DataPointsFollowTheExchangeClockWhenRowsCarryIt) {
  SyntheticMarketOptions options;
  options.points = 200;
  std::vector<storage::ReplayUpdate> real = SyntheticSessionUpdates(1, options);
  auto reference = SessionData::FromUpdates({{1, real}});
  ASSERT_TRUE(reference.ok()) << reference.error().ToString();
  EXPECT_TRUE(reference->sessions()[0].stats.exchange_clock);
  ASSERT_GE(reference->sessions()[0].markets[0].points.size(),
            190u);  // ~1.5% of points change nothing

  // Same rows received within 2 ms of local time (1 us apart).
  std::vector<storage::ReplayUpdate> fast = real;
  int64_t i = 0;
  for (auto& u : fast) {
    std::visit(
        [&](auto& row) { row.local_ts = core::Timestamp::FromNanos(1'000'000 + 1'000 * i++); }, u);
  }
  auto replayed = SessionData::FromUpdates({{1, fast}});
  ASSERT_TRUE(replayed.ok()) << replayed.error().ToString();
  const auto& a = reference->sessions()[0].markets[0];
  const auto& b = replayed->sessions()[0].markets[0];
  // The opening snapshot has no exchange time; it is timed by the offset measured at the
  // first delta, which arrived in the same local ms, so it joins that delta's point. Every
  // later point is the reference's, with the same time and the same updates.
  ASSERT_EQ(b.points.size(), a.points.size() - 1);
  for (size_t k = 1; k < b.points.size(); ++k) {
    EXPECT_EQ(b.points[k].ts_ms, a.points[k + 1].ts_ms) << k;
    EXPECT_EQ(b.points[k].end, a.points[k + 1].end) << k;
  }
  EXPECT_EQ(b.points[0].ts_ms, a.points[1].ts_ms);

  // Without exchange times the local clock is all there is: everything collapses.
  for (auto& u : fast) {
    std::visit([](auto& row) { row.exchange_ts_ms.reset(); }, u);
  }
  auto local = SessionData::FromUpdates({{1, fast}});
  ASSERT_TRUE(local.ok()) << local.error().ToString();
  EXPECT_FALSE(local->sessions()[0].stats.exchange_clock);
  EXPECT_LE(local->sessions()[0].markets[0].points.size(), 3u);
}

}  // namespace
}  // namespace kalshiflow::env
