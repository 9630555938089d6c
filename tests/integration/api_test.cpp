// The presence API as a client uses it: register, see others, leave, expire.
#include "app/config.hpp"
#include "integration/fixture.hpp"
#include "support/metrics_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <tuple>

namespace presenced::testing {
namespace {

class Presence : public ApiTest {};

TEST_P(Presence, HealthzNeedsNoToken) {
  start();
  auto c = client();
  auto r = c.request("GET", "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST_P(Presence, HeartbeatRegistersAndOthersSeeItButNotTheCaller) {
  start();
  auto c = client();
  auto alice = token_for("42", "Alice"), bob = token_for("7", "Bob");
  auto r = heartbeat(c, alice, "42", R"({"tab_id":"tab_a","mode":"edit","dirty":true})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"success":true,"data":{"registered":true}})");

  auto seen_by_bob = viewers(c, bob, "42");
  ASSERT_EQ(seen_by_bob.size(), 1u);
  EXPECT_EQ(boost::json::serialize(seen_by_bob[0]),
            R"({"id":42,"name":"Alice","tabs":1,"has_dirty_tab":true,"mode":"edit","away":false,"stale":false,"fields":[]})");
  EXPECT_TRUE(viewers(c, alice, "42").empty()) << "never the caller";
  EXPECT_TRUE(viewers(c, bob, "43").empty()) << "another record";
}

TEST_P(Presence, StringSubjectsAreEchoedAsStrings) {
  start();
  auto c = client();
  ASSERT_EQ(heartbeat(c, token_for("usr_9", "Uma", "acme"), "1", tab("t")).status, 200u);
  auto v = viewers(c, token_for("usr_10", "Vic", "acme"), "1");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("id").as_string(), "usr_9");
}

TEST_P(Presence, TabsOfOneUserAggregate) {
  start();
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a1", "view", false)).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a2", "edit", false)).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a3", "view", true)).status, 200u);
  auto v = viewers(c, bob, "9");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("tabs").as_int64(), 3);
  EXPECT_EQ(v[0].at("has_dirty_tab").as_bool(), true);
  EXPECT_EQ(v[0].at("mode").as_string(), "edit");

  // A heartbeat for a known tab updates it in place.
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a2", "view", false)).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "9", tab("a3", "view", false)).status, 200u);
  v = viewers(c, bob, "9");
  EXPECT_EQ(v[0].at("tabs").as_int64(), 3);
  EXPECT_EQ(v[0].at("has_dirty_tab").as_bool(), false);
  EXPECT_EQ(v[0].at("mode").as_string(), "view");
}

TEST_P(Presence, ViewersAreOrderedByFirstLiveTab) {
  start();
  auto c = client();
  auto me = token_for("100", "Me");
  std::vector<std::pair<std::string, std::string>> arrivals{{"3", "Carol"}, {"1", "Alice"}, {"2", "Bob"}};
  for (auto& [id, name] : arrivals) ASSERT_EQ(heartbeat(c, token_for(id, name), "5", tab("t" + id)).status, 200u);
  ASSERT_EQ(heartbeat(c, token_for("3", "Carol"), "5", tab("t3b")).status, 200u);
  auto names = [&] {
    std::vector<std::string> out;
    for (auto& v : viewers(c, me, "5")) out.emplace_back(v.at("name").as_string());
    return out;
  };
  EXPECT_EQ(names(), (std::vector<std::string>{"Carol", "Alice", "Bob"}));
  // Carol's first tab leaves; her remaining tab joined after Bob's.
  ASSERT_EQ(c.request("DELETE", path("5", "unregister"), R"({"tab_id":"t3"})", token_for("3", "Carol")).status, 200u);
  EXPECT_EQ(names(), (std::vector<std::string>{"Alice", "Bob", "Carol"}));
}

TEST_P(Presence, ViewersComeInPagesWithTheRecordsTotals) {
  start();
  auto c = client();
  // Ten users, one of them with two tabs, and the caller with one of their own.
  for (int i = 1; i <= 10; ++i) {
    ASSERT_EQ(heartbeat(c, token_for(std::to_string(i), "User " + std::to_string(i)), "8", tab("t" + std::to_string(i))).status, 200u);
  }
  ASSERT_EQ(heartbeat(c, token_for("4", "User 4"), "8", tab("t4b")).status, 200u);
  auto me = token_for("100", "Me");
  ASSERT_EQ(heartbeat(c, me, "8", tab("mine")).status, 200u);

  auto page = [&](const std::string& query) { return c.request("GET", path("8", "viewers") + query, "", me); };
  auto names = [](const HttpResponse& r) {
    std::vector<std::string> out;
    const boost::json::value json = r.json();
    for (auto& v : json.at("data").at("viewers").as_array()) out.emplace_back(v.at("name").as_string());
    return out;
  };
  auto whole = page("");
  ASSERT_EQ(whole.status, 200u) << whole.body;
  EXPECT_EQ(names(whole).size(), 10u) << "without a limit: everyone but the caller";
  // The totals count everyone, the caller too, whatever the page: 11 users, 12 tabs.
  EXPECT_EQ(whole.json().at("data").at("count"), boost::json::parse(R"({"users":11,"tabs":12})"));

  auto first = page("?limit=3");
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(names(first), (std::vector<std::string>{"User 1", "User 2", "User 3"}));
  EXPECT_EQ(first.json().at("data").at("count"), boost::json::parse(R"({"users":11,"tabs":12})"));
  EXPECT_EQ(names(page("?offset=3&limit=3")), (std::vector<std::string>{"User 4", "User 5", "User 6"}));
  EXPECT_EQ(names(page("?limit=3&offset=9")), (std::vector<std::string>{"User 10"}));
  EXPECT_TRUE(names(page("?offset=50")).empty()) << "past the end: an empty page";

  for (const std::string bad : {"?limit=0", "?limit=1001", "?limit=abc", "?limit=-1", "?offset=x", "?limit=2.5"}) {
    auto r = page(bad);
    EXPECT_EQ(r.status, 422u) << bad;
    EXPECT_NE(r.body.find("\"errors\""), std::string::npos) << bad << ": " << r.body;
  }
}

