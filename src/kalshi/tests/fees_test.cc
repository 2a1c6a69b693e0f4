// Kalshi fee model and fee rounding: the two checks of PROTOCOL.md §5 exactly, more
// hand-computed cases (arithmetic in the comments), and properties of the accumulator.
#include "kalshi/fees.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace kalshiflow::kalshi {
namespace {

using core::Count;
using core::Money;
using core::Price;

Price P(const char* dollars) { return *Price::Parse(dollars); }
Count C(const char* contracts) { return *Count::Parse(contracts); }
Money M(const char* dollars) { return *Money::Parse(dollars); }

const FeeSchedule kQuadratic{};
const FeeSchedule kMakerFees{FeeType::kQuadraticWithMakerFees, kMultiplierScale};
const FeeSchedule kComboMakerFees{FeeType::kQuadraticWithComboMakerFees, kMultiplierScale};

// ---------------------------------------------------------------------------------------------
// PROTOCOL.md §5 "Checks"

TEST(FeesProtocol, Buy10At50CentsAsTakerCosts18Cents) {
  // 0.07 x 10 x 0.50 x 0.50 = 0.1750 (already a multiple of $0.0001).
  const Money trade_fee = TradeFee(kQuadratic, Liquidity::kTaker, P("0.50"), C("10"));
  EXPECT_EQ(trade_fee, M("0.1750"));
  // revenue -5.00; balance change -5.1750 -> floored to the cent -5.18; rounding 0.0050.
  FeeAccumulator acc;
  const FillFee fee = acc.Apply(-M("5.00"), trade_fee);
  EXPECT_EQ(fee.balance_change, M("-5.18"));
  EXPECT_EQ(fee.rounding_fee, M("0.0050"));
  EXPECT_EQ(fee.rebate, Money());
  EXPECT_EQ(fee.net_fee, M("0.18"));  // "equals the classic round up to the cent"
  EXPECT_EQ(fee.cash_change, M("-5.18"));
  EXPECT_EQ(acc.accumulated(), M("0.0050"));
}

TEST(FeesProtocol, Buy3At5Point5CentsAsThreeOneLotFills) {
  // Docs example: trade fee $0.0085 per 1-lot fill (the docs' number; see the next test for
  // what our 0.07 formula gives at this price), revenue -0.055 each.
  FeeAccumulator acc;
  const Money revenue = -M("0.055");
  const Money trade_fee = M("0.0085");

  // Fill 1: -0.055 - 0.0085 = -0.0635 -> floor -0.07; rounding 0.0065; acc 0.0065 < 0.01.
  const FillFee f1 = acc.Apply(revenue, trade_fee);
  EXPECT_EQ(f1.rounding_fee, M("0.0065"));
  EXPECT_EQ(f1.rebate, Money());
  EXPECT_EQ(f1.net_fee, M("0.0150"));  // 0.0085 + 0.0065
  EXPECT_EQ(f1.balance_change, M("-0.07"));

  // Fill 2: rounding 0.0065; acc 0.0130 >= 0.01 -> $0.01 rebate, acc 0.0030.
  const FillFee f2 = acc.Apply(revenue, trade_fee);
  EXPECT_EQ(f2.rounding_fee, M("0.0065"));
  EXPECT_EQ(f2.rebate, M("0.01"));
  EXPECT_EQ(f2.net_fee, M("0.0050"));  // 0.0085 + 0.0065 - 0.01
  EXPECT_EQ(f2.balance_change, M("-0.07"));
  EXPECT_EQ(acc.accumulated(), M("0.0030"));

  // Fill 3: acc 0.0030 + 0.0065 = 0.0095 < 0.01: no rebate.
  const FillFee f3 = acc.Apply(revenue, trade_fee);
  EXPECT_EQ(f3.rebate, Money());
  EXPECT_EQ(f3.net_fee, M("0.0150"));
  EXPECT_EQ(f3.balance_change, M("-0.07"));
  EXPECT_EQ(acc.accumulated(), M("0.0095"));

  // The rebate is paid back with fill 2: the balance really moves -0.07, -0.06, -0.07
  // = revenue - net fee each time (-0.055 - 0.015, -0.055 - 0.005, -0.055 - 0.015).
  EXPECT_EQ(f1.cash_change, M("-0.07"));
  EXPECT_EQ(f2.cash_change, M("-0.06"));
  EXPECT_EQ(f3.cash_change, M("-0.07"));
  // Total net fees 0.035 = 3 x 0.0085 trade fees + 0.0095 still in the accumulator.
  EXPECT_EQ(f1.net_fee + f2.net_fee + f3.net_fee, M("0.035"));
}

// ---------------------------------------------------------------------------------------------
// Trade fee formula, hand-computed

TEST(TradeFee, OneContractAt50CentsCosts2CentsWithRounding) {
  // 0.07 x 1 x 0.25 = 0.0175 ("max $0.0175/contract at P = 0.50"); -0.50 - 0.0175 = -0.5175
  // -> -0.52: net 0.02 ("1 contract at 50c costs $0.02").
  const Money fee = TradeFee(kQuadratic, Liquidity::kTaker, P("0.50"), C("1"));
  EXPECT_EQ(fee, M("0.0175"));
  FeeAccumulator acc;
  EXPECT_EQ(acc.Apply(-M("0.50"), fee).net_fee, M("0.02"));
}

TEST(TradeFee, RoundsUpToTheCentiCent) {
  // 0.07 x 7 x 0.33 x 0.67 = 0.49 x 0.2211 = 0.108339 -> 0.1084.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.33"), C("7")), M("0.1084"));
  // 0.07 x 1 x 0.055 x 0.945 = 0.00363825 -> 0.0037 (sub-penny price).
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.055"), C("1")), M("0.0037"));
  // 0.07 x 3 x 0.055 x 0.945 = 0.01091475 -> 0.0110.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.055"), C("3")), M("0.0110"));
  // 0.07 x 0.5 x 0.25 = 0.00875 -> 0.0088 (fractional contracts).
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.50"), C("0.5")), M("0.0088"));
}

TEST(TradeFee, ExactProductsAreNotRoundedFurther) {
  // 0.07 x 100 x 0.30 x 0.70 = 7 x 0.21 = 1.47 exactly.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.30"), C("100")), M("1.47"));
  // 0.07 x 1000 x 0.01 x 0.99 = 70 x 0.0099 = 0.693 exactly.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.01"), C("1000")), M("0.693"));
}

TEST(TradeFee, IsTheSameOnEitherLeg) {
  // P (1 - P) is symmetric: a YES fill at 0.23 is a NO fill at 0.77.
  // 0.07 x 13 x 0.23 x 0.77 = 0.91 x 0.1771 = 0.161161 -> 0.1612.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.23"), C("13")), M("0.1612"));
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.77"), C("13")), M("0.1612"));
}

TEST(TradeFee, MakerFeesPerSeriesType) {
  // quadratic: makers pay nothing.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kMaker, P("0.50"), C("10")), Money());
  // quadratic_with_maker_fees: 0.0175 x 10 x 0.25 = 0.04375 -> 0.0438.
  EXPECT_EQ(TradeFee(kMakerFees, Liquidity::kMaker, P("0.50"), C("10")), M("0.0438"));
  // combo: 0.035 x 10 x 0.25 = 0.0875.
  EXPECT_EQ(TradeFee(kComboMakerFees, Liquidity::kMaker, P("0.50"), C("10")), M("0.0875"));
  // Takers pay 0.07 on every type: 0.1750.
  EXPECT_EQ(TradeFee(kMakerFees, Liquidity::kTaker, P("0.50"), C("10")), M("0.1750"));
  EXPECT_EQ(TradeFee(kComboMakerFees, Liquidity::kTaker, P("0.50"), C("10")), M("0.1750"));
}

TEST(TradeFee, MultiplierScalesTheWholeFee) {
  // x 0.5: 0.035 x 10 x 0.25 = 0.0875.
  EXPECT_EQ(TradeFee({FeeType::kQuadratic, 5'000}, Liquidity::kTaker, P("0.50"), C("10")),
            M("0.0875"));
  // x 0: waived.
  EXPECT_EQ(TradeFee({FeeType::kQuadratic, 0}, Liquidity::kTaker, P("0.50"), C("10")), Money());
  // x 2 on the maker rate: 2 x 0.0175 x 1 x 0.2 x 0.8 = 0.0056.
  EXPECT_EQ(
      TradeFee({FeeType::kQuadraticWithMakerFees, 20'000}, Liquidity::kMaker, P("0.20"), C("1")),
      M("0.0056"));
}

TEST(TradeFee, ZeroAtTheEdgesAndForZeroCount) {
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0"), C("10")), Money());
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("1"), C("10")), Money());
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.50"), C("0")), Money());
}

TEST(TradeFee, LargeOrdersDoNotOverflow) {
  // 1,000,000 contracts at 0.50: 0.07 x 1e6 x 0.25 = 17,500 dollars exactly.
  EXPECT_EQ(TradeFee(kQuadratic, Liquidity::kTaker, P("0.50"), C("1000000")), M("17500"));
}

// ---------------------------------------------------------------------------------------------
// Rounding and the accumulator

TEST(FeeRounding, SellerRevenueIsPositive) {
  // Sell 10 YES @ 0.45 taker: fee 0.07 x 10 x 0.45 x 0.55 = 0.17325 -> 0.1733.
  // 4.50 - 0.1733 = 4.3267 -> floor 4.32; rounding 0.0067; net 0.18.
  const Money fee = TradeFee(kQuadratic, Liquidity::kTaker, P("0.45"), C("10"));
  EXPECT_EQ(fee, M("0.1733"));
  FeeAccumulator acc;
  const FillFee f = acc.Apply(M("4.50"), fee);
  EXPECT_EQ(f.balance_change, M("4.32"));
  EXPECT_EQ(f.rounding_fee, M("0.0067"));
  EXPECT_EQ(f.net_fee, M("0.18"));
  EXPECT_EQ(f.cash_change, M("4.32"));
}

TEST(FeeRounding, DirectMemberPrecisionIsACentiCent) {
  // Buy 3 @ 0.055 in one fill: fee 0.0110; -0.165 - 0.0110 = -0.1760: already on $0.0001.
  FeeAccumulator direct(BalancePrecision::kCentiCent);
  const FillFee d = direct.Apply(-M("0.165"), M("0.0110"));
  EXPECT_EQ(d.rounding_fee, Money());
  EXPECT_EQ(d.net_fee, M("0.0110"));
  EXPECT_EQ(d.cash_change, M("-0.1760"));
  // The same fill for a normal user: floor -0.18, rounding 0.0040, net 0.0150.
  FeeAccumulator normal;
  const FillFee n = normal.Apply(-M("0.165"), M("0.0110"));
  EXPECT_EQ(n.rounding_fee, M("0.0040"));
  EXPECT_EQ(n.net_fee, M("0.0150"));
  // Fractional contracts at a sub-penny price, direct member: 0.33 @ 0.555 -> revenue
  // -0.183150; fee 0.07 x 0.33 x 0.555 x 0.445 = 0.0057051225 -> 0.0058; -0.18895 ->
  // floor to $0.0001 = -0.1890; rounding 0.00005.
  const Money fee = TradeFee(kQuadratic, Liquidity::kTaker, P("0.555"), C("0.33"));
  EXPECT_EQ(fee, M("0.0058"));
  FeeAccumulator direct2(BalancePrecision::kCentiCent);
  const FillFee f = direct2.Apply(-core::Notional(P("0.555"), C("0.33")), fee);
  EXPECT_EQ(f.balance_change, M("-0.1890"));
  EXPECT_EQ(f.rounding_fee, M("0.00005"));
  EXPECT_EQ(f.net_fee, M("0.00585"));
}

TEST(FeeRounding, RebateAtExactlyOneCent) {
  // revenue -0.055, trade fee 0.0100: -0.065 -> -0.07, rounding 0.005 per fill.
  FeeAccumulator acc;
  EXPECT_EQ(acc.Apply(-M("0.055"), M("0.01")).rebate, Money());
  // acc 0.005 + 0.005 = 0.010 -> rebate (the documented purpose: converge to one fill).
  const FillFee f2 = acc.Apply(-M("0.055"), M("0.01"));
  EXPECT_EQ(f2.rebate, M("0.01"));
  EXPECT_EQ(f2.net_fee, M("0.005"));  // 0.01 + 0.005 - 0.01
  EXPECT_EQ(acc.accumulated(), Money());
}

TEST(FeeRounding, RebateIsDeferredRatherThanMakingTheNetFeeNegative) {
  // Maker fills on a `quadratic` series pay no trade fee; -0.055 -> -0.06, rounding 0.005.
  FeeAccumulator acc;
  const FillFee f1 = acc.Apply(-M("0.055"), Money());
  EXPECT_EQ(f1.net_fee, M("0.005"));
  // acc 0.010 but this fill's gross fee is only 0.005: a $0.01 rebate would make the net fee
  // -0.005, so it stays in the accumulator.
  const FillFee f2 = acc.Apply(-M("0.055"), Money());
  EXPECT_EQ(f2.rebate, Money());
  EXPECT_EQ(f2.net_fee, M("0.005"));
  EXPECT_EQ(f2.cash_change, M("-0.06"));
  EXPECT_EQ(acc.accumulated(), M("0.010"));
  // A later taker fill (fee 0.0085, rounding 0.0065, gross 0.015) takes the deferred rebate:
  // acc 0.0165 -> rebate 0.01, acc 0.0065, net 0.005.
  const FillFee f3 = acc.Apply(-M("0.055"), M("0.0085"));
  EXPECT_EQ(f3.rebate, M("0.01"));
  EXPECT_EQ(f3.net_fee, M("0.005"));
  EXPECT_EQ(acc.accumulated(), M("0.0065"));
}

TEST(FeeRounding, FloorToRoundsTowardMinusInfinity) {
  const Money cent = PrecisionUnit(BalancePrecision::kCent);
  EXPECT_EQ(cent, M("0.01"));
  EXPECT_EQ(PrecisionUnit(BalancePrecision::kCentiCent), M("0.0001"));
  EXPECT_EQ(FloorTo(M("-5.175"), cent), M("-5.18"));
  EXPECT_EQ(FloorTo(M("5.175"), cent), M("5.17"));
  EXPECT_EQ(FloorTo(M("-5.17"), cent), M("-5.17"));
  EXPECT_EQ(FloorTo(Money(), cent), Money());
}

// ---------------------------------------------------------------------------------------------
// Names and parsing

TEST(FeeSchedule, ParsesKalshiStrings) {
  auto s = FeeSchedule::Parse("quadratic_with_maker_fees", "0.5");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->type, FeeType::kQuadraticWithMakerFees);
  EXPECT_EQ(s->multiplier, 5'000);
  auto d = FeeSchedule::Parse("quadratic", "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->multiplier, kMultiplierScale);
  auto one = FeeSchedule::Parse("quadratic_with_combo_maker_fees", "1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->type, FeeType::kQuadraticWithComboMakerFees);
  EXPECT_EQ(one->multiplier, kMultiplierScale);

  EXPECT_FALSE(FeeSchedule::Parse("flat", "1").ok());
  EXPECT_FALSE(FeeSchedule::Parse("quadratic", "-1").ok());
  EXPECT_FALSE(FeeSchedule::Parse("quadratic", "1e0").ok());
  EXPECT_FALSE(FeeSchedule::Parse("quadratic", "0.12345").ok());
  for (FeeType t : {FeeType::kQuadratic, FeeType::kQuadraticWithMakerFees,
                    FeeType::kQuadraticWithComboMakerFees}) {
    EXPECT_EQ(ParseFeeType(FeeTypeName(t)), t);
  }
  EXPECT_EQ(LiquidityName(Liquidity::kMaker), "maker");
}

// ---------------------------------------------------------------------------------------------
// Properties

// A uniform draw over the whole range from the first run (gen::inRange scales with the size).
template <typename T>
T Uniform(T min, T max) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(min, max));
}

RC_GTEST_PROP(FeeProperty, AccumulatorInvariantsHoldForAnyFillSequence, ()) {
  const bool direct = *rc::gen::arbitrary<bool>();
  FeeAccumulator acc(direct ? BalancePrecision::kCentiCent : BalancePrecision::kCent);
  const Money unit = PrecisionUnit(acc.precision());
  const int fills = Uniform<int>(1, 40);
  Money rounding_sum, rebate_sum;
  for (int i = 0; i < fills; ++i) {
    const Price price = Price::FromUnits(Uniform<int64_t>(0, 10'001));
    const Count count = Count::FromUnits(Uniform<int64_t>(1, 100'000));
    const bool buy = *rc::gen::arbitrary<bool>();
    const Liquidity liq = *rc::gen::arbitrary<bool>() ? Liquidity::kTaker : Liquidity::kMaker;
    const Money revenue = buy ? -core::Notional(price, count) : core::Notional(price, count);
    const Money trade_fee = TradeFee(kMakerFees, liq, price, count);
    const FillFee f = acc.Apply(revenue, trade_fee);
    RC_ASSERT(f.net_fee >= Money());
    RC_ASSERT(f.net_fee == f.trade_fee + f.rounding_fee - f.rebate);
    RC_ASSERT(f.cash_change == revenue - f.net_fee);
    RC_ASSERT(f.balance_change.units() % unit.units() == 0);
    RC_ASSERT(f.cash_change.units() % unit.units() == 0);
    RC_ASSERT(f.rounding_fee >= Money() && f.rounding_fee < unit);
    RC_ASSERT(f.rebate.units() % 10'000 == 0);
    rounding_sum += f.rounding_fee;
    rebate_sum += f.rebate;
  }
  RC_ASSERT(acc.accumulated() == rounding_sum - rebate_sum);
  RC_ASSERT(acc.accumulated() >= Money());
}

RC_GTEST_PROP(FeeProperty, TradeFeeIsSymmetricAndSubadditive, ()) {
  const Price price = Price::FromUnits(Uniform<int64_t>(0, 10'001));
  const Count a = Count::FromUnits(Uniform<int64_t>(0, 1'000'000));
  const Count b = Count::FromUnits(Uniform<int64_t>(0, 1'000'000));
  const Money whole = TradeFee(kQuadratic, Liquidity::kTaker, price, a + b);
  RC_ASSERT(whole == TradeFee(kQuadratic, Liquidity::kTaker, price.Complement(), a + b));
  // ceil(x + y) <= ceil(x) + ceil(y): splitting a fill never lowers the trade fee.
  RC_ASSERT(whole <= TradeFee(kQuadratic, Liquidity::kTaker, price, a) +
                         TradeFee(kQuadratic, Liquidity::kTaker, price, b));
  // The maker rate is a quarter of the taker rate, so the maker fee is at most the taker fee.
  RC_ASSERT(TradeFee(kMakerFees, Liquidity::kMaker, price, a + b) <= whole);
  RC_ASSERT(whole.units() % 100 == 0);  // a multiple of $0.0001
}

}  // namespace
}  // namespace kalshiflow::kalshi
