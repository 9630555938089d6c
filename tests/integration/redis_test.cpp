// What only the Redis store has: the host app's layout both ways, several nodes on one
// Redis, and Redis failing under traffic.
#include "integration/fixture.hpp"
#include "support/metrics_text.hpp"
#include "support/webhook_receiver.hpp"
#include "support/ws_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <signal.h>

namespace presenced::testing {
namespace {

using boost::json::value;

constexpr const char* kKey = "tenant_1_record_presence:flow:42";

std::string iso_utc(std::time_t t, const char* fraction = "") {
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + fraction + "Z";
}

class RedisStoreTest : public ::testing::Test {
 protected:
  RedisServer redis;
  RedisClient raw{redis.port()};

  std::unique_ptr<ServerProcess> node(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--store", redis.url(), "--rate-limit", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args);
    HttpClient probe(server->port());
    bool ready = eventually([&] { return probe.request("GET", "/readyz").status == 200; });
    EXPECT_TRUE(ready) << server->output();
    return server;
  }
  // `n` live tabs the host app wrote, each its own user (1000, 1001, ...).
  void host_app_tabs(int n) {
    const std::string seen = iso_utc(std::time(nullptr));
    std::vector<std::string> fill{"HSET", kKey};
    for (int i = 0; i < n; ++i) {
      fill.push_back("app" + std::to_string(i));
      fill.push_back(R"({"user_id":)" + std::to_string(1000 + i) +
                     R"(,"user_name":"U","mode":"view","dirty":false,"last_seen_at":")" + seen + R"("})");
    }
    raw.command(fill);
  }
  static std::string tab(const std::string& id, const std::string& mode = "view", bool dirty = false) {
    return R"({"tab_id":")" + id + R"(","mode":")" + mode + R"(","dirty":)" + (dirty ? "true" : "false") + "}";
  }
  static boost::json::array viewers(HttpClient& c, const std::string& token, const std::string& id = "42") {
    auto r = c.request("GET", "/api/v1/presence/flow/" + id + "/viewers", "", token);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? r.json().at("data").at("viewers").as_array() : boost::json::array{};
  }
};

TEST_F(RedisStoreTest, ReadsWhatTheHostAppWrites) {
  auto server = node();
  std::time_t now = std::time(nullptr);
  // As RecordPresenceService::updatePresence writes them (json_encode, toISOString),
  // and variants the issue names: fractions, offsets, user ids as numbers and strings.
  raw.command({"HSET", kKey, "tab_app1",
               R"({"user_id":42,"user_name":"Alice","mode":"edit","dirty":true,"last_seen_at":")" +
                   iso_utc(now, ".000000") + R"("})"});
  raw.command({"HSET", kKey, "tab_app2",
               R"({"user_id":42,"user_name":"Alice","mode":"view","dirty":false,"last_seen_at":")" + iso_utc(now) +
                   R"("})"});
  // The same instant written in local time at +02:00, with a fraction.
  char local[64];
  std::time_t shifted = now + 2 * 3600;
  std::tm tm{};
  gmtime_r(&shifted, &tm);
  std::strftime(local, sizeof local, "%Y-%m-%dT%H:%M:%S.5+02:00", &tm);
  raw.command({"HSET", kKey, "tab_app3",
               R"({"user_id":"u-9","user_name":"Uma","mode":"view","dirty":1,"last_seen_at":")" + std::string(local) +
                   R"("})"});
  raw.command({"HSET", kKey, "tab_stale",
               R"({"user_id":5,"user_name":"Gone","mode":"edit","dirty":true,"last_seen_at":")" + iso_utc(now - 300) +
                   R"("})"});

  HttpClient c(server->port());
  auto v = viewers(c, token_for("7", "Bob"));
  ASSERT_EQ(v.size(), 2u) << boost::json::serialize(v);
  std::map<std::string, boost::json::object> by_name;
  for (auto& e : v) by_name[std::string(e.at("name").as_string())] = e.as_object();
  ASSERT_TRUE(by_name.count("Alice"));
  EXPECT_EQ(by_name["Alice"].at("id").as_int64(), 42);
  EXPECT_EQ(by_name["Alice"].at("tabs").as_int64(), 2);
  EXPECT_EQ(by_name["Alice"].at("has_dirty_tab").as_bool(), true);
  EXPECT_EQ(by_name["Alice"].at("mode").as_string(), "edit");
  ASSERT_TRUE(by_name.count("Uma"));
  EXPECT_EQ(by_name["Uma"].at("id").as_string(), "u-9");
  EXPECT_EQ(by_name["Uma"].at("has_dirty_tab").as_bool(), true);
  EXPECT_EQ(raw.integer({"HEXISTS", kKey, "tab_stale"}), 0) << "stale fields are removed";
  // The host app's tab belongs to its user: nobody else can take it over.
  EXPECT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("tab_app1"), token_for("7", "Bob")).status,
            422u);
}

