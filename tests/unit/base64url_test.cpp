#include "auth/base64url.hpp"

#include <gtest/gtest.h>

using presenced::auth::base64url_decode;
using presenced::auth::base64url_encode;

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 64; ++i) {
    auto decoded = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(decoded) << i;
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(i * 37 + 250);
  }
}

TEST(Base64Url, UsesTheUrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("ab"), "YWI");
}

TEST(Base64Url, RefusesPaddingForeignCharactersAndImpossibleLengths) {
  EXPECT_FALSE(base64url_decode("YWI="));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("Y"));
  EXPECT_FALSE(base64url_decode("YW I"));
}

TEST(Base64Url, RefusesNonZeroTrailingBits) {
  EXPECT_TRUE(base64url_decode("YQ"));   // "a"
  EXPECT_FALSE(base64url_decode("YR"));  // would also decode to "a"
}
