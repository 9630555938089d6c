// The store contract (store/presence_store.hpp), one typed suite run on every store in
// the test's own process: the embedded store, and RedisStore on the suite's real
// redis-server. Time is the harness's manual clock: expiry is exact, and nothing sleeps.
#include "integration/fixture.hpp"
#include "support/store_harness.hpp"

namespace presenced::testing {
namespace {

using presence::Mode;
using store::HeartbeatResult;
using store::UnregisterResult;

constexpr std::int64_t kTtlMs = 90'000;
constexpr store::TabLimits kLimits{.per_record = 4, .per_user = 2};

presence::UserPtr user(std::string id, std::string name, bool is_number = true, std::string tenant = "1") {
  return make_user(std::move(id), is_number, std::move(name), std::move(tenant));
}

presence::HeartbeatInput tab(std::string_view id, Mode mode = Mode::view, bool dirty = false,
                             std::string_view field = {}, std::uint32_t version = presence::kNoLockVersion) {
  presence::HeartbeatInput in;
  in.tab_id = id;
  in.mode = mode;
  in.dirty = dirty;
  in.active_field = field;
  in.lock_version = version;
  return in;
}

struct Memory {};
struct Redis {};

template <class Kind>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Kind, Memory>) {
      store_ = h_.memory(kLimits, kTtlMs);
    } else {
      store_args({"redis"});  // empties the suite's Redis
      store_ = h_.redis(RedisServer::shared().url(), kLimits, kTtlMs);
    }
  }
  void TearDown() override {
    if constexpr (std::is_same_v<Kind, Redis>) store_->stop();
  }

  HeartbeatResult beat(const presence::UserPtr& u, presence::HeartbeatInput in, std::string_view id = "42") {
    return h_.run(store_->heartbeat({u->tenant, "flow", id}, u, in));
  }
  UnregisterResult leave(const presence::UserPtr& u, std::string_view tab_id, std::string_view id = "42") {
    return h_.run(store_->unregister({u->tenant, "flow", id}, *u, tab_id, 0));
  }
  std::vector<presence::Viewer> viewers(const presence::User* caller = nullptr, std::string_view id = "42",
                                        store::RecordState* state = nullptr) {
    std::vector<presence::Viewer> out;
    EXPECT_EQ(h_.run(store_->viewers({"1", "flow", id}, caller, out, state)), store::ViewersResult::ok);
    return out;
  }
  std::vector<std::string> names(const presence::User* caller = nullptr) {
    std::vector<std::string> out;
    for (const auto& v : viewers(caller)) out.push_back(v.name);
    return out;
  }

  StoreHarness h_;
  std::unique_ptr<store::PresenceStore> store_;
  presence::UserPtr alice = user("1", "Alice"), bob = user("2", "Bob"), carol = user("3", "Carol");
};

using Stores = ::testing::Types<Memory, Redis>;
class StoreNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, Memory> ? "memory" : "redis";
  }
};
TYPED_TEST_SUITE(StoreContract, Stores, StoreNames);

TYPED_TEST(StoreContract, AHeartbeatJoinsUpdatesAndRenews) {
  EXPECT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::joined);
  EXPECT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::renewed);
  EXPECT_EQ(this->beat(this->alice, tab("a1", Mode::edit)), HeartbeatResult::updated);
  EXPECT_EQ(this->beat(this->alice, tab("a1", Mode::edit, true)), HeartbeatResult::updated);
  EXPECT_EQ(this->beat(this->alice, tab("a1", Mode::edit, true, "title")), HeartbeatResult::updated);
  EXPECT_EQ(this->beat(this->alice, tab("a1", Mode::edit, true, "title", 3)), HeartbeatResult::updated);
  EXPECT_EQ(this->beat(this->alice, tab("a1", Mode::edit, true, "title", 3)), HeartbeatResult::renewed);
  const auto list = this->viewers(this->bob.get());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "Alice");
  EXPECT_EQ(list[0].mode, Mode::edit);
  EXPECT_TRUE(list[0].has_dirty_tab);
  EXPECT_EQ(list[0].fields, std::vector<std::string>{"title"});
}

