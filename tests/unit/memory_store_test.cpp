#include "store/memory/memory_store.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <random>
#include <thread>

namespace {
using namespace presenced;
using presence::HeartbeatInput;
using presence::Mode;
using presence::RecordRef;
using store::ChangeKind;
using store::HeartbeatResult;
using store::UnregisterResult;
using store::memory::MemoryStore;

presence::UserPtr user(std::string id, std::string name, std::string tenant = "1") {
  auto u = boost::intrusive_ptr<presence::User>(new presence::User);
  u->id = std::move(id);
  u->name = std::move(name);
  u->id_is_number = true;
  u->tenant = std::move(tenant);
  return u;
}

RecordRef flow(std::string_view id, std::string_view tenant = "1") { return {tenant, "flow", id}; }

HeartbeatInput tab(std::string_view id, Mode mode = Mode::view, bool dirty = false, std::string_view field = {}) {
  return {id, mode, dirty, field};
}

struct Recorder : store::ChangeObserver {
  std::mutex m;
  std::vector<std::pair<std::string, ChangeKind>> seen;
  void on_change(const store::PresenceChange& c) override {
    std::lock_guard lock(m);
    seen.emplace_back(std::string(c.record.id) + "/" + std::string(c.tab_id), c.kind);
  }
};

class MemoryStoreTest : public ::testing::Test {
 protected:
  presence::ManualClock clock;
  // Limits out of the way; TabLimitsRefuseNewTabsOnly sets its own.
  MemoryStore store{
      {.ttl_ms = 90'000, .shards = 4, .tick_ms = 100, .limits = {.per_record = 65'000, .per_user = 65'000}}, clock};
  presence::UserPtr alice = user("1", "Alice"), bob = user("2", "Bob"), carol = user("3", "Carol");

  std::vector<presence::Viewer> viewers(const presence::UserPtr& caller, RecordRef r = flow("42")) {
    std::vector<presence::Viewer> out;
    store.read_viewers(r, caller.get(), out);
    return out;
  }
};
}  // namespace

TEST_F(MemoryStoreTest, JoinUpdateRenew) {
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1")), HeartbeatResult::joined);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1")), HeartbeatResult::renewed);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit)), HeartbeatResult::updated);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, true)), HeartbeatResult::updated);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, true, "title")), HeartbeatResult::updated);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, true, "title")), HeartbeatResult::renewed);
  auto v = viewers(bob);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].mode, Mode::edit);
  EXPECT_TRUE(v[0].has_dirty_tab);
  EXPECT_EQ(store.stats().tabs, 1u);
}

TEST_F(MemoryStoreTest, ATabBelongsToItsUser) {
  store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, true));
  EXPECT_EQ(store.apply_heartbeat(flow("42"), bob, tab("t1", Mode::view, false)), HeartbeatResult::not_owner);
  EXPECT_EQ(store.apply_unregister(flow("42"), *bob, "t1"), UnregisterResult::not_owner);
  auto v = viewers(carol);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].name, "Alice");
  EXPECT_TRUE(v[0].has_dirty_tab) << "the refused heartbeat changed nothing";
}

TEST_F(MemoryStoreTest, RecordsAndTenantsAreSeparate) {
  auto mallory = user("1", "Mallory", "2");  // same user id, other tenant
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  EXPECT_EQ(store.apply_heartbeat(flow("42", "2"), mallory, tab("t1")), HeartbeatResult::joined);
  EXPECT_EQ(viewers(bob, flow("43")).size(), 0u);
  auto other_tenant = viewers(user("9", "X", "2"), flow("42", "2"));
  ASSERT_EQ(other_tenant.size(), 1u);
  EXPECT_EQ(other_tenant[0].name, "Mallory");
  EXPECT_EQ(viewers(bob).size(), 1u);
  EXPECT_EQ(viewers(bob)[0].name, "Alice");
}

TEST_F(MemoryStoreTest, UnregisterRemovesAndTheWheelFreesEmptyRecords) {
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  store.apply_heartbeat(flow("42"), alice, tab("t2"));
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, "t1"), UnregisterResult::removed);
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, "t1"), UnregisterResult::absent);
  EXPECT_EQ(store.stats().records, 1u);
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, "t2"), UnregisterResult::removed);
  EXPECT_EQ(store.stats().records, 0u);
  EXPECT_EQ(store.stats().tabs, 0u);
  EXPECT_TRUE(viewers(bob).empty());
  // The emptied record waits for its wheel slot, at most one TTL, then is freed.
  clock.advance_ms(90'100);
  store.expire_due();
  EXPECT_EQ(store.stats().allocated_records, 0u);
}

