// A user's limits hold across all of that user's sockets and HTTP together, on every
// store: one rate budget, a cap on open sockets, and a cap on live tabs over all records.
#include "integration/fixture.hpp"
#include "support/metrics_text.hpp"
#include "support/ws_client.hpp"

namespace presenced::testing {
namespace {

using boost::json::value;

class UserLimits : public ApiTest {
 protected:
  static std::string subscribe(const std::string& id) {
    return R"({"type":"subscribe","record_type":"flow","record_id":")" + id + R"("})";
  }
  static std::string beat(const std::string& id, const std::string& tab) {
    return R"({"type":"heartbeat","record_type":"flow","record_id":")" + id + R"(","tab_id":")" + tab +
           R"(","mode":"view","dirty":false})";
  }
  // Subscribes and waits for the snapshot: the message was served.
  static bool subscribed(WsClient& ws, const std::string& id) {
    ws.send(subscribe(id));
    return ws.wait_for([&](const value& m) { return is_presence(m, id); }).has_value();
  }
  static std::optional<std::string> next_error(WsClient& ws) {
    auto e = ws.wait_type("error");
    if (!e) return std::nullopt;
    return std::string(e->at("code").as_string());
  }
  double metric_now(const std::string& series) {
    return metric(client().request("GET", "/metrics").body, series);
  }
};

TEST_P(UserLimits, OneRateBudgetAcrossSocketsAndHttp) {
  start({"--rate-limit", "10"});
  auto c = client();
  const auto alice = token_for("1", "Alice");
  auto first = c.request("GET", path("1", "viewers"), "", alice);
  ASSERT_EQ(first.status, 200u);
  EXPECT_EQ(first.header("x-ratelimit-remaining"), "9");
  // Three sockets of the same user draw on the same budget: 3 + 3 + 2 subscribes.
  WsClient a(port(), alice), b(port(), alice), d(port(), alice);
  for (const char* id : {"r1", "r2", "r3"}) ASSERT_TRUE(subscribed(a, id));
  for (const char* id : {"r4", "r5", "r6"}) ASSERT_TRUE(subscribed(b, id));
  for (const char* id : {"r7", "r8"}) ASSERT_TRUE(subscribed(d, id));
  auto last = c.request("GET", path("1", "viewers"), "", alice);
  ASSERT_EQ(last.status, 200u);
  EXPECT_EQ(last.header("x-ratelimit-remaining"), "0") << "the sockets' messages were counted";
  // Over it: a socket's subscribe and heartbeat get rate_limited, HTTP gets 429.
  d.send(subscribe("r9"));
  EXPECT_EQ(next_error(d), "rate_limited");
  d.send(beat("r9", "t9"));
  EXPECT_EQ(next_error(d), "rate_limited");
  expect_error(c.request("GET", path("1", "viewers"), "", alice), 429, "Too Many Attempts.");
  // Nothing was registered past the limit, and another user is untouched.
  auto bob = token_for("2", "Bob");
  EXPECT_EQ(viewers(c, bob, "r9").size(), 0u);
  WsClient other(port(), bob);
  EXPECT_TRUE(subscribed(other, "r1"));
  EXPECT_GE(metric_now("presenced_throttled_total{transport=\"websocket\"}"), 2);
}

TEST_P(UserLimits, SocketsPerUserAreCapped) {
  start({"--max-sockets-per-user", "2"});
  const auto alice = token_for("1", "Alice");
  auto one = std::make_unique<WsClient>(port(), alice);
  WsClient two(port(), alice);
  ASSERT_TRUE(subscribed(*one, "1"));
  ASSERT_TRUE(subscribed(two, "1"));

  // A third, with the token in the URL or in an auth message: told why, then closed.
  WsClient three(port(), alice);
  EXPECT_EQ(next_error(three), "too_many_sockets");
  EXPECT_EQ(three.wait_closed(), 1008);
  WsClient by_message(port());
  by_message.send(R"({"type":"auth","token":")" + alice + R"("})");
  EXPECT_EQ(next_error(by_message), "too_many_sockets");
  EXPECT_EQ(by_message.wait_closed(), 1008);
  EXPECT_EQ(metric_now("presenced_websocket_sockets_refused_total"), 2);

  // Another user is not affected; a closed socket gives its place back.
  WsClient bob(port(), token_for("2", "Bob"));
  EXPECT_TRUE(subscribed(bob, "1"));
  one->drop();
  one.reset();
  EXPECT_TRUE(eventually([&] {
    WsClient again(port(), alice);
    return subscribed(again, "2");
  }));
}

TEST_P(UserLimits, AUsersLiveTabsOnAllRecordsAreCappedOverEveryTransport) {
  start({"--max-user-tabs", "3"});
  auto c = client();
  const auto alice = token_for("1", "Alice"), carol = token_for("3", "Carol");
  ASSERT_EQ(heartbeat(c, alice, "r1", tab("t1")).status, 200u);
  WsClient ws1(port(), alice), ws2(port(), alice);
  ws1.send(beat("r2", "t2"));
  ws2.send(beat("r3", "t3"));
  ASSERT_TRUE(eventually([&] { return viewers(c, carol, "r2").size() == 1 && viewers(c, carol, "r3").size() == 1; }));

  // A fourth tab, over HTTP or a socket, on any record: refused with a clear error.
  expect_error(heartbeat(c, alice, "r4", tab("t4")), 429, "You have too many tabs open. Close some and try again.");
  ws1.send(beat("r5", "t5"));
  EXPECT_EQ(next_error(ws1), "too_many_tabs");
  EXPECT_EQ(viewers(c, carol, "r4").size(), 0u);
  EXPECT_EQ(viewers(c, carol, "r5").size(), 0u);
  EXPECT_EQ(metric_now("presenced_tabs_refused_total"), 2);

  // Renewals of the tabs it has go on; another user has room of their own.
  EXPECT_EQ(heartbeat(c, alice, "r1", tab("t1", "edit", true)).status, 200u);
  EXPECT_EQ(heartbeat(c, token_for("2", "Bob"), "r4", tab("b1")).status, 200u);
  // A tab that leaves gives its place back.
  ASSERT_EQ(c.request("DELETE", path("r1", "unregister"), R"({"tab_id":"t1"})", alice).status, 200u);
  EXPECT_EQ(heartbeat(c, alice, "r4", tab("t4")).status, 200u);
}

INSTANTIATE_TEST_SUITE_P(Stores, UserLimits, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
