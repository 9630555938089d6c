// What networks and clients do to a server: thousands of connections opened and
// abandoned, and the wall clock stepping under it. (Garbage and half requests are in
// errors_test, slow and stalled clients in limits_test, Redis killed under traffic in
// redis_test.)
#include "integration/fixture.hpp"
#include "support/metrics_text.hpp"
#include "support/raw_connection.hpp"

#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace presenced::testing {
namespace {

using namespace std::chrono_literals;

class Faults : public ApiTest {};

TEST_P(Faults, ThousandsOfAbandonedConnectionsCostNothingOnceGone) {
  // The test holds every connection open at once: it needs the files for them.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  const int kConnections = static_cast<int>(std::min<rlim_t>(3000, files.rlim_cur / 2 - 100));
  ASSERT_GE(kConnections, 500) << "the open-file limit is too low for this test";

  start();
  const std::string head = "POST " + path("1", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{";
  std::vector<RawConnection> connections;
  connections.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    connections.emplace_back(port());
    // A third say nothing, a third send half a request, a third garbage.
    if (i % 3 == 1) connections.back().send(head);
    if (i % 3 == 2) connections.back().send("\x16\x03\x01 not http at all");
  }
  HttpClient c = client();
  auto alice = token_for("1", "Alice");
  EXPECT_EQ(heartbeat(c, alice, "1", tab("a1")).status, 200u) << "served while thousands wait";
  EXPECT_TRUE(eventually([&] {
    return metric(c.request("GET", "/metrics").body, "presenced_connections") >= kConnections / 2;
  }));

  // Abandoned: half vanish with a reset, half with a plain close.
  for (int i = 0; i < kConnections; ++i) {
    if (i % 2) connections[i].reset();
  }
  connections.clear();
  // Every one of them is let go (the client's own connection is the one left).
  EXPECT_TRUE(eventually([&] { return metric(c.request("GET", "/metrics").body, "presenced_connections") == 1; }))
      << c.request("GET", "/metrics").body;
  EXPECT_EQ(viewers(c, token_for("2", "Bob"), "1").size(), 1u);
  EXPECT_TRUE(server_->running());
}

INSTANTIATE_TEST_SUITE_P(Stores, Faults, ::testing::ValuesIn(backends()), backend_name);

// The wall clock stepping (NTP, a VM resumed, an operator) must not expire or revive
// tabs: TTLs run on the monotonic clock. Token expiry is a wall-clock matter and follows
// the step. libfaketime steps the server's wall clock and leaves its monotonic one alone.
// On Redis, last_seen_at is the host app's wall-clock layout: docs/operations.md.
TEST(FaultsClock, AWallClockStepNeitherExpiresNorRevivesTabs) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "libfaketime cannot be preloaded ahead of a sanitizer runtime";
#endif
  const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  ASSERT_TRUE(std::filesystem::exists(kFaketime)) << "install faketime (scripts/deps.sh does)";
  const auto offset_file = std::filesystem::temp_directory_path() / ("presenced-faketime-" + std::to_string(getpid()));
  auto step_to = [&](const std::string& offset) { std::ofstream(offset_file) << offset << "\n"; };
  step_to("+0");
  setenv("LD_PRELOAD", kFaketime, 1);
  setenv("FAKETIME_TIMESTAMP_FILE", offset_file.c_str(), 1);
  setenv("FAKETIME_NO_CACHE", "1", 1);
  setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
  ServerProcess server({"--presence-ttl", "3", "--rate-limit", "0"});
  for (const char* name : {"LD_PRELOAD", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE", "FAKETIME_DONT_FAKE_MONOTONIC"})
    unsetenv(name);

  HttpClient c(server.port());
  auto alice = token_for("1", "Alice", "1", 86400), bob = token_for("2", "Bob", "1", 86400);
  auto short_lived = token_for("3", "Carol", "1", 600);
  auto sees_alice = [&] {
    auto r = c.request("GET", "/api/v1/presence/flow/1/viewers", "", bob);
    return r.status == 200 && r.json().at("data").at("viewers").as_array().size() == 1;
  };
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/1/heartbeat", R"({"tab_id":"a1","mode":"edit","dirty":true})",
                      alice).status, 200u);
  ASSERT_TRUE(sees_alice());
  EXPECT_EQ(c.request("GET", "/api/v1/presence/flow/1/viewers", "", short_lived).status, 200u);

  step_to("+2h");  // forward: a wall-clock TTL would expire the tab at once
  EXPECT_TRUE(sees_alice()) << "a step forward expired a live tab";
  EXPECT_EQ(c.request("GET", "/api/v1/presence/flow/1/viewers", "", short_lived).status, 401u)
      << "token expiry follows the wall clock";

  step_to("-2h");  // backward: a wall-clock TTL would keep the tab for two more hours
  EXPECT_TRUE(sees_alice());
  EXPECT_TRUE(eventually([&] { return !sees_alice(); }, 20s)) << "the tab outlived its TTL";
  std::filesystem::remove(offset_file);
}

}  // namespace
}  // namespace presenced::testing
