#include "actor/model_reloader.h"

#include "core/check.h"

namespace kalshiflow::actor {

ModelReloader::ModelReloader(ActorService& service, ModelSource source,
                             std::chrono::milliseconds poll_interval)
    : service_(service), source_(std::move(source)), interval_(poll_interval) {
  KF_CHECK(source_ != nullptr, "ModelReloader without a source");
  KF_CHECK(interval_.count() > 0, "ModelReloader poll interval must be > 0");
}

ModelReloader::~ModelReloader() { Stop(); }

bool ModelReloader::PollOnce() {
  auto wanted = source_();
  std::unique_lock lock(mu_);
  ++stats_.polls;
  if (!wanted.ok()) {
    ++stats_.source_errors;
    stats_.last_error = wanted.error().ToString();
    return false;
  }
  if (!wanted->has_value() || **wanted == current_ || **wanted == failed_) return false;
  const ModelReference ref = **wanted;
  lock.unlock();
  // Off the hot path: parse and validate the checkpoint here; the service only swaps a pointer.
  auto model = ActorModel::Load(ref.checkpoint_path, service_.config().observation_spec,
                                /*observation_size=*/52, ref.model_id, ref.label);
  lock.lock();
  if (!model.ok()) {
    ++stats_.load_errors;
    stats_.last_error = model.error().ToString();
    failed_ = ref;
    return false;
  }
  service_.SwapModel(std::move(model).value());
  current_ = ref;
  failed_.reset();
  ++stats_.swaps;
  stats_.current_model_id = ref.model_id;
  return true;
}

void ModelReloader::Start() {
  KF_CHECK(!thread_.joinable(), "ModelReloader::Start twice");
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    while (true) {
      PollOnce();
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, interval_, [this] { return stop_; })) return;
    }
  });
}

void ModelReloader::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

ModelReloaderStats ModelReloader::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace kalshiflow::actor