TEST_P(Presence, TenantsNeverSeeEachOther) {
  start();
  auto c = client();
  auto alice_t1 = token_for("1", "Alice", "1");
  auto eve_t2 = token_for("1", "Eve", "2");  // same user id, other tenant
  auto bob_t1 = token_for("2", "Bob", "1");
  ASSERT_EQ(heartbeat(c, alice_t1, "42", tab("shared_tab")).status, 200u);
  EXPECT_TRUE(viewers(c, token_for("2", "Zed", "2"), "42").empty());
  // The same tab id on the same record in another tenant is another tab.
  ASSERT_EQ(heartbeat(c, eve_t2, "42", tab("shared_tab", "edit", true)).status, 200u);
  auto v = viewers(c, bob_t1, "42");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("name").as_string(), "Alice");
  EXPECT_EQ(v[0].at("has_dirty_tab").as_bool(), false);
}

TEST_P(Presence, ATabBelongsToTheUserWhoRegisteredIt) {
  start();
  auto c = client();
  auto alice = token_for("1", "Alice"), mallory = token_for("666", "Mallory"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("tab_a", "edit", true)).status, 200u);

  auto hijack = heartbeat(c, mallory, "42", tab("tab_a", "view", false));
  EXPECT_EQ(hijack.status, 422u);
  EXPECT_EQ(hijack.json().at("errors").at("tab_id").as_array()[0].as_string(), "The tab id has already been taken.");
  auto removal = c.request("DELETE", path("42", "unregister"), R"({"tab_id":"tab_a"})", mallory);
  EXPECT_EQ(removal.status, 200u);

  auto v = viewers(c, bob, "42");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("name").as_string(), "Alice");
  EXPECT_EQ(v[0].at("has_dirty_tab").as_bool(), true);
}

TEST_P(Presence, UnregisterByDeleteOrPostAndTwice) {
  start();
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("t1")).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "42", tab("t2")).status, 200u);
  auto r = c.request("DELETE", path("42", "unregister"), R"({"tab_id":"t1"})", alice);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"success":true,"data":{"unregistered":true}})");
  EXPECT_EQ(viewers(c, bob, "42")[0].at("tabs").as_int64(), 1);
  // sendBeacon can only POST
  EXPECT_EQ(c.request("POST", path("42", "unregister"), R"({"tab_id":"t2"})", alice).status, 200u);
  EXPECT_TRUE(viewers(c, bob, "42").empty());
  // already gone: still 200
  EXPECT_EQ(c.request("DELETE", path("42", "unregister"), R"({"tab_id":"t2"})", alice).status, 200u);
}

TEST_P(Presence, ASilentTabExpiresAfterTheTtl) {
  start({"--presence-ttl", "1"});
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  auto before = std::chrono::steady_clock::now();
  ASSERT_EQ(heartbeat(c, alice, "42", tab("t1")).status, 200u);
  auto v = viewers(c, bob, "42");
  if (std::chrono::steady_clock::now() - before < std::chrono::milliseconds(900)) {
    EXPECT_EQ(v.size(), 1u) << "present within the TTL";
  }
  EXPECT_TRUE(eventually([&] { return viewers(c, bob, "42").empty(); })) << "gone after the TTL";
}

TEST_P(Presence, HeartbeatsKeepATabAlive) {
  start({"--presence-ttl", "3"});
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(heartbeat(c, alice, "42", tab("kept")).status, 200u);
  ASSERT_EQ(heartbeat(c, alice, "42", tab("dropped")).status, 200u);
  // Renew one tab for longer than the TTL; the other goes silent and must expire.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(heartbeat(c, alice, "42", tab("kept")).status, 200u);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(eventually([&] {
    EXPECT_EQ(heartbeat(c, alice, "42", tab("kept")).status, 200u);
    auto v = viewers(c, bob, "42");
    return v.size() == 1 && v[0].at("tabs").as_int64() == 1;
  }));
}

