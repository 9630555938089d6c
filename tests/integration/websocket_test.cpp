// The WebSocket endpoint with real sockets (Beast's client), on every store: snapshots,
// events, coalescing, leaving on close, expiry, HTTP and WebSocket mixed, field-level
// presence, saved notices, authentication, limits and errors.
#include "integration/fixture.hpp"
#include "support/room_view.hpp"
#include "support/ws_client.hpp"

#include <boost/json/serialize.hpp>

namespace presenced::testing {
namespace {

using boost::json::value;

class WebSocket : public ApiTest {
 protected:
  // The full form: these tests read whole lists (the diffs have tests of their own).
  static std::string subscribe(const std::string& id) {
    return R"({"type":"subscribe","record_type":"flow","record_id":")" + id + R"(","events":"full"})";
  }
  static std::string beat(const std::string& id, const std::string& tab, const std::string& extra = "") {
    return R"({"type":"heartbeat","record_type":"flow","record_id":")" + id + R"(","tab_id":")" + tab +
           R"(","mode":"view","dirty":false)" + extra + "}";
  }
  // The snapshot a fresh subscription gets.
  static value snapshot_of(WsClient& ws, const std::string& id) {
    ws.send(subscribe(id));
    auto m = ws.wait_for([&](const value& v) { return is_presence(v, id); });
    EXPECT_TRUE(m) << "no snapshot";
    return m ? *m : value();
  }
  static std::vector<std::string> names(const value& presence) {
    std::vector<std::string> out;
    for (const auto& v : presence.at("viewers").as_array()) out.emplace_back(v.at("name").as_string());
    return out;
  }
  static bool lists(const value& m, const char* list, std::int64_t id) {
    for (const auto& x : m.at(list).as_array())
      if (x.is_int64() && x.as_int64() == id) return true;
    return false;
  }
};

TEST_P(WebSocket, SubscribeGetsASnapshotThenJoinsAndLeaves) {
  start();
  auto c = client();
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "42", tab("a1")).status, 200u);
  WsClient bob(port(), token_for("2", "Bob"));
  ASSERT_EQ(bob.handshake_status(), 101u);
  value snap = snapshot_of(bob, "42");
  EXPECT_EQ(names(snap), std::vector<std::string>{"Alice"});
  EXPECT_TRUE(snap.at("joined").as_array().empty());
  EXPECT_TRUE(snap.at("left").as_array().empty());
  EXPECT_EQ(snap.at("record_type").as_string(), "flow");

  ASSERT_EQ(heartbeat(c, token_for("3", "Carol"), "42", tab("c1")).status, 200u);
  auto joined = bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "joined", 3); });
  ASSERT_TRUE(joined);
  EXPECT_EQ(names(*joined), (std::vector<std::string>{"Alice", "Carol"}));

  ASSERT_EQ(c.request("DELETE", path("42", "unregister"), R"({"tab_id":"c1"})", token_for("3", "Carol")).status, 200u);
  auto left = bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "left", 3); });
  ASSERT_TRUE(left);
  EXPECT_EQ(names(*left), std::vector<std::string>{"Alice"});
}

TEST_P(WebSocket, SocketTabsAreInHttpViewersAndNeverInTheirOwnEvents) {
  start();
  auto c = client();
  WsClient alice(port(), token_for("1", "Alice")), bob(port(), token_for("2", "Bob"));
  snapshot_of(alice, "42");
  snapshot_of(bob, "42");
  alice.send(beat("42", "a1", R"(,"mode":"edit")"));
  bob.send(beat("42", "b1"));
  auto seen_by_alice = alice.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "joined", 2); });
  ASSERT_TRUE(seen_by_alice);
  EXPECT_EQ(names(*seen_by_alice), std::vector<std::string>{"Bob"}) << "never the receiver's own user";
  ASSERT_TRUE(eventually([&] { return viewers(c, token_for("3", "Carol"), "42").size() == 2; }));
}

