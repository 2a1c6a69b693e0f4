#include "book/order_book.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "book/tests/test_util.h"

namespace kalshiflow::book {
namespace {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

using testing::C;
using testing::D;
using testing::kNo;
using testing::kYes;
using testing::L;

TEST(OrderBookTest, StartsEmptyWithoutSnapshot) {
  OrderBook book("MKT");
  EXPECT_EQ(book.ticker(), "MKT");
  EXPECT_FALSE(book.has_snapshot());
  EXPECT_FALSE(book.live());
  EXPECT_FALSE(book.BestBid(kYes).has_value());
  EXPECT_FALSE(book.BestAsk(kNo).has_value());
  EXPECT_FALSE(book.IsCrossed());
  auto r = book.ApplyDelta(kYes, D("0.45"), C("1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), BookError::kNoSnapshot);
  EXPECT_EQ(book.counters().rejected, 1u);
}

TEST(OrderBookTest, KalshiDocumentedSnapshotAndDelta) {
  // PROTOCOL §3.4 example: yes [0.08x300, 0.22x333], no [0.54x20, 0.56x146].
  OrderBook book("FED-23DEC-T3.00");
  const std::vector<PriceLevel> yes = {L("0.0800", "300.00"), L("0.2200", "333.00")};
  const std::vector<PriceLevel> no = {L("0.5400", "20.00"), L("0.5600", "146.00")};
  ASSERT_FALSE(book.ApplySnapshot(yes, no, UpdateInfo{2, std::nullopt}).has_value());
  EXPECT_EQ(*book.BestBid(kYes), L("0.22", "333"));
  EXPECT_EQ(*book.BestAsk(kYes), L("0.44", "146"));  // 1 - 0.56
  EXPECT_EQ(*book.BestAsk(kNo), L("0.78", "333"));   // 1 - 0.22
  EXPECT_EQ(*book.Spread(kYes), D("0.22"));
  EXPECT_EQ(book.Mid(kYes)->twice_units, 2200 + 4400);
  EXPECT_DOUBLE_EQ(book.Mid(kYes)->Dollars(), 0.33);
  EXPECT_EQ(book.last_seq(), 2);

  // delta_fp -54.00 at 0.960 on yes: no such level -> clamped, nothing stored.
  auto r = book.ApplyDelta(kYes, D("0.960"), C("-54.00"), UpdateInfo{3, 1669149841000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, DeltaEffect::kClamped);
  EXPECT_EQ(book.BidLevelCount(kYes), 2u);
  EXPECT_EQ(book.counters().clamped, 1u);
  EXPECT_EQ(book.last_seq(), 3);
  EXPECT_EQ(book.last_exchange_ts_ms(), 1669149841000);
}

TEST(OrderBookTest, TopLevelsAreBestFirst) {
  OrderBook book;
  const std::vector<PriceLevel> yes = {L("0.40", "1"), L("0.45", "2"), L("0.42", "3")};
  const std::vector<PriceLevel> no = {L("0.50", "4"), L("0.52", "5")};
  ASSERT_FALSE(book.ApplySnapshot(yes, no).has_value());
  EXPECT_EQ(book.TopBids(kYes, 2), (std::vector<PriceLevel>{L("0.45", "2"), L("0.42", "3")}));
  EXPECT_EQ(book.TopBids(kYes, 10).size(), 3u);
  EXPECT_EQ(book.TopAsks(kYes, 5), (std::vector<PriceLevel>{L("0.48", "5"), L("0.50", "4")}));
  PriceLevel out[2];
  EXPECT_EQ(book.TopAsks(kNo, out), 2u);
  EXPECT_EQ(out[0], L("0.55", "2"));
  EXPECT_EQ(out[1], L("0.58", "3"));
  EXPECT_EQ(book.TotalBidSize(kYes), C("6"));
  // Bids() exposes the ascending ladder with the best at the back.
  EXPECT_EQ(book.Bids(kYes).back(), L("0.45", "2"));
  EXPECT_EQ(book.Bids(kYes).front(), L("0.40", "1"));
}

TEST(OrderBookTest, MidFloorRoundsHalfUnitsDown) {
  EXPECT_EQ(MidPrice{9001}.Floor(), Price::FromUnits(4500));
  EXPECT_EQ(MidPrice{9000}.Floor(), Price::FromUnits(4500));
  EXPECT_EQ(MidPrice{-3}.Floor(), Price::FromUnits(-2));
}

TEST(OrderBookTest, StaleBookRefusesDeltasUntilSnapshot) {
  OrderBook book;
  ASSERT_FALSE(book.ApplySnapshot(std::vector<PriceLevel>{L("0.45", "1")}, {}).has_value());
  book.MarkStale();
  EXPECT_TRUE(book.stale());
  EXPECT_FALSE(book.live());
  auto r = book.ApplyDelta(kYes, D("0.45"), C("1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), BookError::kStale);
  EXPECT_EQ(*book.BestBid(kYes), L("0.45", "1"));  // still readable
  ASSERT_FALSE(book.ApplySnapshot(std::vector<PriceLevel>{L("0.46", "2")}, {}).has_value());
  EXPECT_TRUE(book.live());
  EXPECT_TRUE(book.ApplyDelta(kYes, D("0.46"), C("1")).ok());
}

TEST(OrderBookTest, RejectsHugeSizesWithoutOverflow) {
  OrderBook book;
  ASSERT_FALSE(book.ApplySnapshot({}, {}).has_value());
  const Count max = Count::FromUnits(kMaxLevelSize);
  EXPECT_TRUE(book.ApplyDelta(kYes, D("0.5"), max).ok());
  auto r = book.ApplyDelta(kYes, D("0.5"), Count::FromUnits(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), BookError::kBadSize);
  r = book.ApplyDelta(kYes, D("0.5"), Count::FromUnits(INT64_MAX));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), BookError::kBadSize);
  r = book.ApplyDelta(kYes, D("0.5"), Count::FromUnits(INT64_MIN));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*book.BestBid(kYes), (PriceLevel{D("0.5"), max}));
  const std::vector<PriceLevel> too_big = {{D("0.5"), Count::FromUnits(kMaxLevelSize + 1)}};
  EXPECT_EQ(book.ApplySnapshot(too_big, {}), BookError::kBadSize);
  const Price extreme = Price::FromUnits(INT64_MAX);
  EXPECT_EQ(book.ApplyDelta(kYes, extreme, C("1")).error(), BookError::kPriceOutOfRange);
}

TEST(OrderBookTest, GridChangeAppliesToNewMessages) {
  OrderBook book("MKT", PriceGrid::DeciCent());
  ASSERT_FALSE(book.ApplySnapshot(std::vector<PriceLevel>{L("0.455", "1")}, {}).has_value());
  book.SetPriceGrid(PriceGrid::LinearCent());
  EXPECT_EQ(book.ApplyDelta(kYes, D("0.456"), C("1")).error(), BookError::kOffGrid);
  EXPECT_TRUE(book.ApplyDelta(kYes, D("0.455"), C("1")).error() == BookError::kOffGrid);
  EXPECT_TRUE(book.ApplyDelta(kYes, D("0.46"), C("1")).ok());
  EXPECT_EQ(book.BidSizeAt(kYes, D("0.455")), C("1"));  // kept from before the change
}

TEST(OrderBookTest, ClearForgetsTheSnapshot) {
  OrderBook book;
  ASSERT_FALSE(book.ApplySnapshot(std::vector<PriceLevel>{L("0.45", "1")}, {}).has_value());
  book.Clear();
  EXPECT_FALSE(book.has_snapshot());
  EXPECT_EQ(book.BidLevelCount(kYes), 0u);
  EXPECT_EQ(book.ApplyDelta(kYes, D("0.45"), C("1")).error(), BookError::kNoSnapshot);
}

TEST(OrderBookTest, ErrorNamesRoundTrip) {
  for (std::size_t i = 0; i < kBookErrorCount; ++i) {
    const auto e = static_cast<BookError>(i);
    EXPECT_EQ(ParseBookError(BookErrorName(e)), e);
    EXPECT_NE(BookErrorName(e), "unknown");
  }
  EXPECT_EQ(ParseBookError("kNoSnapshot"), BookError::kNoSnapshot);
  EXPECT_FALSE(ParseBookError("nonsense").has_value());
}

// Deep books use the binary-search path of the level lookup.
TEST(OrderBookTest, DeepBookDeltasLandOnTheRightLevel) {
  OrderBook book;
  std::vector<PriceLevel> yes;
  for (int64_t u = 100; u <= 9900; u += 100) yes.push_back({Price::FromUnits(u), C("1")});
  ASSERT_FALSE(book.ApplySnapshot(yes, {}).has_value());
  EXPECT_EQ(*book.ApplyDelta(kYes, D("0.05"), C("2")), DeltaEffect::kChanged);
  EXPECT_EQ(*book.ApplyDelta(kYes, D("0.0550"), C("2")), DeltaEffect::kInserted);
  EXPECT_EQ(*book.ApplyDelta(kYes, D("0.0001"), C("2")), DeltaEffect::kInserted);
  EXPECT_EQ(*book.ApplyDelta(kYes, D("0.01"), C("-1")), DeltaEffect::kRemoved);
  EXPECT_EQ(book.BidSizeAt(kYes, D("0.05")), C("3"));
  EXPECT_EQ(book.BidSizeAt(kYes, D("0.055")), C("2"));
  EXPECT_EQ(book.BidSizeAt(kYes, D("0.01")), C("0"));
  EXPECT_EQ(book.Bids(kYes).front(), L("0.0001", "2"));
  EXPECT_TRUE(
      std::is_sorted(book.Bids(kYes).begin(), book.Bids(kYes).end(),
                     [](const PriceLevel& a, const PriceLevel& b) { return a.price < b.price; }));
}

// ---- properties -----------------------------------------------------------------------------

struct DeltaOp {
  bool yes;
  int64_t price_units;  // may be invalid on purpose
  int64_t delta_units;
};

rc::Gen<int64_t> GenPriceUnits() {
  // Mostly a narrow band near the top of book on a cent grid, sometimes any 4-dp price,
  // sometimes an invalid price.
  return rc::gen::weightedOneOf<int64_t>({
      {6, rc::gen::map(rc::gen::inRange<int64_t>(40, 60), [](int64_t c) { return c * 100; })},
      {3, rc::gen::inRange<int64_t>(1, 10'000)},
      {1, rc::gen::element<int64_t>(0, 10'000, -100, 10'001)},
  });
}

rc::Gen<DeltaOp> GenDelta() {
  return rc::gen::build<DeltaOp>(
      rc::gen::set(&DeltaOp::yes, rc::gen::arbitrary<bool>()),
      rc::gen::set(&DeltaOp::price_units, GenPriceUnits()),
      rc::gen::set(&DeltaOp::delta_units, rc::gen::inRange<int64_t>(-20'000, 20'001)));
}

rc::Gen<std::vector<PriceLevel>> GenLadder() {
  return rc::gen::map(
      rc::gen::container<std::map<int64_t, int64_t>>(rc::gen::inRange<int64_t>(1, 10'000),
                                                     rc::gen::inRange<int64_t>(1, 1'000'000)),
      [](const std::map<int64_t, int64_t>& m) {
        std::vector<PriceLevel> out;
        for (auto [p, s] : m) out.push_back({Price::FromUnits(p), Count::FromUnits(s)});
        return out;
      });
}

rc::Gen<std::vector<PriceLevel>> GenCentLadder() {
  return rc::gen::map(GenLadder(), [](std::vector<PriceLevel> levels) {
    std::map<int64_t, int64_t> cents;
    for (const auto& l : levels) cents[(l.price.units() % 99 + 1) * 100] = l.count.units();
    std::vector<PriceLevel> out;
    for (auto [p, s] : cents) out.push_back({Price::FromUnits(p), Count::FromUnits(s)});
    return out;
  });
}

void AssertWellFormed(const OrderBook& book) {
  for (OutcomeSide side : {kYes, kNo}) {
    const auto bids = book.Bids(side);
    for (std::size_t i = 0; i < bids.size(); ++i) {
      RC_ASSERT(bids[i].count.IsPositive());
      RC_ASSERT(bids[i].price.IsTradable());
      if (i > 0) RC_ASSERT(bids[i - 1].price < bids[i].price);  // sorted and unique
    }
  }
}

// Reference model: a map per side with the documented delta rule.
struct Model {
  std::map<int64_t, int64_t> side[2];
  void Apply(const DeltaOp& op) {
    auto& m = side[op.yes ? 0 : 1];
    const int64_t now = (m.count(op.price_units) ? m[op.price_units] : 0) + op.delta_units;
    if (now > 0) {
      m[op.price_units] = now;
    } else {
      m.erase(op.price_units);
    }
  }
  std::vector<PriceLevel> Levels(bool yes) const {
    std::vector<PriceLevel> out;
    for (auto [p, s] : side[yes ? 0 : 1]) out.push_back({Price::FromUnits(p), Count::FromUnits(s)});
    return out;
  }
};

bool SameAs(std::span<const PriceLevel> a, const std::vector<PriceLevel>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

RC_GTEST_PROP(OrderBookProperty, RandomSequencesKeepLevelsPositiveSortedUniqueAndMatchModel, ()) {
  const auto yes = *GenLadder();
  const auto no = *GenLadder();
  const auto ops = *rc::gen::container<std::vector<DeltaOp>>(GenDelta());
  OrderBook book;
  RC_ASSERT(!book.ApplySnapshot(yes, no).has_value());
  Model model;
  for (const auto& l : yes) model.side[0][l.price.units()] = l.count.units();
  for (const auto& l : no) model.side[1][l.price.units()] = l.count.units();
  for (const DeltaOp& op : ops) {
    const auto r = book.ApplyDelta(op.yes ? kYes : kNo, Price::FromUnits(op.price_units),
                                   Count::FromUnits(op.delta_units));
    const bool valid_price = op.price_units > 0 && op.price_units < 10'000;
    RC_ASSERT(r.ok() == valid_price);
    if (r.ok()) model.Apply(op);
    AssertWellFormed(book);
  }
  RC_ASSERT(SameAs(book.Bids(kYes), model.Levels(true)));
  RC_ASSERT(SameAs(book.Bids(kNo), model.Levels(false)));
}

RC_GTEST_PROP(OrderBookProperty, AfterASnapshotTheBookEqualsIt, ()) {
  OrderBook book;
  RC_ASSERT(!book.ApplySnapshot(*GenLadder(), *GenLadder()).has_value());
  for (const DeltaOp& op : *rc::gen::container<std::vector<DeltaOp>>(GenDelta())) {
    (void)book.ApplyDelta(op.yes ? kYes : kNo, Price::FromUnits(op.price_units),
                          Count::FromUnits(op.delta_units));
  }
  auto yes = *GenLadder();
  auto no = *GenLadder();
  std::vector<PriceLevel> shuffled_yes = yes;  // input order must not matter
  for (std::size_t i = shuffled_yes.size(); i > 1; --i) {
    std::swap(shuffled_yes[i - 1], shuffled_yes[*rc::gen::inRange<std::size_t>(0, i)]);
  }
  RC_ASSERT(!book.ApplySnapshot(shuffled_yes, no).has_value());
  RC_ASSERT(SameAs(book.Bids(kYes), yes));  // GenLadder is sorted ascending
  RC_ASSERT(SameAs(book.Bids(kNo), no));
  RC_ASSERT(book.live());
}

RC_GTEST_PROP(OrderBookProperty, DeltaThenNegationRestoresUnlessTheLevelHitZero, ()) {
  OrderBook book;
  RC_ASSERT(!book.ApplySnapshot(*GenLadder(), *GenLadder()).has_value());
  OrderBook before = book;
  DeltaOp op = *GenDelta();
  RC_PRE(op.price_units > 0 && op.price_units < 10'000);
  const OutcomeSide side = op.yes ? kYes : kNo;
  const Price price = Price::FromUnits(op.price_units);
  // Keep the level above zero: a negative delta takes at most size - 1 off an existing level.
  const int64_t existing = book.BidSizeAt(side, price).units();
  if (op.delta_units < 0 && existing + op.delta_units <= 0) {
    op.delta_units = existing > 1 ? -*rc::gen::inRange<int64_t>(1, existing) : -op.delta_units;
  }
  const auto r = book.ApplyDelta(side, price, Count::FromUnits(op.delta_units));
  RC_ASSERT(r.ok());
  RC_ASSERT(*r != DeltaEffect::kRemoved && *r != DeltaEffect::kClamped);
  RC_ASSERT(book.ApplyDelta(side, price, Count::FromUnits(-op.delta_units)).ok());
  RC_ASSERT(book.LevelsEqual(before));
}

RC_GTEST_PROP(OrderBookProperty, InvalidSnapshotsChangeNothing, ()) {
  OrderBook book("MKT", PriceGrid::LinearCent());
  const std::vector<PriceLevel> good = {L("0.45", "1"), L("0.40", "2")};
  RC_ASSERT(!book.ApplySnapshot(good, {}).has_value());
  OrderBook before = book;
  auto bad = *GenCentLadder();
  RC_ASSERT(!OrderBook("X", PriceGrid::LinearCent()).ApplySnapshot(bad, {}).has_value());
  // Corrupt one level: off grid, out of range, negative size, or a duplicate price. (A zero
  // size is not corrupt: it means "absent" and is skipped.)
  bad.push_back(L("0.30", "1"));
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      bad.back().price = Price::FromUnits(3001);
      break;
    case 1:
      bad.back().price = Price::FromUnits(*rc::gen::element<int64_t>(0, 10'000, -1));
      break;
    case 2:
      bad.back().count = Count::FromUnits(*rc::gen::inRange<int64_t>(-5, 0));
      break;
    case 3:
      bad.push_back(bad.back());
      break;
    default:
      bad.back().count = Count::FromUnits(kMaxLevelSize + 1);
      break;
  }
  RC_ASSERT(book.ApplySnapshot(bad, {}).has_value());
  RC_ASSERT(book.LevelsEqual(before));
}

TEST(OrderBookTest, ZeroSizeSnapshotLevelsAreAbsentNotErrors) {
  OrderBook book("MKT", PriceGrid::LinearCent());
  const std::vector<PriceLevel> yes = {L("0.45", "0"), L("0.40", "2")};
  EXPECT_FALSE(book.ApplySnapshot(yes, {}).has_value());
  EXPECT_TRUE(book.live());
  ASSERT_EQ(book.Bids(OutcomeSide::kYes).size(), 1u);
  EXPECT_EQ(book.BestBid(OutcomeSide::kYes)->price, *Price::Parse("0.40"));
}

RC_GTEST_PROP(OrderBookProperty, ImpliedAsksMirrorTheOtherLeg, ()) {
  OrderBook book;
  RC_ASSERT(!book.ApplySnapshot(*GenLadder(), *GenLadder()).has_value());
  for (OutcomeSide side : {kYes, kNo}) {
    const auto asks = book.TopAsks(side, SIZE_MAX);
    const auto other = book.TopBids(core::Opposite(side), SIZE_MAX);
    RC_ASSERT(asks.size() == other.size());
    for (std::size_t i = 0; i < asks.size(); ++i) {
      RC_ASSERT(asks[i].price + other[i].price == Price::OneDollar());
      RC_ASSERT(asks[i].count == other[i].count);
      RC_ASSERT(book.AskSizeAt(side, asks[i].price) == asks[i].count);
      if (i > 0) RC_ASSERT(asks[i - 1].price < asks[i].price);
    }
    const Price limit = Price::FromUnits(*rc::gen::inRange<int64_t>(0, 10'001));
    Count expect;
    for (const auto& a : asks) {
      if (a.price <= limit) expect += a.count;
    }
    RC_ASSERT(book.AskDepthTo(side, limit) == expect);
  }
  const auto yb = book.BestBid(kYes);
  const auto nb = book.BestBid(kNo);
  RC_ASSERT(book.IsCrossed() == (yb && nb && yb->price + nb->price > Price::OneDollar()));
}

}  // namespace
}  // namespace kalshiflow::book