TEST_F(MemoryStoreTest, AnEmptiedRecordTakesNewTabsAndIsNotFreedUnderThem) {
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  store.apply_unregister(flow("42"), *alice, "t1");
  clock.advance_ms(60'000);
  store.apply_heartbeat(flow("42"), bob, tab("t2"));
  clock.advance_ms(31'000);  // the record's first slot comes due; t2 is live
  store.expire_due();
  ASSERT_EQ(viewers(carol).size(), 1u);
  clock.advance_ms(60'000);
  store.expire_due();
  EXPECT_TRUE(viewers(carol).empty());
  EXPECT_EQ(store.stats().allocated_records, 0u);
}

TEST_F(MemoryStoreTest, RecordsGrowAndShrinkKeepingJoinOrder) {
  std::vector<presence::UserPtr> users;
  for (int i = 0; i < 40; ++i) {
    users.push_back(user(std::to_string(100 + i), "U" + std::to_string(i)));
    store.apply_heartbeat(flow("big"), users.back(), tab("t" + std::to_string(i)));
  }
  auto v = viewers(carol, flow("big"));
  ASSERT_EQ(v.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(v[i].name, "U" + std::to_string(i));
  // Keep five alive past the TTL: the others expire and the record shrinks around them.
  clock.advance_ms(60'000);
  for (int i = 0; i < 40; i += 8) store.apply_heartbeat(flow("big"), users[i], tab("t" + std::to_string(i)));
  clock.advance_ms(31'000);
  EXPECT_EQ(store.expire_due(), 35u);
  v = viewers(carol, flow("big"));
  ASSERT_EQ(v.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(v[k].name, "U" + std::to_string(k * 8));
  EXPECT_EQ(store.apply_heartbeat(flow("big"), users[8], tab("t8")), HeartbeatResult::renewed);
}

TEST_F(MemoryStoreTest, TabLimitsRefuseNewTabsOnly) {
  MemoryStore limited{{.ttl_ms = 90'000, .shards = 4, .limits = {.per_record = 3, .per_user = 2}}, clock};
  auto alice = user("1", "Alice"), bob = user("2", "Bob");
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), alice, tab("a1")), HeartbeatResult::joined);
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), alice, tab("a2")), HeartbeatResult::joined);
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), alice, tab("a3")), HeartbeatResult::user_full);
  EXPECT_EQ(limited.apply_heartbeat(flow("2"), alice, tab("a3")), HeartbeatResult::joined);  // per record
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), bob, tab("b1")), HeartbeatResult::joined);
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), bob, tab("b2")), HeartbeatResult::record_full);
  // A full record still renews and updates the tabs it has.
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), alice, tab("a1")), HeartbeatResult::renewed);
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), bob, tab("b1", Mode::edit)), HeartbeatResult::updated);
  std::vector<presence::Viewer> out;
  limited.read_viewers(flow("1"), nullptr, out);
  ASSERT_EQ(out.size(), 2u);  // refused tabs left nothing behind
  EXPECT_EQ(out[0].tabs + out[1].tabs, 3u);
  // Room again once a tab leaves, or expires.
  EXPECT_EQ(limited.apply_unregister(flow("1"), *alice, "a2"), store::UnregisterResult::removed);
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), bob, tab("b2")), HeartbeatResult::joined);
  clock.advance_ms(91'000);
  EXPECT_EQ(limited.apply_heartbeat(flow("1"), bob, tab("b3")), HeartbeatResult::joined);
}