TEST_P(WebSocket, AUserWithTwoTabsWhoClosesOneHasNotLeft) {
  start({"--leave-grace", "0.2"});
  WsClient carol(port(), token_for("3", "Carol"));
  snapshot_of(carol, "42");
  auto alice1 = std::make_unique<WsClient>(port(), token_for("1", "Alice"));
  WsClient alice2(port(), token_for("1", "Alice"));
  alice1->send(beat("42", "a1"));
  alice2.send(beat("42", "a2"));
  ASSERT_TRUE(carol.wait_for([](const value& m) {
    return is_presence(m, "42") && m.at("viewers").as_array().size() == 1 &&
           m.at("viewers").as_array()[0].at("tabs").as_int64() == 2;
  }));
  alice1->drop();
  auto after = carol.wait_for([](const value& m) { return is_presence(m, "42"); });
  ASSERT_TRUE(after);
  EXPECT_FALSE(lists(*after, "left", 1));
  EXPECT_TRUE(lists(*after, "updated", 1));
  EXPECT_EQ(after->at("viewers").as_array()[0].at("tabs").as_int64(), 1);
}

TEST_P(WebSocket, AClosedSocketsTabLeavesAfterTheGraceButAReloadNeverShowsALeave) {
  start({"--leave-grace", "1.5"});
  WsClient bob(port(), token_for("2", "Bob"));
  snapshot_of(bob, "42");
  {
    WsClient alice(port(), token_for("1", "Alice"));
    alice.send(beat("42", "a1"));
    ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "joined", 1); }));
    alice.drop();  // the page reloads: the same tab comes back on a new socket
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the page reloading
  WsClient reloaded(port(), token_for("1", "Alice"));
  reloaded.send(beat("42", "a1"));
  // Over twice the grace: had the tab left, Bob would have seen it.
  auto leave = bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "left", 1); },
                            std::chrono::milliseconds(3500));
  EXPECT_FALSE(leave) << boost::json::serialize(*leave);

  const auto closed = std::chrono::steady_clock::now();
  reloaded.drop();  // now the tab closes for good
  auto gone = bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "left", 1); });
  ASSERT_TRUE(gone);
  EXPECT_GE(std::chrono::steady_clock::now() - closed, std::chrono::milliseconds(1400)) << "not before the grace";
  EXPECT_TRUE(gone->at("viewers").as_array().empty());
}

TEST_P(WebSocket, ADeadPeerIsDroppedAndItsTabsLeave) {
  start({"--ws-idle-timeout", "2", "--leave-grace", "0.2"});
  WsClient bob(port(), token_for("2", "Bob"));
  snapshot_of(bob, "42");
  WsClient alice(port(), token_for("1", "Alice"));
  alice.send(beat("42", "a1"));
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "joined", 1); }));
  // Alice's client stops answering (it is never read from again, so it never pongs);
  // Bob's keeps reading, and answers the pings.
  auto gone = bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "left", 1); });
  ASSERT_TRUE(gone) << "a peer that answers no ping is dropped within the idle timeout";
  EXPECT_TRUE(bob.open());
}

TEST_P(WebSocket, BurstsAreCoalescedAndRenewalsSendNothing) {
  start({"--ws-coalesce", "400"});
  WsClient bob(port(), token_for("2", "Bob"));
  snapshot_of(bob, "42");
  WsClient alice(port(), token_for("1", "Alice"));
  alice.send(beat("42", "a0"));
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "joined", 1); }));
  // Renewals change nothing; then a burst of 12 new tabs, sent at once.
  for (int i = 0; i < 3; ++i) alice.send(beat("42", "a0"));
  for (int i = 1; i <= 12; ++i) alice.send(beat("42", "a" + std::to_string(i)));
  int events = 0;
  std::int64_t tabs = 0;
  while (tabs < 13) {
    auto m = bob.wait_for([](const value& v) { return is_presence(v, "42"); });
    ASSERT_TRUE(m) << "after " << events << " events, " << tabs << " tabs";
    ++events;
    tabs = m->at("viewers").as_array()[0].at("tabs").as_int64();
    EXPECT_GT(tabs, 1) << "a renewal sent an event";
  }
  EXPECT_LE(events, 3) << "a burst within the window goes out at once, then together";
}

