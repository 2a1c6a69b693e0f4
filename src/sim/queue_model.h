// Queue-position models for resting simulated orders: how much of a size decrease at an
// order's price level, not explained by public trades, happened ahead of the order.
//
// Source: DESIGN.md §5 ("a size decrease not explained by trades is split between ahead and
// behind by a queue model: risk_averse (never ahead) or power:n (share ahead =
// f(ahead)/(f(ahead)+f(behind)), f(x) = x^n ... default 3; applied as an expected value")),
// E. Rigtorp, "Estimating order queue position" (2013), and hftbacktest's ProbQueueModel with
// PowerProbQueueFunc (nkaz001/hftbacktest, src/backtest/models/queue.rs), whose `prob` is the
// complementary share behind: f(back) / (f(back) + f(front)).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/fixed_point.h"
#include "core/status.h"

namespace kalshiflow::sim {

enum class QueueModelKind : uint8_t {
  kRiskAverse,  // a decrease never comes from ahead (only trades at the level advance the order)
  kPower,       // share ahead = ahead^n / (ahead^n + behind^n)
};

/// A queue model setting; recorded with every training run and evaluation by its string form.
/// Value type, immutable, thread-compatible.
class QueueModel {
 public:
  static constexpr double kDefaultPower = 3.0;
  static constexpr double kMaxPower = 100.0;

  /// The default: power:3.
  QueueModel() = default;
  static QueueModel RiskAverse() { return QueueModel(QueueModelKind::kRiskAverse, 0.0); }
  /// `power` must be finite and in (0, kMaxPower] (KF_CHECK; use Parse for untrusted input).
  static QueueModel Power(double power = kDefaultPower);

  /// "risk_averse", "power" (n = 3) or "power:<n>" with n a decimal in (0, 100], e.g.
  /// "power:3", "power:2.5". InvalidArgument naming the text otherwise.
  static core::Result<QueueModel> Parse(std::string_view text);
  /// "risk_averse" or "power:<n>" with the shortest decimal that parses back to n
  /// ("power:3", "power:2.5"); Parse(ToString()) == *this.
  std::string ToString() const;

  QueueModelKind kind() const { return kind_; }
  double power() const { return power_; }

  /// The part of an unexplained decrease `decrease` (> 0) at a level that came from the queue
  /// ahead of the order, given `ahead` and `behind` sizes before the decrease (all in
  /// core::Count units, >= 0). Expected value, rounded to the nearest unit (deterministic).
  /// Whatever exceeds `behind` must come from ahead, so the result is at least
  /// decrease - behind; it is at most min(decrease, ahead) unless decrease > ahead + behind.
  int64_t AheadShare(int64_t ahead, int64_t behind, int64_t decrease) const;

  friend bool operator==(const QueueModel&, const QueueModel&) = default;

 private:
  QueueModel(QueueModelKind kind, double power) : kind_(kind), power_(power) {}
  QueueModelKind kind_ = QueueModelKind::kPower;
  double power_ = kDefaultPower;
};

}  // namespace kalshiflow::sim