TYPED_TEST(StoreContract, ATabBelongsToTheUserWhoRegisteredIt) {
  ASSERT_EQ(this->beat(this->alice, tab("t1")), HeartbeatResult::joined);
  EXPECT_EQ(this->beat(this->bob, tab("t1")), HeartbeatResult::not_owner);
  EXPECT_EQ(this->leave(this->bob, "t1"), UnregisterResult::not_owner);
  EXPECT_EQ(this->names(), std::vector<std::string>{"Alice"});
  EXPECT_EQ(this->leave(this->alice, "t1"), UnregisterResult::removed);
  EXPECT_EQ(this->leave(this->alice, "t1"), UnregisterResult::absent);
  EXPECT_TRUE(this->viewers().empty());
  // Gone, the id is free for anyone.
  EXPECT_EQ(this->beat(this->bob, tab("t1")), HeartbeatResult::joined);
}

TYPED_TEST(StoreContract, ViewersAreOnePerUserInJoinOrderNeverTheCaller) {
  ASSERT_EQ(this->beat(this->bob, tab("b1")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->alice, tab("a1", Mode::view, false, "body")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->alice, tab("a2", Mode::edit, true, "title")), HeartbeatResult::joined);
  EXPECT_EQ(this->names(), (std::vector<std::string>{"Bob", "Alice"}));
  EXPECT_EQ(this->names(this->bob.get()), std::vector<std::string>{"Alice"});
  const auto list = this->viewers(this->carol.get());
  EXPECT_EQ(list[1].tabs, 2u);
  EXPECT_EQ(list[1].mode, Mode::edit);
  EXPECT_EQ(list[1].fields, (std::vector<std::string>{"body", "title"}));
  // A user whose first tab leaves keeps their place by their next one.
  ASSERT_EQ(this->leave(this->bob, "b1"), UnregisterResult::removed);
  ASSERT_EQ(this->beat(this->bob, tab("b2")), HeartbeatResult::joined);
  EXPECT_EQ(this->names(), (std::vector<std::string>{"Alice", "Bob"}));
}

TYPED_TEST(StoreContract, TabLimitsRefuseOnlyANewTab) {
  ASSERT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->alice, tab("a2")), HeartbeatResult::joined);
  EXPECT_EQ(this->beat(this->alice, tab("a3")), HeartbeatResult::user_full);
  ASSERT_EQ(this->beat(this->bob, tab("b1")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->carol, tab("c1")), HeartbeatResult::joined);
  EXPECT_EQ(this->beat(this->carol, tab("c2")), HeartbeatResult::record_full);
  EXPECT_EQ(this->beat(this->alice, tab("a1", Mode::edit)), HeartbeatResult::updated) << "renewals pass";
  EXPECT_EQ(this->beat(this->carol, tab("c2"), "43"), HeartbeatResult::joined) << "another record has room";
}

TYPED_TEST(StoreContract, TheRecordsTotalsCountEveryoneTheCallerToo) {
  ASSERT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->alice, tab("a2")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->bob, tab("b1")), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->carol, tab("c1"), "43"), HeartbeatResult::joined) << "another record: not counted";
  store::RecordState state;
  EXPECT_EQ(this->viewers(this->alice.get(), "42", &state).size(), 1u) << "the list leaves the caller out";
  EXPECT_EQ(state.totals.users, 2u) << "the totals do not";
  EXPECT_EQ(state.totals.tabs, 3u);
  this->viewers(this->carol.get(), "42", &state);
  EXPECT_EQ(state.totals.users, 2u) << "a caller who is not viewing adds nothing";
  this->h_.clock.advance_ms(200'000);
  this->viewers(nullptr, "42", &state);
  EXPECT_EQ(state.totals.users, 0u) << "expired tabs are not counted";
  EXPECT_EQ(state.totals.tabs, 0u);
}

