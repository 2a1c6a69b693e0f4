// Loading sessions from a real SQLite store (written through storage::Store::WriteBatch)
// gives exactly the in-memory build of the same rows, and the same trajectories.
#include <gtest/gtest.h>

#include <cstring>

#include "env/replay_env.h"
#include "env/synthetic.h"
#include "env/tests/env_test_util.h"
#include "env/vector_replay_env.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::env {
namespace {

using storage::testing::NewSessionOrDie;
using storage::testing::OpenOrDie;
using storage::testing::TempDir;

std::vector<storage::Row> ToRows(const std::vector<storage::ReplayUpdate>& updates) {
  std::vector<storage::Row> rows;
  for (const auto& u : updates) {
    std::visit([&](const auto& r) { rows.emplace_back(r); }, u);
  }
  return rows;
}

void ExpectSameData(const SessionData& a, const SessionData& b) {
  ASSERT_EQ(a.sessions().size(), b.sessions().size());
  for (std::size_t s = 0; s < a.sessions().size(); ++s) {
    const SessionReplay &x = a.sessions()[s], &y = b.sessions()[s];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.stats.accepted, y.stats.accepted);
    EXPECT_EQ(x.stats.session_points, y.stats.session_points);
    ASSERT_EQ(x.markets.size(), y.markets.size());
    for (std::size_t m = 0; m < x.markets.size(); ++m) {
      EXPECT_EQ(x.markets[m].ticker, y.markets[m].ticker);
      EXPECT_EQ(x.markets[m].updates, y.markets[m].updates);
      EXPECT_EQ(x.markets[m].levels, y.markets[m].levels);
      EXPECT_EQ(x.markets[m].points, y.markets[m].points);  // incl. temporal inputs (exact)
    }
  }
}

class StoreLoadTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<storage::SqliteStore> store_ = OpenOrDie(dir_.File("kf.db"));
};

TEST_F(StoreLoadTest, StoredSessionsEqualTheInMemoryPath) {
  SyntheticMarketOptions options;
  options.markets = 3;
  options.points = 300;
  std::vector<storage::SessionId> ids;
  std::vector<SessionData::SessionInput> inputs;
  for (int k = 0; k < 2; ++k) {
    const storage::SessionId id = NewSessionOrDie(*store_);
    options.seed = 40 + static_cast<uint64_t>(k);
    options.deltas = k == 0;  // one session of deltas, one of snapshots only
    std::vector<storage::ReplayUpdate> updates = SyntheticSessionUpdates(id, options);
    ASSERT_TRUE(store_->WriteBatch(ToRows(updates)).ok());
    ids.push_back(id);
    inputs.push_back({id, std::move(updates)});
  }
  auto loaded = SessionData::Load(*store_, ids);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  auto memory = SessionData::FromUpdates(std::move(inputs));
  ASSERT_TRUE(memory.ok());
  ExpectSameData(*loaded, *memory);
  EXPECT_GT(loaded->total_points(), 1500);

  // Same trajectories from both (a trading policy, random episode order).
  auto from_store = std::make_shared<const SessionData>(std::move(loaded).value());
  auto from_memory = std::make_shared<const SessionData>(std::move(memory).value());
  auto a = VectorReplayEnv::Create(from_store, EnvConfig{}, 3).value();
  auto b = VectorReplayEnv::Create(from_memory, EnvConfig{}, 3).value();
  std::vector<float> oa(3 * 52), ob(3 * 52), ra(3), rb(3);
  std::vector<uint8_t> ta(3), tb(3), ua(3), ub(3);
  std::vector<EpisodeInfo> fa, fb;
  a->Reset(5, oa);
  b->Reset(5, ob);
  core::Rng rng(6);
  std::vector<int32_t> actions(3);
  for (int step = 0; step < 400; ++step) {
    for (auto& act : actions) act = static_cast<int32_t>(rng.UniformInt(0, 4));
    a->Step(actions, oa, ra, ta, ua, &fa);
    b->Step(actions, ob, rb, tb, ub, &fb);
    ASSERT_EQ(std::memcmp(oa.data(), ob.data(), oa.size() * sizeof(float)), 0) << step;
    ASSERT_EQ(ra, rb) << step;
  }
  ASSERT_EQ(fa.size(), fb.size());
}

TEST_F(StoreLoadTest, HandMarketRoundTrip) {
  const storage::SessionId id = NewSessionOrDie(*store_);
  std::vector<storage::ReplayUpdate> rows = testing::HandMarket();
  testing::Sequence(rows, id);
  ASSERT_TRUE(store_->WriteBatch(ToRows(rows)).ok());
  const storage::SessionId ids[] = {id};
  auto loaded = SessionData::Load(*store_, ids);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  auto memory = SessionData::FromUpdates({{id, rows}});
  ExpectSameData(*loaded, *memory);
}

TEST_F(StoreLoadTest, ErrorsNameTheSession) {
  const storage::SessionId empty = NewSessionOrDie(*store_);
  const storage::SessionId ids[] = {empty};
  auto none = SessionData::Load(*store_, ids);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      none.error().message().find(fmt::format("session {} has no snapshot or delta rows", empty)),
      std::string::npos)
      << none.error().message();

  const storage::SessionId unknown[] = {empty + 100};
  auto missing = SessionData::Load(*store_, unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::StatusCode::kNotFound);

  EXPECT_EQ(SessionData::Load(*store_, {}).error().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(StoreLoadTest, MakeVectorReplayEnvFromAStore) {
  const storage::SessionId id = NewSessionOrDie(*store_);
  SyntheticMarketOptions options;
  options.points = 50;
  ASSERT_TRUE(store_->WriteBatch(ToRows(SyntheticSessionUpdates(id, options))).ok());
  const storage::SessionId ids[] = {id};
  EnvConfig config;
  config.max_episode_steps = 10;
  auto env = MakeVectorReplayEnv(*store_, ids, config, 2);
  ASSERT_TRUE(env.ok()) << env.error().ToString();
  EXPECT_EQ((*env)->num_envs(), 2);
  EXPECT_EQ((*env)->env(0).episodes().size(), 1u);
  std::vector<float> obs(2 * 52);
  (*env)->Reset(1, obs);
  EXPECT_EQ((*env)->env(1).session_id(), id);

  EnvConfig bad;
  bad.observation_spec = "other";
  EXPECT_EQ(MakeVectorReplayEnv(*store_, ids, bad, 2).error().code(),
            core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kalshiflow::env
