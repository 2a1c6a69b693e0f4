#include "recording/depth_model.h"

#include <algorithm>
#include <optional>

#include "core/check.h"
#include "core/fixed_point.h"

namespace kalshiflow::recording {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int MaxValue(const std::vector<WeightedValue>& table) {
  int64_t m = 1;
  for (const auto& e : table) m = std::max(m, e.value);
  return static_cast<int>(m);
}

constexpr std::array<core::OutcomeSide, 2> kSides = {core::OutcomeSide::kYes,
                                                     core::OutcomeSide::kNo};

}  // namespace

uint64_t MarketSeed(uint64_t seed, std::string_view ticker) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a 64
  for (unsigned char c : ticker) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return SplitMix64(seed ^ h);
}

int64_t SampleTable(core::Rng& rng, const std::vector<WeightedValue>& table) {
  int64_t total = 0;
  for (const auto& e : table) total += e.weight;
  KF_CHECK(total > 0, "SampleTable on an empty table");
  int64_t r = rng.UniformInt(0, total - 1);
  for (const auto& e : table) {
    if (r < e.weight) return e.value;
    r -= e.weight;
  }
  return table.back().value;
}

int64_t SampleOrderSize(core::Rng& rng, const DepthCalibration& cal) {
  KF_CHECK(cal.order_size_cap_per_million > 0 && cal.order_size_cap_per_million <= 1'000'000,
           "order_size_cap_per_million {}", cal.order_size_cap_per_million);
  // Knots: (0, min), the measured quantiles, (1e6, max).
  const int64_t u = rng.UniformInt(0, cal.order_size_cap_per_million - 1);
  int64_t pa = 0;
  int64_t va = cal.order_size_min;
  auto segment = [&](int64_t pb, int64_t vb) -> std::optional<int64_t> {
    if (u < pb && pb > pa) return va + (vb - va) * (u - pa) / (pb - pa);
    pa = pb;
    va = vb;
    return std::nullopt;
  };
  for (const QuantilePoint& q : cal.order_size_quantiles) {
    if (auto v = segment(q.per_million, q.value)) return std::max<int64_t>(1, *v);
  }
  if (auto v = segment(1'000'000, cal.order_size_max)) return std::max<int64_t>(1, *v);
  return std::max<int64_t>(1, va);
}

SyntheticBook::SyntheticBook(const DepthCalibration* cal, uint64_t seed) : cal_(cal), rng_(seed) {
  KF_CHECK(cal_ != nullptr, "null calibration");
  KF_CHECK(!cal_->best_level_contracts.empty() && !cal_->deeper_level_contracts.empty() &&
               !cal_->first_gap_cents.empty() && !cal_->deeper_gap_cents.empty() &&
               cal_->levels_per_side_mode >= 1,
           "incomplete depth calibration");
  max_first_gap_ = MaxValue(cal_->first_gap_cents);
  max_deeper_gap_ = MaxValue(cal_->deeper_gap_cents);
}

void SyntheticBook::Set(core::OutcomeSide side, int cents, int64_t size,
                        std::vector<LevelChange>* out) {
  KF_DCHECK(cents >= 1 && cents <= kMaxCents, "price {} cents", cents);
  int64_t& slot = size_[Index(side)][cents];
  const int64_t delta = size - slot;
  if (delta == 0) return;
  slot = size;
  if (out != nullptr) out->push_back({side, cents, delta});
}

void SyntheticBook::RecomputeBest(core::OutcomeSide side) {
  const auto& s = size_[Index(side)];
  int best = 0;
  for (int c = kMaxCents; c >= 1; --c) {
    if (s[c] > 0) {
      best = c;
      break;
    }
  }
  best_[Index(side)] = best;
}

