// The assembled 52-float observation, the final float32/NaN/clip step, the spec registry, and
// cross-checks against the observation stored in the original's model file.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "features/kalshiflow_v1.h"
#include "features/observation_spec.h"
#include "features/temporal_tracker.h"
#include "features/tests/test_util.h"

namespace kalshiflow::features {
namespace {

using core::Count;
using core::Money;
using testing::CentLevel;
using testing::MakeBook;
using testing::WorkedBook;

using Observation = std::array<float, kKalshiflowV1Size>;

Observation Build(const ObservationInputs& inputs) {
  Observation out;
  out.fill(-99.0f);
  BuildKalshiflowV1(inputs, out);
  return out;
}

float F(double v) { return static_cast<float>(v); }

// ---- the whole vector ---------------------------------------------------------------------

TEST(ObservationTest, WorkedBookFullVector) {
  // The spec's worked book, a first data point (no history) on Saturday 2025-12-13 16:30 UTC
  // with tracker values gap 0, activity ln(4801)/1000 (single market, V = 4800), momentum 0;
  // cash $600 of pv $1000 and one +100 YES position at this book's mid costing $40.
  const book::OrderBook book = WorkedBook();
  const int64_t ts = core::DaysFromCivil(2025, 12, 13) * 86'400'000 + (16 * 60 + 30) * 60'000;
  TemporalTracker tracker;
  const TemporalInputs t = tracker.Observe(tracker.MarketIndex("KXTEST"), ts, book);
  const std::vector<PositionInput> positions = {
      {Count::FromContracts(100), Money::FromCents(4'000), MarkOf(book)}};
  ObservationInputs in;
  in.book = &book;
  in.current = MakeObservationPoint(ts, t, book);
  in.portfolio = {Money::FromCents(60'000), Money::FromCents(100'000), positions};
  const Observation o = Build(in);

  const double act = std::log(4801.0) / 1000.0;                 // 0.0084766
  const double vol_yes = std::log(2401.0) / std::log(10001.0);  // VY = VN = 2400: 0.8450889
  const double vol_all = std::log(4801.0) / std::log(10001.0);  // V = 4800: 0.9203229
  const Observation expected = {
      // market 0-20 (see MarketFeaturesTest.SpecWorkedBookEveryIndex for the arithmetic)
      F(0.45), F(0.46), F(0.54), F(0.55), F(0.01), F(0.01), F(0.455), F(0.545), F(vol_yes),
      F(vol_yes), F(vol_all), 0.0f, 0.25f, -0.25f, F(0.2), F(0.2), 0.875f, 0.875f, 0.0f, 1.0f, 1.0f,
      // temporal 21-34: gap 0; hour 16 -> 1; Saturday -> 5/6; act; no history: 0, 0.1, 0, 0, 0;
      // momentum 0; 0.1, 0.5, 0.5, 0
      0.0f, 1.0f, F(5.0 / 6.0), F(act), 0.0f, F(0.1), 0.0f, 0.0f, 0.0f, 0.0f, F(0.1), 0.5f, 0.5f,
      0.0f,
      // portfolio 35-46: 0.6, 0.4; n = 1 -> 0.1; 100/1000 = 0.1; long 1, short 0; tanh(1);
      // val = 100 * 45.5 = 4550 c -> 0.0455; 0.1; tanh((4550 - 4000)/100000) = tanh(0.0055);
      // diversity 1 (one position); leverage 0.0455 / 2
      F(0.6), F(0.4), F(0.1), F(0.1), 1.0f, 0.0f, F(std::tanh(1.0)), F(0.0455), F(0.1),
      F(std::tanh(0.0055)), 1.0f, F(0.0455 / 2),
      // order 47-51
      0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  for (std::size_t i = 0; i < kKalshiflowV1Size; ++i) {
    // f18 is |0.455 + 0.545 - 1| in doubles, which may be one ulp of 1 away from 0.
    if (i == 18) {
      EXPECT_NEAR(o[i], 0.0f, 1e-15f);
      continue;
    }
    EXPECT_FLOAT_EQ(o[i], expected[i]) << i << " " << kKalshiflowV1FeatureNames[i];
  }
}

TEST(ObservationTest, PastEndOfDataIsAllZeros) {
  const book::OrderBook book = WorkedBook();
  ObservationInputs in;
  in.book = &book;
  in.current.temporal.activity_score = 0.5;
  in.portfolio.portfolio_value = Money::FromCents(100);
  in.past_end_of_data = true;
  for (float v : Build(in)) EXPECT_EQ(std::bit_cast<uint32_t>(v), 0u);  // +0.0f exactly
}

TEST(ObservationTest, NoBookNoHistoryNoPortfolio) {
  // Padding market features, first-point temporal fallbacks, and pv = 0 -> cash_ratio 1.
  ObservationInputs in;
  const Observation o = Build(in);
  for (std::size_t i = 0; i < kV1MarketCount; ++i) {
    EXPECT_EQ(o[i], F(kKalshiflowV1PaddingMarketFeatures[i])) << i;
  }
  EXPECT_EQ(o[26], F(0.1));
  EXPECT_EQ(o[32], 0.5f);
  EXPECT_EQ(o[35], 1.0f);
  for (std::size_t i = 36; i < kKalshiflowV1Size; ++i) EXPECT_EQ(o[i], 0.0f) << i;
}

TEST(ObservationTest, OrderFeaturesAreZeroEvenWithWorkingOrders) {
  const book::OrderBook book = WorkedBook();
  ObservationInputs in;
  in.book = &book;
  in.orders.open_buy_price = core::Price::FromCents(44);
  in.orders.open_sell_price = core::Price::FromCents(47);
  in.orders.placed_ts_ms = 5;
  const Observation o = Build(in);
  for (std::size_t i = kV1OrderBegin; i < kKalshiflowV1Size; ++i) EXPECT_EQ(o[i], 0.0f) << i;
}

TEST(ObservationTest, LargestPositionIsClippedToMinusTwo) {
  // -3000 NO contracts: largest_position_norm = -3 before the clip, -2 after (as in the
  // original's stored observation, which has -2.0 at index 43).
  const std::vector<PositionInput> positions = {
      {Count::FromContracts(-3'000), Money::FromCents(0), std::nullopt}};
  ObservationInputs in;
  in.portfolio = {Money::FromCents(0), Money::FromCents(1'000'000), positions};
  EXPECT_EQ(Build(in)[43], -2.0f);
}

TEST(ObservationTest, WrongOutputSizeIsAProgrammingError) {
  std::array<float, 51> short_out;
  EXPECT_DEATH(BuildKalshiflowV1(ObservationInputs{}, short_out), "needs 52 floats");
}

// ---- the final step ---------------------------------------------------------------------

TEST(FinalizeObservationTest, NanInfAndClipLikeNumpy) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> raw = {nan, -nan, inf, -inf, 3.0, -3.0, 2.0, -2.0, 0.3, -0.0, 1e39,
                                   -1e39,  // beyond float32: the cast gives +-inf, then nan_to_num
                                           // -> +-1
                                   3.4e38, -3.4e38,  // still finite in float32 -> clipped to +-2
                                   1e-50};           // underflows to +0.0f
  std::vector<float> out(raw.size());
  FinalizeObservation(raw, out);
  const std::vector<float> expected = {0.0f, 0.0f,  1.0f, -1.0f, 2.0f, -2.0f, 2.0f, -2.0f,
                                       0.3f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 0.0f};
  for (std::size_t i = 0; i < raw.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(expected[i])) << i;
  }
}

TEST(FinalizeObservationTest, Float32OverflowBoundary) {
  // float32 max = 2^128 - 2^104; doubles from the midpoint 2^128 - 2^103 up round to inf.
  const double max_float = static_cast<double>(std::numeric_limits<float>::max());
  const double midpoint = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  const std::vector<double> raw = {max_float, std::nextafter(midpoint, 0.0), midpoint};
  std::vector<float> out(raw.size());
  FinalizeObservation(raw, out);
  EXPECT_EQ(out[0], 2.0f);  // finite -> clipped
  EXPECT_EQ(out[1], 2.0f);  // rounds down to float max -> clipped
  EXPECT_EQ(out[2], 1.0f);  // rounds to +inf -> 1
}

// ---- determinism --------------------------------------------------------------------------

// Two independent pipelines (tracker + history + builder) over the same random multi-market
// stream give bit-identical observations at every step.
RC_GTEST_PROP(ObservationProp, DeterministicOverAStream, ()) {
  const auto steps = *rc::gen::inRange(1, 40);
  struct Pipeline {
    std::vector<book::OrderBook> books;
    TemporalTracker tracker;
    MarketHistory history;
  };
  Pipeline a, b;
  for (Pipeline* p : {&a, &b}) {
    p->books = {book::OrderBook("KXA"), book::OrderBook("KXB")};
    p->tracker.ReserveMarkets(2);
  }
  int64_t ts = 1'765'000'000'000;
  std::vector<Observation> out_a, out_b;
  for (int step = 0; step < steps; ++step) {
    const auto market = *rc::gen::inRange<uint32_t>(0, 2);
    ts += *rc::gen::element<int64_t>(0, 1, 100, 5'000, 400'000);
    std::vector<core::PriceLevel> yes, no;
    const auto yes_levels = *rc::gen::inRange(0, 6);
    const auto no_levels = *rc::gen::inRange(0, 6);
    for (int i = 0; i < yes_levels; ++i)
      yes.push_back(CentLevel(40 - i, *rc::gen::inRange(1, 5000)));
    for (int i = 0; i < no_levels; ++i) no.push_back(CentLevel(55 - i, *rc::gen::inRange(1, 5000)));
    const std::vector<PositionInput> positions = {
        {Count::FromUnits(*rc::gen::inRange<int64_t>(-500'000, 500'000)),
         Money::FromUnits(*rc::gen::inRange<int64_t>(0, 1'000'000'000)), std::nullopt}};
    for (Pipeline* p : {&a, &b}) {
      book::OrderBook& book = p->books[market];
      RC_ASSERT(!book.ApplySnapshot(yes, no).has_value());
      const TemporalInputs t = p->tracker.Observe(market, ts, book);
      ObservationInputs in;
      in.book = &p->books[0];  // the episode's market view is market 0
      in.history = &p->history;
      in.current = MakeObservationPoint(ts, t, p->books[0]);
      in.portfolio = {Money::FromCents(50'000), Money::FromCents(100'000), positions};
      Observation o;
      BuildKalshiflowV1(in, o);
      for (float v : o) RC_ASSERT(std::isfinite(v) && v >= -2.0f && v <= 2.0f);
      (p == &a ? out_a : out_b).push_back(o);
      p->history.Push(in.current);
    }
  }
  RC_ASSERT(std::memcmp(out_a.data(), out_b.data(), out_a.size() * sizeof(Observation)) == 0);
}

// ---- registry -----------------------------------------------------------------------------

TEST(ObservationSpecRegistryTest, DefaultHasKalshiflowV1) {
  const ObservationSpecRegistry& registry = ObservationSpecRegistry::Default();
  auto spec = registry.Find("kalshiflow-v1");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ((*spec)->id(), "kalshiflow-v1");
  EXPECT_EQ((*spec)->size(), 52u);
  ASSERT_EQ((*spec)->feature_names().size(), 52u);
  EXPECT_EQ((*spec)->feature_names()[0], "best_yes_bid_norm");
  EXPECT_EQ((*spec)->feature_names()[20], "cross_side_efficiency");
  EXPECT_EQ((*spec)->feature_names()[21], "time_since_last_update");
  EXPECT_EQ((*spec)->feature_names()[34], "activity_persistence");
  EXPECT_EQ((*spec)->feature_names()[35], "cash_ratio");
  EXPECT_EQ((*spec)->feature_names()[46], "leverage");
  const std::set<std::string_view> unique((*spec)->feature_names().begin(),
                                          (*spec)->feature_names().end());
  EXPECT_EQ(unique.size(), 52u);
  EXPECT_EQ(registry.ids(), std::vector<std::string_view>{"kalshiflow-v1"});
}

TEST(ObservationSpecRegistryTest, SpecBuildEqualsTheFreeFunction) {
  const book::OrderBook book = WorkedBook();
  ObservationInputs in;
  in.book = &book;
  in.current = MakeObservationPoint(1'000, {0.0, 0.25, 0.1}, book);
  const ObservationSpec* spec = *ObservationSpecRegistry::Default().Find(kKalshiflowV1Id);
  Observation via_spec;
  spec->Build(in, via_spec);
  EXPECT_EQ(via_spec, Build(in));
}

TEST(ObservationSpecRegistryTest, UnknownIdIsNotFound) {
  auto spec = ObservationSpecRegistry::Default().Find("kalshiflow-v2");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code(), core::StatusCode::kNotFound);
  EXPECT_NE(spec.error().message().find("'kalshiflow-v2'"), std::string::npos);
  EXPECT_NE(spec.error().message().find("known: kalshiflow-v1"), std::string::npos);
  EXPECT_FALSE(ObservationSpecRegistry().Find("kalshiflow-v1").ok());  // an empty registry
}

class FakeSpec final : public ObservationSpec {
 public:
  FakeSpec(std::string id, std::size_t size, std::size_t names)
      : id_(std::move(id)), size_(size), names_(names, "x") {}
  std::string_view id() const override { return id_; }
  std::size_t size() const override { return size_; }
  std::span<const std::string_view> feature_names() const override { return names_; }
  void Build(const ObservationInputs&, std::span<float> out) const override {
    for (float& v : out) v = 7.0f;
  }

 private:
  std::string id_;
  std::size_t size_;
  std::vector<std::string_view> names_;
};

TEST(ObservationSpecRegistryTest, RegisterValidates) {
  ObservationSpecRegistry registry = ObservationSpecRegistry::WithBuiltins();
  EXPECT_EQ(registry.Register(nullptr).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register(std::make_unique<FakeSpec>("", 3, 3)).code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register(std::make_unique<FakeSpec>("zero", 0, 0)).code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register(std::make_unique<FakeSpec>("names", 3, 2)).code(),
            core::StatusCode::kInvalidArgument);
  const core::Status dup = registry.Register(std::make_unique<FakeSpec>("kalshiflow-v1", 3, 3));
  EXPECT_EQ(dup.code(), core::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("kalshiflow-v1"), std::string::npos);
  ASSERT_TRUE(registry.Register(std::make_unique<FakeSpec>("ours-v1", 3, 3)).ok());
  EXPECT_EQ(registry.ids(), (std::vector<std::string_view>{"kalshiflow-v1", "ours-v1"}));
  auto ours = registry.Find("ours-v1");
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ((*ours)->size(), 3u);
  // The process-wide default is not affected.
  EXPECT_FALSE(ObservationSpecRegistry::Default().Find("ours-v1").ok());
}

TEST(ObservationSpecRegistryTest, ModelsRunOnlyOnTheirSpec) {
  const ObservationSpec* v1 = *ObservationSpecRegistry::Default().Find(kKalshiflowV1Id);
  EXPECT_TRUE(CheckModelSpec("kalshiflow-v1", *v1).ok());
  const core::Status other = CheckModelSpec("ours-v1", *v1);
  EXPECT_EQ(other.code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.message().find("ours-v1"), std::string::npos);
}

// ---- the original's stored observation -----------------------------------------------------

// `_last_obs` of ../shared/data/kalshiflow/models/session32_final.zip (SB3 `data` JSON, a
// base64 cloudpickle of a float32[52]), decoded to its exact float32 bits. It was produced by
// the original code from a book under its 99 - X ask rule, so it checks ranges, index order,
// clipping and the relations between features, not our book arithmetic.
constexpr std::array<uint32_t, 52> kLastObsBits = {
    0x3ebd70a4, 0x3ebd70a4, 0x3f1eb852, 0x3f1eb852, 0x3a83126f, 0x3a83126f, 0x3ebd70a4, 0x3f1eb852,
    0x3f800000, 0x3f800000, 0x3f800000, 0x00000000, 0x3e90d2fa, 0xbe90d2fa, 0x3f800000, 0x3f800000,
    0x3ea19d28, 0x3ea19d28, 0x3c23d70a, 0x3f7d70a4, 0x3f733333, 0x3827c5ac, 0x3f800000, 0x3f555555,
    0x3c46d186, 0x3871446e, 0x3f5e2525, 0x00000000, 0x00000000, 0xb840baa2, 0xbd9d5e60, 0x00000000,
    0x3f7ffa07, 0x3f800000, 0x3f800000, 0x3f075719, 0x3ef151ce, 0x3dcccccd, 0x3f800000, 0x00000000,
    0x3f800000, 0xbf42f7d6, 0x3e8dba34, 0xc0000000, 0xbd5f299e, 0x3f800000, 0x3e0dba34, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000};

std::array<float, 52> LastObs() {
  std::array<float, 52> v;
  for (std::size_t i = 0; i < 52; ++i) v[i] = std::bit_cast<float>(kLastObsBits[i]);
  return v;
}

TEST(OriginalLastObsTest, SatisfiesTheSpecRelations) {
  const auto v = LastObs();
  for (float x : v) EXPECT_TRUE(x >= -2.0f && x <= 2.0f);
  // Index order: prices .37 .37 .62 .62, spreads at the 0.001 floor, mids .37 .62.
  EXPECT_EQ(v[0], 0.37f);
  EXPECT_EQ(v[2], 0.62f);
  EXPECT_EQ(v[4], 0.001f);
  EXPECT_EQ(v[6], 0.37f);
  EXPECT_EQ(v[7], 0.62f);
  // Implied asks make VY = VN: 11 = 0, 13 = -12, 14 = 15, 16 = 17.
  EXPECT_EQ(v[11], 0.0f);
  EXPECT_EQ(v[13], -v[12]);
  EXPECT_EQ(v[14], v[15]);
  EXPECT_EQ(v[16], v[17]);
  // 18 = |f6 + f7 - 1|, 19 = 1 - f18, 20 = 1 - 5 |f6 - (1 - f7)| (recomputed from the
  // float32 inputs in double, then rounded to float32).
  EXPECT_EQ(v[18], F(std::fabs(0.37 + 0.62 - 1.0)));
  EXPECT_EQ(v[19], F(1.0 - std::fabs(0.37 + 0.62 - 1.0)));
  EXPECT_EQ(v[20], F(1.0 - 5.0 * std::fabs(0.37 - (1.0 - 0.62))));
  // 22 = 1 (hour 16), 23 = 5/6 (Saturday).
  EXPECT_EQ(v[22], 1.0f);
  EXPECT_EQ(v[23], F(5.0 / 6.0));
  // 35 + 36 = 1 (cash + positions), 46 = 42 / 2 (one position), 41 = tanh(-1) (all short),
  // 43 = -2 (clipped), 45 = 1 (one position), 47-51 = 0.
  EXPECT_FLOAT_EQ(v[35] + v[36], 1.0f);
  EXPECT_EQ(v[46], F(static_cast<double>(v[42]) / 2.0));
  EXPECT_EQ(v[41], F(std::tanh(-1.0)));
  EXPECT_EQ(v[43], -2.0f);
  EXPECT_EQ(v[45], 1.0f);
  for (std::size_t i = 47; i < 52; ++i) EXPECT_EQ(v[i], 0.0f);
}

TEST(OriginalLastObsTest, PortfolioBlockReproducedBitForBit) {
  // A portfolio consistent with the stored vector: the market's YES mid is 0.37 (f6), one NO
  // position, and cash / pv / cost chosen so that three values match (35: c / pv, 42:
  // val / pv, 44: tanh((val - cost) / pv)): pos = -2120 contracts, pv = 283,370 c,
  // c = 149,810 c, cost = 93,894.1650 c (val = 2120 * 37 = 78,440 c). The other nine
  // portfolio values (36-41, 43, 45, 46) are then independent checks of formulas, index order
  // and clipping against the original's own output.
  const std::vector<PositionInput> positions = {
      {Count::FromContracts(-2'120), Money::FromUnits(938'941'650), 3700 + 3700}};
  ObservationInputs in;
  in.portfolio = {Money::FromCents(149'810), Money::FromCents(283'370), positions};
  const Observation o = Build(in);
  const auto want = LastObs();
  for (std::size_t i = kV1PortfolioBegin; i < kV1OrderBegin; ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(o[i]), kLastObsBits[i])
        << i << " " << kKalshiflowV1FeatureNames[i] << ": " << o[i] << " vs " << want[i];
  }
  for (std::size_t i = kV1OrderBegin; i < kKalshiflowV1Size; ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(o[i]), kLastObsBits[i]) << i;
  }
}

}  // namespace
}  // namespace kalshiflow::features
