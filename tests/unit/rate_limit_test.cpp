// The per-user rate limit, as the user ledger keeps it (service/user_ledger.hpp).
#include "service/user_ledger.hpp"

#include <gtest/gtest.h>

namespace {
using namespace presenced;

presence::UserPtr user(std::string id, std::string tenant = "1") {
  auto u = boost::intrusive_ptr<presence::User>(new presence::User);
  u->id = std::move(id);
  u->tenant = std::move(tenant);
  return u;
}
}  // namespace

TEST(RateLimit, CountsDownThenRefusesWithRetryAfter) {
  presence::ManualClock clock;
  service::UserLedger throttle({.requests_per_minute = 3}, clock);
  auto u = user("1");
  for (std::uint32_t expected : {2u, 1u, 0u}) {
    auto d = throttle.hit(*u);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, expected);
  }
  clock.advance_ms(20'500);
  auto refused = throttle.hit(*u);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0u);
  EXPECT_EQ(refused.retry_after_s, 40);  // 39.5 s left, rounded up
  EXPECT_EQ(refused.reset_unix, clock.unix_seconds() + 40);
}

TEST(RateLimit, TheWindowReopensAfterAMinute) {
  presence::ManualClock clock;
  service::UserLedger throttle({.requests_per_minute = 1}, clock);
  auto u = user("1");
  EXPECT_TRUE(throttle.hit(*u).allowed);
  EXPECT_FALSE(throttle.hit(*u).allowed);
  clock.advance_ms(59'999);
  EXPECT_FALSE(throttle.hit(*u).allowed);
  clock.advance_ms(1);
  EXPECT_TRUE(throttle.hit(*u).allowed);
}

TEST(RateLimit, UsersAndTenantsHaveTheirOwnBudgets) {
  presence::ManualClock clock;
  service::UserLedger throttle({.requests_per_minute = 1}, clock);
  EXPECT_TRUE(throttle.hit(*user("1")).allowed);
  EXPECT_TRUE(throttle.hit(*user("2")).allowed);
  EXPECT_TRUE(throttle.hit(*user("1", "2")).allowed);
  EXPECT_FALSE(throttle.hit(*user("1")).allowed);
}

TEST(RateLimit, ClosedWindowsAreSweptSoMemoryStaysBounded) {
  presence::ManualClock clock;
  service::UserLedger throttle({.requests_per_minute = 10}, clock, 1);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 3000; ++i) throttle.hit(*user(std::to_string(round * 10'000 + i)));
    clock.advance_ms(61'000);
  }
  EXPECT_LT(throttle.tracked(), 3000u * 3);
}
