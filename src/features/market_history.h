// One data point of a market view as the temporal features see it, and the short history of
// previous points (`hist` in the spec) that features 25-34 read.
//
// Source: ../shared/spec/observation-kalshiflow-v1.md, "Inputs" (hist = up to 10 previous data
// points of the same market view, excluding the current point) and "Temporal features 21-34".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "book/order_book.h"
#include "core/check.h"
#include "features/book_stats.h"
#include "features/temporal_tracker.h"

namespace kalshiflow::features {

/// One data point of a market view: when it happened, its session temporal inputs (from the
/// TemporalTracker), and the market's YES mid in cents at that point (absent when either YES
/// side is missing). Value type.
struct ObservationPoint {
  int64_t ts_ms = 0;  // the point's timestamp, ms since the Unix epoch (UTC)
  TemporalInputs temporal;
  std::optional<double> yes_mid_cents;
};

/// The point for `book` at `ts_ms` with the tracker's values for it. No allocation.
inline ObservationPoint MakeObservationPoint(int64_t ts_ms, const TemporalInputs& temporal,
                                             const book::OrderBook& book) {
  return ObservationPoint{ts_ms, temporal, SummarizeBook(book).yes_mid_cents()};
}

/// The last (up to) kCapacity points of one market view, oldest first. A fixed ring: Push never
/// allocates. The caller pushes the current point *after* building its observation, so the
/// history excludes the current point as the spec requires. Thread-compatible value type.
class MarketHistory {
 public:
  static constexpr std::size_t kCapacity = 10;

  /// Appends `point`, dropping the oldest when full.
  void Push(const ObservationPoint& point) {
    if (size_ < kCapacity) {
      ring_[(start_ + size_) % kCapacity] = point;
      ++size_;
    } else {
      ring_[start_] = point;
      start_ = (start_ + 1) % kCapacity;
    }
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// i = 0 is the oldest kept point, size() - 1 the newest. Checked.
  const ObservationPoint& operator[](std::size_t i) const {
    KF_CHECK(i < size_, "MarketHistory index {} out of range ({})", i, size_);
    return ring_[(start_ + i) % kCapacity];
  }
  /// The newest point (hist[-1]). Checked non-empty.
  const ObservationPoint& back() const { return (*this)[size_ - 1]; }
  void Clear() {
    start_ = 0;
    size_ = 0;
  }

 private:
  std::array<ObservationPoint, kCapacity> ring_{};
  std::size_t start_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kalshiflow::features
