#include "presence/aggregation.hpp"

#include <gtest/gtest.h>

namespace {
using namespace presenced::presence;

UserPtr user(std::string id, std::string name, bool number = true) {
  auto u = boost::intrusive_ptr<User>(new User);
  u->id = std::move(id);
  u->name = std::move(name);
  u->id_is_number = number;
  u->tenant = "1";
  return u;
}

TabView tab(const UserPtr& u, Mode mode, bool dirty, std::uint64_t joined, Activity activity = Activity::active,
            std::string_view field = {}, std::uint32_t lock_version = kNoLockVersion) {
  return {u.get(), mode, dirty, joined, activity, field, lock_version};
}
}  // namespace

TEST(Aggregation, OneEntryPerUserWithTabsDirtyAndEditMode) {
  auto alice = user("1", "Alice"), bob = user("2", "Bob"), me = user("3", "Me");
  std::vector<TabView> tabs{tab(alice, Mode::view, false, 0),
                            tab(bob, Mode::view, false, 1),
                            tab(alice, Mode::edit, true, 2),
                            tab(me, Mode::edit, true, 3)};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, me.get(), kNoLockVersion, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "Alice");
  EXPECT_EQ(out[0].tabs, 2u);
  EXPECT_TRUE(out[0].has_dirty_tab);
  EXPECT_EQ(out[0].mode, Mode::edit);
  EXPECT_EQ(out[1].name, "Bob");
  EXPECT_EQ(out[1].tabs, 1u);
  EXPECT_FALSE(out[1].has_dirty_tab);
  EXPECT_EQ(out[1].mode, Mode::view);
}

TEST(Aggregation, NeverTheCallerEvenThroughAnotherTokenOfTheSameUser) {
  auto me_old_token = user("3", "Me (old name)"), me = user("3", "Me");
  std::vector<TabView> tabs{tab(me_old_token, Mode::view, false, 0)};
  std::vector<Viewer> out{Viewer{}};  // stale content is replaced
  aggregate_viewers(tabs, me.get(), kNoLockVersion, out);
  EXPECT_TRUE(out.empty());
}

TEST(Aggregation, OrderedByEachUsersEarliestLiveTab) {
  auto a = user("a", "A", false), b = user("b", "B", false), c = user("c", "C", false), me = user("m", "M");
  // Arrival order in the input is not join order (as with a Redis hash).
  std::vector<TabView> tabs{tab(a, Mode::view, false, 7),
                            tab(b, Mode::view, false, 3),
                            tab(c, Mode::view, false, 5),
                            tab(a, Mode::view, false, 1)};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, me.get(), kNoLockVersion, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "a");
  EXPECT_EQ(out[1].id, "b");
  EXPECT_EQ(out[2].id, "c");
  EXPECT_FALSE(out[0].id_is_number);
}

TEST(Aggregation, StringAndNumberIdsOfTheSameTextAreOneUser) {
  auto as_number = user("42", "Alice", true), as_string = user("42", "Alice", false), me = user("1", "M");
  std::vector<TabView> tabs{tab(as_number, Mode::view, false, 0), tab(as_string, Mode::view, false, 1)};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, me.get(), kNoLockVersion, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tabs, 2u);
}

TEST(Aggregation, AwayOnlyWhenEveryTabIsIdle) {
  auto alice = user("1", "Alice"), bob = user("2", "Bob");
  std::vector<TabView> tabs{tab(alice, Mode::view, false, 0, Activity::idle), tab(bob, Mode::view, false, 1, Activity::idle),
                            tab(alice, Mode::view, false, 2, Activity::active)};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, nullptr, kNoLockVersion, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].away);  // one of Alice's tabs is active
  EXPECT_TRUE(out[1].away);
}

TEST(Aggregation, FieldsOfEveryTabEachOnceInTabOrder) {
  auto alice = user("1", "Alice");
  std::vector<TabView> tabs{tab(alice, Mode::edit, false, 0, Activity::active, "title"),
                            tab(alice, Mode::edit, false, 1, Activity::active, ""),
                            tab(alice, Mode::edit, false, 2, Activity::active, "steps"),
                            tab(alice, Mode::edit, false, 3, Activity::active, "title")};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, nullptr, kNoLockVersion, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].fields, (std::vector<std::string>{"title", "steps"}));
  // Reused storage starts clean.
  std::vector<TabView> fewer{tab(alice, Mode::edit, false, 0)};
  aggregate_viewers(fewer, nullptr, kNoLockVersion, out);
  EXPECT_TRUE(out[0].fields.empty());
}

TEST(Aggregation, StaleWhenATabHoldsAnOlderVersionThanTheSavedOne) {
  auto alice = user("1", "Alice"), bob = user("2", "Bob"), carol = user("3", "Carol");
  std::vector<TabView> tabs{tab(alice, Mode::edit, false, 0, Activity::active, "", 4),
                            tab(bob, Mode::edit, false, 1, Activity::active, "", 5),
                            tab(carol, Mode::edit, false, 2)};  // said no version: never stale
  std::vector<Viewer> out;
  aggregate_viewers(tabs, nullptr, 5, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].stale);
  EXPECT_FALSE(out[1].stale);
  EXPECT_FALSE(out[2].stale);
  aggregate_viewers(tabs, nullptr, kNoLockVersion, out);  // nothing saved: nobody is stale
  EXPECT_FALSE(out[0].stale);
}

TEST(Aggregation, EveryoneWhenThereIsNoCaller) {
  auto alice = user("1", "Alice"), me = user("3", "Me");
  std::vector<TabView> tabs{tab(alice, Mode::view, false, 0), tab(me, Mode::view, false, 1)};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, nullptr, kNoLockVersion, out);
  EXPECT_EQ(out.size(), 2u);
}

// Past a few dozen users the owners are found through a table: the same answer as the
// linear search, one entry per user (two tokens of one user included) in join order.
TEST(Aggregation, ALargeRoomIsRolledUpPerUserInJoinOrder) {
  std::vector<UserPtr> users, second_tokens;
  for (int i = 0; i < 500; ++i) {
    users.push_back(user(std::to_string(i), "User " + std::to_string(i)));
    second_tokens.push_back(user(std::to_string(i), "User " + std::to_string(i), false));  // "7" as a string id
  }
  auto me = user("250", "Me");
  std::vector<TabView> tabs;
  std::uint64_t joined = 0;
  for (int i = 0; i < 500; ++i) tabs.push_back(tab(users[i], Mode::view, false, joined++));
  for (int i = 499; i >= 0; --i) tabs.push_back(tab(second_tokens[i], i % 2 ? Mode::edit : Mode::view, i == 7, joined++));
  std::vector<Viewer> out;
  aggregate_viewers(tabs, me.get(), kNoLockVersion, out);
  ASSERT_EQ(out.size(), 499u) << "one entry per user, never the caller";
  for (std::size_t k = 0; k < out.size(); ++k) {
    const int i = static_cast<int>(k < 250 ? k : k + 1);
    ASSERT_EQ(out[k].id, std::to_string(i)) << "join order";
    EXPECT_EQ(out[k].tabs, 2u);
    EXPECT_EQ(out[k].mode, i % 2 ? Mode::edit : Mode::view);
    EXPECT_EQ(out[k].has_dirty_tab, i == 7);
    EXPECT_TRUE(out[k].id_is_number) << "named by the earliest tab's token";
  }
}