TEST_P(WebSocket, ATabThatFallsSilentExpiresAndSubscribersAreTold) {
  start({"--presence-ttl", "2"});
  auto c = client();
  WsClient bob(port(), token_for("2", "Bob"));
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "42", tab("a1")).status, 200u);
  EXPECT_EQ(names(snapshot_of(bob, "42")), std::vector<std::string>{"Alice"});
  auto expired = bob.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "left", 1); });
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->at("viewers").as_array().empty());
}

TEST_P(WebSocket, FieldsActivityAndSavedVersions) {
  start();
  auto c = client();
  WsClient carol(port(), token_for("3", "Carol"));
  snapshot_of(carol, "42");
  WsClient alice(port(), token_for("1", "Alice"));
  alice.send(beat("42", "a1", R"(,"active_field":"title","activity":"idle","lock_version":4)"));
  auto seen = carol.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "joined", 1); });
  ASSERT_TRUE(seen);
  const auto& entry = seen->at("viewers").as_array()[0];
  EXPECT_EQ(boost::json::serialize(entry.at("fields")), R"(["title"])");
  EXPECT_TRUE(entry.at("away").as_bool());
  EXPECT_FALSE(entry.at("stale").as_bool());

  // Bob saves version 5: everyone subscribed hears it, and Alice's tab (on 4) is stale.
  auto r = c.request("POST", path("42", "saved"), R"({"lock_version":5})", token_for("2", "Bob"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"success":true,"data":{"saved":true}})");
  auto saved = carol.wait_type("saved");
  ASSERT_TRUE(saved);
  EXPECT_EQ(boost::json::serialize(*saved),
            R"({"type":"saved","record_type":"flow","record_id":"42","by":{"id":2,"name":"Bob"},"lock_version":5})");
  auto stale = carol.wait_for([](const value& m) { return is_presence(m, "42") && lists(m, "updated", 1); });
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->at("viewers").as_array()[0].at("stale").as_bool());
  auto v = viewers(c, token_for("3", "Carol"), "42");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].at("stale").as_bool()) << "in HTTP /viewers too";
  // Alice reloads the record at version 5: no longer stale.
  alice.send(beat("42", "a1", R"(,"lock_version":5)"));
  ASSERT_TRUE(carol.wait_for([](const value& m) {
    return is_presence(m, "42") && !m.at("viewers").as_array()[0].at("stale").as_bool();
  }));
}

TEST_P(WebSocket, AuthenticationAtTheUpgradeOrByMessage) {
  start();
  WsClient forged(port(), token_for("1", "Alice", "1", 3600, "another-secret"));
  EXPECT_EQ(forged.handshake_status(), 401u) << "a bad token in the URL is refused at the upgrade";

  WsClient ws(port());
  ASSERT_EQ(ws.handshake_status(), 101u);
  ws.send(subscribe("42"));
  auto refused = ws.wait_type("error");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->at("code").as_string(), "unauthenticated");
  ws.send(R"({"type":"auth","token":"not.a.token"})");
  refused = ws.wait_type("error");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->at("code").as_string(), "unauthenticated");
  ASSERT_TRUE(ws.open()) << "a failed auth does not drop the socket";

  ws.send(R"({"type":"auth","token":")" + token_for("1", "Alice") + R"("})");
  auto ok = ws.wait_type("authenticated");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at("user").at("id").as_int64(), 1);
  ws.send(R"({"type":"auth","token":")" + token_for("2", "Bob") + R"("})");
  auto changed = ws.wait_type("error");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->at("code").as_string(), "identity_changed");
  EXPECT_TRUE(snapshot_of(ws, "42").is_object());
}

