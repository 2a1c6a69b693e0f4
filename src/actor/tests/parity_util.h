// Train/serve parity helpers shared by the in-process test (live_features_test) and the one
// over the socket (app/tests/collect_e2e_test): the training side's observations under HOLD
// by data-point time, the live side's observations recorded from LiveFeatures, and the
// float32 comparison of the two.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actor/live_features.h"
#include "env/replay_env.h"
#include "features/kalshiflow_v1.h"
#include "sim/actions.h"

namespace kalshiflow::actor::testing {

/// Per market ticker: the 52-float observation by data-point time (ms).
using ObservationsByPoint = std::map<std::string, std::map<int64_t, std::vector<float>>>;

/// Every market's observations in `replay` under HOLD (each episode from its first point to
/// the terminal one).
inline ObservationsByPoint TrainingObservations(env::ReplayEnv& replay) {
  ObservationsByPoint training;
  for (std::size_t i = 0; i < replay.episodes().size(); ++i) {
    auto obs = replay.ResetTo(i);
    auto& points = training[replay.market().ticker];
    auto point_ts = [&] { return replay.market().points[replay.point()].ts_ms; };
    points[point_ts()].assign(obs.begin(), obs.end());
    while (replay.active()) {
      const auto& step = replay.Step(static_cast<int32_t>(sim::Action::kHold));
      // The step that ends the episode lands on its last point (the terminal observation).
      points[point_ts()].assign(step.observation.begin(), step.observation.end());
      if (step.terminated || step.truncated) break;
    }
  }
  return training;
}

/// Records the live side: Record(ticker) stores the market's current observation (flat
/// portfolio at `cash`) under its point's time, so called before each update of the market,
/// the last record of a point is the observation of the complete point.
class LiveObservationRecorder {
 public:
  LiveObservationRecorder(const LiveFeatures& live, core::Money cash) : live_(live), cash_(cash) {}
  void Record(const std::string& ticker) {
    const auto m = live_.FindMarket(ticker);
    if (!m || !live_.Snapshot(*m, snap_)) return;  // not seen yet (or still held)
    features::ObservationInputs in;
    in.book = &snap_.book;
    in.history = &snap_.history;
    in.current = snap_.current;
    in.portfolio.cash = cash_;
    in.portfolio.portfolio_value = cash_;
    std::vector<float> obs(features::kKalshiflowV1Size);
    features::BuildKalshiflowV1(in, obs);
    by_point_[ticker][snap_.current.ts_ms] = std::move(obs);
  }
  const ObservationsByPoint& by_point() const { return by_point_; }

 private:
  const LiveFeatures& live_;
  core::Money cash_;
  MarketSnapshot snap_;
  ObservationsByPoint by_point_;
};

/// Every live point equals training's at the same time (float32, all 52); at most one point
/// per market may be missing on the live side (the points completed inside the ingest that
/// releases the updates held before the clock's calibration). Returns the points compared.
inline int64_t ExpectLiveEqualsTraining(const ObservationsByPoint& training,
                                        const ObservationsByPoint& live) {
  int64_t compared = 0;
  for (const auto& [ticker, expected] : training) {
    SCOPED_TRACE(ticker);
    auto found = live.find(ticker);
    const std::size_t got_size = found == live.end() ? 0 : found->second.size();
    EXPECT_GE(got_size + 1, expected.size());
    if (found == live.end()) continue;
    for (const auto& [ts, obs] : found->second) {
      auto it = expected.find(ts);
      EXPECT_NE(it, expected.end()) << "live point at " << ts << " unknown to training";
      if (it == expected.end()) return compared;
      EXPECT_EQ(obs, it->second) << "point at " << ts;
      if (obs != it->second) return compared;
      ++compared;
    }
  }
  return compared;
}

}  // namespace kalshiflow::actor::testing