TEST_F(RedisStoreTest, WritesWhatTheHostAppReads) {
  auto server = node({"--presence-ttl", "90"});
  HttpClient c(server->port());
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat",
                      R"({"tab_id":"tab_x","mode":"edit","dirty":true,"active_field":"title"})",
                      token_for("42", "Alice \"A\" Ørsted"))
                .status,
            200u);
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("tab_y"), token_for("42", "Alice \"A\" Ørsted"))
                .status,
            200u);
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("tab_z"), token_for("u-7", "Bob")).status, 200u);

  // The host app's getUniqueViewers: HGETALL, json_decode, group by user_id.
  auto all = raw.command({"HGETALL", kKey});
  ASSERT_EQ(all->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(all->elements, 6u);
  std::map<std::string, int> tabs_by_user;
  std::time_t now = std::time(nullptr);
  std::regex iso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$)");
  for (std::size_t i = 0; i < all->elements; i += 2) {
    auto entry = boost::json::parse(std::string(all->element[i + 1]->str, all->element[i + 1]->len)).as_object();
    const auto& id = entry.at("user_id");
    tabs_by_user[id.is_int64() ? std::to_string(id.as_int64()) : std::string(id.as_string())]++;
    std::string seen(entry.at("last_seen_at").as_string());
    EXPECT_TRUE(std::regex_match(seen, iso)) << seen;
    std::tm tm{};
    strptime(seen.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    EXPECT_LE(std::llabs(static_cast<long long>(timegm(&tm) - now)), 5);
    EXPECT_TRUE(entry.at("dirty").is_bool());
    EXPECT_TRUE(entry.at("mode").as_string() == "view" || entry.at("mode").as_string() == "edit");
    if (std::string(all->element[i]->str) == "tab_x") {
      EXPECT_EQ(entry.at("user_id").as_int64(), 42);
      EXPECT_EQ(entry.at("user_name").as_string(), "Alice \"A\" Ørsted");
      EXPECT_EQ(entry.at("dirty").as_bool(), true);
      EXPECT_EQ(entry.at("mode").as_string(), "edit");
      EXPECT_EQ(entry.at("active_field").as_string(), "title");
    }
  }
  EXPECT_EQ(tabs_by_user["42"], 2);
  EXPECT_EQ(tabs_by_user["u-7"], 1);
  long long ttl = raw.integer({"PTTL", kKey});
  EXPECT_GT(ttl, 80'000);
  EXPECT_LE(ttl, 90'000);
}

TEST_F(RedisStoreTest, RenewalsKeepTheJoinTimeAndChangesAreSeen) {
  auto server = node();
  HttpClient c(server->port());
  auto alice = token_for("1", "Alice");
  auto entry = [&] { return boost::json::parse(raw.string({"HGET", kKey, "t1"})).as_object(); };
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), alice).status, 200u);
  auto first = entry();
  // Renewals (the script's fast path) keep joined_us and move last_seen_at.
  ASSERT_TRUE(eventually([&] {
    EXPECT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), alice).status, 200u);
    return entry().at("last_seen_at") != first.at("last_seen_at");
  }));
  EXPECT_EQ(entry().at("joined_us"), first.at("joined_us"));
  // A change (the general path) is written too, still with the same join time.
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat",
                      R"({"tab_id":"t1","mode":"edit","dirty":true,"active_field":"body"})", alice)
                .status,
            200u);
  auto changed = entry();
  EXPECT_EQ(changed.at("mode").as_string(), "edit");
  EXPECT_EQ(changed.at("dirty").as_bool(), true);
  EXPECT_EQ(changed.at("active_field").as_string(), "body");
  EXPECT_EQ(changed.at("joined_us"), first.at("joined_us"));
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat",
                      R"({"tab_id":"t1","mode":"edit","dirty":true,"active_field":"body"})", alice)
                .status,
            200u);
  EXPECT_EQ(entry().at("active_field").as_string(), "body") << "renewing a tab with a field keeps it";
  auto v = viewers(c, token_for("2", "Bob"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("mode").as_string(), "edit");
}

// The heartbeat script settles a renewal or an update of a tab presenced wrote without
// decoding it; what it tells other nodes (a PUBLISH) must be what the general path would
// decide: each visible change once, a renewal or a renamed user never, another user's tab
// never touched.
TEST_F(RedisStoreTest, EveryChangeIsPublishedOnceAndRenewalsNever) {
  auto server = node();
  HttpClient c(server->port());
  auto alice = token_for("1", "Alice");
  auto publishes = [&] {
    static const std::regex calls(R"(cmdstat_publish:calls=(\d+))");
    std::smatch m;
    const std::string info = raw.string({"INFO", "commandstats"});
    return std::regex_search(info, m, calls) ? std::stoll(m[1]) : 0LL;
  };
  auto beat = [&](const std::string& body, const std::string& token) {
    return c.request("POST", "/api/v1/presence/flow/42/heartbeat", body, token).status;
  };
  auto entry = [&] { return boost::json::parse(raw.string({"HGET", kKey, "t1"})).as_object(); };
  raw.string({"CONFIG", "RESETSTAT"});
  ASSERT_EQ(beat(tab("t1"), alice), 200u);
  EXPECT_EQ(publishes(), 1) << "a join";
  const auto joined = entry().at("joined_us");
  ASSERT_EQ(beat(tab("t1"), alice), 200u);
  EXPECT_EQ(publishes(), 1) << "a renewal";

  const std::vector<std::string> changes{
      R"({"tab_id":"t1","mode":"edit","dirty":false})",
      R"({"tab_id":"t1","mode":"edit","dirty":true})",
      R"({"tab_id":"t1","mode":"edit","dirty":true,"active_field":"body"})",
      R"({"tab_id":"t1","mode":"edit","dirty":true,"active_field":"body","activity":"idle"})",
      R"({"tab_id":"t1","mode":"edit","dirty":true,"active_field":"body","activity":"idle","lock_version":3})",
      R"({"tab_id":"t1","mode":"view","dirty":false})"};
  long long expected = 1;
  for (const auto& change : changes) {
    ASSERT_EQ(beat(change, alice), 200u) << change;
    EXPECT_EQ(publishes(), ++expected) << "a change: " << change;
    ASSERT_EQ(beat(change, alice), 200u) << change;
    EXPECT_EQ(publishes(), expected) << "the same again: " << change;
    EXPECT_EQ(entry().at("joined_us"), joined) << change;
  }
  // "active" is what no activity means.
  ASSERT_EQ(beat(R"({"tab_id":"t1","mode":"view","dirty":false,"activity":"active"})", alice), 200u);
  EXPECT_EQ(publishes(), expected);

  // The same user under a new name: renewed, written with the name.
  ASSERT_EQ(beat(tab("t1"), token_for("1", "Alice B.")), 200u);
  EXPECT_EQ(publishes(), expected);
  EXPECT_EQ(entry().at("user_name").as_string(), "Alice B.");

  // Another user whose id begins like Alice's: refused, nothing written or published.
  const std::string before = raw.string({"HGET", kKey, "t1"});
  EXPECT_EQ(beat(tab("t1", "edit", true), token_for("12", "Mallory")), 422u);
  EXPECT_EQ(raw.string({"HGET", kKey, "t1"}), before);
  EXPECT_EQ(publishes(), expected);
}