TEST_F(MemoryStoreTest, LargeRecordsFindTheirTabsThroughAnIndex) {
  constexpr int kTabs = 300;  // well past TabIndex::kThreshold
  std::vector<presence::UserPtr> users;
  for (int i = 0; i < kTabs; ++i) {
    users.push_back(user(std::to_string(1000 + i), "U" + std::to_string(i)));
    ASSERT_EQ(store.apply_heartbeat(flow("hall"), users[i], tab("tab_" + std::to_string(i))), HeartbeatResult::joined);
  }
  for (int i = 0; i < kTabs; i += 7) {
    ASSERT_EQ(store.apply_heartbeat(flow("hall"), users[i], tab("tab_" + std::to_string(i), Mode::edit)),
              HeartbeatResult::updated);
    ASSERT_EQ(store.apply_heartbeat(flow("hall"), users[(i + 1) % kTabs], tab("tab_" + std::to_string(i))),
              HeartbeatResult::not_owner);
  }
  // Leaves shift positions: the index must follow.
  for (int i = 0; i < kTabs; i += 3) {
    ASSERT_EQ(store.apply_unregister(flow("hall"), *users[i], "tab_" + std::to_string(i)), UnregisterResult::removed);
  }
  for (int i = 0; i < kTabs; ++i) {
    auto expected = i % 3 == 0 ? HeartbeatResult::joined : HeartbeatResult::renewed;
    std::string id = "tab_" + std::to_string(i);
    auto in = tab(id, i % 7 == 0 ? Mode::edit : Mode::view);
    ASSERT_EQ(store.apply_heartbeat(flow("hall"), users[i], in), expected) << i;
  }
  EXPECT_EQ(store.stats().tabs, static_cast<std::size_t>(kTabs));
  // Most expire at once; the few renewed ones are still found.
  clock.advance_ms(60'000);
  for (int i = 0; i < 10; ++i) store.apply_heartbeat(flow("hall"), users[i * 29], tab("tab_" + std::to_string(i * 29)));
  clock.advance_ms(31'000);
  store.expire_due();
  EXPECT_EQ(store.stats().tabs, 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(store.apply_unregister(flow("hall"), *users[i * 29], "tab_" + std::to_string(i * 29)),
              UnregisterResult::removed);
  }
}

TEST_F(MemoryStoreTest, FieldNamesAreKeptPerTab) {
  store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, false, "title"));
  store.apply_heartbeat(flow("42"), bob, tab("t2", Mode::edit, false, "title"));
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, false, "body")), HeartbeatResult::updated);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), bob, tab("t2", Mode::edit, false, "title")), HeartbeatResult::renewed);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, false, "")), HeartbeatResult::updated);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, false, "")), HeartbeatResult::renewed);
}

TEST_F(MemoryStoreTest, ViewersOrderedByFirstLiveTabJoin) {
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  store.apply_heartbeat(flow("42"), alice, tab("a1"));
  store.apply_heartbeat(flow("42"), bob, tab("b2"));
  store.apply_heartbeat(flow("42"), alice, tab("a2"));
  auto v = viewers(carol);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "Bob");
  // Bob's first tab leaves: his earliest live tab now joined after Alice's.
  store.apply_unregister(flow("42"), *bob, "b1");
  v = viewers(carol);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "Alice");
  EXPECT_EQ(v[1].name, "Bob");
}

TEST_F(MemoryStoreTest, ExpiresASilentTabAfterTheTtlAndNotBefore) {
  clock.advance_ms(50);  // a deadline between two ticks of the wheel
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  clock.advance_ms(89'999);
  store.expire_due();
  EXPECT_EQ(viewers(bob).size(), 1u);
  clock.advance_ms(1);
  EXPECT_EQ(viewers(bob).size(), 0u) << "reads check deadlines before the wheel runs";
  EXPECT_EQ(store.stats().tabs, 1u);
  EXPECT_EQ(store.expire_due(), 0u) << "the wheel works in 100 ms ticks";
  clock.advance_ms(100);
  EXPECT_EQ(store.expire_due(), 1u);
  EXPECT_EQ(store.stats().tabs, 0u);
  EXPECT_EQ(store.stats().records, 0u);
}

TEST_F(MemoryStoreTest, HeartbeatsRenewTheTtl) {
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  store.apply_heartbeat(flow("42"), alice, tab("t2"));
  for (int i = 0; i < 10; ++i) {
    clock.advance_ms(30'000);
    store.apply_heartbeat(flow("42"), alice, tab("t1"));
    store.expire_due();
  }
  auto v = viewers(bob);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].tabs, 1u) << "t2 went silent and expired; t1 stayed";
  EXPECT_EQ(store.stats().tabs, 1u);
}

