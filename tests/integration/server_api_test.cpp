// The host app's server API (--server-key), on every store: who is on many records at
// once, with the key and nothing else, and every bad request answered in the envelope.
#include "integration/fixture.hpp"
#include "support/ws_client.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <ctime>

namespace presenced::testing {
namespace {

constexpr const char* kServerKey = "server-key-for-tests-0123456789";
constexpr const char* kQuery = "/api/v1/server/presence/query";

class ServerApi : public ApiTest {
 protected:
  void start_with_key() { start({"--server-key", kServerKey}); }
  static std::string query(const std::string& tenant, const std::vector<std::pair<std::string, std::string>>& records) {
    std::string body = R"({"tenant_id":)" + tenant + R"(,"records":[)";
    for (std::size_t i = 0; i < records.size(); ++i) {
      body += (i ? "," : "") + std::string(R"({"type":)") + records[i].first + R"(,"id":)" + records[i].second + "}";
    }
    return body + "]}";
  }
};

TEST_P(ServerApi, AnswersManyRecordsOfOneTenantInOrder) {
  start_with_key();
  auto c = client();
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "42", tab("a1", "edit", true)).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "42", tab("a2")).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("2", "Bob"), "42", tab("b1")).status, 200u);
  ASSERT_EQ(c.request("POST", path("7", "heartbeat", "form"), tab("c1"), token_for("3", "Carol")).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("4", "Dave", "2"), "42", tab("d1")).status, 200u);  // another tenant

  auto r = c.request("POST", kQuery,
                     query("1", {{R"("flow")", R"("42")"}, {R"("form")", R"("7")"}, {R"("flow")", R"("99")"},
                                 {R"("flow")", "42"}}),
                     kServerKey);
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto records = r.json().at("data").at("records").as_array();
  ASSERT_EQ(records.size(), 4u);
  const std::vector<std::pair<std::string, std::int64_t>> expected{{"42", 2}, {"7", 1}, {"99", 0}, {"42", 2}};
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].at("id").as_string(), expected[i].first) << i;
    EXPECT_EQ(records[i].at("count").as_int64(), expected[i].second) << i;
    EXPECT_EQ(records[i].at("viewers").as_array().size(), static_cast<std::size_t>(expected[i].second)) << i;
  }
  EXPECT_EQ(records[1].at("type").as_string(), "form");
  // The viewers as the browser's /viewers gives them (everyone: the server is nobody).
  const auto& first = records[0].at("viewers").as_array();
  const auto& alice = first[0].at("name") == "Alice" ? first[0] : first[1];
  EXPECT_EQ(alice.at("name").as_string(), "Alice");
  EXPECT_EQ(alice.at("tabs").as_int64(), 2);
  EXPECT_EQ(alice.at("has_dirty_tab").as_bool(), true);

  // Tenant 2 sees Dave alone on the same record.
  auto other = c.request("POST", kQuery, query(R"("2")", {{R"("flow")", R"("42")"}}), kServerKey);
  ASSERT_EQ(other.status, 200u) << other.body;
  const boost::json::value dave = other.json().at("data").at("records").as_array()[0];
  EXPECT_EQ(dave.at("count").as_int64(), 1);
  EXPECT_EQ(dave.at("viewers").as_array()[0].at("name").as_string(), "Dave");
}

TEST_P(ServerApi, FiveHundredRecordsInOneQuery) {
  start_with_key();
  auto c = client();
  ASSERT_EQ(heartbeat(c, token_for("1", "Alice"), "250", tab("a1")).status, 200u);
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < 500; ++i) records.emplace_back(R"("flow")", std::to_string(i));
  auto r = c.request("POST", kQuery, query("1", records), kServerKey);
  ASSERT_EQ(r.status, 200u) << r.body.substr(0, 300);
  const auto list = r.json().at("data").at("records").as_array();
  ASSERT_EQ(list.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(list[i].at("id").as_string(), std::to_string(i));
    EXPECT_EQ(list[i].at("count").as_int64(), i == 250 ? 1 : 0) << i;
  }
}

TEST_P(ServerApi, OnlyTheServerKeyOpensIt) {
  start_with_key();
  auto c = client();
  const std::string body = query("1", {{R"("flow")", R"("42")"}});
  for (const std::string& credential : {std::string(), std::string("wrong-key-of-the-same-size-01234"),
                                        std::string(kServerKey) + "x", token_for("1", "Alice")}) {
    auto r = c.request("POST", kQuery, body, credential);
    expect_error(r, 401, "Unauthenticated.");
    EXPECT_EQ(r.header("www-authenticate"), "Bearer") << credential;
  }
  auto lower = c.request("POST", kQuery, body, "", {{"Authorization", std::string("bearer ") + kServerKey}});
  EXPECT_EQ(lower.status, 200u) << "the scheme in any case";
  // The key opens nothing else: the presence routes still want a user token.
  expect_error(c.request("GET", path("42", "viewers"), "", kServerKey), 401, "Unauthenticated.");
  expect_error(c.request("GET", kQuery, "", kServerKey), 405,
               "The GET method is not supported for route api/v1/server/presence/query. Supported methods: POST.");
}

