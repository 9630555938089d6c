// Webhooks (--webhook-url): a signed POST when a record gains its first live tab or loses
// its last, on every store, against a real receiver on a loopback port.

#include "fixture.hpp"
#include "support/metrics_text.hpp"
#include "support/test_certificate.hpp"
#include "support/webhook_receiver.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

namespace presenced::testing {
namespace {

constexpr const char* kHookSecret = "webhook-secret-for-tests-0123";
constexpr const char* kServerKey = "server-key-for-tests-0123456789";

class Webhooks : public ApiTest {
 protected:
  ServerProcess& start_hooked(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--webhook-url", receiver_.url("/hooks?source=presenced"), "--webhook-secret",
                                     kHookSecret};
    args.insert(args.end(), extra.begin(), extra.end());
    return start(args);
  }

  // The n-th delivery (from 1), once it has come.
  ReceivedWebhook delivery(std::size_t n) {
    EXPECT_TRUE(receiver_.wait_for(n)) << "delivery " << n << " did not come:\n" << server_->output();
    auto all = receiver_.received();
    return all.size() >= n ? all[n - 1] : ReceivedWebhook{};
  }

  // Asserts that delivery n is `event` for `record` (flow, tenant 1 unless given).
  void expect_event(std::size_t n, const std::string& event, const std::string& record,
                    const std::string& tenant = "1") {
    ReceivedWebhook got = delivery(n);
    ASSERT_FALSE(got.body.empty());
    auto json = got.json();
    EXPECT_EQ(json.at("event").as_string(), event) << got.body;
    EXPECT_EQ(json.at("record_id").as_string(), record) << got.body;
    EXPECT_EQ(json.at("record_type").as_string(), "flow") << got.body;
    if (tenant == "1") EXPECT_EQ(json.at("tenant_id").as_int64(), 1) << got.body;
    else EXPECT_EQ(json.at("tenant_id").as_string(), tenant) << got.body;
  }

  WebhookReceiver receiver_;
};

// The records of the first `count` distinct events delivered (a timed-out attempt that
// came again counts once), waiting for them.
std::vector<std::string> records_delivered(WebhookReceiver& receiver, std::size_t count) {
  std::vector<std::string> records;
  EXPECT_TRUE(eventually([&] {
    records.clear();
    std::vector<std::string> ids;
    for (const auto& d : receiver.received()) {
      auto json = d.json();
      std::string id(json.at("id").as_string());
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      ids.push_back(id);
      records.emplace_back(json.at("record_id").as_string());
    }
    return records.size() >= count;
  }));
  return records;
}

TEST_P(Webhooks, ARecordsFirstAndLastTabAreToldOnceSigned) {
  start_hooked();
  HttpClient c = client();
  const auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a1")).status, 200u);

  ReceivedWebhook first = delivery(1);
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.target, "/hooks?source=presenced");
  EXPECT_EQ(first.header("content-type"), "application/json");
  EXPECT_EQ(first.header("x-presenced-event"), "record.occupied");
  const std::string timestamp = first.header("x-presenced-timestamp");
  ASSERT_FALSE(timestamp.empty());
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(std::abs(std::stoll(timestamp) - now), 300) << "the timestamp is the delivery's, in unix seconds";
  EXPECT_EQ(first.header("x-presenced-signature"), expected_signature(kHookSecret, timestamp, first.body));
  EXPECT_NE(first.header("x-presenced-signature"), expected_signature("another-secret-entirely", timestamp, first.body));
  auto json = first.json();
  EXPECT_FALSE(json.at("id").as_string().empty());
  EXPECT_EQ(json.at("occurred_at").as_string().size(), 24u) << first.body;
  expect_event(1, "record.occupied", "42");