TEST_F(MemoryStoreTest, AnExpiredTabComingBackRejoinsAtTheEnd) {
  store.apply_heartbeat(flow("42"), alice, tab("a1"));
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  clock.advance_ms(60'000);
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  clock.advance_ms(31'000);  // a1 expired, not yet swept
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab("a1")), HeartbeatResult::joined);
  auto v = viewers(carol);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "Bob");
  EXPECT_EQ(v[1].name, "Alice");
}

TEST_F(MemoryStoreTest, AnExpiredTabMayBeTakenByAnotherUser) {
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  clock.advance_ms(90'000);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), bob, tab("t1")), HeartbeatResult::joined);
  EXPECT_EQ(store.stats().tabs, 1u);
}

TEST_F(MemoryStoreTest, ObserversSeeJoinUpdateLeaveAndExpiryButNotRenewals) {
  Recorder rec;
  store.set_observer(&rec);
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit));
  store.apply_heartbeat(flow("42"), bob, tab("t1"));  // refused: no event
  store.apply_heartbeat(flow("42"), alice, tab("t2"));
  store.apply_unregister(flow("42"), *alice, "t2");
  clock.advance_ms(91'000);
  store.expire_due();
  std::vector<std::pair<std::string, ChangeKind>> expected{{"42/t1", ChangeKind::joined},
                                                           {"42/t1", ChangeKind::updated},
                                                           {"42/t2", ChangeKind::joined},
                                                           {"42/t2", ChangeKind::left},
                                                           {"42/t1", ChangeKind::expired}};
  EXPECT_EQ(rec.seen, expected);
}

TEST_F(MemoryStoreTest, LongTabIdsAndFieldsAreKept) {
  std::string long_id(128, 'x');
  store.apply_heartbeat(flow("42"), alice, tab(long_id, Mode::edit, false, "a-rather-long-field-name"));
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, tab(long_id, Mode::edit, false, "a-rather-long-field-name")),
            HeartbeatResult::renewed);
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, long_id), UnregisterResult::removed);
}

TEST_F(MemoryStoreTest, ConcurrentWritersOnSharedRecordsKeepExactCounts) {
  constexpr int kThreads = 8, kTabs = 500;
  std::vector<std::thread> threads;
  std::vector<presence::UserPtr> users;
  for (int t = 0; t < kThreads; ++t) users.push_back(user(std::to_string(100 + t), "U"));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTabs; ++i) {
        std::string id = "t" + std::to_string(t) + "_" + std::to_string(i);
        std::string rec = std::to_string(i % 7);
        store.apply_heartbeat(flow(rec), users[t], tab(id));
        store.apply_heartbeat(flow(rec), users[t], tab(id, Mode::edit));
        if (i % 2) store.apply_unregister(flow(rec), *users[t], id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.stats().tabs, static_cast<std::size_t>(kThreads * kTabs / 2));
  std::size_t seen = 0;
  for (int r = 0; r < 7; ++r) {
    for (auto& v : viewers(carol, flow(std::to_string(r)))) seen += v.tabs;
  }
  EXPECT_EQ(seen, static_cast<std::size_t>(kThreads * kTabs / 2));
}

TEST_F(MemoryStoreTest, ActivityAndLockVersionAreChangesToo) {
  HeartbeatInput in = tab("t1");
  store.apply_heartbeat(flow("42"), alice, in);
  in.activity = presence::Activity::idle;
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, in), HeartbeatResult::updated);
  EXPECT_TRUE(viewers(bob)[0].away);
  in.lock_version = 3;
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, in), HeartbeatResult::updated);
  EXPECT_EQ(store.apply_heartbeat(flow("42"), alice, in), HeartbeatResult::renewed);
}

TEST_F(MemoryStoreTest, FieldsShowPerViewer) {
  store.apply_heartbeat(flow("42"), alice, tab("t1", Mode::edit, true, "title"));
  store.apply_heartbeat(flow("42"), alice, tab("t2", Mode::edit, false, "steps"));
  auto v = viewers(bob);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].fields, (std::vector<std::string>{"title", "steps"}));
}

