// Position health: returns at executable prices with hand-computed figures, each rule firing at
// its threshold and not before, the hold clock restarting when a position flips, and invalid
// configurations refused with the field named.
#include "trading/position_health.h"

#include <gtest/gtest.h>

#include "sim/tests/test_util.h"

namespace kalshiflow::trading {
namespace {

using sim::testing::Snapshot;

constexpr const char* kA = "KXA-26JAN01-T1";
const core::Timestamp kT0 = core::Timestamp::FromNanos(1'767'225'600'000'000'000);
constexpr int64_t kMinute = 60'000'000'000;

// kT0 + `minutes`.
core::Timestamp At(int64_t minutes) {
  return core::Timestamp::FromNanos(kT0.nanos() + minutes * kMinute);
}

core::Count Contracts(int64_t n) { return core::Count::FromContracts(n); }
core::Money Dollars(const char* text) { return *core::Money::Parse(text); }

// YES bid `yes_bid`, NO bid `no_bid` (both 500 deep).
book::OrderBook Book(const char* yes_bid, const char* no_bid) {
  book::OrderBook b(kA, book::PriceGrid::LinearCent());
  Snapshot(b, {{yes_bid, "500"}}, {{no_bid, "500"}});
  return b;
}

TEST(PositionHealthTest, MarksAtTheBidOfTheHeldLeg) {
  // 10 YES that cost $3.00, YES bid 0.36: exit value $3.60, return +20%.
  PositionMark m = MarkPosition(Contracts(10), Dollars("3.00"), Book("0.36", "0.60"));
  EXPECT_EQ(m.exit_value, Dollars("3.60"));
  ASSERT_TRUE(m.return_ratio.has_value());
  EXPECT_NEAR(*m.return_ratio, 0.20, 1e-12);
  // 10 NO that cost $7.00, NO bid 0.56: $5.60, -20%.
  m = MarkPosition(Contracts(-10), Dollars("7.00"), Book("0.40", "0.56"));
  EXPECT_EQ(m.exit_value, Dollars("5.60"));
  EXPECT_NEAR(*m.return_ratio, -0.20, 1e-12);
  // No bid on the held leg: nothing to judge.
  book::OrderBook one_sided(kA, book::PriceGrid::LinearCent());
  Snapshot(one_sided, {{"0.40", "500"}}, {});
  EXPECT_FALSE(MarkPosition(Contracts(-10), Dollars("7.00"), one_sided).return_ratio.has_value());
}

TEST(PositionHealthTest, StopLossAndTakeProfitFireAtTheirThresholds) {
  PositionHealthConfig c;
  c.take_profit = 0.30;
  c.stop_loss = 0.20;
  c.min_move_per_contract = Dollars("0.05");
  PositionHealth h(c);
  h.Observe(kA, Contracts(10), kT0);
  const core::Money cost = Dollars("3.00");  // 10 YES at 0.30
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, Book("0.38", "0.60"), kT0), ExitReason::kNone);
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, Book("0.39", "0.60"), kT0),
            ExitReason::kTakeProfit);  // 3.90 / 3.00 - 1 = +30%
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, Book("0.25", "0.60"), kT0),
            ExitReason::kNone);  // -16.7%
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, Book("0.24", "0.60"), kT0),
            ExitReason::kStopLoss);  // 2.40 / 3.00 - 1 = -20%
  EXPECT_EQ(h.Check(kA, core::Count(), cost, Book("0.10", "0.60"), kT0), ExitReason::kNone);
  // A cheap position: 10 YES at 0.03 ($0.30), bid 0.02: -33% but only 1 cent a contract, under
  // the 5-cent minimum move; at 0.08 (+167%, +5 cents) take profit fires.
  const core::Money cheap = Dollars("0.30");
  EXPECT_EQ(h.Check(kA, Contracts(10), cheap, Book("0.02", "0.97"), kT0), ExitReason::kNone);
  EXPECT_EQ(h.Check(kA, Contracts(10), cheap, Book("0.07", "0.92"), kT0), ExitReason::kNone);
  EXPECT_EQ(h.Check(kA, Contracts(10), cheap, Book("0.08", "0.91"), kT0), ExitReason::kTakeProfit);
  c.enabled = false;
  EXPECT_EQ(PositionHealth(c).Check(kA, Contracts(10), cost, Book("0.10", "0.60"), kT0),
            ExitReason::kNone);
}

TEST(PositionHealthTest, MaxHoldCountsFromWhenThePositionOpenedAndRestartsOnAFlip) {
  PositionHealthConfig c;
  c.max_hold_ns = 30 * kMinute;
  PositionHealth h(c);
  const book::OrderBook fair = Book("0.30", "0.69");
  const core::Money cost = Dollars("6.00");  // 20 YES at 0.30: return 0
  h.Observe(kA, Contracts(10), kT0);
  h.Observe(kA, Contracts(20), At(10));  // added to
  EXPECT_EQ(*h.opened_at(kA), kT0);
  EXPECT_EQ(h.Check(kA, Contracts(20), cost, fair, At(29)), ExitReason::kNone);
  EXPECT_EQ(h.Check(kA, Contracts(20), cost, fair, At(30)), ExitReason::kMaxHold);
  // Flipped to NO: a new position, a new clock.
  const core::Timestamp flip = At(31);
  h.Observe(kA, Contracts(-10), flip);
  EXPECT_EQ(*h.opened_at(kA), flip);
  h.Observe(kA, core::Count(), flip);
  EXPECT_FALSE(h.opened_at(kA).has_value());
}

TEST(PositionHealthTest, ClosingSoonNeedsTheCloseTimeAndComesFirst) {
  PositionHealthConfig c;
  c.closing_soon_ns = 15 * kMinute;
  c.take_profit = 0.30;
  PositionHealth h(c);
  const core::Money cost = Dollars("3.00");
  const book::OrderBook rich = Book("0.50", "0.49");  // +67%: take profit too
  h.Observe(kA, Contracts(10), kT0);
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, rich, kT0), ExitReason::kTakeProfit);  // no close
  h.SetCloseTime(kA, At(20));
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, Book("0.30", "0.69"), kT0), ExitReason::kNone);
  const core::Timestamp late = At(5);
  EXPECT_EQ(h.Check(kA, Contracts(10), cost, rich, late), ExitReason::kClosingSoon);
}

TEST(PositionHealthTest, InvalidConfigurationsNameTheField) {
  PositionHealthConfig c;
  c.stop_loss = 1.5;
  EXPECT_NE(Validate(c).message().find("stop_loss"), std::string::npos);
  c = {};
  c.take_profit = -0.1;
  EXPECT_NE(Validate(c).message().find("take_profit"), std::string::npos);
  c = {};
  c.max_hold_ns = -1;
  EXPECT_NE(Validate(c).message().find("max_hold"), std::string::npos);
  EXPECT_TRUE(Validate(PositionHealthConfig{}).ok());
  EXPECT_EQ(ExitReasonName(ExitReason::kCashRecovery), "cash_recovery");
}

}  // namespace
}  // namespace kalshiflow::trading
