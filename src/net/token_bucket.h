// TokenBucket: Kalshi's client-side rate budget (PROTOCOL.md §4.9): every request costs
// tokens (default 10), refill is continuous at `refill_per_second`, the bucket holds
// `capacity` tokens (1 s or 2 s of budget depending on the tier). Read and write requests use
// two independent buckets.
//
// Pure arithmetic on an injected clock: Reserve() never sleeps, it says how long the caller
// must wait. Thread-safe (internal mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace kalshiflow::net {

/// Kalshi's default cost of one request, in tokens.
inline constexpr int64_t kDefaultRequestCost = 10;

struct TokenBucketOptions {
  int64_t refill_per_second = 200;  // Basic read: 200 tokens/s (20 requests/s at cost 10)
  int64_t capacity = 400;           // Basic read holds 2 s
};

class TokenBucket {
 public:
  /// InvalidArgument unless refill_per_second > 0 and capacity > 0.
  /// `clock` nullptr = core::RealClock. The bucket starts full.
  static core::Result<TokenBucket> Create(TokenBucketOptions options, const core::Clock* clock);
  /// Movable (so it can travel in a Result); moving is not thread-safe with respect to
  /// concurrent use of the moved-from bucket.
  TokenBucket(TokenBucket&& other) noexcept;
  TokenBucket& operator=(TokenBucket&& other) noexcept;

  /// Takes `cost` tokens (cost <= capacity) and returns how long the caller must wait before
  /// sending (0 when the tokens were available). Tokens may go negative: callers that each
  /// wait their returned delay are served in order at exactly the refill rate.
  /// `cost` outside [0, capacity] is a programming error (KF_CHECK).
  std::chrono::nanoseconds Reserve(int64_t cost = kDefaultRequestCost);
  /// The server side of the same budget: takes `cost` tokens when that many are available now
  /// and returns true; otherwise takes nothing and returns false (the request is refused with
  /// 429). A cost above the capacity never passes.
  bool TryTake(int64_t cost = kDefaultRequestCost);
  const TokenBucketOptions& options() const { return options_; }
  /// Tokens available now (may be negative while reservations are outstanding).
  double Available();

 private:
  TokenBucket(TokenBucketOptions options, const core::Clock* clock);
  void Refill(core::Timestamp now);
  TokenBucketOptions options_;
  const core::Clock* clock_;
  std::mutex mutex_;
  double tokens_ = 0;
  core::Timestamp last_;
};

/// The read/write budgets of one Kalshi access tier (PROTOCOL.md §4.9 table).
/// Defaults: the Basic tier (read 200/s holding 2 s, write 100/s holding 1 s).
struct RateBudget {
  TokenBucketOptions read;
  TokenBucketOptions write{100, 100};
};
/// "basic", "advanced", "expert", "premier", "paragon", "prime", "prestige" → budgets with
/// the documented capacities; InvalidArgument naming the tier otherwise.
core::Result<RateBudget> RateBudgetForTier(std::string_view tier);

}  // namespace kalshiflow::net
