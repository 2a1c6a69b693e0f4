#include "storage/levels_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <climits>

namespace kalshiflow::storage {
namespace {

core::PriceLevel L(int64_t p, int64_t c) {
  return core::PriceLevel{core::Price::FromUnits(p), core::Count::FromUnits(c)};
}

TEST(LevelsCodecTest, EncodesCompactIntegerJson) {
  std::vector<core::PriceLevel> levels = {L(5'600, 30'000), L(7'800, 12'000)};
  EXPECT_EQ(EncodeLevels(levels), "[[5600,30000],[7800,12000]]");
  EXPECT_EQ(EncodeLevels({}), "[]");
}

TEST(LevelsCodecTest, DecodesWhitespaceAndExtremes) {
  auto levels = DecodeLevels(" [ [1 , 2] ,[ -3,4 ]]");
  ASSERT_TRUE(levels.ok());
  EXPECT_EQ(*levels, (std::vector<core::PriceLevel>{L(1, 2), L(-3, 4)}));
  std::vector<core::PriceLevel> extremes = {L(INT64_MAX, INT64_MIN), L(INT64_MIN, INT64_MAX)};
  auto back = DecodeLevels(EncodeLevels(extremes));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, extremes);
}

TEST(LevelsCodecTest, CorruptTextIsDataLoss) {
  for (std::string_view bad : {"", "{", "{}", "[[1]]", "[[1,2,3]]", "[[1.5,2]]", "[[\"1\",2]]",
                               "[1,2]", "[[9223372036854775808,1]]", "[[1,2]", "null"}) {
    auto levels = DecodeLevels(bad);
    ASSERT_FALSE(levels.ok()) << bad;
    EXPECT_EQ(levels.error().code(), core::StatusCode::kDataLoss) << bad;
  }
}

RC_GTEST_PROP(LevelsCodecProperty, RoundTripsExactly,
              (std::vector<std::pair<int64_t, int64_t>> raw)) {
  std::vector<core::PriceLevel> levels;
  for (auto [p, c] : raw) levels.push_back(L(p, c));
  auto back = DecodeLevels(EncodeLevels(levels));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == levels);
}

}  // namespace
}  // namespace kalshiflow::storage
