// ReplayEnv: a hand-computed episode, latency, settlement, truncation, episode selection,
// observation parity with an actor-style build, determinism, errors.
#include "env/replay_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "env/baselines.h"
#include "env/synthetic.h"
#include "env/tests/env_test_util.h"
#include "features/kalshiflow_v1.h"
#include "features/temporal_tracker.h"

namespace kalshiflow::env {
namespace {

using testing::Delta;
using testing::HandMarket;
using testing::kNo;
using testing::kYes;
using testing::MakeData;
using testing::Snap;
using testing::WalkMarket;

constexpr int32_t kHold = 0, kBuyYes = 1, kSellYes = 2;

core::Money Dollars(std::string_view text) { return core::Money::Parse(text).value(); }

std::unique_ptr<ReplayEnv> MakeEnv(std::shared_ptr<const SessionData> data,
                                   const EnvConfig& config = {}) {
  auto env = ReplayEnv::Create(std::move(data), config);
  KF_CHECK(env.ok(), "env: {}", env.error().ToString());
  return std::move(env).value();
}

// The hand-computed episode (data in env_test_util.h HandMarket), default config: aggressive
// orders of 10 contracts, quadratic taker fees, balance kept in cents, $100 starting cash.
TEST(ReplayEnv, HandComputedThreeStepEpisode) {
  auto env = MakeEnv(MakeData({{1, HandMarket()}}));
  ASSERT_EQ(env->episodes().size(), 1u);
  std::span<const float> obs = env->Reset(42);
  ASSERT_EQ(obs.size(), 52u);
  EXPECT_FLOAT_EQ(obs[0], 0.45f);  // best YES bid
  EXPECT_FLOAT_EQ(obs[1], 0.46f);  // best YES ask = 1 - 0.54
  EXPECT_EQ(obs[35], 1.0f);        // flat: cash_ratio 1
  EXPECT_EQ(obs[36], 0.0f);

  // Step 1: BUY_YES -> bid 10 @ 0.46 lifts the NO bid 0.54 (100): fill 10 @ 0.46 (taker).
  //   trade fee = roundup(0.07 x 10 x 0.46 x 0.54 = 0.17388) = $0.1739
  //   balance change = floor_to_cent(-4.60 - 0.1739 = -4.7739) = -4.78 -> net fee 0.18
  //   cash = 100 - 4.78 = 95.22; P1 marks 10 YES at the YES bid 0.45: 95.22 + 4.50 = 99.72
  //   reward = 99.72 - 100 = -0.28
  const StepResult& r1 = env->Step(kBuyYes);
  EXPECT_FALSE(r1.terminated);
  EXPECT_FALSE(r1.truncated);
  EXPECT_EQ(r1.info.step, 1);
  EXPECT_EQ(r1.info.plan, sim::PlanNote::kPlace);
  ASSERT_EQ(env->fills().size(), 1u);
  EXPECT_EQ(env->fills()[0].price, core::Price::FromCents(46));
  EXPECT_EQ(env->fills()[0].count, core::Count::FromContracts(10));
  EXPECT_EQ(env->fills()[0].liquidity, kalshi::Liquidity::kTaker);
  EXPECT_EQ(env->fills()[0].fee.trade_fee, Dollars("0.1739"));
  EXPECT_EQ(r1.info.step_fees, Dollars("0.18"));
  EXPECT_EQ(r1.info.cash, Dollars("95.22"));
  EXPECT_EQ(r1.info.marked_value, Dollars("99.72"));
  EXPECT_EQ(r1.info.reward, Dollars("-0.28"));
  EXPECT_EQ(r1.reward, -0.28f);
  EXPECT_EQ(r1.info.position, core::Count::FromContracts(10));
  EXPECT_EQ(r1.info.cost_basis, Dollars("4.60"));
  EXPECT_EQ(r1.info.trades, 1);
  // Portfolio features, in cents: c = 9522, pv = 9972.
  EXPECT_EQ(r1.observation[35], static_cast<float>(9522.0 / 9972.0));  // cash_ratio
  EXPECT_EQ(r1.observation[36], static_cast<float>(450.0 / 9972.0));   // position_ratio
  EXPECT_EQ(r1.observation[37], 0.1f);                                 // 1 position / 10

  // Step 2: HOLD. P2 removes the NO 0.54 level and adds YES 0.47 x 30: marked at 0.47:
  //   95.22 + 4.70 = 99.92; reward = +0.20.
  const StepResult& r2 = env->Step(kHold);
  EXPECT_EQ(r2.info.plan, sim::PlanNote::kHold);
  EXPECT_TRUE(env->fills().empty());
  EXPECT_EQ(r2.info.marked_value, Dollars("99.92"));
  EXPECT_EQ(r2.info.reward, Dollars("0.20"));
  EXPECT_FLOAT_EQ(r2.observation[0], 0.47f);

  // Step 3: SELL_YES -> ask 10 @ 0.47 = buy NO @ 0.53, hits the YES bid 0.47 (30): closes 10
  //   pairs (+$10). trade fee = roundup(0.07 x 10 x 0.47 x 0.53 = 0.17437) = 0.1744;
  //   balance change = floor_to_cent(-5.30 - 0.1744) = -5.48; cash = 95.22 - 5.48 + 10 = 99.74
  //   (flat). reward = 99.74 - 99.92 = -0.18. P3 is the last point: terminated.
  const StepResult& r3 = env->Step(kSellYes);
  EXPECT_TRUE(r3.terminated);
  EXPECT_FALSE(r3.truncated);
  ASSERT_EQ(env->fills().size(), 1u);
  EXPECT_EQ(env->fills()[0].price, core::Price::FromCents(47));
  EXPECT_EQ(r3.info.cash, Dollars("99.74"));
  EXPECT_EQ(r3.info.position, core::Count());
  EXPECT_EQ(r3.info.reward, Dollars("-0.18"));
  // P&L = (0.47 - 0.46) x 10 - 0.36 fees = -0.26 = -0.28 + 0.20 - 0.18.
  EXPECT_EQ(r3.info.pnl, Dollars("-0.26"));
  EXPECT_EQ(r3.info.fees, Dollars("0.36"));
  EXPECT_EQ(r3.info.trades, 2);
  EXPECT_EQ(r3.info.action_counts, (std::array<int64_t, 5>{1, 1, 1, 0, 0}));
  EXPECT_FALSE(env->active());

  const EpisodeInfo e = env->episode_info();
  EXPECT_EQ(e.length, 3);
  EXPECT_EQ(e.pnl_micros, -260'000);
  EXPECT_EQ(e.fees_micros, 360'000);
  EXPECT_EQ(e.trades, 2);
  EXPECT_EQ(e.final_position, 0);
  EXPECT_FALSE(e.truncated);
  EXPECT_TRUE(e.terminal_observation.empty());
  EXPECT_NEAR(e.total_reward, -0.26, 1e-6);
}

TEST(ReplayEnv, LatencyDelaysTheFillToTheFirstBookEventAfterArrival) {
  EnvConfig config;
  config.latency_ns = 1'500'000'000;  // decided at 1.000 s, arrives at the 3.000 s event
  auto env = MakeEnv(MakeData({{1, HandMarket()}}), config);
  env->Reset(1);
  const StepResult& r1 = env->Step(kBuyYes);
  EXPECT_EQ(r1.info.trades, 0);  // in flight during P1 (2.000 s)
  EXPECT_EQ(r1.info.reward, core::Money());
  // At 3.000 s the first P2 update removed the NO 0.54 level: the bid @0.46 finds the NO
  // bid 0.53 (YES ask 0.47) above its limit and rests instead (nothing at 0.46 or better).
  const StepResult& r2 = env->Step(kHold);
  EXPECT_EQ(r2.info.trades, 0);
  ASSERT_EQ(env->sim().orders().size(), 1u);
  EXPECT_EQ(env->sim().orders()[0].state, sim::OrderState::kResting);
  EXPECT_EQ(env->sim().orders()[0].price, core::Price::FromCents(46));
}

TEST(ReplayEnv, SettlesAtAKnownResultWhenAsked) {
  SessionData data =
      SessionData::FromUpdates(
          {{1, {Snap("KXS", 1000, {{45, 100}}, {{54, 100}}), Delta("KXS", 2000, kYes, 45, 1)}}})
          .value();
  ASSERT_TRUE(data.SetMarketResult(1, "KXS", core::Price::OneDollar()).ok());
  auto shared = std::make_shared<const SessionData>(std::move(data));
  EnvConfig config;
  config.settle_known_results = true;
  auto env = MakeEnv(shared, config);
  env->Reset(1);
  // BUY_YES fills 10 @ 0.46 (cash 95.22 as above); YES wins: +$10 -> 105.22, reward +5.22.
  const StepResult& r = env->Step(kBuyYes);
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(r.info.settled);
  EXPECT_EQ(r.info.reward, Dollars("5.22"));
  EXPECT_EQ(r.info.pnl, Dollars("5.22"));
  EXPECT_EQ(r.info.position, core::Count::FromContracts(10));  // before settlement
  EXPECT_EQ(env->episode_info().final_position, 1000);
  EXPECT_EQ(env->sim().portfolio().position(), core::Count());

  // Without the setting the position stays marked at the last YES bid 0.45: 99.72.
  auto unsettled = MakeEnv(shared, EnvConfig{});
  unsettled->Reset(1);
  const StepResult& u = unsettled->Step(kBuyYes);
  EXPECT_FALSE(u.info.settled);
  EXPECT_EQ(u.info.pnl, Dollars("-0.28"));
}

TEST(ReplayEnv, TruncatesAtMaxEpisodeSteps) {
  EnvConfig config;
  config.max_episode_steps = 2;
  auto env = MakeEnv(MakeData({{1, WalkMarket("KXW", 6)}}), config);
  env->Reset(3);
  EXPECT_FALSE(env->Step(kHold).truncated);
  const StepResult& r = env->Step(kBuyYes);
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(env->active());
  const EpisodeInfo e = env->episode_info();
  EXPECT_TRUE(e.truncated);
  EXPECT_EQ(e.length, 2);
  EXPECT_EQ(e.final_position, 1000);
}

TEST(ReplayEnv, EpisodesSkipMarketsWithFewerThanTwoPoints) {
  std::vector<storage::ReplayUpdate> rows = WalkMarket("KXA", 3);
  rows.push_back(Snap("KXONE", 3000, {{45, 1}}, {{50, 1}}, 5));  // one point only
  auto data = MakeData({{1, rows}, {2, WalkMarket("KXB", 2)}});
  auto env = MakeEnv(data);
  ASSERT_EQ(env->episodes().size(), 2u);
  EXPECT_EQ(env->episodes()[0], (EpisodeRef{0, 0}));
  EXPECT_EQ(env->episodes()[1], (EpisodeRef{1, 0}));

  auto only_one = MakeData({{3, {Snap("KXONE", 3000, {{45, 1}}, {{50, 1}})}}});
  auto refused = ReplayEnv::Create(only_one, EnvConfig{});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("[3]"), std::string::npos);
}

TEST(ReplayEnv, RefusesPricesOffTheConfiguredGridAndBadConfigs) {
  auto data = MakeData({{4,
                         {Snap("KXSUB", 1000, {{45, 10}}, {{54, 10}}),
                          std::get<storage::DeltaRow>(Delta("KXSUB", 2000, kYes, 45, 1))}}});
  // Make the delta sub-cent: 0.4550.
  auto rows = std::vector<storage::ReplayUpdate>{Snap("KXSUB", 1000, {{45, 10}}, {{54, 10}})};
  storage::DeltaRow sub = std::get<storage::DeltaRow>(Delta("KXSUB", 2000, kYes, 45, 1));
  sub.price = core::Price::FromUnits(4550);
  rows.push_back(sub);
  auto sub_data = MakeData({{4, rows}});
  auto refused = ReplayEnv::Create(sub_data, EnvConfig{});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("session 4 market KXSUB: price 0.4550"),
            std::string::npos)
      << refused.error().message();
  EnvConfig fine;
  fine.price_grid = "centi_cent";
  EXPECT_TRUE(ReplayEnv::Create(sub_data, fine).ok());

  EnvConfig other_spec;
  other_spec.observation_spec = "ours-v2";
  auto bad = ReplayEnv::Create(data, other_spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("kalshiflow-v1"), std::string::npos);
}

TEST(ReplayEnv, RoundRobinVisitsEveryEpisodeInOrder) {
  auto data =
      MakeData({{1, WalkMarket("KXA", 3)}, {2, WalkMarket("KXB", 4)}, {3, WalkMarket("KXC", 2)}});
  EnvConfig config;
  config.episode_order = EpisodeOrder::kRoundRobin;
  auto env = MakeEnv(data, config);
  std::vector<std::size_t> seen;
  for (int k = 0; k < 6; ++k) {
    k == 0 ? env->Reset(99) : env->Reset();
    seen.push_back(env->episode_index());
  }
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
  env->Reset(5);  // a seed restarts the cursor
  EXPECT_EQ(env->episode_index(), 0u);
  EXPECT_EQ(env->session_id(), 1);
  EXPECT_EQ(env->market().ticker, "KXA");
}

TEST(ReplayEnv, RandomOrderDependsOnlyOnTheSeed) {
  auto data = MakeData({{1, WalkMarket("KXA", 3)},
                        {2, WalkMarket("KXB", 4)},
                        {3, WalkMarket("KXC", 2)},
                        {4, WalkMarket("KXD", 2)}});
  auto a = MakeEnv(data);
  auto b = MakeEnv(data);
  std::vector<std::size_t> sa, sb, sc;
  for (int k = 0; k < 40; ++k) {
    k == 0 ? a->Reset(7) : a->Reset();
    k == 0 ? b->Reset(7) : b->Reset();
    sa.push_back(a->episode_index());
    sb.push_back(b->episode_index());
  }
  EXPECT_EQ(sa, sb);
  EXPECT_EQ(std::set<std::size_t>(sa.begin(), sa.end()).size(), 4u);  // all get picked
  for (int k = 0; k < 40; ++k) {
    k == 0 ? a->Reset(8) : a->Reset();
    sc.push_back(a->episode_index());
  }
  EXPECT_NE(sa, sc);
}

// With a flat portfolio (HOLD) every observation equals what the live actor computes: an
// online TemporalTracker over all markets, the market's MarketHistory, BuildKalshiflowV1.
TEST(ReplayEnv, ObservationsEqualAnActorStyleBuild) {
  // Distinct ms across markets, so each session point holds one market (online == loader).
  std::vector<storage::ReplayUpdate> rows = WalkMarket("KXA", 14, 1000);
  for (auto& r : WalkMarket("KXB", 14, 1400)) rows.push_back(r);
  std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
    return storage::UpdateLocalTs(x) < storage::UpdateLocalTs(y);
  });
  EnvConfig config;
  config.utc_offset_minutes = -300;
  auto env = MakeEnv(MakeData({{1, rows}}), config);
  ASSERT_EQ(env->episodes().size(), 2u);