TEST_P(ServerApi, WithoutAKeyThereIsNoServerApi) {
  start();
  auto c = client();
  expect_error(c.request("POST", kQuery, query("1", {{R"("flow")", R"("42")"}}), "anything"), 404, "Not found.");
}

TEST_P(ServerApi, BadQueriesAreClearErrors) {
  start_with_key();
  auto c = client();
  auto errors_of = [&](const std::string& body) {
    auto r = c.request("POST", kQuery, body, kServerKey);
    EXPECT_EQ(r.status, 422u) << body << " -> " << r.body;
    return r.status == 422u ? boost::json::serialize(r.json().at("errors")) : r.body;
  };
  EXPECT_EQ(errors_of("{}"),
            R"({"tenant_id":["The tenant id field is required."],"records":["The records field is required."]})");
  EXPECT_EQ(errors_of(R"({"tenant_id":"a:b","records":[]})"),
            R"({"tenant_id":["The tenant id field must be a non-negative integer or 1 to 64 of [A-Za-z0-9_-]."],)"
            R"("records":["The records field is required."]})");
  EXPECT_EQ(errors_of(R"({"tenant_id":1,"records":"flow:42"})"), R"({"records":["The records field must be an array."]})");
  EXPECT_EQ(errors_of(R"({"tenant_id":1,"records":[{"type":"flow","id":"1"},{"type":"a b","id":"1"},{"type":"flow"}]})"),
            R"({"records.1.type":["The records.1.type field must be 1 to 64 of [A-Za-z0-9_-]."],)"
            R"("records.2.id":["The records.2.id field must be a non-negative integer or 1 to 64 of [A-Za-z0-9_-]."]})");
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 501; ++i) many.emplace_back(R"("flow")", std::to_string(i));
  EXPECT_EQ(errors_of(query("1", many)), R"({"records":["The records field must not have more than 500 items."]})");
  expect_error(c.request("POST", kQuery, "{nope", kServerKey), 400, "The request body is not valid JSON.");
  expect_still_serving();
}

