// PercentDecode, shared by the exchange's REST router and the API server.
#include "net/url.h"

#include <gtest/gtest.h>

namespace kalshiflow::net {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndTreatsPlusByContext) {
  EXPECT_EQ(PercentDecode("KXA-26JAN01%2DT1%2b", false), "KXA-26JAN01-T1+");
  EXPECT_EQ(PercentDecode("a+b%20c", false), "a+b c");  // a path: '+' stays
  EXPECT_EQ(PercentDecode("a+b%20c", true), "a b c");   // a query: '+' is a space
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");    // invalid / truncated: kept
  EXPECT_EQ(PercentDecode("%2e%2E", false), "..");
}

}  // namespace
}  // namespace kalshiflow::net