TYPED_TEST(StoreContract, ATabNotRenewedForTheTtlIsGone) {
  ASSERT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::joined);
  this->h_.clock.advance_ms(60'000);
  ASSERT_EQ(this->beat(this->bob, tab("b1")), HeartbeatResult::joined);
  store::RecordState state;
  this->viewers(nullptr, "42", &state);
  EXPECT_EQ(state.next_expiry_ms, 30'000) << "Alice's tab expires first";
  this->h_.clock.advance_ms(30'000);
  EXPECT_EQ(this->names(), std::vector<std::string>{"Bob"});
  EXPECT_EQ(this->leave(this->alice, "a1"), UnregisterResult::absent);
  // Back after it expired: a new join, at the end of the order.
  EXPECT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::joined);
  EXPECT_EQ(this->names(), (std::vector<std::string>{"Bob", "Alice"}));
  this->h_.clock.advance_ms(200'000);
  EXPECT_TRUE(this->viewers().empty());
}

TYPED_TEST(StoreContract, TheLatestSavedVersionMarksOlderTabsStale) {
  ASSERT_EQ(this->beat(this->alice, tab("a1", Mode::edit, true, {}, 4)), HeartbeatResult::joined);
  ASSERT_EQ(this->h_.run(this->store_->saved({"1", "flow", "42"}, this->bob, 5)), store::SavedResult::ok);
  ASSERT_EQ(this->h_.run(this->store_->saved({"1", "flow", "42"}, this->bob, 3)), store::SavedResult::ok);
  store::RecordState state;
  auto list = this->viewers(nullptr, "42", &state);
  EXPECT_EQ(state.saved_version, 5u) << "the latest is kept";
  EXPECT_TRUE(list.at(0).stale);
  ASSERT_EQ(this->beat(this->alice, tab("a1", Mode::edit, false, {}, 5)), HeartbeatResult::updated);
  EXPECT_FALSE(this->viewers().at(0).stale);
  // Saved while nobody has it open: a tab that joins later on an older version is stale.
  ASSERT_EQ(this->h_.run(this->store_->saved({"1", "flow", "7"}, this->bob, 9)), store::SavedResult::ok);
  this->h_.clock.advance_ms(3'600'000);
  ASSERT_EQ(this->beat(this->carol, tab("c1", Mode::view, false, {}, 8), "7"), HeartbeatResult::joined);
  EXPECT_TRUE(this->viewers(nullptr, "7").at(0).stale);
}

TYPED_TEST(StoreContract, RemovingAUserRemovesTheirLiveTabsInTheirTenantOnly) {
  const auto other_tenant_alice = user("1", "Alice of 2", true, "2");
  ASSERT_EQ(this->beat(this->alice, tab("a1"), "1"), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->alice, tab("a2"), "2"), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(this->bob, tab("b1"), "2"), HeartbeatResult::joined);
  ASSERT_EQ(this->beat(other_tenant_alice, tab("x1"), "1"), HeartbeatResult::joined);
  const auto removed = this->h_.run(this->store_->remove_user("1", "1"));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2u);
  EXPECT_TRUE(this->viewers(nullptr, "1").empty());
  EXPECT_EQ(this->viewers(nullptr, "2").size(), 1u);
  std::vector<presence::Viewer> other;
  this->h_.run(this->store_->viewers({"2", "flow", "1"}, nullptr, other, nullptr));
  EXPECT_EQ(other.size(), 1u) << "the same id in another tenant stays";
}

TYPED_TEST(StoreContract, TheRecordInFullListsEveryLiveTabInJoinOrder) {
  ASSERT_EQ(this->beat(this->bob, tab("b1", Mode::edit, true, "title", 2)), HeartbeatResult::joined);
  this->h_.clock.advance_ms(1'000);
  ASSERT_EQ(this->beat(this->alice, tab("a1")), HeartbeatResult::joined);
  std::vector<presence::TabDetail> tabs;
  ASSERT_EQ(this->h_.run(this->store_->tabs({"1", "flow", "42"}, tabs)), store::ViewersResult::ok);
  ASSERT_EQ(tabs.size(), 2u);
  EXPECT_EQ(tabs[0].tab_id, "b1");
  EXPECT_EQ(tabs[0].user_id, "2");
  EXPECT_TRUE(tabs[0].dirty);
  EXPECT_EQ(tabs[0].field, "title");
  EXPECT_EQ(tabs[0].lock_version, 2u);
  EXPECT_EQ(tabs[1].tab_id, "a1");
  EXPECT_EQ(tabs[1].last_seen_ms - tabs[0].last_seen_ms, 1'000);
  EXPECT_EQ(tabs[1].last_seen_ms, this->h_.clock.unix_ms());
}

}  // namespace
}  // namespace presenced::testing