// A join, a change and a leave cost Redis O(1) in the room's size: in a room of 5,000
// tabs none of them reads the hash (HVALS, HGETALL, HSCAN); the caps come from HLEN and
// the tab counts kept beside the hash.
TEST_F(RedisStoreTest, AJoinAChangeAndALeaveNeverReadTheWholeRoom) {
  auto server = node({"--max-tabs-per-record", "65000"});
  HttpClient c(server->port());
  host_app_tabs(5'000);
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("warm"), token_for("2", "Warm")).status, 200u);
  const auto reads = [&] {
    const std::string info = raw.string({"INFO", "commandstats"});
    return info.find("cmdstat_hvals") != std::string::npos || info.find("cmdstat_hgetall") != std::string::npos ||
           info.find("cmdstat_hscan") != std::string::npos;
  };
  raw.string({"CONFIG", "RESETSTAT"});
  auto alice = token_for("1", "Alice");
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), alice).status, 200u);
  EXPECT_FALSE(reads()) << "a join: " << raw.string({"INFO", "commandstats"});
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1", "edit", true), alice).status, 200u);
  EXPECT_FALSE(reads()) << "a change";
  ASSERT_EQ(c.request("DELETE", "/api/v1/presence/flow/42/unregister", R"({"tab_id":"t1"})", alice).status, 200u);
  EXPECT_FALSE(reads()) << "a leave";
  EXPECT_EQ(raw.string({"HGET", "presenced_tabs:{" + std::string(kKey) + "}", "1"}), "0") << "the counts followed";
}

// The counts are bounds; where they say "full" the truth is counted, so the caps are
// exact: counts lost (they expire with a quiet spell) are rebuilt from the hash, counts
// too high (tabs that expired) are corrected, and the host app's tabs count toward the
// record's cap.
TEST_F(RedisStoreTest, TheTabCapsHoldWhateverTheCountsSay) {
  auto server = node({"--max-tabs-per-user", "2", "--max-tabs-per-record", "4"});
  HttpClient c(server->port());
  const std::string counts = "presenced_tabs:{" + std::string(kKey) + "}";
  auto alice = token_for("1", "Alice");
  const auto beat = [&](const std::string& id, const std::string& token) {
    return c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab(id), token).status;
  };
  ASSERT_EQ(beat("a1", alice), 200u);
  ASSERT_EQ(beat("a2", alice), 200u);
  raw.command({"DEL", counts});
  EXPECT_EQ(beat("a3", alice), 429u) << "counts rebuilt from the hash";
  raw.command({"HSET", counts, "1", "2"});
  raw.command({"HDEL", kKey, "a1", "a2"});  // as if both had expired and been cleaned
  EXPECT_EQ(beat("a3", alice), 200u) << "counts too high are checked against the hash";
  const std::string seen = iso_utc(std::time(nullptr));
  for (const char* t : {"app1", "app2", "app3"}) {
    raw.command({"HSET", kKey, t, R"({"user_id":7,"user_name":"App","mode":"view","dirty":false,"last_seen_at":")" + seen + R"("})"});
  }
  EXPECT_EQ(beat("b1", token_for("2", "Bob")), 429u) << "four live tabs, three the host app's";
  raw.command({"HSET", kKey, "app3", R"({"user_id":7,"user_name":"App","mode":"view","dirty":false,"last_seen_at":")" +
                                         iso_utc(std::time(nullptr) - 3600) + R"("})"});
  EXPECT_EQ(beat("b1", token_for("2", "Bob")), 200u) << "an expired entry makes room";
}

// Whether this node listens on the record's channel (its subscription is in Redis).
bool heard_by(RedisClient& raw, std::int64_t subscribers) {
  auto r = raw.command({"PUBSUB", "NUMSUB", "presenced:{" + std::string(kKey) + "}"});
  return r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer == subscribers;
}