  for (std::size_t episode = 0; episode < 2; ++episode) {
    const std::string ticker = episode == 0 ? "KXA" : "KXB";
    // Expected: replay the whole session actor-style, building at the end of each of the
    // view's points.
    features::TemporalTracker tracker;
    std::map<std::string, book::OrderBook> books;
    features::MarketHistory history;
    std::vector<std::vector<float>> expected;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& row = rows[i];
      const bool snap = std::holds_alternative<storage::SnapshotRow>(row);
      const std::string& t = snap ? std::get<storage::SnapshotRow>(row).market_ticker
                                  : std::get<storage::DeltaRow>(row).market_ticker;
      book::OrderBook& b = books.try_emplace(t, t).first->second;
      if (snap) {
        const auto& s = std::get<storage::SnapshotRow>(row);
        ASSERT_FALSE(b.ApplySnapshot(s.yes_bids, s.no_bids).has_value());
      } else {
        const auto& d = std::get<storage::DeltaRow>(row);
        ASSERT_TRUE(b.ApplyDelta(d.side, d.price, d.delta).ok());
      }
      const int64_t ms = storage::UpdateLocalTs(row).millis();
      const features::TemporalInputs temporal = tracker.Observe(tracker.MarketIndex(t), ms, b);
      const bool point_ends =
          i + 1 == rows.size() || storage::UpdateLocalTs(rows[i + 1]).millis() != ms;
      if (t != ticker || !point_ends) continue;
      features::ObservationInputs in;
      in.book = &b;
      in.history = &history;
      in.current = features::MakeObservationPoint(ms, temporal, b);
      in.portfolio.cash = config.initial_cash;
      in.portfolio.portfolio_value = config.initial_cash;
      std::vector<float> obs(52);
      features::BuildKalshiflowV1(in, obs, {-300});
      history.Push(in.current);
      expected.push_back(obs);
    }
    ASSERT_EQ(expected.size(), 14u);
    std::vector<std::vector<float>> got;
    std::span<const float> o = env->ResetTo(episode);
    got.emplace_back(o.begin(), o.end());
    while (env->active()) {
      const StepResult& r = env->Step(kHold);
      got.emplace_back(r.observation.begin(), r.observation.end());
    }
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(std::memcmp(got[k].data(), expected[k].data(), 52 * sizeof(float)), 0)
          << ticker << " point " << k;
    }
  }
}

