// Action decoding, against the original system's table for its 21-action space
// (backend/src/kalshiflow_rl/training/reports/position-sizing-plan.md, "Action Mapping":
// 0 HOLD; 1-5 BUY_YES 5/10/20/50/100; 6-10 SELL_YES; 11-15 BUY_NO; 16-20 SELL_NO).
#include "policy/action_space.h"

#include <gtest/gtest.h>

namespace kalshiflow::policy {
namespace {

using core::Count;
using core::OutcomeSide;

TEST(ActionSpaceTest, ParsesDiscreteIds) {
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-5"), 5);
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-21"), 21);
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-0"), std::nullopt);
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-05"), std::nullopt);
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-"), std::nullopt);
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-5x"), std::nullopt);
  EXPECT_EQ(ParseDiscreteActionSpace("discrete-99999999999"), std::nullopt);
  EXPECT_EQ(ParseDiscreteActionSpace("box-3"), std::nullopt);
  EXPECT_EQ(DiscreteActionSpaceId(21), "discrete-21");
}

TEST(ActionSpaceTest, Discrete5IsTenContracts) {
  auto d = ActionDecoder::ForSpace("discrete-5");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 5);
  const Count ten = Count::FromContracts(10);
  EXPECT_EQ(d->Decode(0), TradeAction{});
  EXPECT_EQ(d->Decode(1), (TradeAction{ActionKind::kBuy, OutcomeSide::kYes, ten}));
  EXPECT_EQ(d->Decode(2), (TradeAction{ActionKind::kSell, OutcomeSide::kYes, ten}));
  EXPECT_EQ(d->Decode(3), (TradeAction{ActionKind::kBuy, OutcomeSide::kNo, ten}));
  EXPECT_EQ(d->Decode(4), (TradeAction{ActionKind::kSell, OutcomeSide::kNo, ten}));
  EXPECT_EQ(d->Describe(4), "SELL_NO x10");
}

TEST(ActionSpaceTest, Discrete21MatchesTheOriginalTable) {
  auto d = ActionDecoder::ForSpace("discrete-21");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 21);
  const std::vector<std::string> want = {
      "HOLD",          "BUY_YES x5",  "BUY_YES x10",  "BUY_YES x20",  "BUY_YES x50",
      "BUY_YES x100",  "SELL_YES x5", "SELL_YES x10", "SELL_YES x20", "SELL_YES x50",
      "SELL_YES x100", "BUY_NO x5",   "BUY_NO x10",   "BUY_NO x20",   "BUY_NO x50",
      "BUY_NO x100",   "SELL_NO x5",  "SELL_NO x10",  "SELL_NO x20",  "SELL_NO x50",
      "SELL_NO x100"};
  for (int i = 0; i < 21; ++i) EXPECT_EQ(d->Describe(i), want[static_cast<size_t>(i)]) << i;
  EXPECT_EQ(d->Decode(13),
            (TradeAction{ActionKind::kBuy, OutcomeSide::kNo, Count::FromContracts(20)}));
  for (int i = 0; i < 21; ++i) EXPECT_EQ(d->Encode(d->Decode(i)), i) << i;
  EXPECT_EQ(d->Encode({ActionKind::kBuy, OutcomeSide::kYes, Count::FromContracts(7)}),
            std::nullopt);
}

TEST(ActionSpaceTest, UnknownSpacesAreTyped) {
  auto d = ActionDecoder::ForSpace("discrete-9");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, PolicyErrorKind::kUnknownActionSpace);
}

TEST(ActionSpaceDeathTest, OutOfRangeIndexIsAnInvariant) {
  auto d = ActionDecoder::ForSpace("discrete-5");
  ASSERT_TRUE(d.ok());
  EXPECT_DEATH((void)d->Decode(5), "action 5 outside discrete-5");
}

}  // namespace
}  // namespace kalshiflow::policy
