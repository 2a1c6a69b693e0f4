// Conversions from the exact integer types of core (DESIGN §3) to the doubles that features use.
//
// The observation spec `kalshiflow-v1` (../shared/spec/observation-kalshiflow-v1.md, "Inputs")
// works in cents (dollars x 100) and contracts, and says fixed-point inputs are converted
// exactly. Here "exactly" means: every conversion is ONE correctly rounded division of an exact
// integer, so a value that a double can hold (every whole cent, half cent, quarter cent ...)
// comes out exact, and a sub-cent price such as 0.4555 $ (4555 units) becomes the double
// nearest to 45.55 cents (never 45 or 46: sub-cent prices give fractional cents, as the spec
// requires). Feature code goes one step further and divides exact integer numerators by the
// combined scale (for instance best bid / 100 = units / 10,000), so no feature value is ever
// rounded twice; see kalshiflow_v1.cc.
//
// Units: core::Price = 1/10,000 $ (100 units per cent); core::Count = 1/100 contract;
// core::Money = 1e-6 $ (10,000 units per cent).
#pragma once

#include <cstdint>

#include "core/fixed_point.h"

namespace kalshiflow::features {

inline constexpr double kPriceUnitsPerCent = 100.0;       // core::Price::kUnitsPerCent
inline constexpr double kPriceUnitsPerDollar = 10'000.0;  // core::Price::kUnitsPerDollar
inline constexpr double kCountUnitsPerContract = 100.0;   // core::Count::kUnitsPerContract
inline constexpr double kMoneyUnitsPerCent = 10'000.0;    // core::Money: 1e6 units per dollar

/// A price in cents: units / 100 (0.4500 $ -> 45.0; 0.4550 $ -> 45.5; 0.4555 $ -> 45.55).
inline double PriceToCents(core::Price price) {
  return static_cast<double>(price.units()) / kPriceUnitsPerCent;
}

/// A price in dollars (= the spec's `cents / 100`): units / 10,000, rounded once.
inline double PriceToDollars(core::Price price) {
  return static_cast<double>(price.units()) / kPriceUnitsPerDollar;
}

/// A size or position in contracts: units / 100 (1/100-contract granularity; may be negative).
inline double CountToContracts(core::Count count) {
  return static_cast<double>(count.units()) / kCountUnitsPerContract;
}

/// Cash, cost or portfolio value in cents: units / 10,000 (1e-6 $ units).
inline double MoneyToCents(core::Money money) {
  return static_cast<double>(money.units()) / kMoneyUnitsPerCent;
}

}  // namespace kalshiflow::features