// The scripts publish what they changed, and every node keeps the room from that: in a
// room of 5,000 tabs a join, a change and a leave on one node reach a subscriber on
// another with no read of the room (no HGETALL, HVALS or HSCAN).
TEST_F(RedisStoreTest, EveryNodeKeepsTheRoomFromTheNoticesWithoutReadingIt) {
  auto a = node({"--max-tabs-per-record", "65000"}), b = node({"--max-tabs-per-record", "65000"});
  host_app_tabs(5'000);
  WsClient bob(b->port(), token_for("2", "Bob"));
  bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"42","limit":3})");
  auto snapshot = bob.wait_for([](const value& m) { return is_presence(m, "42"); });
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->at("count").at("users").as_int64(), 5'000);
  ASSERT_TRUE(eventually([&] { return heard_by(raw, 1); }));
  HttpClient on_a(a->port());
  auto alice = token_for("1", "Alice");
  const auto heard = [&](auto wanted) { return bob.wait_for([&](const value& m) { return is_diff(m, "42") && wanted(m); }); };
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), alice).status, 200u);
  ASSERT_TRUE(heard([](const value& m) { return diff_names(m, 1); })) << "a join";

  raw.string({"CONFIG", "RESETSTAT"});
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1", "edit", true), alice).status, 200u);
  auto updated = heard([](const value& m) { return diff_names(m, 1); });
  ASSERT_TRUE(updated) << "a change";
  EXPECT_EQ(updated->at("updated").as_array().at(0).at("mode"), "edit");
  EXPECT_EQ(updated->at("count").at("users").as_int64(), 5'001);
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t2"), token_for("3", "Carol")).status, 200u);
  ASSERT_TRUE(heard([](const value& m) { return diff_names(m, 3); })) << "another join";
  ASSERT_EQ(on_a.request("DELETE", "/api/v1/presence/flow/42/unregister", R"({"tab_id":"t1"})", alice).status, 200u);
  auto left = heard([](const value& m) { return !m.at("left").as_array().empty(); });
  ASSERT_TRUE(left) << "a leave";
  EXPECT_EQ(left->at("left").as_array().at(0), 1);
  EXPECT_EQ(left->at("count").at("users").as_int64(), 5'001);
  const std::string info = raw.string({"INFO", "commandstats"});
  EXPECT_EQ(info.find("cmdstat_hgetall"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_hvals"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_hscan"), std::string::npos) << info;
}

// A renewal publishes nothing, so a tab whose deadline passes may have been renewed or may
// have expired: the nodes watching the room ask Redis about that tab alone (the due
// script), and the one that finds it expired removes it and publishes the removal. In a
// room of 2,000 tabs watched by two nodes, five tabs expiring reach both nodes'
// subscribers with no read of the room, and each is removed from Redis once.
TEST_F(RedisStoreTest, AnExpiryCostsItsOwnSizeNotAReadOfTheRoom) {
  // TTL 60 s: the nodes read the room again only 20 s after their last read (the host
  // app's tabs), long after the five below have expired.
  auto a = node({"--presence-ttl", "60"}), b = node({"--presence-ttl", "60"});
  host_app_tabs(2'000);
  const std::string old = iso_utc(std::time(nullptr) - 57);  // expires in about 3 s
  for (int i = 0; i < 5; ++i) {
    raw.command({"HSET", kKey, "old" + std::to_string(i),
                 R"({"user_id":)" + std::to_string(900 + i) +
                     R"(,"user_name":"Old","mode":"view","dirty":false,"last_seen_at":")" + old + R"("})"});
  }
  WsClient on_a(a->port(), token_for("2", "Bob")), on_b(b->port(), token_for("3", "Carol"));
  for (WsClient* ws : {&on_a, &on_b}) {
    ws->send(R"({"type":"subscribe","record_type":"flow","record_id":"42","limit":3})");
    auto snapshot = ws->wait_for([](const value& m) { return is_presence(m, "42"); });
    ASSERT_TRUE(snapshot);
    ASSERT_EQ(snapshot->at("count").at("users").as_int64(), 2'005);
  }
  ASSERT_TRUE(eventually([&] { return heard_by(raw, 2); }));
  // A join heard by both: each node has read the room since it listens (a read the
  // subscription's confirmation asks for), and keeps it from the notices from here on.
  HttpClient c(a->port());
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "Alice")).status, 200u);
  for (WsClient* ws : {&on_a, &on_b}) {
    ASSERT_TRUE(ws->wait_for([](const value& m) { return is_diff(m, "42") && diff_names(m, 1); }));
  }
  raw.string({"CONFIG", "RESETSTAT"});
  for (WsClient* ws : {&on_a, &on_b}) {
    std::set<std::int64_t> left;
    std::int64_t users = 0;
    const auto all_left = ws->wait_for(
        [&](const value& m) {
          if (!is_diff(m, "42")) return false;
          for (const auto& id : m.at("left").as_array()) left.insert(id.as_int64());
          users = m.at("count").at("users").as_int64();
          return left.size() == 5;
        },
        std::chrono::seconds(15));
    ASSERT_TRUE(all_left) << "left: " << left.size();
    EXPECT_EQ(left, (std::set<std::int64_t>{900, 901, 902, 903, 904}));
    EXPECT_EQ(users, 2'001);
  }
  const std::string info = raw.string({"INFO", "commandstats"});
  EXPECT_EQ(info.find("cmdstat_hgetall"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_hvals"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_hscan"), std::string::npos) << info;
  EXPECT_NE(info.find("cmdstat_hdel:calls=5,"), std::string::npos) << "each expired tab removed once: " << info;
  EXPECT_EQ(raw.integer({"HLEN", kKey}), 2'001);
}

// A room of `n` tabs in join order, users 100, 101, ... (User 100 with a second tab).
void fill_room(HttpClient& c, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(100 + i);
    ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat",
                        R"({"tab_id":"t)" + id + R"(","mode":"view","dirty":false})", token_for(id, "User " + id))
                  .status,
              200u);
  }
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", R"({"tab_id":"t100b","mode":"view","dirty":false})",
                      token_for("100", "User 100"))
                .status,
            200u);
}
std::vector<std::string> page_names(const value& data) {
  std::vector<std::string> out;
  for (const auto& v : data.at("viewers").as_array()) out.emplace_back(v.at("name").as_string());
  return out;
}
std::vector<std::string> users_named(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("User " + std::to_string(i));
  return out;
}

