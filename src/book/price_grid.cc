#include "book/price_grid.h"

#include <fmt/format.h>

namespace kalshiflow::book {

using core::Price;

namespace {

constexpr Price P(int64_t units) { return Price::FromUnits(units); }

std::string RangeText(const PriceRange& r) {
  return fmt::format("{{start {}, end {}, step {}}}", r.start.ToString(), r.end.ToString(),
                     r.step.ToString());
}

bool BandHas(const PriceRange& r, Price p) {
  return p >= r.start && p <= r.end && (p.units() - r.start.units()) % r.step.units() == 0;
}

}  // namespace

PriceGrid::PriceGrid() : ranges_{{P(0), P(10'000), P(1)}}, name_("centi_cent") {}

PriceGrid PriceGrid::CentiCent() { return PriceGrid(); }

PriceGrid PriceGrid::LinearCent() { return PriceGrid({{P(0), P(10'000), P(100)}}, "linear_cent"); }

PriceGrid PriceGrid::DeciCent() { return PriceGrid({{P(0), P(10'000), P(10)}}, "deci_cent"); }

PriceGrid PriceGrid::TaperedDeciCent() {
  return PriceGrid(
      {{P(0), P(1'000), P(10)}, {P(1'000), P(9'000), P(100)}, {P(9'000), P(10'000), P(10)}},
      "tapered_deci_cent");
}

PriceGrid PriceGrid::CenterDeciEdgeCentiCent() {
  return PriceGrid({{P(0), P(100), P(1)}, {P(100), P(9'900), P(10)}, {P(9'900), P(10'000), P(1)}},
                   "center_deci_edge_centi_cent");
}

core::Result<PriceGrid> PriceGrid::FromStructureName(std::string_view name) {
  if (name == "linear_cent") return LinearCent();
  if (name == "deci_cent") return DeciCent();
  if (name == "tapered_deci_cent") return TaperedDeciCent();
  if (name == "center_deci_edge_centi_cent") return CenterDeciEdgeCentiCent();
  if (name == "centi_cent") return CentiCent();
  return core::NotFoundError(
      fmt::format("unknown price_level_structure '{}' (pass its price_ranges)", name));
}

core::Result<PriceGrid> PriceGrid::FromRanges(std::span<const PriceRange> ranges,
                                              std::string_view name) {
  if (ranges.empty()) return core::InvalidArgumentError("price grid has no ranges");
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const PriceRange& r = ranges[i];
    const auto bad = [&](std::string_view why) {
      return core::InvalidArgumentError(fmt::format("price range {} {}: {}", i, RangeText(r), why));
    };
    if (!r.step.IsPositive()) return bad("step must be positive");
    if (r.start.IsNegative()) return bad("start must be >= 0");
    if (r.end > Price::OneDollar()) return bad("end must be <= 1 dollar");
    if (r.start >= r.end) return bad("start must be < end");
    if ((r.end.units() - r.start.units()) % r.step.units() != 0) {
      return bad("end - start must be a multiple of step");
    }
    if (i > 0 && r.start < ranges[i - 1].end) return bad("ranges must be sorted, not overlapping");
  }
  return PriceGrid(std::vector<PriceRange>(ranges.begin(), ranges.end()), std::string(name));
}

core::Result<PriceGrid> PriceGrid::FromStructure(std::string_view name,
                                                 std::span<const PriceRange> ranges) {
  if (!ranges.empty()) return FromRanges(ranges, name.empty() ? "custom" : name);
  return FromStructureName(name);
}

bool PriceGrid::IsOnGrid(Price p) const {
  for (const PriceRange& r : ranges_) {
    if (BandHas(r, p)) return true;
  }
  return false;
}

std::optional<Price> PriceGrid::Snap(Price p, SnapDirection direction) const {
  if (IsOnGrid(p)) return p;
  // Candidates below and above p: inside the band containing p, or the neighbouring band
  // ends when p falls between bands.
  std::optional<Price> below;
  std::optional<Price> above;
  for (const PriceRange& r : ranges_) {
    if (r.end < p) {
      below = r.end;  // bands are sorted: the last one wins
    } else if (r.start > p) {
      if (!above) above = r.start;
    } else {  // r.start < p < r.end, off the step
      const int64_t k = (p.units() - r.start.units()) / r.step.units();
      below = Price::FromUnits(r.start.units() + k * r.step.units());
      above = below.value() + r.step;
      break;
    }
  }
  switch (direction) {
    case SnapDirection::kDown:
      return below;
    case SnapDirection::kUp:
      return above;
    case SnapDirection::kNearest:
      if (!below) return above;
      if (!above) return below;
      return (p - *below) <= (*above - p) ? below : above;
  }
  return std::nullopt;
}

std::optional<Price> PriceGrid::NextAbove(Price p) const {
  if (p > Price::OneDollar()) return std::nullopt;  // also keeps p + 1 from overflowing
  return Snap(p + P(1), SnapDirection::kUp);
}

std::optional<Price> PriceGrid::NextBelow(Price p) const {
  if (p.units() <= 0) return std::nullopt;  // also keeps p - 1 from overflowing
  return Snap(p - P(1), SnapDirection::kDown);
}

std::optional<Price> PriceGrid::TickAt(Price p) const {
  std::optional<Price> tick;
  for (const PriceRange& r : ranges_) {
    if (p >= r.start && p <= r.end && (!tick || r.step < *tick)) tick = r.step;
  }
  return tick;
}

}  // namespace kalshiflow::book
