// Exact fixed-point quantities for money and size. No floating point touches a book, an
// order, a fill or an account; convert to double only for features and reports.
//
//   Price  — 1/10,000 dollar (Kalshi's 4-decimal dollar strings, e.g. "0.5600" -> 5600).
//   Count  — 1/100 contract  (Kalshi's *_fp count strings, e.g. "10.00" -> 1000).
//   Money  — 1/1,000,000 dollar; Price x Count is exact in Money (1e-4 $ x 1e-2 = 1e-6 $),
//            and Kalshi's 6-decimal portfolio/fee strings parse exactly.
//
// Source: ../shared/kalshi-api/PROTOCOL.md §0.1, §3.4 ("Parse both with a decimal parser"),
// §4.1 (FixedPointDollars / FixedPointCount).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kalshiflow::core {

/// Why a decimal string was rejected.
enum class DecimalError {
  kEmpty,            // "" or "-"
  kMalformed,        // a character that is not a digit / sign / single point, or "1." / ".5"
  kTooManyDecimals,  // a non-zero digit beyond the type's decimals ("0.12345" for a Price)
  kOutOfRange,       // magnitude does not fit in int64 units
};
std::string_view DecimalErrorName(DecimalError error);

/// Parses a decimal string into integer units of 10^-decimals. Accepted: an optional '-',
/// one or more digits, optionally '.' and one or more digits. Digits beyond `decimals` are
/// accepted only if they are zeros (Kalshi emits up to 6 dp, e.g. "0.560000"), so parsing is
/// always exact. No whitespace, no '+', no exponent. 0 <= decimals <= 9.
Result<int64_t, DecimalError> ParseDecimal(std::string_view text, int decimals);

/// Writes `units` at scale 10^-decimals with exactly `decimals` digits after the point
/// ("-54.00", "0.5600") into `out`, which must hold kMaxDecimalChars bytes. Returns the length.
inline constexpr std::size_t kMaxDecimalChars = 32;
std::size_t FormatDecimal(int64_t units, int decimals, char* out);

/// CRTP base giving a fixed-point type its arithmetic, comparison, parsing and formatting.
/// `Derived` is the concrete type; `kDecimalsV` its number of decimals.
template <typename Derived, int kDecimalsV>
class FixedPoint {
 public:
  static constexpr int kDecimals = kDecimalsV;
  static constexpr int64_t kScale = [] {
    int64_t s = 1;
    for (int i = 0; i < kDecimalsV; ++i) s *= 10;
    return s;
  }();

  constexpr FixedPoint() = default;
  static constexpr Derived FromUnits(int64_t units) {
    Derived d;
    d.units_ = units;
    return d;
  }
  /// Parses a decimal string (see ParseDecimal).
  static Result<Derived, DecimalError> Parse(std::string_view text) {
    auto units = ParseDecimal(text, kDecimalsV);
    if (!units.ok()) return Err(units.error());
    return FromUnits(*units);
  }

  constexpr int64_t units() const { return units_; }
  double ToDouble() const { return static_cast<double>(units_) / static_cast<double>(kScale); }
  std::string ToString() const {
    char buf[kMaxDecimalChars];
    return std::string(buf, FormatDecimal(units_, kDecimalsV, buf));
  }
  constexpr bool IsZero() const { return units_ == 0; }
  constexpr bool IsPositive() const { return units_ > 0; }
  constexpr bool IsNegative() const { return units_ < 0; }

  friend constexpr Derived operator+(Derived a, Derived b) {
    return FromUnits(a.units_ + b.units_);
  }
  friend constexpr Derived operator-(Derived a, Derived b) {
    return FromUnits(a.units_ - b.units_);
  }
  friend constexpr Derived operator-(Derived a) { return FromUnits(-a.units_); }
  friend constexpr Derived operator*(Derived a, int64_t k) { return FromUnits(a.units_ * k); }
  friend constexpr Derived operator*(int64_t k, Derived a) { return FromUnits(a.units_ * k); }
  Derived& operator+=(Derived b) {
    units_ += b.units_;
    return static_cast<Derived&>(*this);
  }
  Derived& operator-=(Derived b) {
    units_ -= b.units_;
    return static_cast<Derived&>(*this);
  }
  friend constexpr bool operator==(FixedPoint a, FixedPoint b) { return a.units_ == b.units_; }
  friend constexpr auto operator<=>(FixedPoint a, FixedPoint b) { return a.units_ <=> b.units_; }

 protected:
  int64_t units_ = 0;
};

/// A price or dollar amount in 1/10,000 dollar ("centi-cents"). Binary-contract prices lie
/// in [0, 1] dollar = [0, 10,000] units.
class Price : public FixedPoint<Price, 4> {
 public:
  static constexpr int64_t kUnitsPerDollar = 10'000;
  static constexpr int64_t kUnitsPerCent = 100;
  /// Legacy integer-cent prices (WebSocket format before 2026-03-12, old recordings).
  static constexpr Price FromCents(int64_t cents) { return FromUnits(cents * kUnitsPerCent); }
  static constexpr Price OneDollar() { return FromUnits(kUnitsPerDollar); }
  /// The same level seen from the other leg: 1 - price (a YES bid at p is a NO ask at 1 - p).
  constexpr Price Complement() const { return FromUnits(kUnitsPerDollar - units_); }
  /// True for a price strictly inside (0, 1) dollar, the range where Kalshi orders rest.
  constexpr bool IsTradable() const { return units_ > 0 && units_ < kUnitsPerDollar; }
};

/// A number of contracts in 1/100 contract (Kalshi's fractional-contract granularity).
/// May be negative for deltas and short (NO) positions.
class Count : public FixedPoint<Count, 2> {
 public:
  static constexpr int64_t kUnitsPerContract = 100;
  /// Whole contracts, including legacy integer `count`/`delta` fields.
  static constexpr Count FromContracts(int64_t contracts) {
    return FromUnits(contracts * kUnitsPerContract);
  }
};

/// Cash, cost, fees and P&L in 1/1,000,000 dollar. Price x Count is exact in Money.
class Money : public FixedPoint<Money, 6> {
 public:
  static constexpr int64_t kUnitsPerDollar = 1'000'000;
  static constexpr Money FromPrice(Price p) { return FromUnits(p.units() * 100); }
  static constexpr Money FromCents(int64_t cents) { return FromUnits(cents * 10'000); }
};

/// Notional value of `count` contracts at `price`: exact.
constexpr Money Notional(Price price, Count count) {
  return Money::FromUnits(price.units() * count.units());
}

}  // namespace kalshiflow::core