// A page of a large room that a node watches is made from its mirror: in a room of 600
// tabs, /viewers?limit=20 reads no more of Redis than the hash's size (no HGETALL), in
// join order, with everyone counted. A tab the host app writes (which publishes nothing)
// changes the hash's size: that page reads the room, and counts it.
TEST_F(RedisStoreTest, APageOfAWatchedRoomCostsThePage) {
  auto a = node();
  HttpClient c(a->port());
  fill_room(c, 600);
  WsClient bob(a->port(), token_for("2", "Bob"));
  bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"42","limit":3})");
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42"); }));
  ASSERT_TRUE(eventually([&] { return heard_by(raw, 1); }));
  auto carol = token_for("3", "Carol");
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("c1"), carol).status, 200u);
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_diff(m, "42") && diff_names(m, 3); }));
  const auto page = [&](const std::string& query) {
    auto r = c.request("GET", "/api/v1/presence/flow/42/viewers" + query, "", carol);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? r.json().at("data") : value{};
  };

  raw.string({"CONFIG", "RESETSTAT"});
  const value first = page("?limit=20");
  EXPECT_EQ(page_names(first), users_named(100, 120));
  EXPECT_EQ(first.at("viewers").as_array().at(0).at("tabs"), 2) << "user 100, both tabs";
  EXPECT_EQ(first.at("count"), boost::json::parse(R"({"users":601,"tabs":602})")) << "Carol counted too";
  EXPECT_EQ(page_names(page("?offset=290&limit=20")), users_named(390, 410));
  EXPECT_EQ(page_names(page("?offset=590&limit=20")), users_named(690, 700)) << "the last page: Carol not in it";
  const std::string info = raw.string({"INFO", "commandstats"});
  EXPECT_NE(info.find("cmdstat_hlen:calls=3,"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_hgetall"), std::string::npos) << info;

  raw.command({"HSET", kKey, "tab_php",
               R"({"user_id":77,"user_name":"From PHP","mode":"edit","dirty":1,"last_seen_at":")" +
                   iso_utc(std::time(nullptr)) + R"("})"});
  EXPECT_EQ(page("?limit=20").at("count"), boost::json::parse(R"({"users":602,"tabs":603})"))
      << "the host app's tab counts at once";
}

// A large room that HTTP clients poll, with no subscriber anywhere: after its first page
// (a whole read) the node watches it for its pages, which then cost the page too; a TTL
// after the last page it stops.
TEST_F(RedisStoreTest, APolledRoomIsWatchedForItsPagesWhileItIsPolled) {
  auto a = node({"--presence-ttl", "8"});  // the page watch lasts a TTL after the last page
  HttpClient c(a->port());
  fill_room(c, 600);
  auto carol = token_for("3", "Carol");
  const auto page = [&](const std::string& query) {
    auto r = c.request("GET", "/api/v1/presence/flow/42/viewers" + query, "", carol);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? r.json().at("data") : value{};
  };
  EXPECT_EQ(page_names(page("?limit=20")), users_named(100, 120));
  ASSERT_TRUE(eventually([&] { return heard_by(raw, 1); })) << "watched for its pages";
  EXPECT_EQ(page_names(page("?limit=20")), users_named(100, 120));  // (may read the room: now kept)

  raw.string({"CONFIG", "RESETSTAT"});
  for (int i = 0; i < 3; ++i) {
    const value data = page("?offset=100&limit=20");
    EXPECT_EQ(page_names(data), users_named(200, 220));
    EXPECT_EQ(data.at("count"), boost::json::parse(R"({"users":600,"tabs":601})"));
  }
  const std::string info = raw.string({"INFO", "commandstats"});
  EXPECT_NE(info.find("cmdstat_hlen:calls=3,"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_hgetall"), std::string::npos) << info;

  // A leave heard while watched for pages: the next page has it, no read.
  ASSERT_EQ(c.request("DELETE", "/api/v1/presence/flow/42/unregister", R"({"tab_id":"t200"})", token_for("200", "User 200"))
                .status,
            200u);
  ASSERT_TRUE(eventually([&] { return page_names(page("?offset=100&limit=1")) == users_named(201, 202); }));

  // A subscriber too (its pushes watch the room, perhaps from another thread): both hear.
  {
    WsClient bob(a->port(), token_for("2", "Bob"));
    bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"42","limit":3})");
    ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42"); }));
    ASSERT_TRUE(eventually([&] { return heard_by(raw, 1); }));
    ASSERT_EQ(c.request("DELETE", "/api/v1/presence/flow/42/unregister", R"({"tab_id":"t201"})",
                        token_for("201", "User 201"))
                  .status,
              200u);
    ASSERT_TRUE(bob.wait_for([](const value& m) { return is_diff(m, "42") && !m.at("left").as_array().empty(); }));
    ASSERT_TRUE(eventually([&] { return page_names(page("?offset=100&limit=1")) == users_named(202, 203); }));
  }

  EXPECT_TRUE(eventually([&] { return heard_by(raw, 0); }, std::chrono::seconds(20)))
      << "no page for a TTL: no longer watched";
}