void SyntheticBook::FillTop(core::OutcomeSide side, std::vector<LevelChange>* out) {
  const auto& s = size_[Index(side)];
  int prev = best_[Index(side)];
  if (prev <= 0) return;
  for (int k = 1; k < cal_->levels_per_side_mode; ++k) {
    const int reach = k == 1 ? max_first_gap_ : max_deeper_gap_;
    int next = 0;
    for (int c = prev - 1; c >= std::max(1, prev - reach); --c) {
      if (s[c] > 0) {
        next = c;
        break;
      }
    }
    if (next > 0) {
      prev = next;
      continue;
    }
    const int gap = static_cast<int>(
        SampleTable(rng_, k == 1 ? cal_->first_gap_cents : cal_->deeper_gap_cents));
    const int want = prev - gap;
    if (want < 1) break;
    Set(side, want, SampleTable(rng_, cal_->deeper_level_contracts), out);
    prev = want;
  }
}

void SyntheticBook::Start(int yes_cents, int no_cents) {
  size_ = {};
  best_ = {0, 0};
  const int bests[2] = {yes_cents, no_cents};
  for (core::OutcomeSide side : kSides) {
    const int b = bests[Index(side)];
    KF_CHECK(b >= 0 && b <= kMaxCents, "best bid {} cents", b);
    if (b == 0) continue;
    Set(side, b, SampleTable(rng_, cal_->best_level_contracts), nullptr);
    best_[Index(side)] = b;
    FillTop(side, nullptr);
  }
}

void SyntheticBook::Lower(core::OutcomeSide side, int new_best, std::vector<LevelChange>* out) {
  auto& s = size_[Index(side)];
  for (int c = best_[Index(side)]; c > new_best; --c) {
    if (s[c] > 0) Set(side, c, 0, out);
  }
  if (new_best > 0 && s[new_best] == 0) {
    Set(side, new_best, SampleTable(rng_, cal_->best_level_contracts), out);
  }
  RecomputeBest(side);
  KF_DCHECK(best_[Index(side)] == new_best, "lowered best {} != {}", best_[Index(side)], new_best);
  FillTop(side, out);
}

void SyntheticBook::Raise(core::OutcomeSide side, int new_best, std::vector<LevelChange>* out) {
  KF_DCHECK(size_[Index(side)][new_best] == 0, "raise onto an existing level");
  // Sized like the real best levels of the same market family (2024 weather books), not from
  // the cross-market order-size distribution, whose median (756) is 10x the resting levels.
  Set(side, new_best, SampleTable(rng_, cal_->best_level_contracts), out);
  best_[Index(side)] = new_best;
  FillTop(side, out);
}

void SyntheticBook::MoveTo(int yes_cents, int no_cents, std::vector<LevelChange>* out) {
  const int targets[2] = {yes_cents, no_cents};
  for (int t : targets) KF_CHECK(t >= 0 && t <= kMaxCents, "best bid {} cents", t);
  for (core::OutcomeSide side : kSides) {
    if (targets[Index(side)] < best_[Index(side)]) Lower(side, targets[Index(side)], out);
  }
  for (core::OutcomeSide side : kSides) {
    if (targets[Index(side)] > best_[Index(side)]) Raise(side, targets[Index(side)], out);
  }
}

int64_t SyntheticBook::SizeAt(core::OutcomeSide side, int cents) const {
  if (cents < 1 || cents > kMaxCents) return 0;
  return size_[Index(side)][cents];
}

std::vector<core::PriceLevel> SyntheticBook::Levels(core::OutcomeSide side) const {
  std::vector<core::PriceLevel> out;
  const auto& s = size_[Index(side)];
  for (int c = 1; c <= kMaxCents; ++c) {
    if (s[c] > 0) {
      out.push_back({core::Price::FromCents(c), core::Count::FromContracts(s[c])});
    }
  }
  return out;
}

int SyntheticBook::LevelCount(core::OutcomeSide side) const {
  const auto& s = size_[Index(side)];
  return static_cast<int>(std::count_if(s.begin() + 1, s.end(), [](int64_t v) { return v > 0; }));
}

}  // namespace kalshiflow::recording
