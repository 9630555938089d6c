#include "store/memory/expiry_wheel.hpp"

#include <gtest/gtest.h>

namespace {
using presenced::store::memory::ExpiryWheel;

// Records as the store has them: a deadline and the wheel's link, by handle. on_due
// behaves like the store: a record not yet due is filed again, a due one is "freed".
struct Records {
  std::vector<std::int64_t> deadline;
  std::vector<std::uint32_t> next;
  ExpiryWheel wheel;

  explicit Records(std::int64_t tick = 100, std::size_t slots = 8) : wheel(tick, slots, 0) {}
  auto link() {
    return [this](std::uint32_t h) -> std::uint32_t& { return next[h]; };
  }
  std::uint32_t add(std::int64_t d) {
    deadline.push_back(d);
    next.push_back(ExpiryWheel::kEnd);
    auto h = static_cast<std::uint32_t>(deadline.size() - 1);
    wheel.schedule(h, d, link());
    return h;
  }
  std::vector<std::uint32_t> advance(std::int64_t now) {
    std::vector<std::uint32_t> due;
    wheel.advance(now, link(), [&](std::uint32_t h) {
      if (deadline[h] <= now) due.push_back(h);
      else wheel.schedule(h, deadline[h], link());
    });
    return due;
  }
};
}  // namespace

TEST(ExpiryWheel, HandsARecordOverOnceItsDeadlineHasPassedAndNotBefore) {
  Records r;
  auto a = r.add(250), b = r.add(400);
  EXPECT_TRUE(r.advance(249).empty());
  EXPECT_EQ(r.advance(300), std::vector<std::uint32_t>{a});
  EXPECT_TRUE(r.advance(399).empty());
  EXPECT_EQ(r.advance(400), std::vector<std::uint32_t>{b});
  EXPECT_TRUE(r.advance(10'000).empty()) << "each record once";
}

TEST(ExpiryWheel, DeadlinesBeyondOneTurnWaitForTheirRound) {
  Records r(100, 4);  // one turn is 400 ms
  auto a = r.add(1'050);
  EXPECT_TRUE(r.advance(1'000).empty());
  EXPECT_EQ(r.advance(1'100), std::vector<std::uint32_t>{a});
}

TEST(ExpiryWheel, ALargeJumpInTimeStillHandsOverEverythingDue) {
  Records r(100, 4);
  for (int i = 0; i < 10; ++i) r.add(100 + i * 170);
  EXPECT_EQ(r.advance(1'000'000).size(), 10u);
}

TEST(ExpiryWheel, ARecordFiledAgainFromItsOwnCallbackIsNotLost) {
  Records r;
  auto a = r.add(100);
  r.wheel.advance(100, r.link(), [&](std::uint32_t h) {
    r.deadline[h] = 150;  // a heartbeat arrived: due later, within the tick just processed
    r.wheel.schedule(h, 150, r.link());
  });
  EXPECT_EQ(r.advance(200), std::vector<std::uint32_t>{a});
}

TEST(ExpiryWheel, ManyRecordsInOneSlotAreAllHandedOver) {
  Records r;
  for (int i = 0; i < 1000; ++i) r.add(500);
  EXPECT_EQ(r.advance(500).size(), 1000u);
}
