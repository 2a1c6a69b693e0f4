#include "net/token_bucket.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

namespace kalshiflow::net {

core::Result<TokenBucket> TokenBucket::Create(TokenBucketOptions options,
                                              const core::Clock* clock) {
  if (options.refill_per_second <= 0) {
    return core::InvalidArgumentError("token bucket: refill_per_second must be > 0, got " +
                                      std::to_string(options.refill_per_second));
  }
  if (options.capacity <= 0) {
    return core::InvalidArgumentError("token bucket: capacity must be > 0, got " +
                                      std::to_string(options.capacity));
  }
  if (clock == nullptr) clock = &core::RealClock::Instance();
  return TokenBucket(options, clock);
}

TokenBucket::TokenBucket(TokenBucketOptions options, const core::Clock* clock)
    : options_(options),
      clock_(clock),
      tokens_(static_cast<double>(options.capacity)),
      last_(clock->Now()) {}

TokenBucket::TokenBucket(TokenBucket&& other) noexcept
    : options_(other.options_), clock_(other.clock_) {
  std::lock_guard lock(other.mutex_);
  tokens_ = other.tokens_;
  last_ = other.last_;
}

TokenBucket& TokenBucket::operator=(TokenBucket&& other) noexcept {
  if (this == &other) return *this;
  std::scoped_lock lock(mutex_, other.mutex_);
  options_ = other.options_;
  clock_ = other.clock_;
  tokens_ = other.tokens_;
  last_ = other.last_;
  return *this;
}

void TokenBucket::Refill(core::Timestamp now) {
  // A clock that steps backwards refills nothing and does not move `last_` back (so the
  // same interval is never credited twice).
  if (now <= last_) return;
  const double elapsed_s = static_cast<double>(now.nanos() - last_.nanos()) * 1e-9;
  tokens_ = std::min(static_cast<double>(options_.capacity),
                     tokens_ + elapsed_s * static_cast<double>(options_.refill_per_second));
  last_ = now;
}

std::chrono::nanoseconds TokenBucket::Reserve(int64_t cost) {
  KF_CHECK(cost >= 0 && cost <= options_.capacity,
           "TokenBucket::Reserve: cost {} outside [0, capacity {}]", cost, options_.capacity);
  std::lock_guard lock(mutex_);
  Refill(clock_->Now());
  tokens_ -= static_cast<double>(cost);
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  // Time until the deficit is refilled, rounded up to a whole nanosecond.
  const double wait_ns =
      std::ceil(-tokens_ * 1e9 / static_cast<double>(options_.refill_per_second));
  return std::chrono::nanoseconds(static_cast<int64_t>(wait_ns));
}

bool TokenBucket::TryTake(int64_t cost) {
  std::lock_guard lock(mutex_);
  Refill(clock_->Now());
  if (cost < 0 || tokens_ < static_cast<double>(cost)) return false;
  tokens_ -= static_cast<double>(cost);
  return true;
}

double TokenBucket::Available() {
  std::lock_guard lock(mutex_);
  Refill(clock_->Now());
  return tokens_;
}

core::Result<RateBudget> RateBudgetForTier(std::string_view tier) {
  struct Row {
    std::string_view name;
    int64_t read_per_s;
    int64_t write_per_s;
    int64_t read_seconds;  // bucket capacity in seconds of budget
    int64_t write_seconds;
  };
  // PROTOCOL.md §4.9: write buckets above Basic and the Basic/Advanced read buckets hold 2 s;
  // Basic write and read above Advanced hold 1 s.
  static constexpr std::array<Row, 7> kRows = {{
      {"basic", 200, 100, 2, 1},
      {"advanced", 300, 300, 2, 2},
      {"expert", 600, 600, 1, 2},
      {"premier", 1000, 1000, 1, 2},
      {"paragon", 2000, 2000, 1, 2},
      {"prime", 4000, 4000, 1, 2},
      {"prestige", 10000, 8000, 1, 2},
  }};
  std::string lower(tier);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Row& row : kRows) {
    if (row.name == lower) {
      RateBudget budget;
      budget.read = {row.read_per_s, row.read_per_s * row.read_seconds};
      budget.write = {row.write_per_s, row.write_per_s * row.write_seconds};
      return budget;
    }
  }
  return core::InvalidArgumentError("unknown Kalshi access tier '" + std::string(tier) +
                                    "' (expected basic, advanced, expert, premier, paragon, "
                                    "prime or prestige)");
}

}  // namespace kalshiflow::net
