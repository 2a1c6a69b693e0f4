#include "kalshi/fees.h"

#include <string>

#include "core/check.h"

namespace kalshiflow::kalshi {

using core::Count;
using core::Money;
using core::Price;

namespace {

__extension__ typedef __int128 Int128;  // exact fee products (GCC/Clang; -Wpedantic-clean)

// Money units in one $0.01 (the rebate unit) and in one $0.0001 (the trade-fee unit).
constexpr int64_t kCentMoney = 10'000;
constexpr int64_t kCentiCentMoney = 100;

}  // namespace

std::string_view FeeTypeName(FeeType type) {
  switch (type) {
    case FeeType::kQuadratic:
      return "quadratic";
    case FeeType::kQuadraticWithMakerFees:
      return "quadratic_with_maker_fees";
    case FeeType::kQuadraticWithComboMakerFees:
      return "quadratic_with_combo_maker_fees";
  }
  return "unknown";
}

std::optional<FeeType> ParseFeeType(std::string_view text) {
  for (FeeType type : {FeeType::kQuadratic, FeeType::kQuadraticWithMakerFees,
                       FeeType::kQuadraticWithComboMakerFees}) {
    if (text == FeeTypeName(type)) return type;
  }
  return std::nullopt;
}

std::string_view LiquidityName(Liquidity liquidity) {
  return liquidity == Liquidity::kTaker ? "taker" : "maker";
}

core::Result<FeeSchedule> FeeSchedule::Parse(std::string_view fee_type,
                                             std::string_view fee_multiplier) {
  FeeSchedule schedule;
  auto type = ParseFeeType(fee_type);
  if (!type) {
    return core::InvalidArgumentError("fee_type: unsupported fee type \"" + std::string(fee_type) +
                                      "\"");
  }
  schedule.type = *type;
  if (!fee_multiplier.empty()) {
    auto units = core::ParseDecimal(fee_multiplier, 4);
    if (!units.ok()) {
      return core::InvalidArgumentError(
          "fee_multiplier: " + std::string(core::DecimalErrorName(units.error())) + " (\"" +
          std::string(fee_multiplier) + "\")");
    }
    if (*units < 0) {
      return core::InvalidArgumentError("fee_multiplier: negative (\"" +
                                        std::string(fee_multiplier) + "\")");
    }
    schedule.multiplier = *units;
  }
  return schedule;
}

int64_t FeeRateBp(FeeType type, Liquidity liquidity) {
  if (liquidity == Liquidity::kTaker) return kTakerRateBp;
  switch (type) {
    case FeeType::kQuadratic:
      return 0;
    case FeeType::kQuadraticWithMakerFees:
      return kMakerRateBp;
    case FeeType::kQuadraticWithComboMakerFees:
      return kComboMakerRateBp;
  }
  return 0;
}

Money TradeFee(const FeeSchedule& schedule, Liquidity liquidity, Price price, Count count) {
  KF_CHECK(price.units() >= 0 && price.units() <= Price::kUnitsPerDollar,
           "fee price {} outside [0, 1]", price.ToString());
  KF_CHECK(count.units() >= 0, "fee count {} negative", count.ToString());
  KF_CHECK(schedule.multiplier >= 0, "fee multiplier {} negative", schedule.multiplier);
  // fee [$] = (rate/1e4) (mult/1e4) (C/1e2) (P/1e4) ((1e4 - P)/1e4) = N / 1e18 dollars,
  // i.e. N / 1e14 units of $0.0001; rounded up, then x 100 to core::Money (1e-6 $).
  const Int128 n = static_cast<Int128>(FeeRateBp(schedule.type, liquidity)) * schedule.multiplier *
                   count.units() * price.units() * (Price::kUnitsPerDollar - price.units());
  constexpr Int128 kDivisor = 100'000'000'000'000;           // 1e14
  const Int128 centi_cents = (n + kDivisor - 1) / kDivisor;  // n >= 0: ceil
  KF_CHECK(centi_cents <= INT64_MAX / kCentiCentMoney, "fee overflows int64");
  return Money::FromUnits(static_cast<int64_t>(centi_cents) * kCentiCentMoney);
}

Money PrecisionUnit(BalancePrecision precision) {
  return Money::FromUnits(precision == BalancePrecision::kCent ? kCentMoney : kCentiCentMoney);
}

Money FloorTo(Money value, Money unit) {
  KF_CHECK(unit.units() > 0, "FloorTo unit {} not positive", unit.units());
  int64_t q = value.units() / unit.units();
  if (value.units() % unit.units() != 0 && value.units() < 0) --q;  // toward -infinity
  return Money::FromUnits(q * unit.units());
}

FillFee FeeAccumulator::Apply(Money revenue, Money trade_fee) {
  KF_CHECK(!trade_fee.IsNegative(), "trade fee {} negative", trade_fee.ToString());
  FillFee fee;
  fee.trade_fee = trade_fee;
  const Money exact = revenue - trade_fee;
  fee.balance_change = FloorTo(exact, PrecisionUnit(precision_));
  fee.rounding_fee = exact - fee.balance_change;
  accumulated_ += fee.rounding_fee;
  const Money cent = Money::FromUnits(kCentMoney);
  const Money gross = fee.trade_fee + fee.rounding_fee;
  // Whole-cent rebates while the accumulator holds >= $0.01 and the net fee stays >= 0.
  while (accumulated_ >= cent && fee.rebate + cent <= gross) {
    fee.rebate += cent;
    accumulated_ -= cent;
  }
  fee.net_fee = gross - fee.rebate;
  fee.cash_change = fee.balance_change + fee.rebate;
  return fee;
}

}  // namespace kalshiflow::kalshi
