#include "core/fixed_point.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

namespace kalshiflow::core {
namespace {

TEST(PriceTest, ParsesKalshiDollarStringsExactly) {
  EXPECT_EQ(Price::Parse("0.5600")->units(), 5600);
  EXPECT_EQ(Price::Parse("0.960")->units(), 9600);  // 3 dp, as in AsyncAPI examples
  EXPECT_EQ(Price::Parse("0.08")->units(), 800);
  EXPECT_EQ(Price::Parse("1")->units(), 10000);
  EXPECT_EQ(Price::Parse("0.0001")->units(), 1);  // sub-cent tick
  EXPECT_EQ(Price::Parse("-0.25")->units(), -2500);
}

TEST(PriceTest, AcceptsTrailingZerosBeyondFourDecimals) {
  // Kalshi responses may emit 6 dp; zeros beyond our scale lose nothing.
  EXPECT_EQ(Price::Parse("0.560000")->units(), 5600);
}

TEST(PriceTest, RejectsMoreThanFourSignificantDecimals) {
  auto r = Price::Parse("0.12345");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), DecimalError::kTooManyDecimals);
}

TEST(PriceTest, RejectsJunk) {
  for (const char* junk : {"", "-", "abc", "0.5x", "0..5", ".5", "5.", "+0.5", " 0.5", "0.5 ",
                           "1e-2", "0,5", "--1", "0.-5"}) {
    auto r = Price::Parse(junk);
    EXPECT_FALSE(r.ok()) << "accepted '" << junk << "'";
  }
  EXPECT_EQ(Price::Parse("").error(), DecimalError::kEmpty);
  EXPECT_EQ(Price::Parse("1.2.3").error(), DecimalError::kMalformed);
}

TEST(PriceTest, RejectsOverflow) {
  EXPECT_EQ(Price::Parse("922337203685477.5808").error(), DecimalError::kOutOfRange);
  EXPECT_EQ(Price::Parse("99999999999999999999").error(), DecimalError::kOutOfRange);
  EXPECT_EQ(Price::Parse("-922337203685477.5808")->units(), std::numeric_limits<int64_t>::min());
}

TEST(PriceTest, FormatsWithFourDecimals) {
  EXPECT_EQ(Price::FromUnits(5600).ToString(), "0.5600");
  EXPECT_EQ(Price::FromUnits(1).ToString(), "0.0001");
  EXPECT_EQ(Price::FromUnits(10000).ToString(), "1.0000");
  EXPECT_EQ(Price::FromUnits(-2500).ToString(), "-0.2500");
  EXPECT_EQ(Price::FromUnits(0).ToString(), "0.0000");
  EXPECT_EQ(Price::FromUnits(std::numeric_limits<int64_t>::min()).ToString(),
            "-922337203685477.5808");
}

TEST(PriceTest, LegacyCentsAndComplement) {
  EXPECT_EQ(Price::FromCents(45), *Price::Parse("0.45"));
  EXPECT_EQ(Price::FromCents(45).Complement(), Price::FromCents(55));
  EXPECT_TRUE(Price::FromCents(1).IsTradable());
  EXPECT_FALSE(Price::FromCents(100).IsTradable());
  EXPECT_FALSE(Price::FromCents(0).IsTradable());
}

TEST(CountTest, ParsesAndFormatsTwoDecimals) {
  EXPECT_EQ(Count::Parse("300.00")->units(), 30000);
  EXPECT_EQ(Count::Parse("-54.00")->units(), -5400);
  EXPECT_EQ(Count::Parse("0.01")->units(), 1);
  EXPECT_EQ(Count::Parse("10")->units(), 1000);
  EXPECT_EQ(Count::Parse("1.005").error(), DecimalError::kTooManyDecimals);
  EXPECT_EQ(Count::FromContracts(10).ToString(), "10.00");
  EXPECT_EQ(Count::FromUnits(-5400).ToString(), "-54.00");
}

TEST(MoneyTest, NotionalIsExact) {
  // 0.3333 $ x 3.33 contracts = 1.109889 $ exactly.
  EXPECT_EQ(Notional(*Price::Parse("0.3333"), *Count::Parse("3.33")).ToString(), "1.109889");
  EXPECT_EQ(Money::Parse("0.041234")->units(), 41234);
  EXPECT_EQ(Money::FromPrice(Price::FromCents(7)).ToString(), "0.070000");
}

// Property: format then parse returns the same units, for every int64 value.
RC_GTEST_PROP(FixedPointProperty, PriceFormatParseRoundTrip, (int64_t units)) {
  auto p = Price::FromUnits(units);
  auto back = Price::Parse(p.ToString());
  RC_ASSERT(back.ok());
  RC_ASSERT(back->units() == units);
}

RC_GTEST_PROP(FixedPointProperty, CountFormatParseRoundTrip, (int64_t units)) {
  auto back = Count::Parse(Count::FromUnits(units).ToString());
  RC_ASSERT(back.ok());
  RC_ASSERT(back->units() == units);
}

// Property: parse then format normalises to exactly kDecimals places and preserves value.
RC_GTEST_PROP(FixedPointProperty, ParseFormatNormalises, ()) {
  const auto whole = *rc::gen::inRange<int64_t>(0, 1'000'000);
  const auto decimals = *rc::gen::inRange(0, 5);
  std::string frac;
  for (int i = 0; i < decimals; ++i) frac += static_cast<char>('0' + *rc::gen::inRange(0, 10));
  std::string text = std::to_string(whole) + (decimals ? "." + frac : "");
  auto p = Price::Parse(text);
  RC_ASSERT(p.ok());
  std::string expected_frac = frac;
  expected_frac.resize(4, '0');
  RC_ASSERT(p->ToString() == std::to_string(whole) + "." + expected_frac);
}

// Property: arithmetic is exact integer arithmetic on units.
RC_GTEST_PROP(FixedPointProperty, ArithmeticMatchesUnits, ()) {
  const auto a = *rc::gen::inRange<int64_t>(-1'000'000'000, 1'000'000'000);
  const auto b = *rc::gen::inRange<int64_t>(-1'000'000'000, 1'000'000'000);
  const auto k = *rc::gen::inRange<int64_t>(-1000, 1000);
  auto pa = Price::FromUnits(a), pb = Price::FromUnits(b);
  RC_ASSERT((pa + pb).units() == a + b);
  RC_ASSERT((pa - pb).units() == a - b);
  RC_ASSERT((pa * k).units() == a * k);
  RC_ASSERT((pa < pb) == (a < b));
  RC_ASSERT((pa + pb - pb) == pa);
  RC_ASSERT(pa.Complement().Complement() == pa);
}

}  // namespace
}  // namespace kalshiflow::core
