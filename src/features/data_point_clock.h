// The clock that times data points, shared by the training loader (env::SessionData) and the
// live actor (actor::LiveFeatures), so both group a session's updates into the same points.
//
// Rule (env/session_data.cc documents why): an update with Kalshi's `ts_ms` (> 0) takes it;
// one without (snapshots) takes its local receive time shifted by the session's exchange -
// local offset, measured at the first update that has both; the result is kept non-decreasing
// in arrival order. Updates that arrive before the first exchange time cannot be timed yet: the
// caller holds them (NeedsHold) and times them, in order, once Calibrate has seen one; a session
// that never carries an exchange time is timed on local receive time (offset 0).
//
// Threading: thread-compatible value type.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace kalshiflow::features {

class DataPointClock {
 public:
  /// An exchange time, when `exchange_ts_ms` holds one (> 0).
  static std::optional<int64_t> ExchangeTime(std::optional<int64_t> exchange_ts_ms) {
    return exchange_ts_ms && *exchange_ts_ms > 0 ? exchange_ts_ms : std::nullopt;
  }

  /// True while no exchange time has been seen and this update has none: hold it.
  bool NeedsHold(std::optional<int64_t> exchange_ts_ms) const {
    return !offset_ms_ && !ExchangeTime(exchange_ts_ms);
  }
  /// Sets the exchange - local offset from the first update with an exchange time (no-op
  /// afterwards or without one). Call before timing the held updates.
  void Calibrate(std::optional<int64_t> exchange_ts_ms, int64_t local_ms) {
    if (!offset_ms_ && ExchangeTime(exchange_ts_ms)) offset_ms_ = *exchange_ts_ms - local_ms;
  }
  bool calibrated() const { return offset_ms_.has_value(); }
  std::optional<int64_t> offset_ms() const { return offset_ms_; }

  /// The data-point time of the next update in arrival order (ms since the epoch).
  int64_t Assign(std::optional<int64_t> exchange_ts_ms, int64_t local_ms) {
    const std::optional<int64_t> exchange = ExchangeTime(exchange_ts_ms);
    int64_t ts = exchange ? *exchange : local_ms + offset_ms_.value_or(0);
    if (assigned_ > 0) ts = std::max(ts, last_ms_);
    last_ms_ = ts;
    ++assigned_;
    return ts;
  }
  int64_t assigned() const { return assigned_; }

 private:
  std::optional<int64_t> offset_ms_;
  int64_t last_ms_ = 0;
  int64_t assigned_ = 0;
};

}  // namespace kalshiflow::features
