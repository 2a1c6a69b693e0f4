// Train/serve parity of the observation state (issue 5 item 4, in process): one session's
// updates go through the training loader + ReplayEnv, and through LiveFeatures fed update by
// update as the collector would; the observation built for every market data point is the same
// float32 vector on both paths.
#include "actor/live_features.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "env/replay_env.h"
#include "env/session_data.h"
#include "env/synthetic.h"
#include "features/kalshiflow_v1.h"
#include "sim/actions.h"

namespace kalshiflow::actor {
namespace {

// The training loader's data-point clock (env/session_data.cc): Kalshi's ts_ms when the row
// has one; snapshots (none) take local time + the session's exchange - local offset from the
// first row with both; the result kept non-decreasing in arrival order.
std::vector<int64_t> LoaderClock(const std::vector<storage::ReplayUpdate>& rows) {
  std::optional<int64_t> offset;
  for (const auto& row : rows) {
    const auto exch = std::visit([](const auto& r) { return r.exchange_ts_ms; }, row);
    if (exch && *exch > 0) {
      offset = *exch - storage::UpdateLocalTs(row).millis();
      break;
    }
  }
  std::vector<int64_t> out;
  int64_t last = 0;
  for (const auto& row : rows) {
    const auto exch = std::visit([](const auto& r) { return r.exchange_ts_ms; }, row);
    int64_t ts =
        exch && *exch > 0 ? *exch : storage::UpdateLocalTs(row).millis() + offset.value_or(0);
    if (!out.empty()) ts = std::max(ts, last);
    last = ts;
    out.push_back(ts);
  }
  return out;
}

TEST(LiveFeaturesTest, ObservationsEqualTheTrainingEnvironmentsAtEveryDataPoint) {
  env::SyntheticMarketOptions options;
  options.seed = 3;
  options.markets = 4;
  options.points = 300;
  options.min_gap_ms = 1;  // many shared milliseconds across markets (multi-market points)
  options.max_gap_ms = 3;
  const std::vector<storage::ReplayUpdate> rows = env::SyntheticSessionUpdates(1, options);
  auto data = env::SessionData::FromUpdates({{1, rows}});
  ASSERT_TRUE(data.ok()) << data.error().ToString();
  auto shared = std::make_shared<const env::SessionData>(std::move(data).value());
  env::EnvConfig config;
  auto first = env::ReplayEnv::Create(shared, config);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  env::ReplayEnv& replay = **first;

  // Training side: every market's observations, point by point, under HOLD.
  std::map<std::string, std::vector<std::vector<float>>> training;
  for (std::size_t i = 0; i < replay.episodes().size(); ++i) {
    auto obs = replay.ResetTo(i);
    auto& list = training[replay.market().ticker];
    list.emplace_back(obs.begin(), obs.end());
    while (replay.active()) {
      const auto& step = replay.Step(static_cast<int32_t>(sim::Action::kHold));
      list.emplace_back(step.observation.begin(), step.observation.end());
      if (step.terminated || step.truncated) break;
    }
  }
  ASSERT_EQ(training.size(), 4u);

  // Live side: the same rows applied to books and ingested in arrival order; a market's
  // observation is built when its data point is complete (its next update has a new ms, or the
  // stream ended), with the flat portfolio the environment starts from.
  const std::vector<int64_t> ts = LoaderClock(rows);
  std::map<std::string, book::OrderBook> books;
  LiveFeatures live;
  std::map<std::string, std::vector<std::vector<float>>> serving;
  MarketSnapshot snap;
  auto build = [&](const std::string& ticker) {
    const auto m = live.FindMarket(ticker);
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(live.Snapshot(*m, snap));
    features::ObservationInputs in;
    in.book = &snap.book;
    in.history = &snap.history;
    in.current = snap.current;
    in.portfolio.cash = config.initial_cash;
    in.portfolio.portfolio_value = config.initial_cash;
    std::vector<float> obs(features::kKalshiflowV1Size);
    features::BuildKalshiflowV1(in, obs);
    serving[ticker].push_back(std::move(obs));
  };
  std::map<std::string, int64_t> point_ts;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const std::string ticker = std::visit([](const auto& r) { return r.market_ticker; }, rows[k]);
    if (auto it = point_ts.find(ticker); it != point_ts.end() && it->second != ts[k]) {
      build(ticker);
    }
    book::OrderBook& b = books.try_emplace(ticker, ticker).first->second;
    if (const auto* s = std::get_if<storage::SnapshotRow>(&rows[k])) {
      ASSERT_FALSE(b.ApplySnapshot(s->yes_bids, s->no_bids).has_value());
    } else {
      const auto& d = std::get<storage::DeltaRow>(rows[k]);
      ASSERT_TRUE(b.ApplyDelta(d.side, d.price, d.delta).ok());
    }
    const int64_t seq = std::visit([](const auto& r) { return r.seq; }, rows[k]);
    live.Ingest(AcceptedUpdate{ticker, seq, ts[k], &b});
    point_ts[ticker] = ts[k];
  }
  for (const auto& [ticker, unused] : point_ts) build(ticker);

  int64_t compared = 0, multi_market_points = 0;
  for (const auto& [ticker, expected] : training) {
    SCOPED_TRACE(ticker);
    const auto& got = serving[ticker];
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t p = 0; p < expected.size(); ++p) {
      ASSERT_EQ(got[p], expected[p]) << "point " << p;  // float32 equality, all 52
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000);
  // The session had points shared by several markets (the hard case for the temporal inputs).
  EXPECT_GT(live.tracker().point_count(), 0);
  multi_market_points = static_cast<int64_t>(rows.size()) - live.tracker().point_count();
  EXPECT_GT(multi_market_points, 100);
}

}  // namespace
}  // namespace kalshiflow::actor
