// The Pusher endpoint's channels across two nodes on one Redis and on Redis Cluster, where
// each channel's messages travel in its own slot: an event triggered on one node reaches
// the subscribers on the other, for channels spread over every master. (The npm clients'
// own test of the same, on one Redis, is tests/pusher/nodes.test.mjs.)

#include "auth/pusher_api_signature.hpp"
#include "auth/pusher_signature.hpp"
#include "integration/fixture.hpp"
#include "support/redis_server.hpp"
#include "support/ws_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <chrono>
#include <memory>
#include <optional>
#include <tuple>
#include <string>

namespace presenced::testing {
namespace {

constexpr const char* kApp = "1001:test-key:test-secret-0123";

std::vector<std::string> server_args(const Backend& backend) {
  auto args = store_args(backend);
  args.insert(args.end(), {"--rate-limit", "0", "--pusher-app", kApp});
  return args;
}

bool is_event(const boost::json::value& m, std::string_view event, std::string_view channel = {}) {
  const auto* o = m.if_object();
  if (!o || !o->contains("event") || o->at("event") != event.data()) return false;
  return channel.empty() || (o->contains("channel") && o->at("channel") == channel.data());
}

// POST /apps/1001/events, signed as the pusher SDK signs it.
HttpResponse trigger(HttpClient& http, const std::string& channel, const std::string& data) {
  const std::string path = "/apps/1001/events";
  const std::string body = R"({"name":"Shipped","channels":[")" + channel + R"("],"data":")" + data + R"("})";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string query =
      auth::sign_pusher_api_request("POST", path, "", body, "test-key", "test-secret-0123", now);
  return http.request("POST", path + "?" + query, body, "", {{"Content-Type", "application/json"}});
}

class PusherNodes : public ::testing::TestWithParam<Backend> {};

TEST_P(PusherNodes, AnEventTriggeredOnOneNodeReachesTheOthersSubscribersOnEveryChannel) {
  ServerProcess a(server_args(GetParam())), b(server_args(GetParam()));
  HttpClient http_a(a.port()), http_b(b.port());
  ASSERT_TRUE(eventually([&] { return http_a.request("GET", "/readyz").status == 200; }));
  ASSERT_TRUE(eventually([&] { return http_b.request("GET", "/readyz").status == 200; }));
  WsClient ws(b.port(), WsClient::Target{"/app/test-key?protocol=7&client=js&version=8.4.0"});
  ASSERT_EQ(ws.handshake_status(), 101u);
  ASSERT_TRUE(ws.wait_for([](const auto& m) { return is_event(m, "pusher:connection_established"); }));
  // Sixteen names: on a cluster of three masters, every master holds some of their slots.
  constexpr int kChannels = 16;
  for (int i = 0; i < kChannels; ++i) {
    const std::string channel = "orders-" + std::to_string(i);
    ws.send(R"({"event":"pusher:subscribe","data":{"channel":")" + channel + R"("}})");
    ASSERT_TRUE(ws.wait_for([&](const auto& m) { return is_event(m, "pusher_internal:subscription_succeeded", channel); }))
        << channel;
  }
  for (int i = 0; i < kChannels; ++i) {
    const std::string channel = "orders-" + std::to_string(i);
    const auto r = trigger(http_a, channel, std::to_string(i));
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto m = ws.wait_for([&](const auto& m) { return is_event(m, "Shipped", channel); });
    ASSERT_TRUE(m) << channel;
    EXPECT_EQ(m->at("data"), std::to_string(i).c_str());
  }
}

// A socket on the other node that unsubscribed gets nothing more, and the channel's
// subscribers on the node that triggers still get everything.
TEST_P(PusherNodes, AnUnsubscribedSocketOnTheOtherNodeGetsNothingAndTheOthersStillDo) {
  ServerProcess a(server_args(GetParam())), b(server_args(GetParam()));
  HttpClient http_a(a.port());
  ASSERT_TRUE(eventually([&] { return http_a.request("GET", "/readyz").status == 200; }));
  const WsClient::Target target{"/app/test-key?protocol=7&client=js&version=8.4.0"};
  WsClient here(a.port(), target), there(b.port(), target);
  for (WsClient* ws : {&here, &there}) {
    ASSERT_TRUE(ws->wait_for([](const auto& m) { return is_event(m, "pusher:connection_established"); }));
    ws->send(R"({"event":"pusher:subscribe","data":{"channel":"news"}})");
    ASSERT_TRUE(ws->wait_for([](const auto& m) { return is_event(m, "pusher_internal:subscription_succeeded", "news"); }));
  }
  there.send(R"({"event":"pusher:unsubscribe","data":{"channel":"news"}})");
  ASSERT_TRUE(eventually([&] {
    // The unsubscribe is not answered (Pusher's protocol): until b has read it, one may come.
    return trigger(http_a, "news", "x").status == 200 && !there.wait_for([](const auto& m) {
      return is_event(m, "Shipped");
    }, std::chrono::milliseconds(300));
  }));
  EXPECT_EQ(trigger(http_a, "news", "last").status, 200u);
  EXPECT_TRUE(here.wait_for([](const auto& m) { return is_event(m, "Shipped", "news") && m.at("data") == "last"; }));
}

// The socket id a connection was given.
std::string socket_id_of(WsClient& ws) {
  const auto m = ws.wait_for([](const auto& m) { return is_event(m, "pusher:connection_established"); });
  if (!m) return {};
  return std::string(boost::json::parse(m->at("data").as_string()).at("socket_id").as_string());
}

void join(WsClient& ws, const std::string& socket_id, const std::string& channel, int user) {
  const std::string data = R"({"user_id":)" + std::to_string(user) + R"(,"user_info":{"name":"U)" +
                           std::to_string(user) + R"("}})";
  const std::string auth = "test-key:" + auth::pusher_channel_signature("test-secret-0123", socket_id, channel, data);
  boost::json::object inner;
  inner["channel"] = channel;
  inner["auth"] = auth;
  inner["channel_data"] = data;
  boost::json::object frame;
  frame["event"] = "pusher:subscribe";
  frame["data"] = std::move(inner);
  ws.send(boost::json::serialize(frame));
}

