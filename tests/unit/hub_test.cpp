// The real-time core on simulated time: the hub with a fake store and fake subscribers,
// and the leave grace, driven by manual timers. Coalescing, expiry and ordering are
// checked to the millisecond, and nothing sleeps.
#include "realtime/hub.hpp"
#include "service/leave_grace.hpp"
#include "support/manual_timers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace presenced::testing {
namespace {

namespace asio = boost::asio;

// A store whose viewers the test sets; counts its reads, records its unregisters.
class FakeStore final : public store::PresenceStore {
 public:
  std::vector<presence::Viewer> viewers_now;
  std::int64_t next_expiry_ms = -1;
  int reads = 0;
  struct Unregister {
    std::string record_id, tab_id;
    std::int64_t unless_seen_since_ms;
  };
  std::vector<Unregister> unregisters;

  asio::awaitable<store::HeartbeatResult> heartbeat(presence::RecordRef, presence::UserPtr,
                                                    presence::HeartbeatInput) override {
    co_return store::HeartbeatResult::joined;
  }
  asio::awaitable<store::UnregisterResult> unregister(presence::RecordRef record, const presence::User&,
                                                      std::string_view tab_id, std::int64_t since) override {
    unregisters.push_back({std::string(record.id), std::string(tab_id), since});
    co_return store::UnregisterResult::removed;
  }
  asio::awaitable<store::ViewersResult> viewers(presence::RecordRef, const presence::User*,
                                                std::vector<presence::Viewer>& out, store::RecordState* state) override {
    ++reads;
    out = viewers_now;
    if (state) *state = {presence::kNoLockVersion, next_expiry_ms, {}};
    co_return store::ViewersResult::ok;
  }
  asio::awaitable<store::ViewersResult> tabs(presence::RecordRef, std::vector<presence::TabDetail>&) override {
    co_return store::ViewersResult::ok;
  }
  asio::awaitable<std::optional<std::size_t>> remove_user(std::string_view, std::string_view) override {
    co_return std::size_t{0};
  }
  asio::awaitable<store::SavedResult> saved(presence::RecordRef, presence::UserPtr, std::uint32_t) override {
    co_return store::SavedResult::ok;
  }
  void start(runtime::EventThreads&) override {}
  void stop() override {}
  bool ready() const override { return true; }
  void set_observer(store::ChangeObserver*) override {}
};

// A session as the hub sees it: what it was sent, and when (simulated ms).
class FakeSubscriber final : public realtime::Subscriber {
 public:
  FakeSubscriber(std::uint64_t id, const ManualTimers& timers) : id_(id), timers_(timers) {}
  std::uint64_t subscriber_id() const override { return id_; }
  void push_presence(std::shared_ptr<const realtime::PresenceEvent> event) override {
    received.push_back({timers_.now_ms(), boost::json::parse(event->text)});
  }
  void push_text(std::shared_ptr<const std::string> text) override {
    received.push_back({timers_.now_ms(), boost::json::parse(*text)});
  }
  struct Received {
    std::int64_t at_ms;
    boost::json::value message;
  };
  std::vector<Received> received;

  // The names in the n-th message's list `list` ("joined", "left", "viewers": names).
  std::vector<std::string> ids(std::size_t n, const char* list) const {
    std::vector<std::string> out;
    for (const auto& v : received.at(n).message.at(list).as_array()) {
      out.push_back(v.is_object() ? std::string(v.at("name").as_string()) : boost::json::serialize(v));
    }
    return out;
  }

 private:
  std::uint64_t id_;
  const ManualTimers& timers_;
};

presence::Viewer viewer(std::string id, std::string name) {
  presence::Viewer v;
  v.id = std::move(id);
  v.id_is_number = true;
  v.name = std::move(name);
  v.tabs = 1;
  return v;
}

class HubTest : public ::testing::Test {
 protected:
  runtime::EventThreads threads{1};
  runtime::EventThread::Binding on_the_thread{threads[0]};  // the test drives the thread's context
  ManualTimers timers{threads[0].context()};
  FakeStore store;
  realtime::Hub hub{store, threads, {.coalesce = std::chrono::milliseconds(75)}, timers};
  FakeSubscriber carol{1, timers};
  const presence::RecordRef record{"1", "flow", "42"};