TEST_F(MemoryStoreTest, SavedVersionMarksOlderTabsStaleAndTellsObservers) {
  Recorder rec;
  store.set_observer(&rec);
  HeartbeatInput old_version = tab("a1"), new_version = tab("b1");
  old_version.lock_version = 4;
  new_version.lock_version = 5;
  store.apply_heartbeat(flow("42"), alice, old_version);
  store.apply_heartbeat(flow("42"), bob, new_version);
  EXPECT_EQ(store.apply_saved(flow("42"), bob, 5), store::SavedResult::ok);
  store::RecordState state;
  std::vector<presence::Viewer> v;
  store.read_viewers(flow("42"), carol.get(), v, &state);
  EXPECT_EQ(state.saved_version, 5u);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[0].stale);
  EXPECT_FALSE(v[1].stale);
  store.apply_saved(flow("42"), bob, 3);  // an older save does not move it back
  store.read_viewers(flow("42"), carol.get(), v, &state);
  EXPECT_EQ(state.saved_version, 5u);
  EXPECT_EQ(rec.seen.back().second, ChangeKind::saved);
}

TEST_F(MemoryStoreTest, ViewersSayWhenTheFirstTabExpires) {
  store::RecordState state;
  std::vector<presence::Viewer> v;
  store.read_viewers(flow("42"), nullptr, v, &state);
  EXPECT_EQ(state.next_expiry_ms, -1);
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  clock.advance_ms(10'000);
  store.apply_heartbeat(flow("42"), bob, tab("t2"));
  store.read_viewers(flow("42"), nullptr, v, &state);
  EXPECT_EQ(state.next_expiry_ms, 80'000);
  EXPECT_EQ(v.size(), 2u) << "no caller: everyone";
}

TEST_F(MemoryStoreTest, AConditionalUnregisterKeepsATabHeardFromSince) {
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  const std::int64_t closed_at = clock.unix_ms();
  clock.advance_ms(500);
  store.apply_heartbeat(flow("42"), alice, tab("t1"));  // the reloaded page
  clock.advance_ms(1000);
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, "t1", closed_at), UnregisterResult::kept);
  EXPECT_EQ(viewers(bob).size(), 1u);
  clock.advance_ms(1000);
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, "t1", clock.unix_ms()), UnregisterResult::removed);
  EXPECT_TRUE(viewers(bob).empty());
}

