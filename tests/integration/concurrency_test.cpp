// Many clients at once, on several server threads: nothing lost, nothing mixed up.
#include "integration/fixture.hpp"

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

INSTANTIATE_TEST_SUITE_P(Stores, Concurrency, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
