// User ids are compared as exact text on every store: snowflake-style ids beyond 2^53
// (which a double cannot tell apart) are distinct users, in tab ownership, unregister,
// the per-user tab cap, the server API's user removal and saved notices.
#include "integration/fixture.hpp"
#include "support/ws_client.hpp"

#include <boost/json/serialize.hpp>

namespace presenced::testing {
namespace {

constexpr const char* kServerKey = "server-key-for-tests-0123456789";
// 1768000000000000000 and ...100 are one double; so are 2^53 and 2^53 + 1.
constexpr const char* kAlice = "1768000000000000000";
constexpr const char* kMallory = "1768000000000000100";
constexpr const char* kTwo53 = "9007199254740992";
constexpr const char* kTwo53Plus1 = "9007199254740993";
constexpr const char* kMaxUint64 = "18446744073709551615";

class ExactIds : public ApiTest {};

TEST_P(ExactIds, IdsThatRoundToTheSameDoubleAreDifferentUsers) {
  start({"--server-key", kServerKey, "--max-tabs-per-user", "1"});
  HttpClient c = client();
  const auto alice = token_for(kAlice, "Alice"), mallory = token_for(kMallory, "Mallory");
  const auto watcher = token_for("3", "Carol");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("t1", "edit", true)).status, 200u);

  // Another user cannot take the tab over: 422, and the tab is still Alice's.
  auto taken = heartbeat(c, mallory, "42", tab("t1"));
  EXPECT_EQ(taken.status, 422u) << taken.body;
  auto list = c.request("GET", path("42", "viewers"), "", watcher);
  ASSERT_EQ(list.status, 200u);
  EXPECT_NE(list.body.find(std::string(R"("id":)") + kAlice + ","), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find(kMallory), std::string::npos) << list.body;
  if (GetParam().name != "memory") {
    const std::string key = "tenant_1_record_presence:flow:42";
    const std::string stored = raw_redis_for(GetParam(), key).string({"HGET", key, "t1"});
    EXPECT_NE(stored.find(std::string(R"("user_id":)") + kAlice + ","), std::string::npos) << stored;
  }

  // Mallory's own tab is hers: two viewers, and her tab does not count against
  // Alice's cap of one tab per user (nor Alice's against hers).
  ASSERT_EQ(heartbeat(c, mallory, "42", tab("t2")).status, 200u);
  EXPECT_EQ(viewers(c, watcher, "42").size(), 2u);

  // 2^53 + 1 registers, unregisters its own tab, and is gone; 2^53 stays.
  const auto low = token_for(kTwo53, "Low"), high = token_for(kTwo53Plus1, "High");
  ASSERT_EQ(heartbeat(c, low, "42", tab("l1")).status, 200u);
  ASSERT_EQ(heartbeat(c, high, "42", tab("h1")).status, 200u);
  EXPECT_EQ(viewers(c, watcher, "42").size(), 4u);
  ASSERT_EQ(c.request("DELETE", path("42", "unregister"), R"({"tab_id":"h1"})", high).status, 200u);
  auto after = c.request("GET", path("42", "viewers"), "", watcher);
  EXPECT_EQ(after.body.find(kTwo53Plus1), std::string::npos) << "its own unregister removed it: " << after.body;
  EXPECT_NE(after.body.find(kTwo53), std::string::npos) << after.body;

  // The server API removes exactly the user named.
  ASSERT_EQ(heartbeat(c, high, "42", tab("h2")).status, 200u);
  auto removed = c.request("DELETE", std::string("/api/v1/server/presence/users/1/") + kTwo53Plus1, "", kServerKey);
  ASSERT_EQ(removed.status, 200u) << removed.body;
  EXPECT_EQ(removed.body, R"({"success":true,"data":{"removed":1}})");
  EXPECT_EQ(viewers(c, watcher, "42").size(), 3u);
}

TEST_P(ExactIds, ASaveByAUserPastInt64ReachesSubscribers) {
  start();
  HttpClient c = client();
  WsClient carol(port(), token_for("3", "Carol"));
  ASSERT_TRUE(carol.open());
  carol.send(R"({"type":"subscribe","record_type":"flow","record_id":"42"})");
  ASSERT_TRUE(carol.wait_type("presence"));
  auto r = c.request("POST", path("42", "saved"), R"({"lock_version":5})", token_for(kMaxUint64, "Max"));
  ASSERT_EQ(r.status, 200u) << r.body;
  auto saved = carol.wait_type("saved");
  ASSERT_TRUE(saved);
  EXPECT_EQ(boost::json::serialize(saved->at("by")), std::string(R"({"id":)") + kMaxUint64 + R"(,"name":"Max"})");
}

INSTANTIATE_TEST_SUITE_P(Stores, ExactIds, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
