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
}  // namespace

TEST(Aggregation, OneEntryPerUserWithTabsDirtyAndEditMode) {
  auto alice = user("1", "Alice"), bob = user("2", "Bob"), me = user("3", "Me");
  std::vector<TabView> tabs{{alice.get(), Mode::view, false, 0},
                            {bob.get(), Mode::view, false, 1},
                            {alice.get(), Mode::edit, true, 2},
                            {me.get(), Mode::edit, true, 3}};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, *me, out);
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
  std::vector<TabView> tabs{{me_old_token.get(), Mode::view, false, 0}};
  std::vector<Viewer> out{Viewer{}};  // stale content is replaced
  aggregate_viewers(tabs, *me, out);
  EXPECT_TRUE(out.empty());
}

TEST(Aggregation, OrderedByEachUsersEarliestLiveTab) {
  auto a = user("a", "A", false), b = user("b", "B", false), c = user("c", "C", false), me = user("m", "M");
  // Arrival order in the input is not join order (as with a Redis hash).
  std::vector<TabView> tabs{{a.get(), Mode::view, false, 7},
                            {b.get(), Mode::view, false, 3},
                            {c.get(), Mode::view, false, 5},
                            {a.get(), Mode::view, false, 1}};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, *me, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "a");
  EXPECT_EQ(out[1].id, "b");
  EXPECT_EQ(out[2].id, "c");
  EXPECT_FALSE(out[0].id_is_number);
}

TEST(Aggregation, StringAndNumberIdsOfTheSameTextAreOneUser) {
  auto as_number = user("42", "Alice", true), as_string = user("42", "Alice", false), me = user("1", "M");
  std::vector<TabView> tabs{{as_number.get(), Mode::view, false, 0}, {as_string.get(), Mode::view, false, 1}};
  std::vector<Viewer> out;
  aggregate_viewers(tabs, *me, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tabs, 2u);
}
