// The per-user ledger on a clock the test moves: sockets and live tabs per user, a tab
// that is not renewed stops counting at its deadline, and users do not share places.
#include "service/tab_deadlines.hpp"
#include "service/user_ledger.hpp"

#include <gtest/gtest.h>

namespace presenced::service {
namespace {

presence::User user(const std::string& id, const std::string& tenant = "1") {
  presence::User u;
  u.id = id;
  u.tenant = tenant;
  return u;
}

const presence::RecordRef kFlow1{"1", "flow", "1"}, kFlow2{"1", "flow", "2"}, kFlow3{"1", "flow", "3"};
using Admission = UserLedger::TabAdmission;

TEST(UserLedger, SocketsPerUser) {
  presence::ManualClock clock;
  UserLedger ledger({.sockets_per_user = 2, .tabs_per_user = 10, .ttl_ms = 90'000}, clock);
  const auto alice = user("1"), bob = user("2"), other_tenant_alice = user("1", "2");
  EXPECT_TRUE(ledger.open_socket(alice));
  EXPECT_TRUE(ledger.open_socket(alice));
  EXPECT_FALSE(ledger.open_socket(alice));
  EXPECT_TRUE(ledger.open_socket(bob));
  EXPECT_TRUE(ledger.open_socket(other_tenant_alice)) << "the same id in another tenant is another user";
  ledger.close_socket(alice);
  EXPECT_TRUE(ledger.open_socket(alice));
  ledger.close_socket(alice);
  ledger.close_socket(alice);
  ledger.close_socket(bob);
  ledger.close_socket(other_tenant_alice);
  EXPECT_EQ(ledger.tracked(), 0u) << "nothing is kept for a user who holds nothing";
}

TEST(UserLedger, LiveTabsPerUserOnAllRecords) {
  presence::ManualClock clock;
  UserLedger ledger({.sockets_per_user = 2, .tabs_per_user = 2, .ttl_ms = 90'000}, clock);
  const auto alice = user("1");
  EXPECT_EQ(ledger.admit_tab(alice, kFlow1, "t1"), Admission::added);
  EXPECT_EQ(ledger.admit_tab(alice, kFlow2, "t1"), Admission::added) << "the same tab id on another record";
  EXPECT_EQ(ledger.admit_tab(alice, kFlow3, "t3"), Admission::refused);
  EXPECT_EQ(ledger.admit_tab(alice, kFlow1, "t1"), Admission::known) << "a renewal is never refused";
  EXPECT_EQ(ledger.admit_tab(user("2"), kFlow3, "t3"), Admission::added);

  ledger.release_tab(alice, kFlow2, "t1");
  EXPECT_EQ(ledger.admit_tab(alice, kFlow3, "t3"), Admission::added);

  // A tab not renewed for a TTL no longer counts; a renewed one does.
  clock.advance_ms(60'000);
  EXPECT_EQ(ledger.admit_tab(alice, kFlow1, "t1"), Admission::known);
  clock.advance_ms(30'000);  // t3 is 90 s old, t1 30 s
  EXPECT_EQ(ledger.admit_tab(alice, kFlow2, "t2"), Admission::added);
  EXPECT_EQ(ledger.admit_tab(alice, kFlow3, "t4"), Admission::refused);

  ledger.release_user("1", "1");
  EXPECT_EQ(ledger.admit_tab(alice, kFlow3, "t4"), Admission::added);
}

TEST(UserLedger, ZeroMeansNoLimit) {
  presence::ManualClock clock;
  UserLedger ledger({.sockets_per_user = 0, .tabs_per_user = 0, .ttl_ms = 90'000}, clock);
  const auto alice = user("1");
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(ledger.open_socket(alice));
    EXPECT_EQ(ledger.admit_tab(alice, kFlow1, "t" + std::to_string(i)), Admission::added);
  }
}

}  // namespace
}  // namespace presenced::service

namespace presenced::testing {
namespace {

// A user's tabs, few (a vector) or many (a hash map): the same answers either side of
// the switch.
TEST(TabDeadlines, FewAndManyAnswerAlike) {
  for (std::size_t n : {std::size_t{1}, service::TabDeadlines::kFew, service::TabDeadlines::kFew + 1, std::size_t{40}}) {
    service::TabDeadlines tabs;
    for (std::uint64_t h = 1; h <= n; ++h) tabs.add(h * 7919, static_cast<std::int64_t>(h));
    EXPECT_EQ(tabs.size(), n);
    for (std::uint64_t h = 1; h <= n; ++h) {
      std::int64_t* d = tabs.find(h * 7919);
      ASSERT_TRUE(d) << n << " tabs, tab " << h;
      EXPECT_EQ(*d, static_cast<std::int64_t>(h));
    }
    EXPECT_FALSE(tabs.find(3));
    EXPECT_TRUE(tabs.erase(7919));
    EXPECT_FALSE(tabs.erase(7919));
    EXPECT_FALSE(tabs.find(7919));
    EXPECT_EQ(tabs.size(), n - 1);
    tabs.prune(static_cast<std::int64_t>(n / 2));  // deadlines 2 .. n/2 pass
    for (std::uint64_t h = 2; h <= n; ++h) EXPECT_EQ(tabs.find(h * 7919) != nullptr, h > n / 2) << n << " " << h;
    tabs.clear();
    EXPECT_TRUE(tabs.empty());
  }
}

}  // namespace
}  // namespace presenced::testing
