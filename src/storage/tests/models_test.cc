// The model registry in SQLite: versions per name, filters, updates, promotion, bad input.
#include <gtest/gtest.h>

#include "storage/sqlite_store.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::storage {
namespace {

using core::StatusCode;
using core::Timestamp;
using testing::OpenOrDie;
using testing::TempDir;

NewModel Ppo(std::string name, int64_t created_ns) {
  NewModel m;
  m.name = std::move(name);
  m.algorithm = "ppo";
  m.observation_spec = "kalshiflow-v1";
  m.action_space = "discrete-5";
  m.hyperparameters_json = R"({"learning_rate":0.0003,"n_steps":2048})";
  m.training_config_json = R"({"sessions":[1,2],"seed":7})";
  m.created_at = Timestamp::FromNanos(created_ns);
  return m;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = OpenOrDie(dir_.File("kf.db"));
};

TEST_F(ModelRegistryTest, VersionsCountPerNameAndRoundTripEveryField) {
  auto a1 = store_->CreateModel(Ppo("alpha", 100));
  auto b1 = store_->CreateModel(Ppo("beta", 200));
  NewModel third = Ppo("alpha", 300);
  third.parent_model_id = a1->id;
  third.checkpoint_path = "/tmp/alpha-2.kfpolicy";
  third.timesteps = 4096;
  third.notes = "fine-tuned";
  third.status = ModelStatus::kReady;
  auto a2 = store_->CreateModel(third);
  ASSERT_TRUE(a1.ok() && b1.ok() && a2.ok()) << a2.error().ToString();
  EXPECT_EQ(a1->version, 1);
  EXPECT_EQ(b1->version, 1);
  EXPECT_EQ(a2->version, 2);
  EXPECT_EQ(a2->parent_model_id, a1->id);
  EXPECT_EQ(a2->checkpoint_path, "/tmp/alpha-2.kfpolicy");
  EXPECT_EQ(a2->timesteps, 4096);
  EXPECT_EQ(a2->notes, "fine-tuned");
  EXPECT_EQ(a2->status, ModelStatus::kReady);
  EXPECT_EQ(a2->hyperparameters_json, R"({"learning_rate":0.0003,"n_steps":2048})");
  EXPECT_EQ(a2->training_config_json, R"({"sessions":[1,2],"seed":7})");
  EXPECT_EQ(a2->created_at.nanos(), 300);
  EXPECT_EQ(a2->updated_at.nanos(), 300);

  auto latest = store_->FindLatestModel("alpha");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->id, a2->id);
  auto got = store_->GetModel(a1->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "alpha");
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->status, ModelStatus::kTraining);

  auto all = store_->ListModels({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, a2->id);  // newest first
  ModelFilter by_name;
  by_name.name = "alpha";
  EXPECT_EQ(store_->ListModels(by_name)->size(), 2u);
  ModelFilter ready;
  ready.status = ModelStatus::kReady;
  ASSERT_EQ(store_->ListModels(ready)->size(), 1u);
  ModelFilter one;
  one.limit = 1;
  EXPECT_EQ(store_->ListModels(one)->size(), 1u);
}

TEST_F(ModelRegistryTest, UpdateKeepsUnsetFieldsAndPromotionDemotesTheOtherDeployedVersion) {
  auto v1 = store_->CreateModel(Ppo("gamma", 1));
  auto v2 = store_->CreateModel(Ppo("gamma", 2));
  auto other = store_->CreateModel(Ppo("delta", 3));
  ASSERT_TRUE(v1.ok() && v2.ok() && other.ok());

  ModelUpdate done;
  done.status = ModelStatus::kReady;
  done.timesteps = 10'000;
  done.checkpoint_path = "/models/gamma-1.kfpolicy";
  done.performance_json = R"({"mean_reward":1.5})";
  done.updated_at = Timestamp::FromNanos(50);
  auto u = store_->UpdateModel(v1->id, done);
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ(u->status, ModelStatus::kReady);
  EXPECT_EQ(u->timesteps, 10'000);
  EXPECT_EQ(u->performance_json, R"({"mean_reward":1.5})");
  EXPECT_EQ(u->hyperparameters_json, v1->hyperparameters_json);  // untouched
  EXPECT_EQ(u->created_at.nanos(), 1);
  EXPECT_EQ(u->updated_at.nanos(), 50);

  ModelUpdate deploy;
  deploy.status = ModelStatus::kDeployed;
  deploy.updated_at = Timestamp::FromNanos(60);
  ASSERT_TRUE(store_->UpdateModel(v1->id, deploy).ok());
  ASSERT_TRUE(store_->UpdateModel(other->id, deploy).ok());
  deploy.updated_at = Timestamp::FromNanos(70);
  ASSERT_TRUE(store_->UpdateModel(v2->id, deploy).ok());
  EXPECT_EQ(store_->GetModel(v1->id)->status, ModelStatus::kReady);  // demoted
  EXPECT_EQ(store_->GetModel(v1->id)->updated_at.nanos(), 70);
  EXPECT_EQ(store_->GetModel(v2->id)->status, ModelStatus::kDeployed);
  EXPECT_EQ(store_->GetModel(other->id)->status, ModelStatus::kDeployed);  // other name kept
}

TEST_F(ModelRegistryTest, BadInputIsRefusedWithTheFieldNamed) {
  NewModel no_name = Ppo("", 1);
  auto r = store_->CreateModel(no_name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);

  NewModel bad_json = Ppo("x", 1);
  bad_json.hyperparameters_json = "[1,2]";
  r = store_->CreateModel(bad_json);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("hyperparameters"), std::string::npos);

  NewModel no_spec = Ppo("x", 1);
  no_spec.observation_spec.clear();
  EXPECT_EQ(store_->CreateModel(no_spec).error().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(store_->GetModel(999).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindLatestModel("nope").error().code(), StatusCode::kNotFound);
  ModelUpdate u;
  u.status = ModelStatus::kArchived;
  EXPECT_EQ(store_->UpdateModel(999, u).error().code(), StatusCode::kNotFound);
  auto ok = store_->CreateModel(Ppo("x", 1));
  ASSERT_TRUE(ok.ok());
  u.performance_json = "not json";
  EXPECT_EQ(store_->UpdateModel(ok->id, u).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetModel(ok->id)->status, ModelStatus::kTraining);  // nothing applied
  EXPECT_EQ(store_->ListModels({})->size(), 1u);                        // nothing half-written
}

TEST(ModelStatusNames, RoundTrip) {
  for (ModelStatus s : {ModelStatus::kTraining, ModelStatus::kReady, ModelStatus::kDeployed,
                        ModelStatus::kArchived}) {
    EXPECT_EQ(ParseModelStatus(ModelStatusName(s)), s);
  }
  EXPECT_FALSE(ParseModelStatus("Ready").has_value());
}

}  // namespace
}  // namespace kalshiflow::storage