// Runs `episodes` episodes with a seeded random policy, recording everything.
struct Trajectory {
  std::vector<float> observations;
  std::vector<float> rewards;
  std::vector<StepInfo> infos;
  std::vector<uint8_t> flags;
};
Trajectory RunEpisodes(ReplayEnv& env, uint64_t seed, int episodes) {
  Trajectory t;
  Policy policy = UniformRandomPolicy(seed + 1);
  for (int e = 0; e < episodes; ++e) {
    std::span<const float> obs = e == 0 ? env.Reset(seed) : env.Reset();
    t.observations.insert(t.observations.end(), obs.begin(), obs.end());
    while (env.active()) {
      const StepResult& r = env.Step(policy(obs, env.book()));
      obs = r.observation;
      t.observations.insert(t.observations.end(), obs.begin(), obs.end());
      t.rewards.push_back(r.reward);
      t.infos.push_back(r.info);
      t.flags.push_back(static_cast<uint8_t>(r.terminated * 2 + r.truncated));
    }
  }
  return t;
}

bool BitwiseEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(ReplayEnv, SameDataAndSeedGiveBitIdenticalTrajectories) {
  SyntheticMarketOptions options;
  options.markets = 3;
  options.points = 150;
  auto data = std::make_shared<const SessionData>(SyntheticSessionData(options, 2).value());
  EnvConfig config;
  config.max_episode_steps = 100;
  config.latency_ns = 300'000'000;
  config.price_strategy = sim::PriceStrategy::kPassive;  // resting orders and queues too
  auto a = MakeEnv(data, config);
  auto b = MakeEnv(data, config);
  const Trajectory ta = RunEpisodes(*a, 11, 8);
  const Trajectory tb = RunEpisodes(*b, 11, 8);
  EXPECT_TRUE(BitwiseEqual(ta.observations, tb.observations));
  EXPECT_TRUE(BitwiseEqual(ta.rewards, tb.rewards));
  EXPECT_EQ(ta.infos, tb.infos);
  EXPECT_EQ(ta.flags, tb.flags);
  int64_t trades = 0;
  for (const StepInfo& i : ta.infos) trades += i.step_trades;
  EXPECT_GT(trades, 0);
  // Another seed gives another trajectory.
  auto c = MakeEnv(data, config);
  EXPECT_FALSE(BitwiseEqual(RunEpisodes(*c, 12, 8).rewards, ta.rewards));
}