// The host app writes tabs and publishes nothing: what it writes reaches subscribers
// when the node reads the room again, a third of the TTL after its last read.
TEST_F(RedisStoreTest, WhatTheHostAppWritesReachesSubscribersWithinAThirdOfTheTtl) {
  auto server = node({"--presence-ttl", "9"});  // read again 3 s after the last read
  WsClient bob(server->port(), token_for("2", "Bob"));
  bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"42"})");
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42"); }));
  ASSERT_TRUE(eventually([&] { return heard_by(raw, 1); }));
  // A change heard: the node keeps the room from the notices from here on.
  HttpClient c(server->port());
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "Alice")).status, 200u);
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_diff(m, "42") && diff_names(m, 1); }));
  const auto written = std::chrono::steady_clock::now();
  raw.command({"HSET", kKey, "tab_php",
               R"({"user_id":77,"user_name":"From PHP","mode":"edit","dirty":1,"last_seen_at":")" +
                   iso_utc(std::time(nullptr)) + R"("})"});
  auto joined = bob.wait_for([](const value& m) { return is_diff(m, "42") && diff_names(m, 77); });
  ASSERT_TRUE(joined) << "the host app's tab";
  // Before Alice's tab is due (9 s), which would have had the room read too.
  EXPECT_LT(std::chrono::steady_clock::now() - written, std::chrono::milliseconds(7'000));
}

// A change made while a node was not listening (its subscriber's connection was lost)
// is not lost to its subscribers: the room is read again once it listens again.
TEST_F(RedisStoreTest, AChangeMadeWhileANodeWasNotListeningIsNotLost) {
  auto a = node(), b = node();
  WsClient bob(b->port(), token_for("2", "Bob"));
  bob.send(R"({"type":"subscribe","record_type":"flow","record_id":"42"})");
  ASSERT_TRUE(bob.wait_for([](const value& m) { return is_presence(m, "42"); }));
  ASSERT_TRUE(eventually([&] { return heard_by(raw, 1); }));
  HttpClient on_a(a->port());
  raw.command({"CLIENT", "KILL", "TYPE", "pubsub"});
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "Alice")).status,
            200u);
  EXPECT_TRUE(bob.wait_for([](const value& m) { return is_diff(m, "42") && diff_names(m, 1); }))
      << "the join, published while node b was not listening";
}

// The server API's bulk query asks Redis once, whatever the number of records, and
// cleans stale entries on the way as the viewers call does.
TEST_F(RedisStoreTest, ABulkQueryIsOneScriptCall) {
  const std::string key = "server-key-for-tests-0123456789";
  auto server = node({"--server-key", key});
  HttpClient c(server->port());
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/3/heartbeat", tab("t1"), token_for("1", "Alice")).status, 200u);
  const std::string stale = R"({"user_id":9,"user_name":"Gone","mode":"view","dirty":false,"last_seen_at":")" +
                            iso_utc(std::time(nullptr) - 3600) + R"("})";
  raw.command({"HSET", "tenant_1_record_presence:flow:5", "old", stale});
  std::string body = R"({"tenant_id":1,"records":[)";
  for (int i = 0; i < 500; ++i) body += (i ? "," : "") + std::string(R"({"type":"flow","id":")") + std::to_string(i) + "\"}";
  body += "]}";
  raw.string({"CONFIG", "RESETSTAT"});
  auto r = c.request("POST", "/api/v1/server/presence/query", body, key);
  ASSERT_EQ(r.status, 200u) << r.body.substr(0, 200);
  const auto records = r.json().at("data").at("records").as_array();
  EXPECT_EQ(records[3].at("count").as_int64(), 1);
  EXPECT_EQ(records[5].at("count").as_int64(), 0) << "a stale entry is not presence";
  EXPECT_EQ(raw.integer({"HEXISTS", "tenant_1_record_presence:flow:5", "old"}), 0) << "and it was removed";
  const std::string info = raw.string({"INFO", "commandstats"});
  EXPECT_NE(info.find("cmdstat_evalsha:calls=1,"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_eval:"), std::string::npos) << "the script was loaded at connect: " << info;
}

// The record in full shows a tab the host app wrote, as it wrote it.
TEST_F(RedisStoreTest, TheRecordInFullShowsTheHostAppsTabs) {
  const std::string key = "server-key-for-tests-0123456789";
  auto server = node({"--server-key", key});
  HttpClient c(server->port());
  const std::time_t at = std::time(nullptr) - 5;
  const std::string seen = iso_utc(at).substr(0, 19) + ".250000+00:00";  // Carbon's microseconds and offset
  raw.command({"HSET", kKey, "tab_php",
               R"({"user_id":77,"user_name":"From PHP","mode":"edit","dirty":1,"last_seen_at":")" + seen + R"("})"});
  auto r = c.request("GET", "/api/v1/server/presence/1/flow/42", "", key);
  ASSERT_EQ(r.status, 200u) << r.body;
  const boost::json::value tabs = r.json().at("data").at("tabs");
  ASSERT_EQ(tabs.as_array().size(), 1u) << r.body;
  const auto& t = tabs.as_array()[0];
  EXPECT_EQ(t.at("tab_id").as_string(), "tab_php");
  EXPECT_EQ(t.at("user_id").as_int64(), 77);
  EXPECT_EQ(t.at("dirty").as_bool(), true);
  EXPECT_EQ(t.at("last_seen_at").as_string(), iso_utc(at).substr(0, 19) + ".250Z");
}

// Removing a user walks the tenant's keys a SCAN page at a time: past one page, entries
// the host app wrote (user_id as a number or a string) included, other tenants untouched.
TEST_F(RedisStoreTest, RemovingAUserWalksEveryRecordOfTheTenant) {
  const std::string key = "server-key-for-tests-0123456789";
  auto server = node({"--server-key", key});
  HttpClient c(server->port());
  const std::string now = iso_utc(std::time(nullptr));
  auto entry = [&](const std::string& user_id) {
    return R"({"user_id":)" + user_id + R"(,"user_name":"A","mode":"view","dirty":false,"last_seen_at":")" + now + R"("})";
  };
  for (int i = 0; i < 1200; ++i) {
    const std::string record = "tenant_1_record_presence:flow:" + std::to_string(i);
    raw.command({"HSET", record, "t" + std::to_string(i), entry(i % 2 ? "5" : "\"5\"")});
    raw.command({"HSET", record, "other", entry("6")});
  }
  raw.command({"HSET", "tenant_2_record_presence:flow:1", "t", entry("5")});
  auto r = c.request("DELETE", "/api/v1/server/presence/users/1/5", "", key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"success":true,"data":{"removed":1200}})");
  EXPECT_EQ(raw.integer({"HLEN", "tenant_1_record_presence:flow:0"}), 1);
  EXPECT_EQ(raw.integer({"HLEN", "tenant_1_record_presence:flow:1199"}), 1);
  EXPECT_EQ(raw.integer({"HEXISTS", "tenant_1_record_presence:flow:7", "other"}), 1);
  EXPECT_EQ(raw.integer({"HEXISTS", "tenant_2_record_presence:flow:1", "t"}), 1) << "another tenant";
}