TEST_F(MemoryStoreTest, DeadlinesSurviveTheLowBitsWrapping) {
  // Tabs keep 32 bits of the monotonic clock: move it near 2^32 ms and across.
  clock.advance_ms((std::int64_t{1} << 32) - clock.monotonic_ms() - 30'000);
  store.apply_heartbeat(flow("42"), alice, tab("t1"));
  clock.advance_ms(60'000);  // past the wrap
  EXPECT_EQ(viewers(bob).size(), 1u);
  store::RecordState state;
  std::vector<presence::Viewer> v;
  store.read_viewers(flow("42"), nullptr, v, &state);
  EXPECT_EQ(state.next_expiry_ms, 30'000);
  clock.advance_ms(30'000);
  EXPECT_TRUE(viewers(bob).empty());
  clock.advance_ms(200);
  EXPECT_EQ(store.expire_due(), 1u);
}

namespace {
struct OccupancyRecorder : store::OccupancyObserver {
  std::vector<std::string> seen;  // "42 occupied"
  void on_occupancy(RecordRef r, store::Occupancy change) override {
    seen.push_back(std::string(r.id) + (change == store::Occupancy::occupied ? " occupied" : " vacated"));
  }
};
using Seen = std::vector<std::string>;
}  // namespace

// Webhooks: the first live tab and the last one going are each told once, however the
// last goes (unregister, expiry), and a record's vacancy always comes before its next
// occupancy.
TEST_F(MemoryStoreTest, OccupancyIsToldAtTheFirstTabAndAtTheLast) {
  OccupancyRecorder rec;
  store.set_occupancy_observer(&rec);
  store.apply_heartbeat(flow("42"), alice, tab("a1"));
  store.apply_heartbeat(flow("42"), alice, tab("a2"));
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  store.apply_heartbeat(flow("42"), alice, tab("a1", Mode::edit));
  EXPECT_EQ(rec.seen, Seen({"42 occupied"}));
  store.apply_unregister(flow("42"), *alice, "a1");
  store.apply_unregister(flow("42"), *alice, "a2");
  EXPECT_EQ(rec.seen, Seen({"42 occupied"}));
  EXPECT_EQ(store.apply_unregister(flow("42"), *alice, "b1"), UnregisterResult::not_owner);
  store.apply_unregister(flow("42"), *bob, "b1");
  EXPECT_EQ(rec.seen, Seen({"42 occupied", "42 vacated"}));
  store.expire_due();
  clock.advance_ms(200'000);
  store.expire_due();
  EXPECT_EQ(rec.seen, Seen({"42 occupied", "42 vacated"})) << "the sweep of an emptied record tells nothing";
}

TEST_F(MemoryStoreTest, OccupancyEndsOnceWhenTheLastTabsExpire) {
  OccupancyRecorder rec;
  store.set_occupancy_observer(&rec);
  store.apply_heartbeat(flow("42"), alice, tab("a1"));
  clock.advance_ms(60'000);
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  clock.advance_ms(40'000);  // a1 has expired, b1 has not
  store.expire_due();
  EXPECT_EQ(rec.seen, Seen({"42 occupied"}));
  clock.advance_ms(60'000);
  store.expire_due();
  EXPECT_EQ(rec.seen, Seen({"42 occupied", "42 vacated"}));
  clock.advance_ms(200'000);
  store.expire_due();
  EXPECT_EQ(rec.seen.size(), 2u);
}

TEST_F(MemoryStoreTest, AJoinAfterUnsweptExpiriesTellsTheVacancyFirst) {
  OccupancyRecorder rec;
  store.set_occupancy_observer(&rec);
  store.apply_heartbeat(flow("42"), alice, tab("a1"));
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  clock.advance_ms(100'000);  // both expired, the wheel has not run
  store.apply_heartbeat(flow("42"), bob, tab("b1"));
  EXPECT_EQ(rec.seen, Seen({"42 occupied", "42 vacated", "42 occupied"}));
  store.expire_due();
  EXPECT_EQ(rec.seen.size(), 3u) << "the expired tabs are gone already";
  EXPECT_EQ(viewers(carol).size(), 1u);

  // The last live tab leaving while an expired one waits for the wheel: vacant now, and
  // not again when the wheel comes.
  store.apply_heartbeat(flow("7"), alice, tab("a7"));
  clock.advance_ms(60'000);
  store.apply_heartbeat(flow("7"), bob, tab("b7"));
  clock.advance_ms(40'000);  // a7 expired, unswept
  store.apply_unregister(flow("7"), *bob, "b7");
  EXPECT_EQ(rec.seen, Seen({"42 occupied", "42 vacated", "42 occupied", "7 occupied", "7 vacated"}));
  store.expire_due();  // 42's b1 has expired by now; 7 is not told again
  EXPECT_EQ(rec.seen, Seen({"42 occupied", "42 vacated", "42 occupied", "7 occupied", "7 vacated", "42 vacated"}));
}

namespace {
// A viewer as text, every property a page shows.
std::string describe(const presence::Viewer& v) {
  std::string s = v.id + " " + v.name + " tabs=" + std::to_string(v.tabs) + (v.has_dirty_tab ? " dirty" : "") +
                  " " + std::string(presence::to_string(v.mode)) + (v.away ? " away" : "") + (v.stale ? " stale" : "");
  for (const auto& f : v.fields) s += " f:" + f;
  return s;
}
std::vector<std::string> describe(const std::vector<presence::Viewer>& list) {
  std::vector<std::string> out;
  for (const auto& v : list) out.push_back(describe(v));
  return out;
}
}  // namespace

// A page of a large room is built from its tally and the tabs up to the page's end
// (large_record.hpp): it must answer exactly what the whole list cut to the page answers,
// whatever the room went through: users with several tabs joined apart, leaves that shift
// positions, renewals, tabs past their deadline not yet swept, a room that grows past the
// index's threshold and shrinks below it, the caller in the room or not.
TEST_F(MemoryStoreTest, APageOfALargeRoomIsTheWholeListCutToIt) {
  std::mt19937 rng(24);
  std::vector<presence::UserPtr> users;
  for (int u = 0; u < 60; ++u) users.push_back(user(std::to_string(100 + u), "U" + std::to_string(u)));
  const std::string fields[] = {"", "title", "body"};
  std::size_t pages = 0;
  for (int step = 0; step < 4'000; ++step) {
    const int u = static_cast<int>(rng() % users.size());
    const std::string tab_id = "t" + std::to_string(u) + "_" + std::to_string(rng() % 3);
    // Grow for a while, then shrink, so that the room crosses the index's threshold both ways.
    const bool growing = (step / 500) % 2 == 0;
    switch (rng() % 10) {
      case 0: case 1: case 2: case 3: case 4:
        if (growing || rng() % 3 == 0) {
          store.apply_heartbeat(flow("hall"), users[u],
                                {tab_id, rng() % 2 ? Mode::edit : Mode::view, rng() % 2 == 0, fields[rng() % 3],
                                 rng() % 4 == 0 ? presence::Activity::idle : presence::Activity::active,
                                 static_cast<std::uint32_t>(rng() % 4)});
        }
        break;
      case 5: case 6:
        store.apply_unregister(flow("hall"), *users[u], tab_id);
        break;
      case 7:
        clock.advance_ms(static_cast<std::int64_t>(rng() % 20'000));  // some tabs pass, unswept
        break;
      case 8:
        if (rng() % 4 == 0) store.expire_due();
        break;
      case 9:
        store.apply_saved(flow("hall"), users[u], static_cast<std::uint32_t>(rng() % 4));
        break;
    }
    const presence::UserPtr& caller = users[rng() % users.size()];
    std::vector<presence::Viewer> whole;
    store::RecordState state;
    store.read_viewers(flow("hall"), caller.get(), whole, &state);
    for (auto [offset, limit] : {std::pair<std::size_t, std::size_t>{0, 5}, {0, 1000}, {3, 7}, {40, 20}, {0, SIZE_MAX}}) {
      std::vector<presence::Viewer> page;
      presence::Totals totals;
      store.read_page(flow("hall"), *caller, offset, limit, page, totals);
      std::vector<presence::Viewer> expected = whole;
      store::cut_page(expected, offset, limit);
      ASSERT_EQ(describe(page), describe(expected)) << "step " << step << " offset " << offset << " limit " << limit;
      ASSERT_EQ(totals.users, state.totals.users) << "step " << step;
      ASSERT_EQ(totals.tabs, state.totals.tabs) << "step " << step;
      ++pages;
    }
  }
  EXPECT_GT(store.stats().tabs, 0u);
  EXPECT_EQ(pages, 20'000u);
}

// A page of a large room reads the room no further than its last user's last tab: the
// read of a page of 20 in a room of 10,000 looks at about 20 tabs. Shown through what it
// cannot do without: a room of 10,000 whose first 20 users are the page, each of whom has
// a second tab at the room's end (the page then reads to the end), against one where
// they do not.
TEST_F(MemoryStoreTest, APageOfALargeRoomCountsEveryTabOfItsUsers) {
  std::vector<presence::UserPtr> users;
  for (int u = 0; u < 10'000; ++u) users.push_back(user(std::to_string(10'000 + u), "U" + std::to_string(u)));
  for (int u = 0; u < 10'000; ++u) store.apply_heartbeat(flow("big"), users[u], tab("a" + std::to_string(u)));
  store.apply_heartbeat(flow("big"), users[3], tab("late", Mode::edit, true, "title"));
  std::vector<presence::Viewer> page;
  presence::Totals totals;
  store.read_page(flow("big"), *users[0], 0, 20, page, totals);
  ASSERT_EQ(page.size(), 20u);
  EXPECT_EQ(page[0].id, "10001");
  EXPECT_EQ(page[2].id, "10003");
  EXPECT_EQ(page[2].tabs, 2u);  // its second tab joined last of all
  EXPECT_TRUE(page[2].has_dirty_tab);
  EXPECT_EQ(page[2].fields, std::vector<std::string>{"title"});
  EXPECT_EQ(totals.users, 10'000u);
  EXPECT_EQ(totals.tabs, 10'001u);
  // Past their deadline, unswept: gone from the page and from the totals at once.
  clock.advance_ms(60'000);
  for (int u = 0; u < 10'000; u += 2) store.apply_heartbeat(flow("big"), users[u], tab("a" + std::to_string(u)));
  clock.advance_ms(31'000);
  store.read_page(flow("big"), *users[0], 0, 3, page, totals);
  EXPECT_EQ(totals.users, 5'000u);  // the even users, the caller among them
  EXPECT_EQ(totals.tabs, 5'000u);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].id, "10002");
  EXPECT_EQ(page[1].id, "10004");
}