TEST_P(WebSocket, AnExpiredTokenEndsALiveSocketUnlessRenewed) {
  start({"--ws-idle-timeout", "2"});  // expiry is checked on messages and pongs (here every second)
  // Expired 27 s ago: inside the 30 s leeway for 3 more seconds.
  WsClient renewed(port(), token_for("1", "Alice", "1", -27)), lapsed(port(), token_for("2", "Bob", "1", -27));
  ASSERT_EQ(renewed.handshake_status(), 101u);
  renewed.send(R"({"type":"auth","token":")" + token_for("1", "Alice") + R"("})");
  ASSERT_TRUE(renewed.wait_type("authenticated"));
  // Both clients must answer the server's pings meanwhile: read from each in turn.
  std::optional<value> expired;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!expired && std::chrono::steady_clock::now() < deadline) {
    renewed.next(std::chrono::milliseconds(50));
    expired = lapsed.wait_type("error", std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->at("code").as_string(), "token_expired");
  std::optional<int> code;
  while (!code && std::chrono::steady_clock::now() < deadline) {
    renewed.next(std::chrono::milliseconds(50));
    code = lapsed.wait_closed(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1008);
  EXPECT_TRUE(renewed.open());
  EXPECT_TRUE(snapshot_of(renewed, "42").is_object()) << "the renewed socket still works";
}

TEST_P(WebSocket, BadMessagesGetErrorsAndTheSocketGoesOn) {
  start();
  WsClient ws(port(), token_for("1", "Alice"));
  auto error_for = [&](const std::string& message) {
    ws.send(message);
    auto e = ws.wait_type("error");
    return e ? std::string(e->at("code").as_string()) + ": " + std::string(e->at("message").as_string()) : "none";
  };
  EXPECT_EQ(error_for("{not json"), R"(bad_message: Messages are JSON objects with a string "type".)");
  EXPECT_EQ(error_for(R"({"type":"dance"})"), R"(unknown_type: Unknown message type "dance".)");
  EXPECT_EQ(error_for(R"({"type":"subscribe","record_type":"flow","record_id":"a b"})"),
            "invalid: The record id field format is invalid.");
  EXPECT_EQ(error_for(beat("42", "t1", R"(,"mode":"draw")")), "invalid: The selected mode is invalid.");
  EXPECT_EQ(error_for(beat("42", "t1", R"(,"lock_version":-1)")), "invalid: The lock version field must be at least 0.");
  WsClient bob(port(), token_for("2", "Bob"));
  ws.send(beat("42", "t1"));
  auto c = client();
  EXPECT_TRUE(eventually([&] { return viewers(c, token_for("3", "C"), "42").size() == 1; }));
  bob.send(beat("42", "t1"));
  auto taken = bob.wait_type("error");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->at("code").as_string(), "tab_taken");
  EXPECT_TRUE(snapshot_of(ws, "42").is_object()) << "still serving after the errors";
}

