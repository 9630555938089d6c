// GET /metrics, request ids and logs: what an operator reads to know how presenced does.
#include "integration/fixture.hpp"
#include "support/metrics_text.hpp"
#include "support/ws_client.hpp"

#include <boost/json/parse.hpp>

#include <sstream>

namespace presenced::testing {
namespace {

class Observability : public ApiTest {
 protected:
  std::string scrape() {
    auto r = client().request("GET", "/metrics");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
  }
};

TEST_P(Observability, MetricsCountRequestsByRouteAndStatusWithLatencies) {
  start({"--rate-limit", "3"});
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "7", tab("a1")).status, 200u);
  ASSERT_EQ(heartbeat(c, bob, "7", tab("b1", "edit")).status, 200u);
  ASSERT_EQ(heartbeat(c, bob, "8", tab("b2")).status, 200u);
  ASSERT_EQ(c.request("GET", path("7", "viewers"), "", alice).status, 200u);
  ASSERT_EQ(c.request("GET", path("7", "viewers"), "", bob).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "7", "{not json").status, 400u);
  ASSERT_EQ(heartbeat(c, "", "7", tab("a1")).status, 401u);
  ASSERT_EQ(heartbeat(c, "nonsense", "7", tab("a1")).status, 401u);
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice", "1", 3600, "wrong-secret"), "7", tab("a1")).status, 401u);
  ASSERT_EQ(heartbeat(c, bob, "7", tab("b1")).status, 429u);  // Bob's fourth
  ASSERT_EQ(c.request("GET", "/nope").status, 404u);

  const std::string m = scrape();
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="heartbeat",status="200"})"), 3) << m;
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="heartbeat",status="400"})"), 1);
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="heartbeat",status="401"})"), 3);
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="heartbeat",status="429"})"), 1);
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="viewers",status="200"})"), 2);
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="none",status="404"})"), 1);
  EXPECT_EQ(metric(m, R"(presenced_http_request_duration_seconds_count{route="heartbeat"})"), 8);
  EXPECT_EQ(metric(m, R"(presenced_http_request_duration_seconds_bucket{route="heartbeat",le="+Inf"})"), 8);
  EXPECT_GE(metric(m, R"(presenced_http_request_duration_seconds_bucket{route="heartbeat",le="1"})"), 8);
  EXPECT_GE(metric(m, R"(presenced_http_request_duration_seconds_sum{route="heartbeat"})"), 0);
  EXPECT_EQ(metric(m, R"(presenced_tokens_rejected_total{reason="missing"})"), 1);
  EXPECT_EQ(metric(m, R"(presenced_tokens_rejected_total{reason="malformed"})"), 1);
  EXPECT_EQ(metric(m, R"(presenced_tokens_rejected_total{reason="bad_signature"})"), 1);
  EXPECT_EQ(metric(m, R"(presenced_throttled_total{transport="http"})"), 1);
  EXPECT_GE(metric(m, "presenced_http_connections_accepted_total"), 1);
  EXPECT_EQ(metric(m, "presenced_store_errors_total"), 0);
  if (GetParam().name == "memory") {
    EXPECT_EQ(metric(m, "presenced_live_tabs"), 3);
    EXPECT_EQ(metric(m, "presenced_live_records"), 2);
    EXPECT_EQ(metric(m, "presenced_live_users"), 2);
  } else {
    EXPECT_EQ(metric(m, "presenced_live_tabs"), -1) << "a Redis node cannot count the cluster's tabs cheaply";
  }
}

TEST_P(Observability, MetricsFollowWebSocketsAndTheirEvents) {
  start();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  WsClient watcher(port(), alice);
  ASSERT_EQ(watcher.handshake_status(), 101u);
  watcher.send(R"({"type":"subscribe","record_type":"flow","record_id":"5"})");
  ASSERT_TRUE(watcher.wait_for([](const boost::json::value& m) { return is_presence(m, "5"); }));  // the snapshot
  auto c = client();
  ASSERT_EQ(heartbeat(c, bob, "5", tab("b1")).status, 200u);
  ASSERT_TRUE(watcher.wait_for([](const boost::json::value& m) {
    return is_diff(m, "5") && !m.at("joined").as_array().empty();
  }));

  std::string m = scrape();
  EXPECT_EQ(metric(m, "presenced_websocket_connections"), 1) << m;
  EXPECT_EQ(metric(m, "presenced_websocket_connections_opened_total"), 1);
  EXPECT_EQ(metric(m, "presenced_websocket_messages_received_total"), 1);
  EXPECT_GE(metric(m, "presenced_websocket_messages_sent_total"), 2);  // snapshot, presence
  EXPECT_GE(metric(m, "presenced_events_sent_total"), 1);
  EXPECT_EQ(metric(m, R"(presenced_http_requests_total{route="websocket",status="other"})"), 1);  // the 101

  watcher.drop();
  ASSERT_TRUE(eventually([&] { return metric(scrape(), "presenced_websocket_connections") == 0; }));
}

TEST_P(Observability, EveryAnswerCarriesARequestIdThatTheLogsShow) {
  ServerProcess& server = start({"--log-level", "debug"});
  auto c = client();
  auto alice = token_for("1", "Alice");
  auto given = c.request("POST", path("3", "heartbeat"), tab("t1"), alice, {{"X-Request-Id", "trace-42.abc"}});
  EXPECT_EQ(given.status, 200u);
  EXPECT_EQ(given.header("x-request-id"), "trace-42.abc");

  auto first = c.request("GET", "/healthz"), second = c.request("GET", "/healthz");
  EXPECT_FALSE(first.header("x-request-id").empty());
  EXPECT_NE(first.header("x-request-id"), second.header("x-request-id"));
  // One that cannot go into a header or a log line unescaped is replaced.
  auto unsafe = c.request("GET", "/healthz", "", "", {{"X-Request-Id", "a\"b"}});
  EXPECT_NE(unsafe.header("x-request-id"), "a\"b");
  EXPECT_FALSE(unsafe.header("x-request-id").empty());
  // Errors carry it too.
  auto refused = c.request("GET", path("3", "viewers"), "", "", {{"X-Request-Id", "no-token-1"}});
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.header("x-request-id"), "no-token-1");

  EXPECT_TRUE(eventually([&] {
    const std::string out = server.output();
    return out.find("POST /api/v1/presence/flow/3/heartbeat 200") != std::string::npos &&
           out.find("id=trace-42.abc") != std::string::npos && out.find("id=no-token-1") != std::string::npos;
  })) << server.output();
}

TEST_P(Observability, JsonLogsAreOneObjectPerLine) {
  ServerProcess& server = start({"--log-level", "debug", "--log-format", "json"});
  auto c = client();
  // A path with quotes and a backslash must not break the JSON.
  c.request("GET", "/nope\"\\x", "", "", {{"X-Request-Id", "json-1"}});
  ASSERT_TRUE(eventually([&] { return server.output().find("json-1") != std::string::npos; })) << server.output();
  std::istringstream lines(server.output());
  std::string line;
  int objects = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("presenced listening", 0) == 0) continue;  // the port line, for scripts
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object()) << line;
    EXPECT_TRUE(v.as_object().contains("time"));
    EXPECT_TRUE(v.as_object().contains("level"));
    EXPECT_TRUE(v.as_object().contains("message"));
    ++objects;
  }
  EXPECT_GE(objects, 2);
}

INSTANTIATE_TEST_SUITE_P(Stores, Observability, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