// Support tooling: one record in full, every viewer and every live tab, for any tenant.
TEST_P(ServerApi, ARecordInFullWithItsTabs) {
  start_with_key();
  auto c = client();
  auto alice = token_for("1", "Alice");
  ASSERT_EQ(heartbeat(c, alice, "42",
                      R"({"tab_id":"a1","mode":"edit","dirty":true,"active_field":"body","activity":"idle","lock_version":3})")
                .status,
            200u);
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a2")).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("bob", "Bob"), "42", tab("b1")).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("4", "Dave", "2"), "42", tab("d1")).status, 200u);
  const auto before = std::chrono::system_clock::now();

  auto r = c.request("GET", "/api/v1/server/presence/1/flow/42", "", kServerKey);
  ASSERT_EQ(r.status, 200u) << r.body;
  const boost::json::value data = r.json().at("data");
  EXPECT_EQ(data.at("viewers").as_array().size(), 2u) << "everyone: the server is nobody";
  const auto& tabs = data.at("tabs").as_array();
  ASSERT_EQ(tabs.size(), 3u) << r.body;
  EXPECT_EQ(boost::json::serialize(tabs[0].at("tab_id")), R"("a1")") << "join order";
  EXPECT_EQ(tabs[0].at("user_id").as_int64(), 1);
  EXPECT_EQ(tabs[0].at("user_name").as_string(), "Alice");
  EXPECT_EQ(tabs[0].at("mode").as_string(), "edit");
  EXPECT_EQ(tabs[0].at("dirty").as_bool(), true);
  EXPECT_EQ(tabs[0].at("activity").as_string(), "idle");
  EXPECT_EQ(tabs[0].at("active_field").as_string(), "body");
  EXPECT_EQ(tabs[0].at("lock_version").as_int64(), 3);
  EXPECT_EQ(tabs[1].at("tab_id").as_string(), "a2");
  EXPECT_TRUE(tabs[1].at("active_field").is_null());
  EXPECT_TRUE(tabs[1].at("lock_version").is_null());
  EXPECT_EQ(tabs[2].at("tab_id").as_string(), "b1");
  EXPECT_EQ(tabs[2].at("user_id").as_string(), "bob");
  for (const auto& t : tabs) {
    const std::string seen(t.at("last_seen_at").as_string());
    ASSERT_EQ(seen.size(), 24u) << seen;
    std::tm tm{};
    ASSERT_NE(strptime(seen.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << seen;
    const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    EXPECT_LT(std::chrono::abs(at - before), std::chrono::seconds(30)) << seen;
  }

  auto other = c.request("GET", "/api/v1/server/presence/2/flow/42", "", kServerKey);
  ASSERT_EQ(other.status, 200u);
  const boost::json::value other_data = other.json().at("data");
  ASSERT_EQ(other_data.at("tabs").as_array().size(), 1u);
  EXPECT_EQ(other_data.at("tabs").as_array()[0].at("user_name").as_string(), "Dave");
  auto empty = c.request("GET", "/api/v1/server/presence/1/flow/404", "", kServerKey);
  EXPECT_EQ(empty.body, R"({"success":true,"data":{"viewers":[],"tabs":[]}})");

  expect_error(c.request("GET", "/api/v1/server/presence/1/flow/42", "", alice), 401, "Unauthenticated.");
  expect_error(c.request("GET", "/api/v1/server/presence/1/flow/4%202", "", kServerKey), 404, "Not found.");
  expect_error(c.request("GET", "/api/v1/server/presence/1/flow", "", kServerKey), 404, "Not found.");
  EXPECT_EQ(c.request("POST", "/api/v1/server/presence/1/flow/42", "", kServerKey).status, 405u);
}

// Logout or deactivation: every tab of the user goes, on every record of the tenant,
// and subscribers see the user leave; other users and other tenants are untouched.
TEST_P(ServerApi, RemovingAUserTakesEveryTabAndTellsSubscribers) {
  start_with_key();
  auto c = client();
  auto alice = token_for("1", "Alice");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a1")).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "42", tab("a2")).status, 200u);
  ASSERT_EQ(c.request("POST", path("7", "heartbeat", "form"), tab("a3"), alice).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("2", "Bob"), "42", tab("b1")).status, 200u);
  auto other_alice = token_for("1", "Alice", "2");
  ASSERT_EQ(heartbeat(c, other_alice, "42", tab("x1")).status, 200u);

  WsClient carol(port(), token_for("3", "Carol"));
  carol.send(R"({"type":"subscribe","record_type":"flow","record_id":"42"})");
  auto snapshot = carol.wait_for([](const boost::json::value& m) { return is_presence(m, "42"); });
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->at("viewers").as_array().size(), 2u);

  auto r = c.request("DELETE", "/api/v1/server/presence/users/1/1", "", kServerKey);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"success":true,"data":{"removed":3}})");
  auto left = carol.wait_for([](const boost::json::value& m) {
    if (!is_diff(m, "42")) return false;
    for (const auto& id : m.at("left").as_array())
      if (id.is_int64() && id.as_int64() == 1) return true;
    return false;
  });
  ASSERT_TRUE(left) << "the subscriber is told Alice left";
  EXPECT_EQ(left->at("count").at("users").as_int64(), 1);

  auto carol_http = token_for("3", "Carol");
  EXPECT_EQ(viewers(c, carol_http, "42").size(), 1u) << "Bob stays";
  auto form = c.request("GET", path("7", "viewers", "form"), "", carol_http);
  EXPECT_TRUE(form.json().at("data").at("viewers").as_array().empty());
  EXPECT_EQ(viewers(c, token_for("9", "Zed", "2"), "42").size(), 1u) << "the same id in another tenant stays";

  EXPECT_EQ(c.request("DELETE", "/api/v1/server/presence/users/1/1", "", kServerKey).body,
            R"({"success":true,"data":{"removed":0}})");
  ASSERT_EQ(heartbeat(c, token_for("alice@example.com", "Alice E."), "42", tab("e1")).status, 200u);
  EXPECT_EQ(c.request("DELETE", "/api/v1/server/presence/users/1/alice@example.com", "", kServerKey).body,
            R"({"success":true,"data":{"removed":1}})");
  // Any id a token can hold, percent-encoded in the path: +, spaces, /, non-ASCII.
  for (const auto& [id, encoded] : std::vector<std::pair<std::string, std::string>>{
           {"a+b", "a+b"}, {"Ann Lee", "Ann%20Lee"}, {"dept/7", "dept%2F7"}, {"Zoë", "Zo%C3%AB"}}) {
    ASSERT_EQ(heartbeat(c, token_for(id, "Someone"), "42", tab("x1")).status, 200u) << id;
    EXPECT_EQ(c.request("DELETE", "/api/v1/server/presence/users/1/" + encoded, "", kServerKey).body,
              R"({"success":true,"data":{"removed":1}})") << id;
  }

  expect_error(c.request("DELETE", "/api/v1/server/presence/users/1/1", "", alice), 401, "Unauthenticated.");
  EXPECT_EQ(c.request("GET", "/api/v1/server/presence/users/1/1", "", kServerKey).status, 405u);
  expect_error(c.request("DELETE", "/api/v1/server/presence/users/a:b/1", "", kServerKey), 404, "Not found.");
  expect_error(c.request("DELETE", "/api/v1/server/presence/users/1/a%2", "", kServerKey), 404, "Not found.");
  expect_error(c.request("DELETE", "/api/v1/server/presence/users/1/" + std::string(129, 'u'), "", kServerKey), 404,
               "Not found.");
}

INSTANTIATE_TEST_SUITE_P(Stores, ServerApi, ::testing::ValuesIn(backends()), backend_name);

TEST(ServerApiConfig, AShortKeyIsRefusedAtStartup) {
  auto r = run_binary({"--jwt-secret", kSecret, "--server-key", "short"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--server-key must be at least 16 characters"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace presenced::testing
