// The limits an operator sets, each refused with a clear answer while everyone else is
// served: connections, header and body size, read and idle timeouts, tabs per record and
// per user, the token cache; and CORS for the listed origins only.
#include "integration/fixture.hpp"
#include "support/raw_connection.hpp"
#include "support/ws_client.hpp"

#include <atomic>
#include <thread>

namespace presenced::testing {
namespace {

class Limits : public ApiTest {};

TEST_P(Limits, ConnectionsBeyondTheMaximumGet503UntilOneCloses) {
  start({"--max-connections", "4"});
  // Hold four. The readiness probe of start() may still hold a place for a moment (the
  // server sees its close a little later): until it is given back, a new connection is
  // refused, and a refused request can also meet a reset instead of the 503.
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(eventually([&] {
      try {
        auto c = std::make_unique<HttpClient>(port());
        if (c->request("GET", "/healthz").status != 200) return false;
        held.push_back(std::move(c));
        return true;
      } catch (const std::exception&) {
        return false;
      }
    }));
  }
  RawConnection extra(port());
  const std::string answer = extra.read_until_closed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  EXPECT_NE(answer.find(R"({"success":false,"message":"Too many open connections."})"), std::string::npos) << answer;
  // The held ones are still served, and a closed one makes room.
  EXPECT_EQ(held[0]->request("GET", "/healthz").status, 200u);
  held.pop_back();
  EXPECT_TRUE(eventually([&] {
    try {
      return HttpClient(port()).request("GET", "/healthz").status == 200;
    } catch (const std::exception&) {
      return false;  // refused while the closed one's place was not yet given back
    }
  }));
}

TEST_P(Limits, HeaderAndBodySizesAreFlags) {
  start({"--max-header-bytes", "2048", "--max-body-bytes", "1024"});
  auto c = client();
  auto alice = token_for("1", "Alice");
  auto big_header = c.request("GET", "/healthz", "", "", {{"X-Big", std::string(3000, 'a')}});
  expect_error(big_header, 431, "The request headers are too large.");
  auto big_body = c.request("POST", path("1", "heartbeat"), std::string(2000, ' ') + tab("t1"), alice);
  expect_error(big_body, 413, "The request body is larger than 1024 bytes.");
  // Under both limits, fine.
  EXPECT_EQ(client().request("POST", path("1", "heartbeat"), std::string(500, ' ') + tab("t1"), alice).status, 200u);
}

TEST_P(Limits, ASlowLorisIsCutOffAndCostsTheOthersNothing) {
  start({"--read-timeout", "1"});
  // Trickles a header, a byte at a time, never finishing it.
  RawConnection loris(port());
  ASSERT_TRUE(loris.send("GET /healthz HTTP/1.1\r\n"));
  const auto began = std::chrono::steady_clock::now();
  bool cut = false;
  std::string answer;
  while (std::chrono::steady_clock::now() - began < std::chrono::seconds(20)) {
    if (!loris.send("X")) {
      cut = true;
      break;
    }
    answer += loris.read_some(std::chrono::milliseconds(100));
    if (answer.find("408") != std::string::npos) {
      cut = loris.closed_within(std::chrono::seconds(10));
      break;
    }
    // Meanwhile others are served at once.
    EXPECT_EQ(client().request("GET", "/healthz").status, 200u);
  }
  EXPECT_TRUE(cut) << "the trickling client was never cut off";
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_NE(answer.find("The request was not received in time."), std::string::npos) << answer;
}

TEST_P(Limits, AClientThatStallsMidBodyIsDroppedWithA408) {
  start({"--read-timeout", "1"});
  auto alice = token_for("1", "Alice");
  RawConnection stalled(port());
  ASSERT_TRUE(stalled.send("POST " + path("1", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
                           "\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"tab_id\":"));
  expect_still_serving();
  const std::string answer = stalled.read_until_closed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  // Nothing of the half-sent heartbeat was registered.
  auto list = viewers(*std::make_unique<HttpClient>(port()), token_for("2", "Bob"), "1");
  EXPECT_TRUE(list.empty());
}

TEST_P(Limits, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  start({"--idle-timeout", "0.5"});
  RawConnection idle(port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string answer = idle.read_some();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(idle.closed_within(std::chrono::seconds(20)));
}

TEST_P(Limits, TabsPerRecordAndPerUserAreBounded) {
  start({"--max-tabs-per-record", "3", "--max-tabs-per-user", "2"});
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "1", tab("a1")).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "1", tab("a2")).status, 200u);
  expect_error(heartbeat(c, alice, "1", tab("a3")), 429,
               "You have too many tabs open on this record. Close some and try again.");
  ASSERT_EQ(heartbeat(c, bob, "1", tab("b1")).status, 200u);
  expect_error(heartbeat(c, bob, "1", tab("b2")), 429, "This record has too many open tabs.");
  // The tabs it has are renewed and updated as ever, and other records have room.
  EXPECT_EQ(heartbeat(c, alice, "1", tab("a1", "edit", true)).status, 200u);
  EXPECT_EQ(heartbeat(c, alice, "2", tab("a3")).status, 200u);
  auto list = viewers(c, token_for("3", "Carol"), "1");
  ASSERT_EQ(list.size(), 2u);
  // Room again once a tab leaves.
  ASSERT_EQ(c.request("DELETE", path("1", "unregister"), R"({"tab_id":"a2"})", alice).status, 200u);
  EXPECT_EQ(heartbeat(c, bob, "1", tab("b2")).status, 200u);
}