TEST_F(RedisStoreTest, TwoNodesShareOneRedis) {
  auto a = node(), b = node();
  HttpClient on_a(a->port()), on_b(b->port());
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  ASSERT_EQ(on_a.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1", "edit", true), alice).status, 200u);
  auto v = viewers(on_b, bob);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("name").as_string(), "Alice");
  // Ownership holds across nodes too.
  EXPECT_EQ(on_b.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), bob).status, 422u);
  ASSERT_EQ(on_b.request("DELETE", "/api/v1/presence/flow/42/unregister", R"({"tab_id":"t1"})", alice).status, 200u);
  EXPECT_TRUE(viewers(on_a, bob).empty());
}

TEST_F(RedisStoreTest, ScriptsLostByRedisAreLoadedAgain) {
  auto server = node();
  HttpClient c(server->port());
  raw.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "A")).status, 200u);
  EXPECT_EQ(viewers(c, token_for("2", "B")).size(), 1u);
}

TEST_F(RedisStoreTest, ASlowRedisFailsRequestsInBoundedTimeThenRecovers) {
  auto server = node({"--store-timeout", "0.5"});
  HttpClient c(server->port());
  auto token = token_for("1", "A");
  // Redis stops answering clients for 2 s; CLIENT PAUSE is in force when it returns.
  raw.command({"CLIENT", "PAUSE", "2000", "ALL"});
  auto start = std::chrono::steady_clock::now();
  auto r = c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "bounded by --store-timeout, not by Redis";
  EXPECT_TRUE(eventually(
      [&] { return c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token).status == 200; }));
}

TEST_F(RedisStoreTest, RedisStoppedAndRestartedUnderTraffic) {
  auto server = node({"--store-timeout", "0.5", "--threads", "2"});
  std::atomic<bool> running{true};
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::atomic<bool> redis_down{false};
  std::atomic<int> ok_while_down{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      HttpClient c(server->port());
      auto token = token_for(std::to_string(100 + i), "Client");
      for (int n = 0; running; ++n) {
        bool down_before = redis_down;
        auto r = c.request("POST", "/api/v1/presence/flow/7/heartbeat", tab("c" + std::to_string(i) + "_" + std::to_string(n % 5)), token);
        if (r.status == 200) {
          ++ok;
          if (down_before && redis_down) ++ok_while_down;
        } else if (r.status == 503) {
          ++unavailable;
        } else {
          ++other;
        }
      }
    });
  }
  auto count_until = [&](std::atomic<int>& counter, int at_least) {
    int start = counter;
    return eventually([&] { return counter >= start + at_least; });
  };
  EXPECT_TRUE(count_until(ok, 50));
  // The window counted as "down" is exact: from after the kill to before the restart
  // (a request that Redis answered just before the kill, or just after it came back, is
  // a true success).
  redis.stop();
  redis_down = true;
  EXPECT_TRUE(count_until(unavailable, 20)) << "503s while Redis is down";
  HttpClient probe(server->port());
  EXPECT_EQ(probe.request("GET", "/readyz").status, 503u);
  EXPECT_EQ(probe.request("GET", "/healthz").status, 200u) << "liveness is not readiness";
  redis_down = false;
  redis.restart();
  EXPECT_TRUE(count_until(ok, 50)) << "recovered by itself";
  EXPECT_TRUE(eventually([&] { return probe.request("GET", "/readyz").status == 200; }));
  running = false;
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok_while_down.load(), 0) << "no success Redis did not acknowledge";
  EXPECT_EQ(other.load(), 0);
  EXPECT_TRUE(server->running()) << "no crash";
  // The operator sees it: store errors, and the reconnection.
  const std::string m = probe.request("GET", "/metrics").body;
  EXPECT_GE(metric(m, "presenced_store_errors_total"), unavailable.load()) << m;
  EXPECT_GE(metric(m, "presenced_store_reconnects_total"), 1) << m;
  // What was acknowledged after the restart is there.
  RedisClient after(redis.port());
  EXPECT_GT(after.integer({"HLEN", "tenant_1_record_presence:flow:7"}), 0);
}