// The subscription's success; nothing (with the refusal, when it was one, as a failure).
std::optional<boost::json::value> answer_to_subscribe(WsClient& ws, const std::string& channel) {
  auto m = ws.wait_for([&](const auto& m) {
    return is_event(m, "pusher_internal:subscription_succeeded", channel) ||
           is_event(m, "pusher:subscription_error", channel) || is_event(m, "pusher:error");
  });
  if (m && !is_event(*m, "pusher_internal:subscription_succeeded")) {
    ADD_FAILURE() << "refused: " << boost::json::serialize(*m);
    return std::nullopt;
  }
  return m;
}

std::vector<std::string> member_ids(const boost::json::value& succeeded) {
  std::vector<std::string> ids;
  if (!succeeded.at("data").is_string()) {
    ADD_FAILURE() << boost::json::serialize(succeeded);
    return ids;
  }
  const boost::json::value data = boost::json::parse(succeeded.at("data").as_string());  // kept: the loop reads into it
  for (const auto& id : data.at("presence").at("ids").as_array()) {
    ids.emplace_back(id.as_string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Presence channels are records: members on both nodes, on records whose keys lie in every
// master's slots, each told of the other's arrival and, after the grace, departure.
TEST_P(PusherNodes, PresenceMembersOnTwoNodesSeeEachOtherComeAndGo) {
  auto args = server_args(GetParam());
  args.insert(args.end(), {"--leave-grace", "0.2"});
  ServerProcess a(args), b(args);
  HttpClient http_a(a.port()), http_b(b.port());
  ASSERT_TRUE(eventually([&] { return http_a.request("GET", "/readyz").status == 200; }));
  ASSERT_TRUE(eventually([&] { return http_b.request("GET", "/readyz").status == 200; }));
  const WsClient::Target target{"/app/test-key?protocol=7&client=js&version=8.4.0"};
  WsClient first(a.port(), target);
  const std::string first_id = socket_id_of(first);
  ASSERT_FALSE(first_id.empty());
  constexpr int kRecords = 6;
  const auto channel = [](int i) { return "presence-tenant.t1.flow." + std::to_string(100 + i); };
  for (int i = 0; i < kRecords; ++i) {
    join(first, first_id, channel(i), 1);
    const auto ok = answer_to_subscribe(first, channel(i));
    ASSERT_TRUE(ok) << channel(i);
    EXPECT_EQ(member_ids(*ok), std::vector<std::string>{"1"});
  }
  {
    WsClient second(b.port(), target);
    const std::string second_id = socket_id_of(second);
    for (int i = 0; i < kRecords; ++i) {
      join(second, second_id, channel(i), 2);
      const auto ok = answer_to_subscribe(second, channel(i));
      ASSERT_TRUE(ok) << channel(i);
      EXPECT_EQ(member_ids(*ok), (std::vector<std::string>{"1", "2"})) << channel(i);
      const auto added = first.wait_for([&](const auto& m) { return is_event(m, "pusher_internal:member_added", channel(i)); });
      ASSERT_TRUE(added) << channel(i);
      EXPECT_EQ(boost::json::parse(added->at("data").as_string()),
                boost::json::parse(R"({"user_id":"2","user_info":{"name":"U2"}})"));
    }
  }  // the second socket closes
  // Each record's removal once, in whatever order the records' reads end.
  std::set<std::string> removed;
  while (removed.size() < kRecords) {
    const auto m = first.wait_for([](const auto& m) { return is_event(m, "pusher_internal:member_removed"); });
    ASSERT_TRUE(m) << removed.size() << " records told";
    EXPECT_EQ(boost::json::parse(m->at("data").as_string()), boost::json::parse(R"({"user_id":"2"})"));
    EXPECT_TRUE(removed.insert(std::string(m->at("channel").as_string())).second) << "told twice";
  }
}

// GET /apps/1001/{what}?{params}, signed; the JSON body ("null" when it is not JSON).
std::pair<unsigned, boost::json::value> get(HttpClient& http, const std::string& what, const std::string& params = "") {
  const std::string path = "/apps/1001/" + what;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const auto r = http.request("GET", path + "?" + auth::sign_pusher_api_request("GET", path, params, "", "test-key",
                                                                               "test-secret-0123", now));
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(r.body, ec);
  return {r.status, ec ? boost::json::value() : body};
}

void subscribe(WsClient& ws, const std::string& channel) {
  ws.send(R"({"event":"pusher:subscribe","data":{"channel":")" + channel + R"("}})");
  ASSERT_TRUE(ws.wait_for([&](const auto& m) { return is_event(m, "pusher_internal:subscription_succeeded", channel); }))
      << channel;
}

// GET /channels and /channels/{name} count the sockets of every node (a census asked of
// each node through the store), whichever node is asked, and forget a socket once gone.
TEST_P(PusherNodes, TheChannelListAndChannelInfoCountEveryNodesSubscriptions) {
  ServerProcess a(server_args(GetParam())), b(server_args(GetParam()));
  HttpClient http_a(a.port()), http_b(b.port());
  ASSERT_TRUE(eventually([&] { return http_a.request("GET", "/readyz").status == 200; }));
  ASSERT_TRUE(eventually([&] { return http_b.request("GET", "/readyz").status == 200; }));
  const WsClient::Target target{"/app/test-key?protocol=7&client=js&version=8.4.0"};
  WsClient on_a(a.port(), target), on_b(b.port(), target);
  auto later_b = std::make_unique<WsClient>(b.port(), target);
  for (WsClient* ws : {&on_a, &on_b, later_b.get()}) ASSERT_FALSE(socket_id_of(*ws).empty());
  for (const char* c : {"orders-0", "orders-1", "orders-2", "news"}) subscribe(on_a, c);
  for (const char* c : {"orders-0", "orders-1"}) subscribe(on_b, c);
  subscribe(*later_b, "orders-0");

  const auto listed = [](const boost::json::value& body) { return boost::json::serialize(body.at("channels")); };
  const boost::json::value all = boost::json::parse(
      R"({"news":{"subscription_count":1},"orders-0":{"subscription_count":3},)"
      R"("orders-1":{"subscription_count":2},"orders-2":{"subscription_count":1}})");
  // A node's subscription is counted once the census channel is heard there: soon after start.
  ASSERT_TRUE(eventually([&] {
    const auto [status, body] = get(http_a, "channels", "info=subscription_count");
    return status == 200 && body.at("channels") == all;
  })) << listed(get(http_a, "channels", "info=subscription_count").second);
  for (HttpClient* http : {&http_a, &http_b}) {
    auto [status, body] = get(*http, "channels", "filter_by_prefix=orders-&info=subscription_count");
    ASSERT_EQ(status, 200u);
    EXPECT_EQ(body.at("channels"), boost::json::parse(R"({"orders-0":{"subscription_count":3},)"
                                                      R"("orders-1":{"subscription_count":2},)"
                                                      R"("orders-2":{"subscription_count":1}})"));
    std::tie(status, body) = get(*http, "channels", "filter_by_prefix=orders-1");
    EXPECT_EQ(body.at("channels"), boost::json::parse(R"({"orders-1":{}})"));
    std::tie(status, body) = get(*http, "channels/orders-0", "info=subscription_count");
    ASSERT_EQ(status, 200u);
    EXPECT_EQ(body, boost::json::parse(R"({"occupied":true,"subscription_count":3})"));
    std::tie(status, body) = get(*http, "channels/orders-9");
    EXPECT_EQ(body, boost::json::parse(R"({"occupied":false})"));
  }
  later_b.reset();  // its subscriptions end with it, on b
  EXPECT_TRUE(eventually([&] {
    return get(http_a, "channels/orders-0", "info=subscription_count").second ==
           boost::json::parse(R"({"occupied":true,"subscription_count":2})");
  }));
  on_a.send(R"({"event":"pusher:unsubscribe","data":{"channel":"news"}})");
  EXPECT_TRUE(eventually([&] { return get(http_b, "channels/news").second == boost::json::parse(R"({"occupied":false})"); }));
}

INSTANTIATE_TEST_SUITE_P(Redis, PusherNodes, ::testing::Values(Backend{"redis"}, Backend{"redis_cluster"}), backend_name);

// A listener on the census channel that is not a node (anyone may subscribe on a shared
// Redis) is counted by PUBLISH and never answers: the census fails at its deadline with a
// 503, rather than answer short, and succeeds again once it is gone.
TEST(PusherCensus, AListenerThatNeverAnswersMakesTheCensusA503AtItsDeadline) {
  auto args = server_args(Backend{"redis"});
  args.insert(args.end(), {"--store-timeout", "0.3"});
  ServerProcess a(args);
  HttpClient http(a.port());
  ASSERT_TRUE(eventually([&] { return http.request("GET", "/readyz").status == 200; }));
  ASSERT_TRUE(eventually([&] { return get(http, "channels").first == 200; }));
  auto stranger = std::make_unique<RedisClient>(RedisServer::shared().port());
  ASSERT_TRUE(stranger->command({"SUBSCRIBE", "presenced_named:{#census}"}));
  const auto started = std::chrono::steady_clock::now();
  const auto [status, body] = get(http, "channels");
  EXPECT_EQ(status, 503u);
  EXPECT_NE(body.at("error").as_string().find("Not every node answered"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));  // 2 x the store timeout
  EXPECT_EQ(get(http, "channels/news").first, 503u);
  stranger.reset();
  EXPECT_TRUE(eventually([&] { return get(http, "channels").first == 200; }));
  EXPECT_EQ(http.request("GET", "/healthz").status, 200u);  // and it served everyone meanwhile
}

}  // namespace
}  // namespace presenced::testing
