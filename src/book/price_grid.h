// Per-market price grids: Kalshi's `price_level_structure` / `price_ranges`.
//
// Source: PROTOCOL.md §4.1 ("Valid prices are per market"), §3.4 (market_lifecycle_v2
// `price_level_structure_updated` carries `price_ranges [{start,end,step}]`).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.h"
#include "core/market.h"
#include "core/status.h"

namespace kalshiflow::book {

/// Kalshi `price_ranges` band (defined once in core/market.h).
using core::PriceRange;

/// How PriceGrid::Snap rounds a price that is not on the grid.
enum class SnapDirection {
  kDown,     // largest grid price <= p
  kUp,       // smallest grid price >= p
  kNearest,  // the closer of the two; a tie goes down
};

/// The set of valid prices of one market. Value type, immutable after construction,
/// thread-compatible (const methods may be called concurrently).
///
/// Bands are sorted, non-overlapping except that one band's `end` may equal the next band's
/// `start` (as in `tapered_deci_cent`: [0, 0.10] step 0.001, [0.10, 0.90] step 0.01,
/// [0.90, 1] step 0.001). A price is on the grid when some band contains it on its step.
/// Grid membership says nothing about tradability: 0 and 1 dollar are grid points but orders
/// rest only strictly inside (0, 1) (see IsValidBookPrice).
class PriceGrid {
 public:
  /// The finest grid: every 4-dp price (step $0.0001 over [0, 1]). Named "centi_cent".
  /// This is the default: an OrderBook without a known structure accepts any 4-dp price.
  PriceGrid();

  /// `linear_cent`: $0.00–1.00 in $0.01 ticks (most markets).
  static PriceGrid LinearCent();
  /// `deci_cent`: $0.001 everywhere.
  static PriceGrid DeciCent();
  /// `tapered_deci_cent`: $0.001 below 0.10 and above 0.90; $0.01 in between.
  static PriceGrid TaperedDeciCent();
  /// `center_deci_edge_centi_cent`: $0.0001 below 0.01 and above 0.99; $0.001 in between.
  static PriceGrid CenterDeciEdgeCentiCent();
  /// Every 4-dp price; see the default constructor.
  static PriceGrid CentiCent();

  /// One of the named structures above ("linear_cent", "deci_cent", "tapered_deci_cent",
  /// "center_deci_edge_centi_cent", "centi_cent"). NotFound naming the structure otherwise
  /// (newer names such as `banded_centi_cent` need their `price_ranges`: use FromRanges).
  static core::Result<PriceGrid> FromStructureName(std::string_view name);

  /// A grid from explicit bands (Kalshi's `price_ranges`). InvalidArgument naming the band
  /// when: no bands; step <= 0; start < 0; end > 1 dollar; start >= end; (end - start) not a
  /// multiple of step; bands unsorted or overlapping. `name` is kept for display.
  static core::Result<PriceGrid> FromRanges(std::span<const PriceRange> ranges,
                                            std::string_view name = "custom");

  /// Prefers `ranges` when non-empty (they are authoritative), else the named structure.
  static core::Result<PriceGrid> FromStructure(std::string_view name,
                                               std::span<const PriceRange> ranges);

  /// True when `p` is a grid point (0 and 1 dollar included when a band reaches them).
  bool IsOnGrid(core::Price p) const;
  /// True when `p` is strictly inside (0, 1) dollar and on the grid: a price a book level or
  /// an order may have.
  bool IsValidBookPrice(core::Price p) const { return p.IsTradable() && IsOnGrid(p); }

  /// The grid point nearest `p` in `direction`; `p` itself when on the grid. nullopt when no
  /// grid point exists in that direction (e.g. kUp above the last band's end). The result
  /// may be 0 or 1 dollar; check IsTradable() before using it as an order price.
  std::optional<core::Price> Snap(core::Price p, SnapDirection direction) const;
  /// The smallest grid point strictly above / below `p` (one tick away), or nullopt.
  std::optional<core::Price> NextAbove(core::Price p) const;
  std::optional<core::Price> NextBelow(core::Price p) const;
  /// The step of the band containing `p` (the finer one at a shared boundary), or nullopt
  /// when `p` lies in no band.
  std::optional<core::Price> TickAt(core::Price p) const;

  std::span<const PriceRange> ranges() const { return ranges_; }
  /// "linear_cent", ..., or the name given to FromRanges.
  const std::string& name() const { return name_; }

  /// Same bands (names are not compared).
  friend bool operator==(const PriceGrid& a, const PriceGrid& b) { return a.ranges_ == b.ranges_; }

 private:
  PriceGrid(std::vector<PriceRange> ranges, std::string name)
      : ranges_(std::move(ranges)), name_(std::move(name)) {}

  std::vector<PriceRange> ranges_;
  std::string name_;
};

}  // namespace kalshiflow::book
