// The host app's server API (--server-key), on every store: who is on many records at
// once, with the key and nothing else, and every bad request answered in the envelope.
#include "integration/fixture.hpp"

#include <boost/json/serialize.hpp>

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

INSTANTIATE_TEST_SUITE_P(Stores, ServerApi, ::testing::ValuesIn(backends()), backend_name);

TEST(ServerApiConfig, AShortKeyIsRefusedAtStartup) {
  auto r = run_binary({"--jwt-secret", "s", "--server-key", "short"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--server-key must be at least 16 characters"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace presenced::testing
