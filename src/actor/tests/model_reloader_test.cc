// Hot reload: real checkpoint files on disk, a source that names one of them (as the registry's
// deployed version would), swaps off the hot path, a corrupt file refused with the old model
// kept, and swaps while the pipeline thread decides under load without losing a decision.
#include "actor/model_reloader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "policy/checkpoint.h"
#include "sim/tests/test_util.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::actor {
namespace {

namespace fs = std::filesystem;

// A checkpoint whose policy always picks `action` (52 -> 5, the logits are the bias).
std::string WriteConstantCheckpoint(const fs::path& dir, int action) {
  policy::DenseLayer head{52, 5, std::vector<float>(52 * 5, 0.0f), std::vector<float>(5, 0.0f)};
  head.bias[static_cast<size_t>(action)] = 5.0f;
  policy::DenseLayer value{52, 1, std::vector<float>(52, 0.0f), {0.0f}};
  auto p = policy::MlpPolicy::Create({}, {}, head, value, policy::Activation::kTanh);
  EXPECT_TRUE(p.ok());
  policy::CheckpointMetadata meta;
  meta.observation_spec = "kalshiflow-v1";
  meta.observation_size = 52;
  meta.action_space = "discrete-5";
  meta.algorithm = "PPO";
  const std::string path = (dir / ("model-" + std::to_string(action) + ".kfpolicy")).string();
  EXPECT_TRUE(policy::SaveCheckpoint(path, policy::MakeCheckpoint(*p, meta)).ok());
  return path;
}

class RecordingSink final : public ActorEventSink {
 public:
  void OnDecision(const ActorEvent& e) override {
    std::lock_guard lock(mu);
    model_ids.insert(e.model_id);
    ++decisions;
  }
  std::mutex mu;
  std::set<int64_t> model_ids;
  int64_t decisions = 0;
};

class ModelReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kf_reload_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    ActorConfig config;
    config.selector = SelectorKind::kRlModel;
    risk::RiskConfig r;
    r.throttle_ns = 0;
    risk_ = std::make_unique<risk::RiskManager>(r, clock_);
    service_ = std::move(ActorService::Create(config, orders_, *risk_, clock_, &sink_)).value();
  }
  void TearDown() override { fs::remove_all(dir_); }
  ModelSource Source() {
    return [this]() -> core::Result<std::optional<ModelReference>> {
      std::lock_guard lock(mu_);
      return wanted_;
    };
  }
  void Want(std::optional<ModelReference> ref) {
    std::lock_guard lock(mu_);
    wanted_ = std::move(ref);
  }

  fs::path dir_;
  core::SimulatedClock clock_{core::Timestamp::FromNanos(1'767'225'600'000'000'000)};
  trading::PaperOrderManager orders_;
  std::unique_ptr<risk::RiskManager> risk_;
  RecordingSink sink_;
  std::unique_ptr<ActorService> service_;
  std::mutex mu_;
  std::optional<ModelReference> wanted_;
};

TEST_F(ModelReloaderTest, SwapsWhenTheSourceNamesAnotherModelAndKeepsTheOldOneOnABadFile) {
  const std::string hold = WriteConstantCheckpoint(dir_, 0);
  const std::string buy = WriteConstantCheckpoint(dir_, 1);
  const std::string corrupt = (dir_ / "corrupt.kfpolicy").string();
  std::ofstream(corrupt) << "KFPOLICY but not really a checkpoint";
  ModelReloader reloader(*service_, Source(), std::chrono::milliseconds(10));

  EXPECT_FALSE(reloader.PollOnce());  // nothing deployed yet
  EXPECT_EQ(service_->model(), nullptr);
  Want(ModelReference{7, hold, "m v1"});
  EXPECT_TRUE(reloader.PollOnce());
  ASSERT_NE(service_->model(), nullptr);
  EXPECT_EQ(service_->model()->model_id, 7);
  EXPECT_FALSE(reloader.PollOnce());  // same reference: no reload

  Want(ModelReference{8, corrupt, "m v2"});
  EXPECT_FALSE(reloader.PollOnce());
  EXPECT_FALSE(reloader.PollOnce());          // the failed reference is not retried every poll
  EXPECT_EQ(service_->model()->model_id, 7);  // the old model keeps running
  ModelReloaderStats s = reloader.stats();
  EXPECT_EQ(s.load_errors, 1);
  EXPECT_FALSE(s.last_error.empty());

  Want(ModelReference{9, buy, "m v3"});
  EXPECT_TRUE(reloader.PollOnce());
  EXPECT_EQ(service_->model()->model_id, 9);
  s = reloader.stats();
  EXPECT_EQ(s.swaps, 2);
  EXPECT_EQ(s.current_model_id, 9);
  EXPECT_EQ(s.polls, 6);  // none, v1, v1 again, v2 twice, v3
}

TEST_F(ModelReloaderTest, ReloadsUnderLoadWithoutLosingADecision) {
  const std::string a = WriteConstantCheckpoint(dir_, 0);
  const std::string b = WriteConstantCheckpoint(dir_, 0);  // same behaviour, another id
  Want(ModelReference{1, a, "a"});
  ModelReloader reloader(*service_, Source(), std::chrono::milliseconds(5));
  ASSERT_TRUE(reloader.PollOnce());
  std::vector<book::OrderBook> books;
  for (int k = 0; k < 4; ++k) {
    books.emplace_back("KXR" + std::to_string(k) + "-26JAN01-T1", book::PriceGrid::LinearCent());
    sim::testing::Snapshot(books.back(), {{"0.48", "500"}}, {{"0.50", "500"}});
  }
  service_->Start();
  reloader.Start();
  std::atomic<bool> done{false};
  std::thread feeder([&] {
    for (int i = 0; i < 3000; ++i) {
      book::OrderBook& book = books[static_cast<size_t>(i % 4)];
      const int64_t ms = 1'767'225'600'000 + i;
      service_->OnAcceptedUpdate(AcceptedUpdate{book.ticker(), i, ms, ms, &book});
      if (i % 32 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    done = true;
  });
  // Alternate the deployed model; each change must become the running model (liveness: the
  // wait is bounded generously, it is not a performance assertion).
  for (int round = 0; round < 6; ++round) {
    const int64_t id = 2 + round;
    Want(ModelReference{id, round % 2 == 0 ? b : a, "r" + std::to_string(round)});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (reloader.stats().current_model_id != id && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(reloader.stats().current_model_id, id);
  }
  feeder.join();
  service_->WaitIdle();
  reloader.Stop();
  service_->Stop();
  const ActorMetrics m = service_->metrics();
  EXPECT_EQ(m.updates_ingested, 3000);
  EXPECT_EQ(m.decisions, m.triggers_enqueued);  // every trigger decided
  EXPECT_EQ(m.errors, 0);
  EXPECT_EQ(reloader.stats().swaps, 7);
  std::lock_guard lock(sink_.mu);
  EXPECT_EQ(sink_.decisions, m.decisions);
  EXPECT_EQ(sink_.model_ids.count(0), 0u);  // every decision ran a model
}

}  // namespace
}  // namespace kalshiflow::actor