  // More tabs, renewals, and all but the last leaving: the record stays occupied. A
  // sentinel (another record, another tenant) shows that nothing came in between: the
  // sender delivers in order.
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a2", "edit", true)).status, 200u);
  ASSERT_EQ(heartbeat(c, bob, "42", tab("b1")).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a1")).status, 200u);
  ASSERT_EQ(c.request("DELETE", path("42", "unregister"), R"({"tab_id":"a1"})", alice).status, 200u);
  ASSERT_EQ(c.request("DELETE", path("42", "unregister"), R"({"tab_id":"a2"})", alice).status, 200u);
  const auto eve = token_for("5", "Eve", "acme");
  ASSERT_EQ(heartbeat(c, eve, "7", tab("e1")).status, 200u);
  expect_event(2, "record.occupied", "7", "acme");

  ASSERT_EQ(c.request("DELETE", path("42", "unregister"), R"({"tab_id":"b1"})", bob).status, 200u);
  expect_event(3, "record.vacated", "42");
  ASSERT_EQ(c.request("DELETE", path("7", "unregister"), R"({"tab_id":"e1"})", eve).status, 200u);
  expect_event(4, "record.vacated", "7", "acme");

  // Occupied again: a new occupancy, a new event id.
  ASSERT_EQ(heartbeat(c, bob, "42", tab("b2")).status, 200u);
  expect_event(5, "record.occupied", "42");
  std::set<std::string> ids;
  for (const auto& d : receiver_.received()) ids.insert(std::string(d.json().at("id").as_string()));
  EXPECT_EQ(ids.size(), 5u) << "every event has its own id";
}

TEST_P(Webhooks, ARecordWhoseTabsExpireIsToldVacant) {
  start_hooked({"--presence-ttl", "1"});
  HttpClient c = client();
  const auto alice = token_for("1", "Alice");
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a1")).status, 200u);
  expect_event(1, "record.occupied", "9");
  expect_event(2, "record.vacated", "9");  // a second later, from the expiry
  // Told once: the next join is a new occupancy, with no second vacancy before it.
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a2")).status, 200u);
  expect_event(3, "record.occupied", "9");
  expect_event(4, "record.vacated", "9");
  EXPECT_EQ(receiver_.received().size(), 4u);
}

TEST_P(Webhooks, AFailedDeliveryIsRetriedWithTheSameEvent) {
  start_hooked();
  receiver_.answer_next(500);
  receiver_.answer_next(429);
  HttpClient c = client();
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "3", tab("a1")).status, 200u);
  ASSERT_TRUE(receiver_.wait_for(3)) << server_->output();
  auto attempts = receiver_.received();
  for (const auto& a : attempts) {
    EXPECT_EQ(a.body, attempts[0].body) << "the same event, with the same id";
    EXPECT_EQ(a.header("x-presenced-signature"), expected_signature(kHookSecret, a.header("x-presenced-timestamp"), a.body))
        << "each attempt signed for its own timestamp";
  }
  EXPECT_TRUE(eventually([&] {
    auto text = c.request("GET", "/metrics").body;
    return metric(text, "presenced_webhooks_delivered_total") == 1 && metric(text, "presenced_webhooks_retried_total") == 2;
  }));
}

TEST_P(Webhooks, AnEventTheReceiverRefusesIsNotRetried) {
  start_hooked();
  receiver_.answer_next(400);
  HttpClient c = client();
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "3", tab("a1")).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "4", tab("a2")).status, 200u);
  expect_event(1, "record.occupied", "3");
  expect_event(2, "record.occupied", "4");  // next is the other record: 3 was not tried again
  EXPECT_TRUE(eventually([&] {
    auto text = c.request("GET", "/metrics").body;
    return metric(text, "presenced_webhooks_failed_total") == 1 && metric(text, "presenced_webhooks_delivered_total") == 1;
  }));
}

TEST_P(Webhooks, AReceiverThatHangsNeverHoldsARequest) {
  start_hooked();
  receiver_.hold(true);
  HttpClient c = client();
  const auto alice = token_for("1", "Alice");
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(heartbeat(c, alice, "r" + std::to_string(i), tab("a")).status, 200u);
  // Far more than 20 heartbeats take, less than one delivery attempt may (5 s): had a
  // request waited for the receiver, it would still be waiting.
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(4));
  ASSERT_TRUE(receiver_.wait_for(1));
  expect_still_serving();
  receiver_.hold(false);
  // 20 occupied events, then the one of expect_still_serving's record, in order, one at a
  // time (on a slow machine the held attempt may have timed out and come again: the
  // same event, so counted once).
  const std::vector<std::string> records = records_delivered(receiver_, 21);
  ASSERT_GE(records.size(), 21u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(records[i], "r" + std::to_string(i));
  EXPECT_EQ(records[20], "ok");
}