// A token with a scope subscribes and registers tabs only inside it; a renewal with a
// narrower scope ends the subscriptions and the tabs it no longer covers, and keeps the rest.
TEST_P(WebSocket, TheTokensScopeBoundsSubscriptionsAndTabsAndARenewalNarrowsThem) {
  start();
  WsClient ws(port(), scoped_token_for("1", "Alice", {"flow:*"}));
  auto error_for = [&](const std::string& message) {
    ws.send(message);
    auto e = ws.wait_type("error");
    return e ? std::string(e->at("code").as_string()) + ": " + std::string(e->at("message").as_string()) : "none";
  };
  EXPECT_EQ(error_for(R"({"type":"subscribe","record_type":"form","record_id":"9"})"),
            "forbidden: The token's scope does not cover form 9.");
  EXPECT_EQ(error_for(R"({"type":"heartbeat","record_type":"form","record_id":"9","tab_id":"f","mode":"view","dirty":false})"),
            "forbidden: The token's scope does not cover form 9.");
  snapshot_of(ws, "1");
  snapshot_of(ws, "2");
  ws.send(beat("1", "t1"));
  ws.send(beat("2", "t2"));
  auto c = client();
  auto bob = token_for("2", "Bob");
  ASSERT_TRUE(eventually([&] { return viewers(c, bob, "1").size() == 1 && viewers(c, bob, "2").size() == 1; }));

  // Renewed for flow 1 only: flow 2's subscription and tab end, with an error saying so.
  ws.send(R"({"type":"auth","token":")" + scoped_token_for("1", "Alice", {"flow:1"}) + R"("})");
  ASSERT_TRUE(ws.wait_type("authenticated"));
  auto ended = ws.wait_type("error");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->at("code").as_string(), "forbidden");
  EXPECT_EQ(ended->at("message").as_string(), "The renewed token's scope does not cover flow 2: unsubscribed.");
  EXPECT_TRUE(eventually([&] { return viewers(c, bob, "2").empty(); })) << "the tab outside the scope left";
  EXPECT_EQ(viewers(c, bob, "1").size(), 1u) << "the tab inside it stays";
  // flow 2 changes no longer reach the socket; flow 1 changes do.
  ASSERT_EQ(heartbeat(c, bob, "2", tab("b2")).status, 200u);
  ASSERT_EQ(heartbeat(c, bob, "1", tab("b1")).status, 200u);
  auto next = ws.wait_for([](const value& v) { return v.at("type") == "presence"; });
  ASSERT_TRUE(next);
  EXPECT_EQ(next->at("record_id").as_string(), "1");
  EXPECT_EQ(error_for(R"({"type":"subscribe","record_type":"flow","record_id":"2"})"),
            "forbidden: The token's scope does not cover flow 2.");
}

TEST_P(WebSocket, LimitsEachWithAClearError) {
  start({"--ws-max-subscriptions", "2", "--ws-rate", "5", "--ws-max-message", "512"});
  WsClient ws(port(), token_for("1", "Alice"));
  snapshot_of(ws, "1");
  snapshot_of(ws, "2");
  ws.send(subscribe("3"));
  auto limit = ws.wait_type("error");
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->at("code").as_string(), "too_many_subscriptions");

  WsClient chatty(port(), token_for("2", "Bob"));
  for (int i = 0; i < 30; ++i) chatty.send(R"({"type":"unsubscribe","record_type":"flow","record_id":"9"})");
  auto slow_down = chatty.wait_type("error");
  ASSERT_TRUE(slow_down);
  EXPECT_EQ(slow_down->at("code").as_string(), "rate_limited");

  WsClient big(port(), token_for("3", "Carol"));
  big.send(R"({"type":"subscribe","record_type":"flow","record_id":"1","padding":")" + std::string(1000, 'x') + "\"}");
  auto code = big.wait_closed();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1009) << "message too big";
}

