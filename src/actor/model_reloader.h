// Hot reload of the actor's model (DESIGN §7 "Hot reload"): a background thread polls a model
// source (e.g. the registry's deployed version of a model name), and when it names a different
// model loads that checkpoint off the hot path and swaps it into the ActorService atomically.
// A decision in flight keeps the model it started with; no trigger is dropped. A model that
// fails to load (missing or corrupt file, another observation spec) is reported and the
// current model stays; the same reference is not retried until the source names another one.
//
// Threading: Start/Stop from the owner; the poll thread calls `source` and the loader; stats()
// from any thread. Time: the poll interval is wall time (std::condition_variable wait).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "actor/actor_service.h"
#include "core/status.h"

namespace kalshiflow::actor {

/// What the source says the actor should run.
struct ModelReference {
  int64_t model_id = 0;
  std::string checkpoint_path;
  std::string label;  // e.g. "demo-ppo v3"
  friend bool operator==(const ModelReference&, const ModelReference&) = default;
};

/// nullopt: nothing to run (keep the current model); an error: the source failed this time.
using ModelSource = std::function<core::Result<std::optional<ModelReference>>()>;

struct ModelReloaderStats {
  int64_t polls = 0;
  int64_t swaps = 0;
  int64_t load_errors = 0;
  int64_t source_errors = 0;
  int64_t current_model_id = 0;
  std::string last_error;
};

class ModelReloader {
 public:
  /// `service` must outlive the reloader. `poll_interval` > 0 (DESIGN: a new checkpoint is
  /// live within 30 s; the default 5 s poll leaves room for the load).
  ModelReloader(ActorService& service, ModelSource source,
                std::chrono::milliseconds poll_interval = std::chrono::seconds(5));
  ~ModelReloader();  // Stop()
  ModelReloader(const ModelReloader&) = delete;
  ModelReloader& operator=(const ModelReloader&) = delete;

  /// One poll on the calling thread (also what the thread does every interval). Returns true
  /// when it swapped a model in.
  bool PollOnce();
  void Start();
  void Stop();
  ModelReloaderStats stats() const;

 private:
  ActorService& service_;
  ModelSource source_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
  std::optional<ModelReference> current_;  // guarded by mu_: the reference last swapped in
  std::optional<ModelReference> failed_;   // guarded by mu_: the reference that last failed
  ModelReloaderStats stats_;               // guarded by mu_
};

}  // namespace kalshiflow::actor
