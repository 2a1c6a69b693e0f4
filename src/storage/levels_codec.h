// The stored form of snapshot levels (columns rl_orderbook_snapshots.yes_levels / no_levels):
// compact JSON text of integer units, `[[price_units,count_units],...]`, e.g.
// `[[5600,30000],[7800,12000]]` = 30 contracts at $0.56 and 120 at $0.78; `[]` when empty.
// Exact (integers only), readable with any SQL/JSON tool, levels kept in the producer's order.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/market.h"
#include "core/status.h"

namespace kalshiflow::storage {

/// Encodes levels as above. Pure; thread-safe.
std::string EncodeLevels(std::span<const core::PriceLevel> levels);

/// Decodes EncodeLevels output (any JSON whitespace allowed). DataLoss naming the problem when
/// the text is not a JSON array of [integer, integer] pairs within int64. Pure; thread-safe.
core::Result<std::vector<core::PriceLevel>> DecodeLevels(std::string_view text);

}  // namespace kalshiflow::storage