TEST_P(WebSocket, PlainGetIsAClearErrorAndGraceUnregisterWaits) {
  start({"--leave-grace", "1"});
  auto c = client();
  auto r = c.request("GET", "/api/v1/presence/ws");
  EXPECT_EQ(r.status, 426u);
  EXPECT_EQ(r.json().at("success").as_bool(), false);

  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a1")).status, 200u);
  ASSERT_EQ(c.request("POST", path("42", "unregister"), R"({"tab_id":"a1","grace":true})", alice).status, 200u);
  EXPECT_EQ(viewers(c, bob, "42").size(), 1u) << "still there during the grace";
  ASSERT_TRUE(eventually([&] { return viewers(c, bob, "42").empty(); }));
  // A page that comes back within the grace stays.
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a2")).status, 200u);
  ASSERT_EQ(c.request("POST", path("42", "unregister"), R"({"tab_id":"a2","grace":true})", alice).status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the page reloading
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a2")).status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the grace, to see nothing happened
  EXPECT_EQ(viewers(c, bob, "42").size(), 1u);
}

// The default form: after the snapshot, each event carries only what changed, numbered
// without a gap; applied by the protocol's rules they give the list HTTP /viewers gives.
TEST_P(WebSocket, DiffsCarryOnlyTheChangeAndApplyToTheListInJoinOrder) {
  start();
  auto c = client();
  auto alice = token_for("1", "Alice"), carol = token_for("3", "Carol"), dan = token_for("4", "Dan");
  ASSERT_EQ(heartbeat(c, alice, "77", tab("a1")).status, 200u);
  WsClient bob(port(), token_for("2", "Bob"));
  bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"77"})");
  RoomView room;
  auto snapshot = bob.wait_for([](const value& m) { return is_presence(m, "77"); });
  ASSERT_TRUE(snapshot);
  room.apply(*snapshot);
  bob.send(beat("77", "b1"));  // the receiver is in the room too: never in his own events
  value last;

  // Applies diffs until the list is as `wanted` says.
  const auto settle = [&](const std::function<bool()>& wanted) {
    return bob.wait_for([&](const value& m) {
      if (is_diff(m, "77")) {
        EXPECT_LT(boost::json::serialize(m).size(), 512u) << "the size of the change";
        room.apply(m);
        last = m;
      }
      return wanted();
    });
  };
  ASSERT_EQ(heartbeat(c, carol, "77", tab("c1")).status, 200u);
  ASSERT_TRUE(settle([&] { return room.names() == std::vector<std::string>{"Alice", "Carol"}; }));
  ASSERT_EQ(heartbeat(c, dan, "77", tab("d1")).status, 200u);
  ASSERT_EQ(heartbeat(c, carol, "77", R"({"tab_id":"c1","mode":"edit","dirty":true})").status, 200u);
  ASSERT_TRUE(settle([&] { return room.list.size() == 3 && room.list[1].at("mode") == "edit"; }))
      << "Dan after Carol, Carol's change in place";
  EXPECT_EQ(room.names(), (std::vector<std::string>{"Alice", "Carol", "Dan"}));
  ASSERT_EQ(c.request("DELETE", path("77", "unregister"), R"({"tab_id":"a1"})", alice).status, 200u);
  ASSERT_TRUE(settle([&] { return room.list.size() == 2; }));
  EXPECT_EQ(room.names(), (std::vector<std::string>{"Carol", "Dan"}));
  EXPECT_EQ(last.at("count").at("users").as_int64(), 3) << "Carol, Dan and Bob himself";
  EXPECT_EQ(room.gaps, 0);
  auto http = viewers(c, token_for("2", "Bob"), "77");
  ASSERT_EQ(http.size(), 2u);
  EXPECT_EQ(room.list[0], http[0].as_object());
  EXPECT_EQ(room.list[1], http[1].as_object());
}