  void change() { hub.on_change({record, "t", nullptr, store::ChangeKind::updated}); }
  void TearDown() override { hub.stop(); }
};

TEST_F(HubTest, ASubscriberGetsASnapshotAtOnce) {
  store.viewers_now = {viewer("1", "Alice")};
  hub.subscribe(threads[0], carol, record);
  timers.settle();
  ASSERT_EQ(carol.received.size(), 1u);
  EXPECT_EQ(carol.received[0].at_ms, 0);
  EXPECT_EQ(carol.ids(0, "viewers"), std::vector<std::string>{"Alice"});
  EXPECT_TRUE(carol.ids(0, "joined").empty()) << "a snapshot joins nobody";
}

TEST_F(HubTest, TheFirstChangeIsSentAtOnceAndABurstCostsAtMostTwoEvents) {
  hub.subscribe(threads[0], carol, record);
  timers.advance(1'000);  // quiet: the subscription's window is long over
  ASSERT_EQ(carol.received.size(), 1u);

  store.viewers_now = {viewer("1", "Alice")};
  change();
  timers.settle();
  ASSERT_EQ(carol.received.size(), 2u) << "an isolated change waits for nothing";
  EXPECT_EQ(carol.received[1].at_ms, 1'000);
  EXPECT_EQ(carol.ids(1, "joined"), std::vector<std::string>{"1"});

  // Four more changes 10 ms apart, inside the window: held until it ends, then one event.
  const char* names[] = {"Bob", "Dan", "Eve", "Fay"};
  for (int i = 0; i < 4; ++i) {
    timers.advance(10);
    store.viewers_now.push_back(viewer(std::to_string(2 + i), names[i]));
    change();
  }
  timers.advance(34);  // 1,074 ms
  EXPECT_EQ(carol.received.size(), 2u) << "nothing before the window ends";
  timers.advance(1);  // 1,075 ms
  ASSERT_EQ(carol.received.size(), 3u);
  EXPECT_EQ(carol.received[2].at_ms, 1'075);
  EXPECT_EQ(carol.ids(2, "joined"), (std::vector<std::string>{"2", "3", "4", "5"}));
  EXPECT_EQ(carol.ids(2, "viewers"), (std::vector<std::string>{"Alice", "Bob", "Dan", "Eve", "Fay"}));
  timers.advance(10'000);
  EXPECT_EQ(carol.received.size(), 3u) << "the burst cost two events";
}

TEST_F(HubTest, ARenewalChangesNothingVisibleAndSendsNothing) {
  store.viewers_now = {viewer("1", "Alice")};
  hub.subscribe(threads[0], carol, record);
  timers.advance(1'000);
  const int reads = store.reads;
  change();  // the store said something changed; nothing visible did
  timers.advance(1'000);
  EXPECT_EQ(store.reads, reads + 1);
  EXPECT_EQ(carol.received.size(), 1u);
}

TEST_F(HubTest, AnExpiryIsNoticedWithoutAnyoneReportingIt) {
  store.viewers_now = {viewer("1", "Alice")};
  store.next_expiry_ms = 500;  // Alice's tab is due in 500 ms unless renewed
  hub.subscribe(threads[0], carol, record);
  timers.settle();
  store.viewers_now.clear();  // the store will not have her once it passes
  store.next_expiry_ms = -1;
  timers.advance(500 + realtime::kExpirySlackMs - 1);
  EXPECT_EQ(carol.received.size(), 1u) << "not before the deadline and its slack";
  timers.advance(1);
  ASSERT_EQ(carol.received.size(), 2u);
  EXPECT_EQ(carol.received[1].at_ms, 500 + realtime::kExpirySlackMs);
  EXPECT_EQ(carol.ids(1, "left"), std::vector<std::string>{"1"});
}

TEST_F(HubTest, EventsArriveInTheOrderOfTheChanges) {
  hub.subscribe(threads[0], carol, record);
  timers.advance(1'000);
  store.viewers_now = {viewer("1", "Alice")};
  change();
  timers.advance(100);
  store.viewers_now = {viewer("1", "Alice"), viewer("2", "Bob")};
  change();
  timers.advance(100);
  store.viewers_now = {viewer("2", "Bob")};
  change();
  timers.advance(100);
  ASSERT_EQ(carol.received.size(), 4u);
  EXPECT_EQ(carol.ids(1, "joined"), std::vector<std::string>{"1"});
  EXPECT_EQ(carol.ids(2, "joined"), std::vector<std::string>{"2"});
  EXPECT_EQ(carol.ids(3, "left"), std::vector<std::string>{"1"});
  EXPECT_EQ(carol.received[1].at_ms, 1'000);
  EXPECT_EQ(carol.received[2].at_ms, 1'100);
  EXPECT_EQ(carol.received[3].at_ms, 1'200);
}

TEST_F(HubTest, AfterTheLastUnsubscribeNothingIsReadOrSent) {
  hub.subscribe(threads[0], carol, record);
  timers.advance(1'000);
  hub.unsubscribe(threads[0], carol, record);
  timers.settle();
  const int reads = store.reads;
  store.viewers_now = {viewer("1", "Alice")};
  change();
  timers.advance(1'000);
  EXPECT_EQ(store.reads, reads);
  EXPECT_EQ(carol.received.size(), 1u);
  EXPECT_EQ(timers.pending(), 0u) << "its timers are gone with the channel";
}

TEST_F(HubTest, EveryEventIsNumberedAndCarriesTheTotals) {
  store.viewers_now = {viewer("1", "Alice")};
  store.viewers_now[0].tabs = 2;
  hub.subscribe(threads[0], carol, record);
  timers.settle();
  ASSERT_EQ(carol.received.size(), 1u);
  EXPECT_EQ(carol.received[0].message.at("seq").as_int64(), 0) << "a snapshot before any change";
  EXPECT_EQ(carol.received[0].message.at("count").at("users").as_int64(), 1);
  EXPECT_EQ(carol.received[0].message.at("count").at("tabs").as_int64(), 2);

  store.viewers_now.push_back(viewer("2", "Bob"));
  change();
  timers.advance(1'000);
  store.viewers_now.erase(store.viewers_now.begin());
  change();
  timers.advance(1'000);
  ASSERT_EQ(carol.received.size(), 3u);
  EXPECT_EQ(carol.received[1].message.at("seq").as_int64(), 1);
  EXPECT_EQ(carol.received[2].message.at("seq").as_int64(), 2) << "one more per change: a gap means one was missed";
  EXPECT_EQ(carol.received[2].message.at("count").at("users").as_int64(), 1);

  // A later subscriber's snapshot carries the number of the last change it includes.
  FakeSubscriber dave{2, timers};
  hub.subscribe(threads[0], dave, record);
  timers.settle();
  ASSERT_EQ(dave.received.size(), 1u);
  EXPECT_EQ(dave.received[0].message.at("seq").as_int64(), 2);
  hub.unsubscribe(threads[0], dave, record);
}

// The contracts of runtime/check.hpp hold in Debug and sanitizer builds (the CI's ASan and
// TSan runs): a thread's share of the hub touched from another thread stops the process
// with where and why, instead of racing.
[[maybe_unused]] void subscribe_from_outside_the_thread() {
  runtime::EventThreads threads{1};
  ManualTimers timers{threads[0].context()};
  FakeStore store;
  realtime::Hub hub{store, threads, {}, timers};
  FakeSubscriber someone{1, timers};
  hub.subscribe(threads[0], someone, {"1", "flow", "42"});  // not on threads[0]: no Binding
}

TEST(Contracts, AThreadsShareTouchedFromAnotherThreadStopsTheProcess) {
#if !defined(PRESENCED_CHECKS)
  GTEST_SKIP() << "the checks are compiled out of this (Release) build";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(subscribe_from_outside_the_thread(), "touched on its thread only");
#endif
}

TEST(DiffViewers, JoinsLeavesAndUpdatesInListOrder) {
  std::vector<presence::Viewer> before{viewer("1", "Alice"), viewer("2", "Bob"), viewer("3", "Carol")};
  std::vector<presence::Viewer> after{viewer("2", "Bob"), viewer("3", "Carol"), viewer("4", "Dan"), viewer("5", "Eve")};
  after[1].tabs = 2;  // Carol opened a second tab
  const realtime::Transitions t = realtime::diff_viewers(before, after);
  EXPECT_EQ(t.joined, (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(t.left, (std::vector<std::string>{"1"}));
  EXPECT_EQ(t.updated, (std::vector<std::string>{"3"}));
  EXPECT_TRUE(realtime::diff_viewers(after, after).joined.empty());
}

TEST(DiffViewers, OneJoinInARoomOfTenThousandIsOneJoin) {
  std::vector<presence::Viewer> before;
  for (int i = 0; i < 10'000; ++i) before.push_back(viewer(std::to_string(i), "User " + std::to_string(i)));
  std::vector<presence::Viewer> after = before;
  after.push_back(viewer("10000", "Newcomer"));
  after.erase(after.begin() + 5'000);  // and one left
  const realtime::Transitions t = realtime::diff_viewers(before, after);
  EXPECT_EQ(t.joined, (std::vector<std::string>{"10000"}));
  EXPECT_EQ(t.left, (std::vector<std::string>{"5000"}));
  EXPECT_TRUE(t.updated.empty());
}

TEST(LeaveGraceTest, ATabLeavesAfterTheGraceUnlessHeardFromSince) {
  asio::io_context io;
  ManualTimers timers(io);
  presence::ManualClock clock;
  FakeStore store;
  service::LeaveGrace grace(
      [&](presence::RecordRef record, const presence::User& user, std::string_view tab_id,
          std::int64_t since) -> asio::awaitable<void> {
        co_await store.unregister(record, user, tab_id, since);
      },
      clock, timers, std::chrono::milliseconds(1'500));
  auto alice = boost::intrusive_ptr<presence::User>(new presence::User);
  alice->id = "1";
  alice->tenant = "1";
  const std::int64_t closed_at = clock.unix_ms();
  grace.schedule(io.get_executor(), {"1", "flow", "42"}, alice, "t1");
  timers.advance(1'499);
  EXPECT_TRUE(store.unregisters.empty()) << "nothing within the grace";
  timers.advance(1);
  ASSERT_EQ(store.unregisters.size(), 1u);
  EXPECT_EQ(store.unregisters[0].tab_id, "t1");
  // Conditional: a tab heard from after it went away (a reload, on any node) is kept.
  EXPECT_EQ(store.unregisters[0].unless_seen_since_ms, closed_at + 5);
}

}  // namespace
}  // namespace presenced::testing
