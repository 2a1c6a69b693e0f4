// The session temporal tracker (spec "Session temporal inputs") and its loader path.
#include "features/temporal_tracker.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "features/tests/test_util.h"

namespace kalshiflow::features {
namespace {

using testing::CentLevel;
using testing::MakeBook;
using testing::WorkedBook;

// An update with V = `contracts` and a YES mid of `mid_cents` (whole or half cents), or none.
TrackerUpdate U(uint32_t market, int64_t ts_ms, int64_t contracts,
                std::optional<double> mid_cents = std::nullopt) {
  TrackerUpdate u;
  u.market = market;
  u.ts_ms = ts_ms;
  u.volume = core::Count::FromContracts(contracts);
  if (mid_cents) u.yes_mid_twice = static_cast<int64_t>(*mid_cents * 200.0);  // 2 * cents * 100
  return u;
}

TEST(TemporalTrackerTest, SpecWorkedActivityScore) {
  // Spec: a single market with the worked book (V = 4800) has activity ln(4801) / 1000 =
  // 8.4765795 / 1000 = 0.008477.
  TemporalTracker tracker;
  const uint32_t m = tracker.MarketIndex("KXTEST");
  const book::OrderBook book = WorkedBook();
  const TemporalInputs t = tracker.Observe(m, 1'000, book);
  EXPECT_NEAR(t.activity_score, 0.008476579508530941, 1e-15);
  EXPECT_NEAR(t.activity_score, 0.008477, 5e-7);
  EXPECT_EQ(t.time_gap_s, 0.0);  // first point
  EXPECT_EQ(t.momentum, 0.0);    // no market has 3 mids
  EXPECT_EQ(tracker.point_count(), 1);
}

TEST(TemporalTrackerTest, MakeTrackerUpdateReadsTheBook) {
  const TrackerUpdate u = MakeTrackerUpdate(3, 77, WorkedBook());
  EXPECT_EQ(u.market, 3u);
  EXPECT_EQ(u.ts_ms, 77);
  EXPECT_EQ(u.volume, core::Count::FromContracts(4800));
  EXPECT_EQ(u.yes_mid_twice, 9100);  // 4500 + 4600 units
  EXPECT_FALSE(MakeTrackerUpdate(0, 0, MakeBook({CentLevel(45, 1)}, {})).yes_mid_twice);
}

TEST(TemporalTrackerTest, TimeGapsBetweenPoints) {
  TemporalTracker tracker;
  tracker.ReserveMarkets(2);
  EXPECT_EQ(tracker.Observe(U(0, 10'000, 1)).time_gap_s, 0.0);     // first point
  EXPECT_EQ(tracker.Observe(U(1, 10'000, 1)).time_gap_s, 0.0);     // same point (same ms)
  EXPECT_EQ(tracker.Observe(U(0, 12'500, 1)).time_gap_s, 2.5);     // (12,500 - 10,000) / 1000
  EXPECT_EQ(tracker.Observe(U(1, 12'501, 1)).time_gap_s, 0.001);   // 1 ms
  EXPECT_EQ(tracker.Observe(U(1, 12'000, 1)).time_gap_s, -0.501);  // time went back
  EXPECT_EQ(tracker.point_count(), 4);
}

TEST(TemporalTrackerTest, ActivityCountsMarketsAndVolumeOfThePoint) {
  TemporalTracker tracker;
  tracker.ReserveMarkets(3);
  // Point 1, market 0 with V = 100: 1 * ln(101) / 1000.
  EXPECT_NEAR(tracker.Observe(U(0, 1'000, 100)).activity_score, std::log(101.0) / 1000.0, 1e-15);
  // Market 1 joins the same point with V = 300: k = 2, total 400: 2 * ln(401) / 1000.
  EXPECT_NEAR(tracker.Observe(U(1, 1'000, 300)).activity_score, 2 * std::log(401.0) / 1000.0,
              1e-15);
  // Market 0 again in the same point, now V = 50: it still counts once, with its latest
  // volume: k = 2, total 50 + 300 = 350.
  EXPECT_NEAR(tracker.Observe(U(0, 1'000, 50)).activity_score, 2 * std::log(351.0) / 1000.0, 1e-15);
  // A new point holds only its own markets: market 2 alone, V = 0 -> ln(1) = 0.
  EXPECT_EQ(tracker.Observe(U(2, 2'000, 0)).activity_score, 0.0);
}

TEST(TemporalTrackerTest, ActivityIsCappedAtOne) {
  // 60 markets with 1,000,000 contracts each at one timestamp:
  // 60 * ln(1 + 6e7) / 1000 = 60 * 17.91 / 1000 = 1.07 -> 1.
  TemporalTracker tracker;
  tracker.ReserveMarkets(60);
  TemporalInputs t;
  for (uint32_t m = 0; m < 60; ++m) t = tracker.Observe(U(m, 5, 1'000'000));
  EXPECT_EQ(t.activity_score, 1.0);
}

TEST(TemporalTrackerTest, MomentumFromThreeMids) {
  TemporalTracker tracker;
  tracker.ReserveMarkets(2);
  // Market 0 mids 50, 52, 55: recent = 3, prev = 2, tanh((3 - 2) / 2) = tanh(0.5) = 0.4621172.
  EXPECT_EQ(tracker.Observe(U(0, 1, 10, 50)).momentum, 0.0);
  EXPECT_EQ(tracker.Observe(U(0, 2, 10, 52)).momentum, 0.0);  // only 2 mids
  EXPECT_NEAR(tracker.Observe(U(0, 3, 10, 55)).momentum, 0.46211715726000974, 1e-15);
  // Market 1 mids 40, 40, 41: prev = 0, |prev| <= 0.001 -> no term; the mean stays tanh(0.5).
  tracker.Observe(U(1, 4, 10, 40));
  tracker.Observe(U(1, 5, 10, 40));
  EXPECT_NEAR(tracker.Observe(U(1, 6, 10, 41)).momentum, 0.46211715726000974, 1e-15);
  // A point without market 0 keeps market 0's term; market 1 mids 40, 41, 43: recent = 2,
  // prev = 1: tanh(1) = 0.7615942. Mean (0.4621172 + 0.7615942) / 2 = 0.6118557.
  EXPECT_NEAR(tracker.Observe(U(1, 7, 10, 43)).momentum, 0.6118556566078873, 1e-15);
  // Market 0 mids 52, 55, 55: recent = 0, prev = 3: tanh(-1) = -0.7615942; with market 1's
  // 0.7615942 the mean is 0.
  EXPECT_NEAR(tracker.Observe(U(0, 8, 10, 55)).momentum, 0.0, 1e-15);
}

TEST(TemporalTrackerTest, AbsentMidsAddNothingToTheMidHistory) {
  TemporalTracker tracker;
  tracker.ReserveMarkets(1);
  tracker.Observe(U(0, 1, 10, 50));
  tracker.Observe(U(0, 2, 10));  // a one-sided book: no YES mid, history stays {50}
  tracker.Observe(U(0, 3, 10, 52));
  tracker.Observe(U(0, 4, 10));
  // Mids 50, 52, 55 (the absent ones skipped): tanh(0.5).
  EXPECT_NEAR(tracker.Observe(U(0, 5, 10, 55)).momentum, 0.46211715726000974, 1e-15);
}

TEST(TemporalTrackerTest, RepeatWithinAPointReplacesTheMid) {
  TemporalTracker tracker;
  tracker.ReserveMarkets(1);
  tracker.Observe(U(0, 1, 10, 50));
  tracker.Observe(U(0, 2, 10, 52));
  // Point 3 first says 60 (accel (8 - 2) / 2 = 3, tanh 3), then 55 at the same ms: the point's
  // state is the latest, so mids are 50, 52, 55 and momentum tanh(0.5).
  EXPECT_NEAR(tracker.Observe(U(0, 3, 10, 60)).momentum, std::tanh(3.0), 1e-15);
  EXPECT_NEAR(tracker.Observe(U(0, 3, 10, 55)).momentum, 0.46211715726000974, 1e-15);
  // And a repeat that loses the mid removes the point's mid: mids back to 50, 52 -> no term.
  EXPECT_EQ(tracker.Observe(U(0, 3, 10)).momentum, 0.0);
  EXPECT_EQ(tracker.point_count(), 3);
}

TEST(TemporalTrackerTest, MomentumSumsInTheOriginalDictOrder) {
  // The original summed terms over a dict keyed by market in insertion order: markets ordered
  // by the point of their first YES mid, then by first appearance within that point. Float
  // addition is not associative, so the order is observable. Markets X = 0, C = 1, B = 2;
  // mids given as twice the price units (cents = units / 200).
  TemporalTracker tracker;
  tracker.ReserveMarkets(3);
  const uint32_t x = 0, c = 1, b = 2;
  auto mid = [](int64_t twice) { return twice / 200.0; };
  auto update = [](uint32_t market, int64_t ts, std::optional<int64_t> twice) {
    TrackerUpdate u;
    u.market = market;
    u.ts_ms = ts;
    u.volume = core::Count::FromContracts(1);
    u.yes_mid_twice = twice;
    return u;
  };
  tracker.Observe(update(x, 1, 9275));          // X gets its first mid at point 1
  tracker.Observe(update(c, 2, std::nullopt));  // point 2: C appears first, without a mid,
  tracker.Observe(update(b, 2, 9522));          // B gets a mid,
  tracker.Observe(update(c, 2, 10643));         // then C's repeat brings its mid: order C, B
  tracker.Observe(update(x, 2, 10165));
  tracker.Observe(update(x, 3, 10735));
  tracker.Observe(update(c, 3, 10564));
  tracker.Observe(update(b, 3, 9241));
  tracker.Observe(update(c, 4, 9129));
  const double got = tracker.Observe(update(b, 4, 10014)).momentum;
  auto term = [&](int64_t m0, int64_t m1, int64_t m2) {
    const double recent = mid(m2) - mid(m1);
    const double prev = mid(m1) - mid(m0);
    return std::tanh((recent - prev) / std::fabs(prev));
  };
  const double tx = term(9275, 10165, 10735);
  const double tc = term(10643, 10564, 9129);
  const double tb = term(9522, 9241, 10014);
  const double dict_order = (((0.0 + tx) + tc) + tb) / 3.0;         // X, C, B
  const double mid_arrival_order = (((0.0 + tx) + tb) + tc) / 3.0;  // X, B, C
  ASSERT_NE(dict_order, mid_arrival_order);  // the case tells the orders apart
  EXPECT_EQ(got, dict_order);
}

TEST(TemporalTrackerTest, MarketIndexesAndReset) {
  TemporalTracker tracker;
  EXPECT_EQ(tracker.MarketIndex("A"), 0u);
  EXPECT_EQ(tracker.MarketIndex("B"), 1u);
  EXPECT_EQ(tracker.MarketIndex("A"), 0u);
  EXPECT_EQ(tracker.FindMarket("B"), 1u);
  EXPECT_FALSE(tracker.FindMarket("C").has_value());
  tracker.ReserveMarkets(5);
  EXPECT_EQ(tracker.MarketIndex("C"), 5u);  // after the reserved slots
  EXPECT_EQ(tracker.market_count(), 6u);

  tracker.Observe(U(0, 1, 10, 50));
  tracker.Observe(U(0, 2, 10, 52));
  tracker.Observe(U(0, 3, 10, 55));
  EXPECT_NE(tracker.current().momentum, 0.0);
  tracker.Reset();
  EXPECT_EQ(tracker.point_count(), 0);
  EXPECT_EQ(tracker.current(), TemporalInputs{});
  EXPECT_EQ(tracker.MarketIndex("A"), 0u);  // names survive a reset
  // After a reset the old mids are gone: 3 new mids are needed again.
  EXPECT_EQ(tracker.Observe(U(0, 10, 10, 60)).momentum, 0.0);
  EXPECT_EQ(tracker.Observe(U(0, 11, 10, 61)).time_gap_s, 0.001);
}

TEST(TemporalTrackerDeathTest, UnknownMarketIndexCrashes) {
  TemporalTracker tracker;
  EXPECT_DEATH(tracker.Observe(U(0, 1, 1)), "not registered");
}

TEST(SessionTemporalInputsTest, SessionWithOnePointIsAllZeros) {
  // Spec: a session with fewer than 2 points keeps all three at 0 (even though its single
  // point has volume and two markets).
  const std::vector<TrackerUpdate> one_point = {U(0, 5, 100, 50), U(1, 5, 200, 40)};
  for (const TemporalInputs& t : SessionTemporalInputs(one_point)) {
    EXPECT_EQ(t, TemporalInputs{});
  }
  EXPECT_TRUE(SessionTemporalInputs({}).empty());
}

TEST(SessionTemporalInputsTest, EveryUpdateGetsItsPointsFinalValues) {
  const std::vector<TrackerUpdate> updates = {U(0, 1'000, 100), U(1, 1'000, 300), U(0, 3'000, 50)};
  const std::vector<TemporalInputs> out = SessionTemporalInputs(updates);
  ASSERT_EQ(out.size(), 3u);
  // Point 1 = both first updates: k = 2, V = 400 -> 2 ln(401) / 1000, for both of them.
  EXPECT_NEAR(out[0].activity_score, 2 * std::log(401.0) / 1000.0, 1e-15);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(out[0].time_gap_s, 0.0);
  // Point 2: gap 2 s, k = 1, V = 50.
  EXPECT_EQ(out[2].time_gap_s, 2.0);
  EXPECT_NEAR(out[2].activity_score, std::log(51.0) / 1000.0, 1e-15);
}

// A from-scratch re-statement of the original SessionDataLoader._add_temporal_features over a
// whole session: group consecutive updates by timestamp (the last state of each market wins,
// markets ordered by first appearance in the point), then per point the gap, activity, and
// momentum summed over a dict of per-market mid lists in key-insertion order.
std::vector<TemporalInputs> ReferenceSession(const std::vector<TrackerUpdate>& updates) {
  struct Point {
    int64_t ts_ms;
    std::vector<uint32_t> markets;           // first-appearance order
    std::map<uint32_t, TrackerUpdate> last;  // last state per market
    std::vector<std::size_t> members;        // update indexes
  };
  std::vector<Point> points;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const TrackerUpdate& u = updates[i];
    if (points.empty() || points.back().ts_ms != u.ts_ms) points.push_back({u.ts_ms, {}, {}, {}});
    Point& p = points.back();
    if (!p.last.count(u.market)) p.markets.push_back(u.market);
    p.last[u.market] = u;
    p.members.push_back(i);
  }
  std::vector<TemporalInputs> out(updates.size());
  if (points.size() < 2) return out;
  std::map<uint32_t, std::vector<double>> history;
  std::vector<uint32_t> key_order;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    TemporalInputs t;
    t.time_gap_s = i == 0 ? 0.0 : static_cast<double>(p.ts_ms - points[i - 1].ts_ms) / 1000.0;
    int64_t volume = 0;
    for (uint32_t m : p.markets) volume += p.last.at(m).volume.units();
    t.activity_score = std::min(
        1.0, (static_cast<double>(p.markets.size()) * std::log(1.0 + volume / 100.0)) / 1000.0);
    for (uint32_t m : p.markets) {
      const TrackerUpdate& u = p.last.at(m);
      if (!u.yes_mid_twice) continue;
      if (history[m].empty()) key_order.push_back(m);
      history[m].push_back(static_cast<double>(*u.yes_mid_twice) / 200.0);
    }
    double sum = 0.0;
    int count = 0;
    for (uint32_t m : key_order) {
      const std::vector<double>& prices = history[m];
      if (prices.size() < 3) continue;
      const double recent = prices[prices.size() - 1] - prices[prices.size() - 2];
      const double prev = prices[prices.size() - 2] - prices[prices.size() - 3];
      if (std::fabs(prev) > 0.001) {
        sum += std::tanh((recent - prev) / std::fabs(prev));
        ++count;
      }
    }
    t.momentum = count > 0 ? sum / count : 0.0;
    for (std::size_t member : p.members) out[member] = t;
  }
  return out;
}

// Random sessions: few markets, repeated timestamps, repeats of a market within a point,
// absent mids (also appearing or vanishing on a repeat within a point).
rc::Gen<std::vector<TrackerUpdate>> GenSession() {
  return rc::gen::exec([] {
    const auto markets = *rc::gen::inRange<uint32_t>(1, 6);
    const auto n = *rc::gen::inRange<std::size_t>(0, 80);
    std::vector<TrackerUpdate> updates;
    int64_t ts = *rc::gen::inRange<int64_t>(0, 2'000'000'000'000);
    for (std::size_t i = 0; i < n; ++i) {
      ts += *rc::gen::element<int64_t>(0, 0, 1, 7, 250, 60'000);
      TrackerUpdate u;
      u.market = *rc::gen::inRange<uint32_t>(0, markets);
      u.ts_ms = ts;
      u.volume = core::Count::FromUnits(*rc::gen::inRange<int64_t>(0, 10'000'000));
      if (*rc::gen::inRange(0, 4) != 0) {
        // Mostly cent mids near each other so that accelerations are common.
        u.yes_mid_twice =
            *rc::gen::inRange<int64_t>(90, 110) * 100 + *rc::gen::element<int64_t>(0, 0, 0, 50, 1);
      }
      updates.push_back(u);
    }
    return updates;
  });
}

RC_GTEST_PROP(SessionTemporalInputsProp, MatchesTheOriginalAlgorithmExactly, ()) {
  const std::vector<TrackerUpdate> updates = *GenSession();
  const std::vector<TemporalInputs> got = SessionTemporalInputs(updates);
  const std::vector<TemporalInputs> want = ReferenceSession(updates);
  RC_ASSERT(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    RC_ASSERT(got[i] == want[i]);  // bit for bit, including the momentum summation order
  }
}

// Train/serve parity: the loader path (SessionTemporalInputs) and the live path (a tracker
// fed one update at a time, as the actor does) agree exactly at the last update of every
// point, hence at every update when timestamps are distinct.
RC_GTEST_PROP(SessionTemporalInputsProp, LoaderAndLiveAgree, ()) {
  const std::vector<TrackerUpdate> updates = *GenSession();
  const std::size_t n = updates.size();
  const std::vector<TemporalInputs> loader = SessionTemporalInputs(updates);
  int64_t points = n > 0 ? 1 : 0;
  for (std::size_t i = 1; i < n; ++i) points += updates[i].ts_ms != updates[i - 1].ts_ms;
  uint32_t markets = 0;
  for (const TrackerUpdate& u : updates) markets = std::max(markets, u.market + 1);
  TemporalTracker live;
  live.ReserveMarkets(markets);
  for (std::size_t i = 0; i < n; ++i) {
    const TemporalInputs t = live.Observe(updates[i]);
    const bool last_of_point = i + 1 == n || updates[i + 1].ts_ms != updates[i].ts_ms;
    if (points >= 2 && last_of_point) RC_ASSERT(t == loader[i]);
    if (points < 2) RC_ASSERT(loader[i] == TemporalInputs{});
  }
  RC_ASSERT(live.point_count() == points);
}

}  // namespace
}  // namespace kalshiflow::features
