// Stopping and starting: SIGTERM drains (requests in flight finish, idle connections
// close, WebSockets get 1001 Going Away) and exits 0 in bounded time, losing nothing that
// was acknowledged; startup fails fast when it cannot serve.
#include "integration/fixture.hpp"
#include "support/raw_connection.hpp"
#include "support/ws_client.hpp"

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

namespace presenced::testing {
namespace {

using namespace std::chrono_literals;

class Lifecycle : public ApiTest {};

TEST_P(Lifecycle, SigtermFinishesRequestsInFlightAndClosesWebSocketsWithGoingAway) {
  ServerProcess& server = start();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");

  // A WebSocket with a tab of its own.
  WsClient ws(port(), bob);
  ASSERT_EQ(ws.handshake_status(), 101u);
  ws.send(R"({"type":"heartbeat","record_type":"flow","record_id":"1","tab_id":"bob-ws","mode":"view","dirty":false})");
  ws.send(R"({"type":"subscribe","record_type":"flow","record_id":"1"})");
  ASSERT_TRUE(ws.wait_for([](const boost::json::value& m) { return is_presence(m, "1"); }));

  // An idle keep-alive connection, and one in the middle of a request.
  RawConnection idle(port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(idle.read_some().rfind("HTTP/1.1 200", 0), 0u);
  const std::string body = tab("in-flight");
  RawConnection busy(port());
  ASSERT_TRUE(busy.send("POST " + path("1", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body.substr(0, 10)));
  // The head has arrived and the body is awaited (the 10 bytes may still be in flight).
  std::this_thread::sleep_for(100ms);

  const auto signalled = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  EXPECT_EQ(ws.wait_closed(), std::optional<int>(1001));
  EXPECT_TRUE(idle.closed_within(10s)) << "an idle connection must not hold the stop";
  // No new connections are taken.
  EXPECT_TRUE(eventually([&] {
    try {
      RawConnection late(port());
      return late.closed_within(2s);
    } catch (const std::exception&) {
      return true;  // refused
    }
  }));

  // The request in flight is served in full, and told the connection ends.
  ASSERT_TRUE(busy.send(body.substr(10)));
  const std::string answer = busy.read_until_closed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"("registered":true)"), std::string::npos) << answer;

  EXPECT_EQ(server.wait(), 0) << server.output();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 10s);

  if (GetParam().name != "memory") {
    // What was acknowledged is still there for the other nodes: the in-flight heartbeat,
    // and the WebSocket's tab (left to be renewed by the reconnecting client, not removed).
    RedisClient redis = raw_redis_for(GetParam(), "tenant_1_record_presence:flow:1");
    auto entries = redis.command({"HGETALL", "tenant_1_record_presence:flow:1"});
    std::string all;
    for (std::size_t i = 0; i < entries->elements; ++i) all += std::string(entries->element[i]->str) + " ";
    EXPECT_NE(all.find("in-flight"), std::string::npos) << all;
    EXPECT_NE(all.find("bob-ws"), std::string::npos) << all;
  }
}

TEST_P(Lifecycle, TheStopIsBoundedWhenAClientStalls) {
  ServerProcess& server = start({"--shutdown-timeout", "1", "--read-timeout", "120"});
  RawConnection stalled(port());
  ASSERT_TRUE(stalled.send("POST " + path("1", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
  std::this_thread::sleep_for(100ms);
  const auto signalled = std::chrono::steady_clock::now();
  server.signal(SIGINT);  // Ctrl-C drains as SIGTERM does
  EXPECT_EQ(server.wait(), 0) << server.output();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 8s);
  EXPECT_NE(server.output().find("shutdown timeout"), std::string::npos) << server.output();
}

TEST_P(Lifecycle, AWebSocketThatIgnoresTheCloseDoesNotHoldTheStop) {
  ServerProcess& server = start({"--shutdown-timeout", "1"});
  // It never reads again, so it never answers the close frame: the stop gives up on it
  // after the timeout and ends it with the rest of what was still open.
  WsClient deaf(port(), token_for("2", "Bob"));
  ASSERT_EQ(deaf.handshake_status(), 101u);
  deaf.send(R"({"type":"subscribe","record_type":"flow","record_id":"1"})");
  ASSERT_TRUE(deaf.wait_for([](const boost::json::value& m) { return is_presence(m, "1"); }));
  const auto signalled = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0) << server.output();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 8s);
}

INSTANTIATE_TEST_SUITE_P(Stores, Lifecycle, ::testing::ValuesIn(backends()), backend_name);

// Heartbeats keep coming from several clients while SIGTERM arrives: every one answered
// 200 is in Redis afterwards (an answer is sent only after Redis acknowledged the write,
// and the stop waits for answers in flight).
TEST(LifecycleRedis, NoAcknowledgedHeartbeatIsLostToTheStop) {
  RedisServer& redis = RedisServer::shared();
  RedisClient(redis.port()).command({"FLUSHALL"});
  ServerProcess server({"--store", redis.url(), "--rate-limit", "0", "--max-tabs-per-record", "65000",
                        "--max-tabs-per-user", "65000", "--max-user-tabs", "0"});
  {
    HttpClient probe(server.port());
    ASSERT_TRUE(eventually([&] { return probe.request("GET", "/readyz").status == 200; }));
  }
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> answered{0};
  std::atomic<bool> give_up{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto token = token_for(std::to_string(t + 1), "U");
      for (int i = 0; !give_up; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        try {
          HttpClient c(server.port());  // a fresh connection each time: the stop closes kept ones
          auto r = c.request("POST", "/api/v1/presence/flow/9/heartbeat",
                             R"({"tab_id":")" + id + R"(","mode":"view","dirty":false})", token);
          if (r.status != 200) return;
          std::lock_guard lock(mutex);
          acknowledged.push_back(id);
          ++answered;
        } catch (const std::exception&) {
          return;  // refused: the server is stopping
        }
      }
    });
  }
  const bool busy = eventually([&] { return answered.load() >= 200; });
  EXPECT_TRUE(busy) << server.output();
  give_up = !busy;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0) << server.output();
  for (auto& c : clients) c.join();

  RedisClient check(redis.port());
  std::size_t missing = 0;
  for (const std::string& id : acknowledged) {
    auto r = check.command({"HEXISTS", "tenant_1_record_presence:flow:9", id});
    missing += r->integer != 1;
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged";
  EXPECT_GE(acknowledged.size(), 200u);
}

TEST(LifecycleStartup, AnUnreachableRedisFailsFastWithRequireStore) {
  // Port 1: nothing listens there, and connecting is refused at once.
  const std::string url = "redis://127.0.0.1:1";
  const auto began = std::chrono::steady_clock::now();
  ProcessResult r = run_binary({"--jwt-secret", kSecret, "--listen", "127.0.0.1:0", "--store", url, "--require-store"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot reach the store redis://127.0.0.1:1"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_LT(std::chrono::steady_clock::now() - began, 10s);

  // Without it, the node starts unready and waits for Redis.
  ServerProcess patient({"--store", url});
  HttpClient c(patient.port());
  EXPECT_EQ(c.request("GET", "/readyz").status, 503u);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
}

}  // namespace
}  // namespace presenced::testing
