// The real-time core on simulated time: the hub with a fake store and fake subscribers,
// and the leave grace, driven by manual timers. Coalescing, expiry and ordering are
// checked to the millisecond, and nothing sleeps.
#include "fanout/hub.hpp"
#include "service/leave_grace.hpp"
#include "support/manual_timers.hpp"
#include "support/room_view.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

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
class FakeSubscriber final : public fanout::Subscriber {
 public:
  // `user`: the receiver's user id, whose own entry the events leave out ("" for none).
  FakeSubscriber(std::uint64_t id, const ManualTimers& timers, std::string user = "")
      : id_(id), timers_(timers), user_(std::move(user)) {}
  std::uint64_t subscriber_id() const override { return id_; }
  void push_presence(std::shared_ptr<const fanout::PresenceEvent> event, std::uint32_t limit) override {
    // The bytes a session would write: the parts of the shared text for this receiver.
    std::string sent;
    for (auto [begin, end] : event->parts_for(user_, limit)) sent.append(event->text, begin, end - begin);
    last_event = event;
    received.push_back({timers_.now_ms(), boost::json::parse(sent)});
    const auto& m = received.back().message;
    if (m.at("type") == "presence_diff") {
      EXPECT_EQ(m.at("seq").as_int64(), room.seq + 1) << "no gap";
    }
    room.apply(m);
  }
  void push_text(std::shared_ptr<const std::string> text) override {
    received.push_back({timers_.now_ms(), boost::json::parse(*text)});
  }
  struct Received {
    std::int64_t at_ms;
    boost::json::value message;
  };
  std::vector<Received> received;
  std::shared_ptr<const fanout::PresenceEvent> last_event;  // as the hub made it, for every receiver
  RoomView room;  // the list as a client holds it (support/room_view.hpp)
  std::vector<std::string> view_names() const { return room.names(); }

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
  std::string user_;
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
  fanout::Hub hub{store, threads, {.coalesce = std::chrono::milliseconds(75)}, timers};
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
  EXPECT_EQ(carol.ids(1, "joined"), std::vector<std::string>{"Alice"});

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
  EXPECT_EQ(carol.ids(2, "joined"), (std::vector<std::string>{"Bob", "Dan", "Eve", "Fay"})) << "one diff for the burst";
  EXPECT_EQ(carol.view_names(), (std::vector<std::string>{"Alice", "Bob", "Dan", "Eve", "Fay"}));
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
  timers.advance(500 + fanout::kExpirySlackMs - 1);
  EXPECT_EQ(carol.received.size(), 1u) << "not before the deadline and its slack";
  timers.advance(1);
  ASSERT_EQ(carol.received.size(), 2u);
  EXPECT_EQ(carol.received[1].at_ms, 500 + fanout::kExpirySlackMs);
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
  EXPECT_EQ(carol.ids(1, "joined"), std::vector<std::string>{"Alice"});
  EXPECT_EQ(carol.ids(2, "joined"), std::vector<std::string>{"Bob"});
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

TEST_F(HubTest, AChangeInALargeRoomSendsOnlyTheChange) {
  for (int i = 0; i < 1'000; ++i) store.viewers_now.push_back(viewer(std::to_string(i), "User " + std::to_string(i)));
  FakeSubscriber viewer_7{2, timers, "7"};
  hub.subscribe(threads[0], viewer_7, record);
  timers.advance(1'000);
  ASSERT_EQ(viewer_7.received.size(), 1u);
  EXPECT_EQ(viewer_7.room.list.size(), 999u) << "the snapshot: everyone but the receiver";

  store.viewers_now.push_back(viewer("1000", "Newcomer"));
  store.viewers_now[3].mode = presence::Mode::edit;
  store.viewers_now.erase(store.viewers_now.begin() + 500);
  change();
  timers.advance(1'000);
  ASSERT_EQ(viewer_7.received.size(), 2u);
  const auto& diff = viewer_7.received[1].message;
  EXPECT_EQ(diff.at("type"), "presence_diff");
  EXPECT_EQ(diff.at("seq").as_int64(), 1);
  EXPECT_EQ(diff.at("count").at("users").as_int64(), 1'000) << "everyone, the receiver too";
  EXPECT_EQ(viewer_7.ids(1, "joined"), std::vector<std::string>{"Newcomer"});
  EXPECT_EQ(diff.at("joined").at(0).at("after"), boost::json::parse("[999,998]")) << "its place: after the last one";
  EXPECT_EQ(viewer_7.ids(1, "updated"), std::vector<std::string>{"User 3"});
  EXPECT_EQ(viewer_7.ids(1, "left"), std::vector<std::string>{"500"});
  EXPECT_LT(boost::json::serialize(diff).size(), 512u) << "the size of the change, not of the room";
  EXPECT_EQ(viewer_7.room.list.size(), 999u);
  hub.unsubscribe(threads[0], viewer_7, record);
}

TEST_F(HubTest, TheReceiversOwnEntryIsCutFromEveryForm) {
  store.viewers_now = {viewer("1", "Alice"), viewer("2", "Bob")};
  FakeSubscriber bob{2, timers, "2"}, bob_full{3, timers, "2"};
  hub.subscribe(threads[0], bob, record);
  hub.subscribe(threads[0], bob_full, record, {.full = true});
  timers.advance(1'000);
  EXPECT_EQ(bob.view_names(), std::vector<std::string>{"Alice"});

  store.viewers_now[1].tabs = 2;                          // Bob changes
  store.viewers_now.push_back(viewer("3", "Carol"));      // Carol joins
  change();
  timers.advance(1'000);
  ASSERT_EQ(bob.received.size(), 2u);
  EXPECT_EQ(bob.ids(1, "updated"), std::vector<std::string>{}) << "his own change is not his to see";
  EXPECT_EQ(bob.ids(1, "joined"), std::vector<std::string>{"Carol"});
  EXPECT_EQ(bob.view_names(), (std::vector<std::string>{"Alice", "Carol"}));
  ASSERT_EQ(bob_full.received.size(), 2u);
  EXPECT_EQ(bob_full.received[1].message.at("type"), "presence") << "the full form on request";
  EXPECT_EQ(bob_full.ids(1, "viewers"), (std::vector<std::string>{"Alice", "Carol"}));
  EXPECT_EQ(bob_full.ids(1, "joined"), std::vector<std::string>{"3"});
  EXPECT_EQ(bob_full.ids(1, "updated"), std::vector<std::string>{"2"});
  hub.unsubscribe(threads[0], bob, record);
  hub.unsubscribe(threads[0], bob_full, record);
}

TEST_F(HubTest, ALimitBoundsTheSnapshotAndTheFullListButNotTheCount) {
  for (int i = 0; i < 10; ++i) store.viewers_now.push_back(viewer(std::to_string(i), "User " + std::to_string(i)));
  FakeSubscriber three{2, timers, "1"}, none{3, timers}, full_three{4, timers, "9"};
  hub.subscribe(threads[0], three, record, {.limit = 3});
  hub.subscribe(threads[0], none, record, {.limit = 0});
  hub.subscribe(threads[0], full_three, record, {.full = true, .limit = 3});
  timers.advance(1'000);
  EXPECT_EQ(three.ids(0, "viewers"), (std::vector<std::string>{"User 0", "User 2", "User 3"})) << "three others";
  EXPECT_EQ(three.received[0].message.at("count").at("users").as_int64(), 10);
  EXPECT_TRUE(none.ids(0, "viewers").empty()) << "counts only";
  EXPECT_EQ(none.received[0].message.at("count").at("tabs").as_int64(), 10);

  store.viewers_now.erase(store.viewers_now.begin());
  change();
  timers.advance(1'000);
  EXPECT_EQ(full_three.ids(1, "viewers"), (std::vector<std::string>{"User 1", "User 2", "User 3"}));
  EXPECT_EQ(full_three.received[1].message.at("count").at("users").as_int64(), 9);
  for (auto* s : {&three, &none, &full_three}) hub.unsubscribe(threads[0], *s, record);
}

// A snapshot is written with the entries its receivers' limits need, not the whole room
// (kept until the next change, it would hold the room a second time); a later receiver who
// wants more gets a snapshot written for them.
TEST_F(HubTest, ASnapshotHoldsWhatItsReceiversLimitsNeed) {
  for (int i = 0; i < 1'000; ++i) store.viewers_now.push_back(viewer(std::to_string(i), "User " + std::to_string(i)));
  FakeSubscriber twenty{2, timers, "5"}, five{3, timers}, everyone{4, timers, "7"};
  hub.subscribe(threads[0], twenty, record, {.limit = 20});
  timers.advance(1'000);
  ASSERT_EQ(twenty.received.size(), 1u);
  EXPECT_EQ(twenty.last_event->entries.size(), 21u) << "20 others, and one more in case one is the receiver";
  EXPECT_LT(twenty.last_event->text.size(), 21u * 128) << "the room is not written";
  EXPECT_EQ(twenty.room.list.size(), 20u);
  EXPECT_EQ(twenty.received[0].message.at("count").at("users").as_int64(), 1'000) << "the count says everyone";

  hub.subscribe(threads[0], five, record, {.limit = 5});
  timers.advance(1'000);
  ASSERT_EQ(five.received.size(), 1u);
  EXPECT_EQ(five.last_event, twenty.last_event) << "a snapshot that holds enough is written once";
  EXPECT_EQ(five.ids(0, "viewers"), (std::vector<std::string>{"User 0", "User 1", "User 2", "User 3", "User 4"}));

  hub.subscribe(threads[0], everyone, record);
  timers.advance(1'000);
  ASSERT_EQ(everyone.received.size(), 1u);
  EXPECT_EQ(everyone.room.list.size(), 999u) << "everyone but the receiver";
  EXPECT_EQ(everyone.room.list.back().at("name"), "User 999");
  for (auto* s : {&twenty, &five, &everyone}) hub.unsubscribe(threads[0], *s, record);
}

// A receiver who needs more than the snapshot made at the last read holds waits for a read,
// which a coalescing window under way puts off until it ends.
TEST_F(HubTest, AReceiverWhoNeedsMoreThanTheSnapshotHoldsGetsItFromTheNextRead) {
  for (int i = 0; i < 100; ++i) store.viewers_now.push_back(viewer(std::to_string(i), "User " + std::to_string(i)));
  FakeSubscriber two{2, timers}, everyone{3, timers};
  hub.subscribe(threads[0], two, record, {.limit = 2});
  timers.advance(10);  // within the window that the first read opened
  const int reads = store.reads;
  hub.subscribe(threads[0], everyone, record);
  timers.advance(10);
  EXPECT_TRUE(everyone.received.empty()) << "the window is not over";
  timers.advance(100);
  ASSERT_EQ(everyone.received.size(), 1u);
  EXPECT_EQ(everyone.received[0].at_ms, 75) << "at the window's end";
  EXPECT_EQ(everyone.room.list.size(), 100u);
  EXPECT_EQ(store.reads, reads + 1);
  EXPECT_EQ(two.received.size(), 1u) << "nothing changed: nothing more for the others";
  for (auto* s : {&two, &everyone}) hub.unsubscribe(threads[0], *s, record);
}

// The client's rules applied to every diff give, after each change, the list a fresh
// snapshot gives: joins, leaves, updates and moves (a user whose first tab left while a
// later one stayed), for a receiver outside the room and one inside it.
TEST_F(HubTest, DiffsAppliedInOrderGiveTheSnapshotsList) {
  std::mt19937 random(17);
  FakeSubscriber outsider{2, timers}, insider{3, timers, "5"};
  hub.subscribe(threads[0], outsider, record);
  hub.subscribe(threads[0], insider, record);
  timers.advance(1'000);
  for (int round = 0; round < 300; ++round) {
    auto& now = store.viewers_now;
    for (int step = 0, steps = 1 + static_cast<int>(random() % 3); step < steps; ++step) {
      const std::string id = std::to_string(random() % 12);
      auto it = std::find_if(now.begin(), now.end(), [&](const auto& v) { return v.id == id; });
      switch (random() % 4) {
        case 0:  // a join, or a move to the end
          if (it != now.end()) now.erase(it);
          now.push_back(viewer(id, "User " + id));
          break;
        case 1:  // a leave
          if (it != now.end()) now.erase(it);
          break;
        case 2:  // an update
          if (it != now.end()) it->tabs += 1;
          break;
        default:  // a move forward (a tab from a node whose clock is behind)
          if (it != now.end() && it != now.begin()) std::rotate(now.begin() + (random() % (it - now.begin())), it, it + 1);
      }
    }
    change();
    timers.advance(100);
    std::vector<std::string> expected;
    for (const auto& v : now) expected.push_back(v.name);
    ASSERT_EQ(outsider.view_names(), expected) << "round " << round;
    std::erase(expected, "User 5");
    ASSERT_EQ(insider.view_names(), expected) << "round " << round;
  }
  hub.unsubscribe(threads[0], outsider, record);
  hub.unsubscribe(threads[0], insider, record);
}

// The contracts of runtime/check.hpp hold in Debug and sanitizer builds (the CI's ASan and
// TSan runs): a thread's share of the hub touched from another thread stops the process
// with where and why, instead of racing.
[[maybe_unused]] void subscribe_from_outside_the_thread() {
  runtime::EventThreads threads{1};
  ManualTimers timers{threads[0].context()};
  FakeStore store;
  fanout::Hub hub{store, threads, {}, timers};
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
  const fanout::Transitions t = fanout::diff_viewers(before, after);
  EXPECT_EQ(t.joined, (std::vector<std::size_t>{2, 3})) << "places in the new list";
  EXPECT_EQ(t.left, (std::vector<std::string>{"1"}));
  EXPECT_EQ(t.updated, (std::vector<std::size_t>{1}));
  EXPECT_TRUE(t.moved.empty());
  EXPECT_TRUE(fanout::diff_viewers(after, after).empty());
}

// A channel keeps ids and digests of what it sent, not the entries: every property an
// entry shows still makes it an update, and nothing else does.
TEST(DiffViewers, EveryPropertyAnEntryShowsIsAnUpdate) {
  const presence::Viewer base = viewer("1", "Alice");
  std::vector<std::function<void(presence::Viewer&)>> changes{
      [](auto& v) { v.name = "Alicia"; },
      [](auto& v) { v.avatar_url = "/a.png"; },
      [](auto& v) { v.tabs = 2; },
      [](auto& v) { v.has_dirty_tab = true; },
      [](auto& v) { v.mode = presence::Mode::edit; },
      [](auto& v) { v.away = true; },
      [](auto& v) { v.stale = true; },
      [](auto& v) { v.fields = {"title"}; },
      [](auto& v) { v.fields = {"ti", "tle"}; },
  };
  std::vector<fanout::SentEntry> sent;
  fanout::remember_sent({base, viewer("2", "Bob")}, sent);
  for (std::size_t k = 0; k < changes.size(); ++k) {
    std::vector<presence::Viewer> after{base, viewer("2", "Bob")};
    changes[k](after[0]);
    EXPECT_EQ(fanout::diff_viewers(sent, after).updated, std::vector<std::size_t>{0}) << "change " << k;
  }
  presence::Viewer with_fields = base;
  with_fields.fields = {"ti", "tle"};
  presence::Viewer joined = base;
  joined.fields = {"title"};
  EXPECT_NE(fanout::entry_digest(with_fields), fanout::entry_digest(joined)) << "where a field ends counts";
  EXPECT_TRUE(fanout::diff_viewers(sent, {base, viewer("2", "Bob")}).empty());
}

TEST(DiffViewers, OneJoinInARoomOfTenThousandIsOneJoin) {
  std::vector<presence::Viewer> before;
  for (int i = 0; i < 10'000; ++i) before.push_back(viewer(std::to_string(i), "User " + std::to_string(i)));
  std::vector<presence::Viewer> after = before;
  after.push_back(viewer("10000", "Newcomer"));
  after.erase(after.begin() + 5'000);  // and one left
  const fanout::Transitions t = fanout::diff_viewers(before, after);
  EXPECT_EQ(t.joined, (std::vector<std::size_t>{9'999}));
  EXPECT_EQ(t.left, (std::vector<std::string>{"5000"}));
  EXPECT_TRUE(t.updated.empty());
  EXPECT_TRUE(t.moved.empty());
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