TEST_P(Presence, KeepAliveConnectionCarriesManyRequests) {
  start();
  auto alice = token_for("1", "Alice");
  std::string pipeline;
  for (int i = 0; i < 3; ++i) {
    std::string body = tab("p" + std::to_string(i));
    pipeline += "POST " + path("42", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  pipeline += "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string out = raw_exchange(port(), pipeline);
  std::size_t oks = 0;
  for (auto at = out.find("HTTP/1.1 200 OK"); at != std::string::npos; at = out.find("HTTP/1.1 200 OK", at + 1)) ++oks;
  EXPECT_EQ(oks, 4u) << out;
}

TEST_P(Presence, DevTokenEndpointOnlyWithDev) {
  start();
  auto c = client();
  EXPECT_EQ(c.request("POST", "/api/v1/dev/token", R"({"user_id":1,"name":"A","tenant_id":1})").status, 404u);
}

TEST_P(Presence, DevTokensWorkForTheApi) {
  start({"--dev"});
  auto c = client();
  auto r = c.request("POST", "/api/v1/dev/token", R"({"user_id":5,"name":"Dev","tenant_id":"t1"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  std::string token(r.json().at("data").at("token").as_string());
  ASSERT_EQ(heartbeat(c, token, "1", tab("d")).status, 200u);
  auto other = c.request("POST", "/api/v1/dev/token", R"({"user_id":"x","name":"Other","tenant_id":"t1"})");
  auto v = viewers(c, std::string(other.json().at("data").at("token").as_string()), "1");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("id").as_int64(), 5);

  auto bad = c.request("POST", "/api/v1/dev/token", R"({"name":"","tenant_id":"a:b"})");
  EXPECT_EQ(bad.status, 422u);
  EXPECT_EQ(bad.json().at("errors").as_object().size(), 3u);
}

TEST_P(Presence, AnAvatarUrlClaimShowsInTheViewersList) {
  start({"--dev"});
  auto c = client();
  auto minted = c.request("POST", "/api/v1/dev/token",
                          R"({"user_id":5,"name":"Eve","tenant_id":1,"avatar_url":"/avatars/eve.png"})");
  ASSERT_EQ(minted.status, 200u) << minted.body;
  const std::string eve(minted.json().at("data").at("token").as_string());
  ASSERT_EQ(heartbeat(c, eve, "42", tab("e1")).status, 200u);
  auto v = viewers(c, token_for("7", "Bob", "1", 3600, app::kDevSecret), "42");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("avatar_url").as_string(), "/avatars/eve.png");
  auto refused = c.request("POST", "/api/v1/dev/token", R"({"user_id":5,"name":"Eve","tenant_id":1,"avatar_url":"javascript:x"})");
  EXPECT_EQ(refused.status, 422u);
}

// A token's `scope` claim limits the records it may touch: anything outside is 403 in
// the envelope, on every presence route, and nothing is written.
TEST_P(Presence, ATokensScopeLimitsTheRecordsItMayTouch) {
  start();
  auto c = client();
  auto flows = scoped_token_for("1", "Alice", {"flow:*", "form:42"});
  auto bob = token_for("2", "Bob");
  EXPECT_EQ(heartbeat(c, flows, "7", tab("a1")).status, 200u);
  EXPECT_EQ(c.request("POST", path("42", "heartbeat", "form"), tab("a2"), flows).status, 200u);
  EXPECT_EQ(c.request("GET", path("7", "viewers"), "", flows).status, 200u);

  const std::string forbidden = R"({"success":false,"message":"This action is unauthorized."})";
  for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", path("43", "heartbeat", "form"), tab("a3")},
           {"GET", path("43", "viewers", "form"), ""},
           {"DELETE", path("43", "unregister", "form"), R"({"tab_id":"a3"})"},
           {"POST", path("43", "saved", "form"), R"({"lock_version":2})"},
           {"POST", path("1", "heartbeat", "task"), tab("a4")},
       }) {
    auto r = c.request(method, target, body, flows);
    EXPECT_EQ(r.status, 403u) << method << " " << target;
    EXPECT_EQ(r.body, forbidden) << method << " " << target;
  }
  auto nothing = c.request("GET", path("43", "viewers", "form"), "", bob);
  ASSERT_EQ(nothing.status, 200u);
  EXPECT_TRUE(nothing.json().at("data").at("viewers").as_array().empty()) << "a refused heartbeat wrote nothing";

  // An empty scope touches nothing; no scope, the whole tenant.
  EXPECT_EQ(heartbeat(c, scoped_token_for("3", "Carol", {}), "7", tab("c1")).status, 403u);
  EXPECT_EQ(heartbeat(c, bob, "7", tab("b1")).status, 200u);
  EXPECT_EQ(viewers(c, bob, "7").size(), 1u);
  EXPECT_EQ(metric(c.request("GET", "/metrics").body, "presenced_scope_refused_total"), 6);
}

INSTANTIATE_TEST_SUITE_P(Stores, Presence, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace presenced::testing