// A receiver down long enough to fill the queue (--webhook-queue) loses the oldest
// events waiting, counted; the one being tried and the newest are delivered.
TEST(WebhookQueue, AFullQueueDropsTheOldestWaiting) {
  WebhookReceiver receiver;
  receiver.hold(true);
  ServerProcess server({"--webhook-url", receiver.url(), "--webhook-secret", kHookSecret, "--webhook-queue", "5",
                        "--rate-limit", "0"});
  HttpClient c(server.port());
  const auto alice = token_for("1", "Alice");
  auto join = [&](int i) {
    return c.request("POST", "/api/v1/presence/flow/q" + std::to_string(i) + "/heartbeat",
                     R"({"tab_id":"a","mode":"view","dirty":false})", alice).status;
  };
  ASSERT_EQ(join(0), 200u);
  ASSERT_TRUE(receiver.wait_for(1));  // q0 is being tried: out of the queue
  for (int i = 1; i <= 8; ++i) ASSERT_EQ(join(i), 200u);  // q1..q8: 8 for 5 places
  EXPECT_TRUE(eventually([&] { return metric(c.request("GET", "/metrics").body, "presenced_webhooks_dropped_total") == 3; }))
      << server.output();
  receiver.hold(false);
  const std::vector<std::string> records = records_delivered(receiver, 6);
  EXPECT_EQ(records, (std::vector<std::string>{"q0", "q4", "q5", "q6", "q7", "q8"}));
}

// One tenant's flood drops its own oldest events, not another tenant's.
TEST(WebhookQueue, AFloodingTenantCannotPushOutAnothersEvents) {
  WebhookReceiver receiver;
  receiver.hold(true);
  ServerProcess server({"--webhook-url", receiver.url(), "--webhook-secret", kHookSecret, "--webhook-queue", "5",
                        "--rate-limit", "0"});
  HttpClient c(server.port());
  auto join = [&](const std::string& tenant, const std::string& record) {
    return c.request("POST", "/api/v1/presence/flow/" + record + "/heartbeat",
                     R"({"tab_id":"a","mode":"view","dirty":false})", token_for("1", "A", tenant)).status;
  };
  ASSERT_EQ(join("1", "first"), 200u);
  ASSERT_TRUE(receiver.wait_for(1));  // being tried: out of the queue
  ASSERT_EQ(join("quiet", "b0"), 200u);
  for (int i = 1; i <= 10; ++i) ASSERT_EQ(join("loud", "f" + std::to_string(i)), 200u);
  EXPECT_TRUE(eventually([&] { return metric(c.request("GET", "/metrics").body, "presenced_webhooks_dropped_total") == 6; }))
      << server.output();
  receiver.hold(false);
  const std::vector<std::string> records = records_delivered(receiver, 6);
  EXPECT_EQ(records, (std::vector<std::string>{"first", "b0", "f7", "f8", "f9", "f10"}));
}

TEST_P(Webhooks, RemovingAUserVacatesTheRecordsOnlyTheyHadOpen) {
  start_hooked({"--server-key", kServerKey});
  HttpClient c = client();
  const auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "1", tab("a1")).status, 200u);
  expect_event(1, "record.occupied", "1");
  ASSERT_EQ(heartbeat(c, alice, "2", tab("a2")).status, 200u);
  expect_event(2, "record.occupied", "2");
  ASSERT_EQ(heartbeat(c, bob, "2", tab("b2")).status, 200u);
  ASSERT_EQ(c.request("DELETE", "/api/v1/server/presence/users/1/1", "", kServerKey).status, 200u);
  expect_event(3, "record.vacated", "1");
  ASSERT_EQ(c.request("DELETE", path("2", "unregister"), R"({"tab_id":"b2"})", bob).status, 200u);
  expect_event(4, "record.vacated", "2");  // not before: Bob was still there
}

INSTANTIATE_TEST_SUITE_P(Stores, Webhooks, ::testing::ValuesIn(backends()), backend_name);

// On Redis, a vacancy nobody heard (its marker still there) is told at the record's next
// join, before the occupancy; and one the viewers read finds (entries past their time in
// a key that has not expired: another clock, or the host app's) is told by that read.
class RedisWebhooks : public Webhooks {};

TEST_P(RedisWebhooks, AnUnheardVacancyIsToldBeforeTheNextOccupancy) {
  start_hooked();
  const std::string key = "tenant_1_record_presence:flow:11";
  raw_redis_for(GetParam(), key).command({"SET", "presenced_occupied:{" + key + "}", "1", "PX", "600000"});
  HttpClient c = client();
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "11", tab("a1")).status, 200u);
  expect_event(1, "record.vacated", "11");
  expect_event(2, "record.occupied", "11");
}

