#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

namespace {
using namespace presenced::auth;
using presenced::presence::ManualClock;

std::string token_for(const ManualClock& clock, std::string user, std::int64_t ttl) {
  TokenClaims c;
  c.user_id = std::move(user);
  c.name = "N";
  c.tenant = "1";
  c.issued_at = clock.unix_seconds();
  c.expires_at = clock.unix_seconds() + ttl;
  return JwtCodec("k").sign(c);
}
}  // namespace

TEST(Authenticator, AcceptsBearerInAnyCase) {
  ManualClock clock;
  JwtCodec codec("k");
  Authenticator auth(codec, clock, 10);
  presenced::presence::Identity id;
  std::string t = token_for(clock, "u1", 60);
  EXPECT_EQ(auth.authenticate_header("Bearer " + t, id), TokenError::none);
  EXPECT_EQ(auth.authenticate_header("bearer " + t, id), TokenError::none);
  EXPECT_EQ(id.user->id, "u1");
}

TEST(Authenticator, MissingOrOtherSchemeIsMissing) {
  ManualClock clock;
  JwtCodec codec("k");
  Authenticator auth(codec, clock, 10);
  presenced::presence::Identity id;
  EXPECT_EQ(auth.authenticate_header("", id), TokenError::missing);
  EXPECT_EQ(auth.authenticate_header("Bearer ", id), TokenError::missing);
  EXPECT_EQ(auth.authenticate_header("Basic dXNlcjpwYXNz", id), TokenError::missing);
}

TEST(Authenticator, CachedTokenStillExpires) {
  ManualClock clock;
  JwtCodec codec("k");
  Authenticator auth(codec, clock, 10);
  presenced::presence::Identity id;
  std::string t = token_for(clock, "u1", 60);
  ASSERT_EQ(auth.authenticate_token(t, id), TokenError::none);
  EXPECT_EQ(auth.cache().size(), 1u);
  clock.advance_ms((60 + 30) * 1000);
  EXPECT_EQ(auth.authenticate_token(t, id), TokenError::none) << "inside the leeway";
  clock.advance_ms(1000);
  EXPECT_EQ(auth.authenticate_token(t, id), TokenError::expired);
  EXPECT_EQ(auth.cache().size(), 0u);
}

TEST(Authenticator, CacheIsBounded) {
  ManualClock clock;
  JwtCodec codec("k");
  Authenticator auth(codec, clock, 8);
  presenced::presence::Identity id;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(auth.authenticate_token(token_for(clock, "u" + std::to_string(i), 60), id), TokenError::none);
    EXPECT_EQ(id.user->id, "u" + std::to_string(i));
    EXPECT_LE(auth.cache().size(), 8u);
  }
}

// A socket's token is verified, not kept: the socket holds its identity. One already
// kept (the same token used over HTTP) is used, and still expires.
TEST(Authenticator, ASocketsTokenIsVerifiedButNotKept) {
  ManualClock clock;
  JwtCodec codec("k");
  Authenticator auth(codec, clock, 8);
  presenced::presence::Identity id;
  const std::string t = token_for(clock, "u1", 60);
  ASSERT_EQ(auth.authenticate_token(t, id, Authenticator::Remember::no), TokenError::none);
  EXPECT_EQ(id.user->id, "u1");
  EXPECT_EQ(auth.cache().size(), 0u);
  ASSERT_EQ(auth.authenticate_token(t, id), TokenError::none);
  EXPECT_EQ(auth.cache().size(), 1u);
  ASSERT_EQ(auth.authenticate_token(t, id, Authenticator::Remember::no), TokenError::none);
  clock.advance_ms((60 + 31) * 1000);
  EXPECT_EQ(auth.authenticate_token(t, id, Authenticator::Remember::no), TokenError::expired);
  EXPECT_EQ(auth.cache().size(), 0u);
}

TEST(Authenticator, RefusedTokensAreNotCached) {
  ManualClock clock;
  JwtCodec codec("k");
  Authenticator auth(codec, clock, 8);
  presenced::presence::Identity id;
  std::string forged = token_for(clock, "u1", 60);
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(auth.authenticate_token(forged, id), TokenError::bad_signature);
  EXPECT_EQ(auth.authenticate_token(forged, id), TokenError::bad_signature);
  EXPECT_EQ(auth.cache().size(), 0u);
}