// With default flags, a popular record's audience is served: 50 users with 8 tabs each,
// all heartbeating at once, are all counted (the per-record cap protects memory, not a
// room of this size).
TEST_P(Limits, FiftyUsersWithEightTabsEachAreAllCountedByDefault) {
  start({"--rate-limit", "200"});  // the default, which the fixture otherwise turns off
  constexpr int kUsers = 50, kTabs = 8, kThreads = 8;
  std::vector<std::string> tokens;
  for (int u = 0; u < kUsers; ++u) tokens.push_back(token_for(std::to_string(100 + u), "U" + std::to_string(u)));
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(port());
      for (int u = t; u < kUsers; u += kThreads) {
        for (int k = 0; k < kTabs; ++k) {
          const auto r = heartbeat(c, tokens[u], "room", tab("u" + std::to_string(u) + "t" + std::to_string(k)));
          if (r.status != 200) ++refused;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(refused.load(), 0);
  auto c = client();
  const auto list = viewers(c, token_for("1", "Watcher"), "room");
  ASSERT_EQ(list.size(), static_cast<std::size_t>(kUsers));
  for (const auto& v : list) EXPECT_EQ(v.at("tabs").as_int64(), kTabs) << v.at("id");
}

// A large audience (an incident page, a company-wide dashboard) is served with default
// flags: a record's cap is not reached by a real room (the default was 500 until #24,
// which refused the 501st person and dropped them from everyone's list).
TEST_P(Limits, ARoomOfAThousandViewersIsServedByDefault) {
  start();
  constexpr int kUsers = 1'000, kThreads = 8;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(port());
      for (int u = t; u < kUsers; u += kThreads) {
        const auto r = heartbeat(c, token_for(std::to_string(1000 + u), "U" + std::to_string(u)), "hall",
                                 tab("hall" + std::to_string(u)));
        if (r.status != 200) ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(refused.load(), 0);
  auto c = client();
  auto r = c.request("GET", path("hall", "viewers") + "?limit=5", "", token_for("1", "Watcher"));
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto data = r.json().at("data");
  EXPECT_EQ(data.at("count").at("users").as_int64(), kUsers);
  EXPECT_EQ(data.at("count").at("tabs").as_int64(), kUsers);
  EXPECT_EQ(data.at("viewers").as_array().size(), 5u);

  // Watched by a subscriber here, the room's pages come from what the node keeps of it
  // (the Redis stores' mirror): the same page, and a join counted.
  WsClient watcher(port(), token_for("2", "Watcher 2"));
  watcher.send(R"({"type":"subscribe","record_type":"flow","record_id":"hall","limit":3})");
  ASSERT_TRUE(watcher.wait_for([](const boost::json::value& m) { return is_presence(m, "hall"); }));
  ASSERT_EQ(heartbeat(c, token_for("3", "Late"), "hall", tab("late")).status, 200u);
  ASSERT_TRUE(watcher.wait_for([](const boost::json::value& m) { return is_diff(m, "hall") && diff_names(m, 3); }));
  auto watched = c.request("GET", path("hall", "viewers") + "?limit=5", "", token_for("1", "Watcher"));
  ASSERT_EQ(watched.status, 200u) << watched.body;
  const auto page = watched.json().at("data");
  EXPECT_EQ(page.at("count").at("users").as_int64(), kUsers + 1);
  EXPECT_EQ(page.at("viewers"), data.at("viewers"));
}

TEST_P(Limits, ATinyTokenCacheStillAuthenticatesEveryone) {
  start({"--token-cache", "1"});
  auto c = client();
  std::vector<std::string> tokens;
  for (int u = 0; u < 5; ++u) tokens.push_back(token_for(std::to_string(u + 1), "U" + std::to_string(u)));
  for (int round = 0; round < 3; ++round) {
    for (int u = 0; u < 5; ++u) {
      ASSERT_EQ(heartbeat(c, tokens[u], "1", tab("t" + std::to_string(u))).status, 200u);
    }
  }
  EXPECT_EQ(viewers(c, tokens[0], "1").size(), 4u);
}

TEST_P(Limits, CorsAnswersTheListedOriginsOnly) {
  start({"--cors-origin", "https://app.example.com", "--cors-origin", "http://localhost:3000"});
  auto c = client();
  auto preflight = c.request("OPTIONS", path("1", "heartbeat"), "", "",
                             {{"Origin", "https://app.example.com"},
                              {"Access-Control-Request-Method", "POST"},
                              {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.status, 204u) << preflight.body;
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(preflight.header("access-control-allow-methods"), "POST");
  EXPECT_NE(preflight.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_EQ(preflight.header("vary"), "Origin");

  auto other = c.request("OPTIONS", path("1", "heartbeat"), "", "",
                         {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
  expect_error(other, 403, "The origin is not allowed.");
  EXPECT_EQ(other.header("access-control-allow-origin"), "");

  auto alice = token_for("1", "Alice");
  auto real = c.request("POST", path("1", "heartbeat"), tab("t1"), alice, {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(real.status, 200u);
  EXPECT_EQ(real.header("access-control-allow-origin"), "http://localhost:3000");
  EXPECT_NE(real.header("access-control-expose-headers").find("X-Request-Id"), std::string::npos);
  auto foreign = c.request("GET", path("1", "viewers"), "", alice, {{"Origin", "https://evil.example.com"}});
  EXPECT_EQ(foreign.status, 200u);  // not a browser's business to be refused here: it just gets no CORS headers
  EXPECT_EQ(foreign.header("access-control-allow-origin"), "");
}

TEST_P(Limits, WithoutCorsOriginsThereIsNoCors) {
  start();
  auto c = client();
  auto preflight = c.request("OPTIONS", path("1", "heartbeat"), "", "",
                             {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 405u);
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "");
}

INSTANTIATE_TEST_SUITE_P(Stores, Limits, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
