// Timestamps and clocks. Nothing outside core reads the wall clock: components take a
// `const Clock&` so that replay and tests control time (DESIGN §3 "Time").
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kalshiflow::core {

/// A point in time: nanoseconds since the Unix epoch (UTC). Value type.
class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp FromNanos(int64_t ns) { return Timestamp(ns); }
  static constexpr Timestamp FromMicros(int64_t us) { return Timestamp(us * 1'000); }
  static constexpr Timestamp FromMillis(int64_t ms) { return Timestamp(ms * 1'000'000); }
  static constexpr Timestamp FromSeconds(int64_t s) { return Timestamp(s * 1'000'000'000); }

  constexpr int64_t nanos() const { return ns_; }
  constexpr int64_t micros() const { return ns_ / 1'000; }  // truncates toward zero
  constexpr int64_t millis() const { return ns_ / 1'000'000; }
  constexpr int64_t seconds() const { return ns_ / 1'000'000'000; }

  /// Parses ISO 8601 / RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|±HH:MM]" (a space may stand
  /// for 'T'). Without a zone designator the time is taken as UTC plus `default_offset_minutes`
  /// (e.g. -300 for a local time written in US Eastern standard time). Returns InvalidArgument
  /// naming the text on any malformed or out-of-range field (years outside 1678..2261, which
  /// int64 nanoseconds cannot hold, are out of range).
  static Result<Timestamp> ParseIso8601(std::string_view text, int default_offset_minutes = 0);
  /// "2025-12-04T12:27:16.079996000Z" (always 9 fractional digits, UTC).
  std::string ToIso8601() const;

  friend constexpr auto operator<=>(Timestamp, Timestamp) = default;

 private:
  explicit constexpr Timestamp(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

/// Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

/// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Current wall-clock time (UTC).
  virtual Timestamp Now() const = 0;
};

/// The real system clock; the only place in the code base that reads it.
class RealClock final : public Clock {
 public:
  Timestamp Now() const override;
  /// A process-wide instance.
  static const RealClock& Instance();
};

/// A clock that moves only when told to (replay, tests). Thread-safe (atomic).
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Timestamp start = Timestamp()) : ns_(start.nanos()) {}
  Timestamp Now() const override {
    return Timestamp::FromNanos(ns_.load(std::memory_order_acquire));
  }
  void Set(Timestamp t) { ns_.store(t.nanos(), std::memory_order_release); }
  void AdvanceNanos(int64_t delta_ns) { ns_.fetch_add(delta_ns, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> ns_;
};

}  // namespace kalshiflow::core