// subscribe's options: a limit bounds the snapshot (never the count), bad options are
// refused with the HTTP API's words, and subscribing again starts over with a fresh
// snapshot (what a client does after a gap).
TEST_P(WebSocket, SubscribeTakesALimitAndAFormAndASecondSubscribeStartsOver) {
  start();
  auto c = client();
  for (const char* who : {"1", "2", "3", "4"}) {
    ASSERT_EQ(heartbeat(c, token_for(who, std::string("User ") + who), "8", tab(std::string("t") + who)).status, 200u);
  }
  WsClient ws(port(), token_for("9", "Nine"));
  auto error_for = [&](const std::string& options) {
    ws.send(R"({"type":"subscribe","record_type":"flow","record_id":"8")" + options + "}");
    auto e = ws.wait_type("error");
    return e ? std::string(e->at("code").as_string()) + ": " + std::string(e->at("message").as_string()) : "none";
  };
  EXPECT_EQ(error_for(R"(,"limit":1001)"), "invalid: The limit field must be an integer between 0 and 1000.");
  EXPECT_EQ(error_for(R"(,"limit":-1)"), "invalid: The limit field must be an integer between 0 and 1000.");
  EXPECT_EQ(error_for(R"(,"limit":"2")"), "invalid: The limit field must be an integer between 0 and 1000.");
  EXPECT_EQ(error_for(R"(,"events":"all")"), "invalid: The selected events is invalid.");

  ws.send(R"({"type":"subscribe","record_type":"flow","record_id":"8","limit":2})");
  auto first = ws.wait_for([](const value& m) { return is_presence(m, "8"); });
  ASSERT_TRUE(first);
  EXPECT_EQ(first->at("viewers").as_array().size(), 2u) << "the first two in join order";
  EXPECT_EQ(first->at("viewers").as_array()[0].at("name").as_string(), "User 1");
  EXPECT_EQ(first->at("count").at("users").as_int64(), 4);

  ws.send(R"({"type":"subscribe","record_type":"flow","record_id":"8","events":"full"})");
  auto again = ws.wait_for([](const value& m) { return is_presence(m, "8"); });
  ASSERT_TRUE(again) << "a fresh snapshot";
  EXPECT_EQ(again->at("viewers").as_array().size(), 4u) << "the new options: no limit";
  ASSERT_EQ(c.request("DELETE", path("8", "unregister"), R"({"tab_id":"t1"})", token_for("1", "User 1")).status, 200u);
  auto full = ws.wait_for([](const value& m) { return is_presence(m, "8") || is_diff(m, "8"); });
  ASSERT_TRUE(full);
  EXPECT_EQ(full->at("type"), "presence") << "the full form, as asked";
  EXPECT_EQ(full->at("viewers").as_array().size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Stores, WebSocket, ::testing::ValuesIn(backends()), backend_name);

// Two nodes on one Redis: events cross between them.
TEST(WebSocketNodes, AChangeOnOneNodeReachesSubscribersOnAnother) {
  RedisServer redis;
  auto node = [&] {
    auto server = std::make_unique<ServerProcess>(std::vector<std::string>{"--store", redis.url(), "--rate-limit", "0"});
    HttpClient probe(server->port());
    EXPECT_TRUE(eventually([&] { return probe.request("GET", "/readyz").status == 200; })) << server->output();
    return server;
  };
  auto a = node(), b = node();
  WsClient bob(b->port(), token_for("2", "Bob"));
  bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"42"})");
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42"); }));
  HttpClient on_a(a->port());
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/heartbeat", R"({"tab_id":"a1","mode":"edit","dirty":true})",
                         token_for("1", "Alice"))
                .status,
            200u);
  auto joined = bob.wait_for([](const value& m) { return is_diff(m, "42") && !m.at("joined").as_array().empty(); });
  ASSERT_TRUE(joined) << "a diff from the other node's change";
  EXPECT_EQ(joined->at("joined").as_array()[0].at("name").as_string(), "Alice");
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/saved", R"({"lock_version":7})", token_for("1", "Alice"))
                .status,
            200u);
  auto saved = bob.wait_type("saved");
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->at("lock_version").as_int64(), 7);
  // A socket tab on node B leaves for node A's readers when it closes.
  WsClient carol(b->port(), token_for("3", "Carol"));
  carol.send(R"({"type":"heartbeat","record_type":"flow","record_id":"42","tab_id":"c1","mode":"view","dirty":false})");
  ASSERT_TRUE(eventually([&] {
    auto r = on_a.request("GET", "/api/v1/presence/flow/42/viewers", "", token_for("9", "Z"));
    return r.status == 200 && r.json().at("data").at("viewers").as_array().size() == 2;
  }));
  carol.drop();
  EXPECT_TRUE(eventually([&] {
    auto r = on_a.request("GET", "/api/v1/presence/flow/42/viewers", "", token_for("9", "Z"));
    return r.status == 200 && r.json().at("data").at("viewers").as_array().size() == 1;
  }));
}

}  // namespace
}  // namespace presenced::testing
