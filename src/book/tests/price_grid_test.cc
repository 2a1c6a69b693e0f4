#include "book/price_grid.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "book/tests/test_util.h"

namespace kalshiflow::book {
namespace {

using core::Price;

Price P(int64_t units) { return Price::FromUnits(units); }
using testing::D;

TEST(PriceGridTest, LinearCentAcceptsWholeCentsOnly) {
  const PriceGrid g = PriceGrid::LinearCent();
  EXPECT_TRUE(g.IsValidBookPrice(D("0.01")));
  EXPECT_TRUE(g.IsValidBookPrice(D("0.99")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.455")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.0001")));
  EXPECT_TRUE(g.IsOnGrid(D("0")));  // a grid point, but not a book price
  EXPECT_FALSE(g.IsValidBookPrice(D("0")));
  EXPECT_FALSE(g.IsValidBookPrice(D("1")));
  EXPECT_EQ(g.name(), "linear_cent");
}

TEST(PriceGridTest, TaperedDeciCentUsesFineTicksAtTheEdges) {
  const PriceGrid g = PriceGrid::TaperedDeciCent();
  EXPECT_TRUE(g.IsValidBookPrice(D("0.095")));
  EXPECT_TRUE(g.IsValidBookPrice(D("0.10")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.105")));
  EXPECT_TRUE(g.IsValidBookPrice(D("0.55")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.555")));
  EXPECT_TRUE(g.IsValidBookPrice(D("0.901")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.0955")));
  EXPECT_EQ(*g.TickAt(D("0.50")), D("0.01"));
  EXPECT_EQ(*g.TickAt(D("0.05")), D("0.001"));
  EXPECT_EQ(*g.TickAt(D("0.10")), D("0.001"));  // the finer band at a shared boundary
}

TEST(PriceGridTest, CenterDeciEdgeCentiCent) {
  const PriceGrid g = PriceGrid::CenterDeciEdgeCentiCent();
  EXPECT_TRUE(g.IsValidBookPrice(D("0.0001")));
  EXPECT_TRUE(g.IsValidBookPrice(D("0.9999")));
  EXPECT_TRUE(g.IsValidBookPrice(D("0.455")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.4551")));
  EXPECT_FALSE(g.IsValidBookPrice(D("0.0105")));
}

TEST(PriceGridTest, DefaultAcceptsEveryFourDecimalPrice) {
  const PriceGrid g;
  for (int64_t u = 1; u < 10'000; ++u) ASSERT_TRUE(g.IsValidBookPrice(P(u))) << u;
  EXPECT_EQ(g, PriceGrid::CentiCent());
}

TEST(PriceGridTest, FromStructureNameKnowsTheDocumentedStructures) {
  for (const char* name :
       {"linear_cent", "deci_cent", "tapered_deci_cent", "center_deci_edge_centi_cent"}) {
    auto g = PriceGrid::FromStructureName(name);
    ASSERT_TRUE(g.ok()) << name;
    EXPECT_EQ(g->name(), name);
  }
  auto unknown = PriceGrid::FromStructureName("banded_centi_cent");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), core::StatusCode::kNotFound);
  EXPECT_NE(unknown.error().message().find("banded_centi_cent"), std::string::npos);
}

TEST(PriceGridTest, FromRangesMatchesNamedStructure) {
  // The AsyncAPI example of price_level_structure_updated: deci_cent as price_ranges.
  const std::vector<PriceRange> ranges = {{D("0.0000"), D("1.0000"), D("0.0010")}};
  auto g = PriceGrid::FromStructure("deci_cent", ranges);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, PriceGrid::DeciCent());
}

TEST(PriceGridTest, FromRangesRejectsMalformedBands) {
  const std::vector<std::vector<PriceRange>> bad = {
      {},
      {{D("0"), D("1"), D("0")}},                                    // zero step
      {{D("0"), D("1"), D("-0.01")}},                                // negative step
      {{D("-0.1"), D("1"), D("0.1")}},                               // start < 0
      {{D("0"), D("1.1"), D("0.1")}},                                // end > 1
      {{D("0.5"), D("0.5"), D("0.1")}},                              // empty band
      {{D("0"), D("0.55"), D("0.1")}},                               // end - start not on step
      {{D("0.5"), D("1"), D("0.1")}, {D("0"), D("0.5"), D("0.1")}},  // unsorted
      {{D("0"), D("0.6"), D("0.1")}, {D("0.5"), D("1"), D("0.1")}},  // overlapping
  };
  for (const auto& ranges : bad) {
    auto g = PriceGrid::FromRanges(ranges);
    ASSERT_FALSE(g.ok()) << ranges.size();
    EXPECT_EQ(g.error().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST(PriceGridTest, SnapRoundsToTheBandStep) {
  const PriceGrid g = PriceGrid::TaperedDeciCent();
  EXPECT_EQ(*g.Snap(D("0.555"), SnapDirection::kDown), D("0.55"));
  EXPECT_EQ(*g.Snap(D("0.555"), SnapDirection::kUp), D("0.56"));
  EXPECT_EQ(*g.Snap(D("0.555"), SnapDirection::kNearest), D("0.55"));  // tie goes down
  EXPECT_EQ(*g.Snap(D("0.556"), SnapDirection::kNearest), D("0.56"));
  EXPECT_EQ(*g.Snap(D("0.0955"), SnapDirection::kUp), D("0.096"));
  EXPECT_EQ(*g.Snap(D("0.55"), SnapDirection::kUp), D("0.55"));  // on grid: itself
  EXPECT_EQ(*g.NextAbove(D("0.55")), D("0.56"));
  EXPECT_EQ(*g.NextAbove(D("0.099")), D("0.10"));
  EXPECT_EQ(*g.NextAbove(D("0.10")), D("0.11"));
  EXPECT_EQ(*g.NextBelow(D("0.10")), D("0.099"));
  EXPECT_EQ(*g.NextBelow(D("0.91")), D("0.909"));
  EXPECT_FALSE(g.NextAbove(D("1")).has_value());
  EXPECT_FALSE(g.NextBelow(D("0")).has_value());
}

TEST(PriceGridTest, SnapAcrossAHoleBetweenBands) {
  auto g = PriceGrid::FromRanges(std::vector<PriceRange>{{D("0.10"), D("0.20"), D("0.05")},
                                                         {D("0.80"), D("0.90"), D("0.05")}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g->Snap(D("0.50"), SnapDirection::kDown), D("0.20"));
  EXPECT_EQ(*g->Snap(D("0.50"), SnapDirection::kUp), D("0.80"));
  EXPECT_EQ(*g->Snap(D("0.70"), SnapDirection::kNearest), D("0.80"));
  EXPECT_FALSE(g->Snap(D("0.05"), SnapDirection::kDown).has_value());
  EXPECT_FALSE(g->Snap(D("0.95"), SnapDirection::kUp).has_value());
  EXPECT_FALSE(g->TickAt(D("0.50")).has_value());
}

// Snapping any price lands on the grid, on the right side, with nothing on the grid in between.
RC_GTEST_PROP(PriceGridProperty, SnapIsTheClosestGridPointInItsDirection, ()) {
  const std::vector<PriceGrid> grids = {PriceGrid::LinearCent(), PriceGrid::DeciCent(),
                                        PriceGrid::TaperedDeciCent(),
                                        PriceGrid::CenterDeciEdgeCentiCent()};
  const PriceGrid& g = grids[*rc::gen::inRange<std::size_t>(0, grids.size())];
  const Price p = P(*rc::gen::inRange<int64_t>(0, 10'001));
  const auto down = g.Snap(p, SnapDirection::kDown);
  const auto up = g.Snap(p, SnapDirection::kUp);
  RC_ASSERT(down.has_value());
  RC_ASSERT(up.has_value());
  RC_ASSERT(g.IsOnGrid(*down));
  RC_ASSERT(g.IsOnGrid(*up));
  RC_ASSERT(*down <= p);
  RC_ASSERT(*up >= p);
  for (int64_t u = down->units() + 1; u < up->units(); ++u) RC_ASSERT(!g.IsOnGrid(P(u)));
}

}  // namespace
}  // namespace kalshiflow::book
