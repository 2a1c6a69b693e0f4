#include "core/market.h"

#include <gtest/gtest.h>

namespace kalshiflow::core {
namespace {

TEST(MarketTickerTest, AcceptsRealTickers) {
  for (const char* t : {"KXHIGHNY-25DEC05-B32.5", "FED-23DEC-T3.00", "INXD-23SEP14-B4487",
                        "KXGOLD15M-26AUG102130-30", "HIGHNY-22DEC23-B53.5"}) {
    auto r = MarketTicker::Parse(t);
    ASSERT_TRUE(r.ok()) << t;
    EXPECT_EQ(r->str(), t);
  }
}

TEST(MarketTickerTest, RejectsBadTickersNamingTheProblem) {
  EXPECT_FALSE(MarketTicker::Parse("").ok());
  auto r = MarketTicker::Parse("KX HIGH");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("offset 2"), std::string::npos);
  EXPECT_FALSE(MarketTicker::Parse("kxhigh").ok());
  EXPECT_FALSE(MarketTicker::Parse(std::string(200, 'A')).ok());
  EXPECT_FALSE(MarketTicker::Parse("A\"B").ok());
}

TEST(SideTest, ParseAndName) {
  EXPECT_EQ(ParseOutcomeSide("yes"), OutcomeSide::kYes);
  EXPECT_EQ(ParseOutcomeSide("no"), OutcomeSide::kNo);
  EXPECT_EQ(ParseOutcomeSide("YES"), std::nullopt);
  EXPECT_EQ(ParseBookSide("ask"), BookSide::kAsk);
  EXPECT_EQ(ParseBookSide("sell"), std::nullopt);
  EXPECT_EQ(OutcomeSideName(Opposite(OutcomeSide::kYes)), "no");
  EXPECT_EQ(BookSideName(BookSide::kBid), "bid");
}

}  // namespace
}  // namespace kalshiflow::core