TEST_P(RedisWebhooks, AReadThatFindsOnlyExpiredEntriesTellsTheVacancy) {
  start_hooked();
  const std::string key = "tenant_1_record_presence:flow:12";
  auto redis = raw_redis_for(GetParam(), key);
  redis.command({"HSET", key, "old-tab",
                 R"({"user_id":3,"user_name":"Old","mode":"view","dirty":false,"last_seen_at":"2020-01-01T00:00:00.000Z"})"});
  redis.command({"PEXPIRE", key, "600000"});
  redis.command({"SET", "presenced_occupied:{" + key + "}", "1", "PX", "600000"});
  HttpClient c = client();
  EXPECT_TRUE(viewers(c, token_for("1", "Alice"), "12").empty());
  expect_event(1, "record.vacated", "12");
  EXPECT_EQ(redis.integer({"EXISTS", "presenced_occupied:{" + key + "}"}), 0);
}

INSTANTIATE_TEST_SUITE_P(Redis, RedisWebhooks,
                         ::testing::Values(Backend{"redis"}, Backend{"redis_cluster"}), backend_name);

// HTTPS: the receiver's certificate must be trusted (the system's CAs, or SSL_CERT_FILE)
// and name the URL's host; one that is not trusted gets no event.
TEST(WebhookTls, DeliversOverHttpsOnlyToATrustedReceiver) {
  WebhookReceiver receiver({test_certificate().cert.string(), test_certificate().key.string()});
  const std::vector<std::string> args = {"--webhook-url", receiver.url(), "--webhook-secret", kHookSecret};

  {  // Not trusted: the test's own certificate is in no CA store.
    ServerProcess untrusting(args);
    HttpClient c(untrusting.port());
    ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/1/heartbeat", R"({"tab_id":"a","mode":"view","dirty":false})",
                        token_for("1", "Alice")).status, 200u);
    EXPECT_TRUE(eventually([&] { return metric(c.request("GET", "/metrics").body, "presenced_webhooks_retried_total") >= 1; }))
        << untrusting.output();
    EXPECT_TRUE(receiver.received().empty()) << "nothing reaches a receiver presenced cannot trust";
  }

  setenv("SSL_CERT_FILE", test_certificate().cert.c_str(), 1);  // the child inherits it
  ServerProcess trusting(args);
  unsetenv("SSL_CERT_FILE");
  HttpClient c(trusting.port());
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/2/heartbeat", R"({"tab_id":"a","mode":"view","dirty":false})",
                      token_for("1", "Alice")).status, 200u);
  ASSERT_TRUE(receiver.wait_for(1)) << trusting.output();
  auto got = receiver.received().front();
  EXPECT_EQ(got.json().at("record_id").as_string(), "2");
  EXPECT_EQ(got.header("host"), "localhost:" + std::to_string(receiver.port()));
  EXPECT_EQ(got.header("x-presenced-signature"), expected_signature(kHookSecret, got.header("x-presenced-timestamp"), got.body));
}

TEST(WebhookFlags, AreCheckedAtStartup) {
  auto no_secret = run_binary({"--jwt-secret", kSecret, "--webhook-url", "http://127.0.0.1:9/hooks"});
  EXPECT_EQ(no_secret.exit_code, 2);
  EXPECT_NE(no_secret.output.find("--webhook-secret"), std::string::npos) << no_secret.output;
  auto short_secret = run_binary({"--jwt-secret", kSecret, "--webhook-url", "http://127.0.0.1:9/", "--webhook-secret", "short"});
  EXPECT_EQ(short_secret.exit_code, 2);
  auto scheme = run_binary({"--jwt-secret", kSecret, "--webhook-url", "ftp://example.com/x", "--webhook-secret", kHookSecret});
  EXPECT_EQ(scheme.exit_code, 2);
  EXPECT_NE(scheme.output.find("http or https"), std::string::npos) << scheme.output;
  auto creds = run_binary({"--jwt-secret", kSecret, "--webhook-url", "https://u:p@example.com/x", "--webhook-secret", kHookSecret});
  EXPECT_EQ(creds.exit_code, 2);
  auto alone = run_binary({"--jwt-secret", kSecret, "--webhook-secret", kHookSecret});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.output.find("--webhook-url"), std::string::npos) << alone.output;
}

}  // namespace
}  // namespace presenced::testing