// The exact rewards of an episode sum to its P&L (net of fees) to the micro-dollar; the float
// rewards the learner sees sum to it within float rounding.
TEST(ReplayEnv, RewardsSumToTheEpisodePnl) {
  SyntheticMarketOptions options;
  options.markets = 2;
  options.points = 300;
  auto data = std::make_shared<const SessionData>(SyntheticSessionData(options, 2).value());
  for (sim::PriceStrategy strategy :
       {sim::PriceStrategy::kAggressive, sim::PriceStrategy::kPassive, sim::PriceStrategy::kMid}) {
    EnvConfig config;
    config.price_strategy = strategy;
    config.episode_order = EpisodeOrder::kRoundRobin;
    auto env = MakeEnv(data, config);
    Policy policy = UniformRandomPolicy(5);
    for (std::size_t e = 0; e < env->episodes().size(); ++e) {
      std::span<const float> obs = env->ResetTo(e);
      core::Money sum;
      double float_sum = 0.0;
      int64_t fees_from_fills = 0;
      const StepResult* r = nullptr;
      while (env->active()) {
        r = &env->Step(policy(obs, env->book()));
        obs = r->observation;
        sum += r->info.reward;
        float_sum += r->reward;
        for (const sim::Fill& f : env->fills()) fees_from_fills += f.fee.net_fee.units();
      }
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(sum, r->info.pnl);
      EXPECT_EQ(r->info.pnl, r->info.marked_value - config.initial_cash);
      EXPECT_EQ(fees_from_fills, r->info.fees.units());
      EXPECT_GT(r->info.trades, 0);
      const EpisodeInfo info = env->episode_info();
      EXPECT_EQ(info.pnl_micros, sum.units());
      EXPECT_DOUBLE_EQ(info.total_reward, float_sum);
      // Float rewards: each within half a float ulp (~6e-8 relative); a few hundred steps of
      // rewards below $10 stay far below 1e-4.
      EXPECT_NEAR(float_sum, static_cast<double>(sum.units()) / 1e6, 1e-4);
    }
  }
}

TEST(ReplayEnvDeathTest, StepWithoutResetOrBadActionIsAProgrammerError) {
  auto env = MakeEnv(MakeData({{1, HandMarket()}}));
  EXPECT_DEATH(env->Step(kHold), "without an active episode");
  env->Reset(1);
  EXPECT_DEATH(env->Step(5), "action 5");
}

}  // namespace
}  // namespace kalshiflow::env