// --store-wait-replicas on a Redis with no replica: no write is acknowledged (503 within
// the timeout, in the envelope), reads go on.
TEST_F(RedisStoreTest, WaitingForReplicasThatAreNotThereFailsWritesNotReads) {
  auto server = node({"--store-wait-replicas", "1", "--store-timeout", "0.3"});
  HttpClient c(server->port());
  const auto started = std::chrono::steady_clock::now();
  auto r = c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "Alice"));
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(r.json().at("success").as_bool(), false);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500)) << "bounded by --store-timeout";
  // Again, now a renewal of what the master has: still not acknowledged.
  EXPECT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "Alice")).status, 503u);
  EXPECT_EQ(c.request("GET", "/api/v1/presence/flow/42/viewers", "", token_for("2", "Bob")).status, 200u);
  EXPECT_TRUE(server->running());
}

// A key read back from Redis is untrusted: the host app, or anyone with access to a shared
// Redis, may write one that matches our pattern but is no key of ours (here, an id of 300
// characters). Removing a user skips it, with webhooks on (whose marker is built from
// each key found) as without; the process lives and the real record is cleaned.
TEST_F(RedisStoreTest, RemovingAUserSkipsKeysThatAreNotOurs) {
  WebhookReceiver receiver;
  const std::string server_key = "server-key-for-tests-0123456789";
  auto server = node({"--server-key", server_key, "--webhook-url", receiver.url(), "--webhook-secret",
                      "webhook-secret-for-tests-0123"});
  HttpClient c(server->port());
  const std::string entry = R"({"user_id":5,"user_name":"A","mode":"view","dirty":false,"last_seen_at":")" +
                            iso_utc(std::time(nullptr)) + R"("})";
  for (std::size_t length : {236u, 300u, 4000u}) {
    raw.command({"HSET", "tenant_1_record_presence:" + std::string(length, 'x'), "t", entry});
  }
  raw.command({"HSET", "tenant_1_record_presence:flow:" + std::string(65, '9'), "t", entry});  // a segment too long
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("mine"), token_for("5", "A")).status, 200u);

  auto r = c.request("DELETE", "/api/v1/server/presence/users/1/5", "", server_key);
  ASSERT_EQ(r.status, 200u) << r.body << server->output();
  EXPECT_EQ(r.body, R"({"success":true,"data":{"removed":1}})") << "only the record of ours";
  EXPECT_TRUE(server->running());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
  EXPECT_EQ(raw.integer({"EXISTS", "tenant_1_record_presence:" + std::string(300, 'x')}), 1) << "left alone";
  EXPECT_EQ(raw.integer({"EXISTS", "tenant_1_record_presence:flow:42"}), 0);
}

// redis://host:port/N: every connection (scripts, the subscriber, the expiry events) uses
// database N, so that databases keep presence worlds apart.
TEST_F(RedisStoreTest, EveryConnectionUsesTheDatabaseOfTheUrl) {
  WebhookReceiver receiver;
  std::vector<std::string> args{"--store", redis.url() + "/3", "--rate-limit", "0", "--presence-ttl", "1",
                                "--webhook-url", receiver.url(), "--webhook-secret", "webhook-secret-for-tests-0123"};
  ServerProcess server(args);
  HttpClient c(server.port());
  ASSERT_TRUE(eventually([&] { return c.request("GET", "/readyz").status == 200; })) << server.output();
  ASSERT_EQ(c.request("POST", "/api/v1/presence/flow/42/heartbeat", tab("t1"), token_for("1", "Alice")).status, 200u);

  RedisClient db3(redis.port());
  ASSERT_EQ(db3.string({"SELECT", "3"}), "OK");
  EXPECT_EQ(db3.integer({"HEXISTS", kKey, "t1"}), 1) << "written in database 3";
  EXPECT_EQ(raw.integer({"EXISTS", kKey}), 0) << "not in database 0";
  // A node on database 0 sees none of it.
  auto other = node();
  HttpClient o(other->port());
  EXPECT_EQ(viewers(o, token_for("2", "Bob")).size(), 0u);
  // The expiry is heard on database 3's event channel: the vacancy is told.
  ASSERT_TRUE(receiver.wait_for(2)) << server.output();
  EXPECT_EQ(receiver.received()[1].json().at("event").as_string(), "record.vacated");
}

TEST(RedisStoreConfig, ABadRedisUrlIsAOneLineFailure) {
  auto r = run_binary({"--jwt-secret", kSecret, "--store", "redis://host:notaport"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--store"), std::string::npos) << r.output;
}

TEST(RedisStoreConfig, AnUnreachableRedisMeansNotReadyButAlive) {
  std::uint16_t port;
  {
    RedisServer gone;
    port = gone.port();
  }  // nothing listens there now
  ServerProcess server({"--store", "redis://127.0.0.1:" + std::to_string(port), "--store-timeout", "0.2"});
  HttpClient c(server.port());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
  EXPECT_EQ(c.request("GET", "/readyz").status, 503u);
  auto r = c.request("POST", "/api/v1/presence/flow/1/heartbeat",
                     R"({"tab_id":"t","mode":"view","dirty":false})", token_for("1", "A"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.json().at("success").as_bool(), false);
}

}  // namespace
}  // namespace presenced::testing
