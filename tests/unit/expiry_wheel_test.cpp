#include "store/memory/expiry_wheel.hpp"

#include <gtest/gtest.h>

#include <list>

namespace {
using presenced::store::memory::ExpiryWheel;
using presenced::store::memory::WheelHook;

struct Item {
  explicit Item(int i) : id(i) {}
  int id;
  WheelHook wheel_hook;
  std::int64_t wheel_deadline_ms = 0;
};

std::vector<int> advance(ExpiryWheel<Item>& wheel, std::int64_t now) {
  std::vector<int> fired;
  wheel.advance(now, [&](Item& item) { fired.push_back(item.id); });
  return fired;
}
}  // namespace

TEST(ExpiryWheel, FiresAnItemOnceItsDeadlineHasPassedAndNotBefore) {
  ExpiryWheel<Item> wheel(100, 8, 0);
  Item a(1), b(2);
  wheel.schedule(a, 250);
  wheel.schedule(b, 400);
  EXPECT_TRUE(advance(wheel, 249).empty());
  EXPECT_EQ(advance(wheel, 300), std::vector<int>{1});
  EXPECT_TRUE(advance(wheel, 399).empty());
  EXPECT_EQ(advance(wheel, 400), std::vector<int>{2});
}

TEST(ExpiryWheel, DeadlinesBeyondOneTurnWaitForTheirRound) {
  ExpiryWheel<Item> wheel(100, 4, 0);  // one turn is 400 ms
  Item a(1);
  wheel.schedule(a, 1'050);
  EXPECT_TRUE(advance(wheel, 1'000).empty());
  EXPECT_EQ(advance(wheel, 1'100), std::vector<int>{1});
}

TEST(ExpiryWheel, RescheduleMovesAndDestroyUnlinks) {
  ExpiryWheel<Item> wheel(100, 8, 0);
  Item a(1);
  wheel.schedule(a, 200);
  wheel.schedule(a, 600);
  {
    Item gone(2);
    wheel.schedule(gone, 300);
  }  // auto-unlinked
  EXPECT_TRUE(advance(wheel, 500).empty());
  EXPECT_EQ(advance(wheel, 700), std::vector<int>{1});
}

TEST(ExpiryWheel, ALargeJumpInTimeStillFiresEverythingDue) {
  ExpiryWheel<Item> wheel(100, 4, 0);
  std::list<Item> items;
  for (int i = 0; i < 10; ++i) wheel.schedule(items.emplace_back(i), 100 + i * 170);
  EXPECT_EQ(advance(wheel, 1'000'000).size(), 10u);
}

TEST(ExpiryWheel, AnItemRescheduledFromItsOwnCallbackIsNotLost) {
  ExpiryWheel<Item> wheel(100, 8, 0);
  Item a(1);
  wheel.schedule(a, 100);
  int fired = 0;
  wheel.advance(100, [&](Item& item) {
    ++fired;
    wheel.schedule(item, 150);  // within the tick just processed: must go to the next one
  });
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(advance(wheel, 200), std::vector<int>{1});
}
