// Observation specs and their registry: a spec id ("kalshiflow-v1", later our own layouts)
// names a fixed layout of float32 features and the builder that fills it. Models record the
// spec id they were trained with; nothing may run a model on another spec (DESIGN §5; spec
// file ../shared/spec/observation-kalshiflow-v1.md, introduction).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "book/order_book.h"
#include "core/status.h"
#include "features/market_history.h"
#include "features/portfolio.h"

namespace kalshiflow::features {

/// Everything a builder may read for one observation of one market view. Nothing is owned:
/// pointers and spans must stay valid for the Build call only.
struct ObservationInputs {
  /// The market's current book. nullptr = the data point has no book data for the market at
  /// all (the original's padding; a single-market view never needs it): market features then
  /// take the spec's constant defaults. A present but empty book uses the per-feature
  /// fallbacks instead.
  const book::OrderBook* book = nullptr;
  /// Previous points of this market view, oldest first, excluding `current`. nullptr = none.
  const MarketHistory* history = nullptr;
  /// The current point: its time, session temporal inputs and YES mid (MakeObservationPoint
  /// on the same book). Push this same value into the history after building.
  ObservationPoint current;
  PortfolioInput portfolio;
  WorkingOrderState orders;
  /// Past the end of the episode's data: the observation is all zeros.
  bool past_end_of_data = false;
};

/// One observation layout. Implementations are immutable after construction, so a spec may be
/// shared by any number of threads.
class ObservationSpec {
 public:
  virtual ~ObservationSpec() = default;
  /// The spec id, e.g. "kalshiflow-v1".
  virtual std::string_view id() const = 0;
  /// Number of float32 features.
  virtual std::size_t size() const = 0;
  /// size() feature names, in index order (static storage).
  virtual std::span<const std::string_view> feature_names() const = 0;
  /// Writes the observation for `inputs` into `out` (caller-owned; out.size() must equal
  /// size(), checked). Deterministic, no heap allocation, no clock reads.
  virtual void Build(const ObservationInputs& inputs, std::span<float> out) const = 0;
};

/// Spec id -> spec. Thread-compatible: Register from one thread during start-up; Find from any
/// number of threads afterwards.
class ObservationSpecRegistry {
 public:
  ObservationSpecRegistry() = default;
  ObservationSpecRegistry(ObservationSpecRegistry&&) = default;
  ObservationSpecRegistry& operator=(ObservationSpecRegistry&&) = default;

  /// A registry holding every built-in spec (today: kalshiflow-v1 with its default options).
  static ObservationSpecRegistry WithBuiltins();
  /// A process-wide immutable WithBuiltins() registry.
  static const ObservationSpecRegistry& Default();

  /// Adds `spec`. Errors: InvalidArgument (null spec, empty id, size 0, or feature_names()
  /// not of size()); AlreadyExists (the id is taken).
  core::Status Register(std::unique_ptr<ObservationSpec> spec);
  /// The spec with `id`, or NotFound naming the id and the known ids.
  core::Result<const ObservationSpec*> Find(std::string_view id) const;
  /// Registered ids in registration order.
  std::vector<std::string_view> ids() const;

 private:
  std::vector<std::unique_ptr<ObservationSpec>> specs_;
};

/// A model trained with `model_spec_id` may run only on `spec`: ok when the ids are equal,
/// else FailedPrecondition naming both (DESIGN §5).
core::Status CheckModelSpec(std::string_view model_spec_id, const ObservationSpec& spec);

}  // namespace kalshiflow::features
