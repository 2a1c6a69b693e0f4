#include "kalshi/auth/base64.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace kalshiflow::kalshi::auth {
namespace {

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(Bytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, Bytes(plain));
  }
  // The standard alphabet's last two characters are '+' and '/', not '-' and '_'.
  EXPECT_EQ(Base64Encode(std::vector<uint8_t>{0xfb, 0xff}), "+/8=");
  EXPECT_FALSE(Base64Decode("-_8=").ok());
}

TEST(Base64Test, RejectsMalformedInput) {
  for (std::string_view bad :
       {"Zg", "Zg=", "Z===", "====", "Zg==Zg==", "Zm9v\n", " Zm9v", "Zm9v====", "Zm=v", "Zm9*"}) {
    auto r = Base64Decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), core::StatusCode::kInvalidArgument);
  }
}

RC_GTEST_PROP(Base64Property, RoundTrips, (const std::vector<uint8_t>& bytes)) {
  const std::string encoded = Base64Encode(bytes);
  RC_ASSERT(encoded.size() % 4 == 0);
  RC_ASSERT(encoded.find('\n') == std::string::npos);
  auto decoded = Base64Decode(encoded);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == bytes);
}

RC_GTEST_PROP(Base64Property, ArbitraryTextNeverCrashes, (const std::string& text)) {
  auto decoded = Base64Decode(text);
  if (decoded.ok()) RC_ASSERT(Base64Encode(*decoded).size() == text.size());
}

}  // namespace
}  // namespace kalshiflow::kalshi::auth
