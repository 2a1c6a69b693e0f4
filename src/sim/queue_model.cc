#include "sim/queue_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "core/check.h"

namespace kalshiflow::sim {

QueueModel QueueModel::Power(double power) {
  KF_CHECK(std::isfinite(power) && power > 0.0 && power <= kMaxPower,
           "queue model power {} outside (0, {}]", power, kMaxPower);
  return QueueModel(QueueModelKind::kPower, power);
}

core::Result<QueueModel> QueueModel::Parse(std::string_view text) {
  if (text == "risk_averse") return RiskAverse();
  if (text == "power") return Power();
  constexpr std::string_view kPrefix = "power:";
  if (text.starts_with(kPrefix)) {
    const std::string_view number = text.substr(kPrefix.size());
    double power = 0.0;
    const char* end = number.data() + number.size();
    const auto [ptr, ec] = std::from_chars(number.data(), end, power, std::chars_format::fixed);
    if (!number.empty() && ec == std::errc() && ptr == end && std::isfinite(power) && power > 0.0 &&
        power <= kMaxPower) {
      return Power(power);
    }
  }
  return core::InvalidArgumentError("queue model \"" + std::string(text) +
                                    "\": expected risk_averse, power or power:<n> with n in "
                                    "(0, 100]");
}

std::string QueueModel::ToString() const {
  if (kind_ == QueueModelKind::kRiskAverse) return "risk_averse";
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), power_, std::chars_format::fixed);
  KF_CHECK(ec == std::errc(), "formatting queue model power {}", power_);
  return "power:" + std::string(buf, ptr);
}

int64_t QueueModel::AheadShare(int64_t ahead, int64_t behind, int64_t decrease) const {
  KF_CHECK(ahead >= 0 && behind >= 0 && decrease >= 0, "AheadShare({}, {}, {})", ahead, behind,
           decrease);
  int64_t share = 0;
  if (kind_ == QueueModelKind::kPower && ahead > 0) {
    if (behind == 0) {
      share = decrease;
    } else {
      // f(a) / (f(a) + f(b)) with f(x) = x^n, computed on r = a / (a + b) so that large sizes
      // cannot overflow: r^n / (r^n + (1 - r)^n).
      const double total = static_cast<double>(ahead) + static_cast<double>(behind);
      const double fa = std::pow(static_cast<double>(ahead) / total, power_);
      const double fb = std::pow(static_cast<double>(behind) / total, power_);
      const double ratio = fa / (fa + fb);
      share = std::llround(static_cast<double>(decrease) * ratio);
    }
  }
  // No more than the queue ahead holds; what exceeds the queue behind came from ahead.
  share = std::min(share, ahead);
  share = std::max(share, decrease - behind);
  return std::clamp<int64_t>(share, 0, decrease);
}

}  // namespace kalshiflow::sim
