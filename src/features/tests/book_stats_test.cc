// SummarizeBook and the unit conversions (spec "Inputs").
#include "features/book_stats.h"

#include <gtest/gtest.h>

#include "features/tests/test_util.h"
#include "features/units.h"

namespace kalshiflow::features {
namespace {

using testing::CentLevel;
using testing::MakeBook;
using testing::UnitLevel;
using testing::WorkedBook;

TEST(UnitsTest, PricesConvertToCentsExactly) {
  // Whole and half cents are exact doubles: 4500 units / 100 = 45, 4550 / 100 = 45.5.
  EXPECT_EQ(PriceToCents(core::Price::FromUnits(4500)), 45.0);
  EXPECT_EQ(PriceToCents(core::Price::FromUnits(4550)), 45.5);
  EXPECT_EQ(PriceToCents(core::Price::FromUnits(4525)), 45.25);
  // A sub-cent price keeps its fraction: 4555 units = 45.55 cents, the nearest double (never
  // rounded to 45 or 46 cents).
  EXPECT_EQ(PriceToCents(core::Price::FromUnits(4555)), 45.55);
  EXPECT_EQ(PriceToDollars(core::Price::FromUnits(4555)), 0.4555);
  EXPECT_EQ(PriceToDollars(core::Price::FromCents(45)), 0.45);
}

TEST(UnitsTest, CountsAndMoney) {
  EXPECT_EQ(CountToContracts(core::Count::FromContracts(-300)), -300.0);
  EXPECT_EQ(CountToContracts(core::Count::FromUnits(150)), 1.5);  // 1.50 contracts
  // Money: 1e-6 $; $1.00 = 1,000,000 units = 100 cents.
  EXPECT_EQ(MoneyToCents(core::Money::FromUnits(1'000'000)), 100.0);
  EXPECT_EQ(MoneyToCents(core::Money::FromCents(60'000)), 60'000.0);
  EXPECT_EQ(MoneyToCents(core::Money::FromUnits(100)), 0.01);  // 0.0001 $ = 0.01 cent
}

TEST(BookStatsTest, WorkedBook) {
  // Spec test vector: YES bids {45: 1000, 44: 500}, NO bids {54: 600, 53: 300}.
  const BookStats s = SummarizeBook(WorkedBook());
  EXPECT_TRUE(s.has_yes_bid);
  EXPECT_TRUE(s.has_no_bid);
  EXPECT_EQ(s.best_yes_bid, 4500);
  EXPECT_EQ(s.best_no_bid, 5400);
  EXPECT_EQ(s.best_yes_ask(), 4600);  // 1 $ - 0.54 = 0.46 (spec: bya = 46)
  EXPECT_EQ(s.best_no_ask(), 5500);   // 1 $ - 0.45 = 0.55 (spec: bna = 55)
  // Sizes in 1/100 contract: YB = 1500 contracts, NB = 900, YA = NB, NA = YB.
  EXPECT_EQ(s.yes_bid_size, 150'000);
  EXPECT_EQ(s.no_bid_size, 90'000);
  EXPECT_EQ(s.yes_ask_size(), 90'000);
  EXPECT_EQ(s.no_ask_size(), 150'000);
  EXPECT_EQ(s.yes_volume(), 240'000);    // VY = 1500 + 900
  EXPECT_EQ(s.no_volume(), 240'000);     // VN = 900 + 1500
  EXPECT_EQ(s.total_volume(), 480'000);  // V = 4800 contracts (spec)
  EXPECT_EQ(s.yes_bid_levels, 2u);
  EXPECT_EQ(s.no_bid_levels, 2u);
  EXPECT_EQ(s.top3_size, 210'000);      // 1000 + 600 + 500 contracts
  EXPECT_EQ(s.yes_mid_twice(), 9100);   // 0.45 + 0.46
  EXPECT_EQ(s.no_mid_twice(), 10'900);  // 0.54 + 0.55
  EXPECT_EQ(s.yes_mid_cents(), 45.5);   // (45 + 46) / 2
}

TEST(BookStatsTest, EmptyBookHasNoSidesAndNoMid) {
  const BookStats empty_snapshot = SummarizeBook(MakeBook({}, {}));
  const BookStats no_snapshot = SummarizeBook(book::OrderBook("KXTEST"));
  for (const BookStats& s : {empty_snapshot, no_snapshot}) {
    EXPECT_FALSE(s.has_yes_bid);
    EXPECT_FALSE(s.has_no_bid);
    EXPECT_FALSE(s.has_yes_ask());
    EXPECT_FALSE(s.has_no_ask());
    EXPECT_EQ(s.total_volume(), 0);
    EXPECT_EQ(s.top3_size, 0);
    EXPECT_FALSE(s.yes_mid_cents().has_value());
  }
}

TEST(BookStatsTest, OneSidedBook) {
  // Only YES bids: a NO ask exists (1 - 0.45), no YES ask, so no YES mid.
  const BookStats s = SummarizeBook(MakeBook({CentLevel(45, 10)}, {}));
  EXPECT_TRUE(s.has_no_ask());
  EXPECT_FALSE(s.has_yes_ask());
  EXPECT_EQ(s.best_no_ask(), 5500);
  EXPECT_FALSE(s.yes_mid_twice().has_value());
  EXPECT_FALSE(s.no_mid_twice().has_value());
}

TEST(BookStatsTest, TopThreeOverBothLadders) {
  // Sizes 5, 70, 20 (YES) and 90, 1, 60 (NO): the three largest are 90, 70, 60 = 220.
  const BookStats s =
      SummarizeBook(MakeBook({CentLevel(10, 5), CentLevel(11, 70), CentLevel(12, 20)},
                             {CentLevel(50, 90), CentLevel(51, 1), CentLevel(52, 60)}));
  EXPECT_EQ(s.top3_size, 22'000);
  // Fewer than three levels: all of them.
  EXPECT_EQ(SummarizeBook(MakeBook({CentLevel(10, 5)}, {CentLevel(50, 7)})).top3_size, 1'200);
}

TEST(BookStatsTest, SubCentPricesGiveFractionalCents) {
  // YES bid 0.4555, NO bid 0.5350 -> YES ask 0.4650; mid = (45.55 + 46.50) / 2 = 46.025 cents.
  const BookStats s = SummarizeBook(MakeBook({UnitLevel(4555, 1000)}, {UnitLevel(5350, 1000)}));
  EXPECT_EQ(s.best_yes_ask(), 4650);
  EXPECT_EQ(s.yes_mid_twice(), 9205);
  EXPECT_EQ(s.yes_mid_cents(), 9205 / 200.0);
  EXPECT_NEAR(*s.yes_mid_cents(), 46.025, 1e-12);
}

}  // namespace
}  // namespace kalshiflow::features
