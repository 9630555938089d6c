// Many clients at once, on several server threads: nothing lost, nothing mixed up.
#include "integration/fixture.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <atomic>

namespace presenced::testing {
namespace {

class Concurrency : public ApiTest {};

TEST_P(Concurrency, ManyClientsHeartbeatingAtOnceAreAllCounted) {
  start({"--threads", "4"});
  constexpr int kClients = 32, kTabsEach = 20, kRecords = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c(port());
      auto token = token_for(std::to_string(1000 + i), "User " + std::to_string(i));
      for (int t = 0; t < kTabsEach; ++t) {
        std::string record = std::to_string(t % kRecords);
        std::string id = "c" + std::to_string(i) + "_" + std::to_string(t);
        if (heartbeat(c, token, record, tab(id, t % 2 ? "edit" : "view", t % 3 == 0)).status != 200) ++failures;
        if (heartbeat(c, token, record, tab(id, "edit", true)).status != 200) ++failures;
        if (c.request("GET", path(record, "viewers"), "", token).status != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  auto c = client();
  auto observer = token_for("1", "Observer");
  int users = 0, tabs = 0;
  for (int r = 0; r < kRecords; ++r) {
    for (auto& v : viewers(c, observer, std::to_string(r))) {
      ++users;
      tabs += static_cast<int>(v.at("tabs").as_int64());
      EXPECT_EQ(v.at("has_dirty_tab").as_bool(), true);
      EXPECT_EQ(v.at("mode").as_string(), "edit");
    }
  }
  EXPECT_EQ(users, kClients * kRecords);
  EXPECT_EQ(tabs, kClients * kTabsEach);
}

TEST_P(Concurrency, ManyConnectionsOpenedAndAbandoned) {
  start({"--threads", "2"});
  {
    std::vector<std::unique_ptr<HttpClient>> idle;
    for (int i = 0; i < 200; ++i) {
      idle.push_back(std::make_unique<HttpClient>(port()));
      ASSERT_EQ(idle.back()->request("GET", "/healthz").status, 200u);
    }
  }  // all dropped at once
  auto c = client();
  EXPECT_EQ(heartbeat(c, token_for("1", "A"), "1", tab("t")).status, 200u);
}

// Two connections on one server thread: A's identity must survive B's requests while A
// waits for its body. (A per-thread token cache once let B's token replace A's.)
TEST_P(Concurrency, AnIdentityIsNotTakenOverWhileItsBodyIsInFlight) {
  start({"--threads", "1"});
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket a(io);
  a.connect({asio::ip::make_address("127.0.0.1"), port()});
  std::string body = tab("tab_of_a");
  std::string head = "POST " + path("42", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     token_for("1", "Alice") + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  asio::write(a, asio::buffer(head));

  auto c = client();
  ASSERT_EQ(heartbeat(c, token_for("2", "Bob"), "42", tab("tab_of_b")).status, 200u);
  for (int i = 3; i < 40; ++i) {  // enough new tokens to churn any cache
    ASSERT_EQ(c.request("GET", path("42", "viewers"), "", token_for(std::to_string(i), "X")).status, 200u);
  }

  asio::write(a, asio::buffer(body));
  std::string response(512, '\0');
  response.resize(a.read_some(asio::buffer(response)));
  ASSERT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;

  auto v = viewers(c, token_for("99", "Observer"), "42");
  ASSERT_EQ(v.size(), 2u);  // Alice's tab joined when her body arrived, after Bob's
  EXPECT_EQ(v[0].at("name").as_string(), "Bob");
  EXPECT_EQ(v[0].at("tabs").as_int64(), 1);
  EXPECT_EQ(v[1].at("name").as_string(), "Alice");
  EXPECT_EQ(v[1].at("tabs").as_int64(), 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, Concurrency, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
