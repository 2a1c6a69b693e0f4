// Short literals for book tests: D("0.45") is a Price, C("10") a Count, L("0.45", "10") a level.
// They crash (KF_CHECK via Result::value) on malformed literals, which is a test-authoring bug.
#pragma once

#include "core/fixed_point.h"
#include "core/market.h"

namespace kalshiflow::book::testing {

inline constexpr core::OutcomeSide kYes = core::OutcomeSide::kYes;
inline constexpr core::OutcomeSide kNo = core::OutcomeSide::kNo;

inline core::Price D(const char* dollars) { return *core::Price::Parse(dollars); }
inline core::Count C(const char* contracts) { return *core::Count::Parse(contracts); }
inline core::PriceLevel L(const char* price, const char* size) { return {D(price), C(size)}; }

}  // namespace kalshiflow::book::testing
