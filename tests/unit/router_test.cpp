#include "http/router.hpp"

#include <gtest/gtest.h>

using namespace presenced::http;

TEST(Router, PresenceRoutesAndTheirMethods) {
  auto hb = match_route(Method::post, "/api/v1/presence/flow/42/heartbeat", false);
  EXPECT_EQ(hb.route, Route::heartbeat);
  EXPECT_TRUE(hb.method_allowed);
  EXPECT_EQ(hb.record_type, "flow");
  EXPECT_EQ(hb.record_id, "42");

  auto get_hb = match_route(Method::get, "/api/v1/presence/flow/42/heartbeat", false);
  EXPECT_EQ(get_hb.route, Route::heartbeat);
  EXPECT_FALSE(get_hb.method_allowed);
  EXPECT_EQ(get_hb.allow, "POST");

  EXPECT_TRUE(match_route(Method::get, "/api/v1/presence/form/a-b_C/viewers?x=1", false).method_allowed);
  EXPECT_TRUE(match_route(Method::del, "/api/v1/presence/flow/42/unregister", false).method_allowed);
  EXPECT_TRUE(match_route(Method::post, "/api/v1/presence/flow/42/unregister", false).method_allowed);
  EXPECT_EQ(match_route(Method::put, "/api/v1/presence/flow/42/unregister", false).allow, "DELETE, POST");
}

TEST(Router, UnsafeOrUnknownPathsAreNotFound) {
  for (const char* path : {"/", "/api/v1/presence/flow/42", "/api/v1/presence/flow/42/heartbeat/x",
                           "/api/v1/presence/flow//heartbeat", "/api/v1/presence/fl:ow/42/heartbeat",
                           "/api/v1/presence/flow/4%202/heartbeat", "/api/v1/presence/flow/4.2/heartbeat",
                           "/api/v1/presence/../42/heartbeat", "/api/v1/presence/flow/42/other",
                           "/healthz/", "/api/v1/dev/token"}) {
    EXPECT_EQ(match_route(Method::post, path, false).route, Route::not_found) << path;
  }
  std::string long_id = "/api/v1/presence/flow/" + std::string(65, '1') + "/heartbeat";
  EXPECT_EQ(match_route(Method::post, long_id, false).route, Route::not_found);
}

TEST(Router, DevRoutesExistOnlyInDevMode) {
  EXPECT_EQ(match_route(Method::post, "/api/v1/dev/token", true).route, Route::dev_token);
  EXPECT_EQ(match_route(Method::post, "/api/v1/dev/token", false).route, Route::not_found);
}

TEST(Router, ServerRoutesExistOnlyWithAServerKey) {
  EXPECT_EQ(match_route(Method::post, "/api/v1/server/presence/query", false, true).route, Route::server_query);
  EXPECT_EQ(match_route(Method::post, "/api/v1/server/presence/query", false, false).route, Route::not_found);
  EXPECT_EQ(match_route(Method::post, "/api/v1/server/presence/query", true).route, Route::not_found);
  EXPECT_FALSE(match_route(Method::get, "/api/v1/server/presence/query", false, true).method_allowed);
}

TEST(Router, ThePusherEndpointOnlyWithPusherAppsAndAKeyThatIsASegment) {
  const RouteMatch m = match_route(Method::get, "/app/my-key?protocol=7&client=js", false, false, true);
  EXPECT_EQ(m.route, Route::pusher_websocket);
  EXPECT_EQ(m.app_key, "my-key");
  EXPECT_TRUE(m.method_allowed);
  EXPECT_FALSE(match_route(Method::post, "/app/my-key", false, false, true).method_allowed);
  EXPECT_EQ(match_route(Method::get, "/app/my-key", true, true, false).route, Route::not_found);
  for (const char* bad : {"/app/", "/app/a/b", "/app/a.b", "/app/%41"}) {
    EXPECT_EQ(match_route(Method::get, bad, false, false, true).route, Route::not_found) << bad;
  }
}

TEST(Router, ThePusherHttpApiIsMountedUnderAppsOnlyWithPusherApps) {
  const RouteMatch m = match_route(Method::post, "/apps/1/events?auth_key=k", false, false, true);
  EXPECT_EQ(m.route, Route::pusher_api);
  EXPECT_EQ(m.path, "/apps/1/events");
  EXPECT_EQ(m.query, "auth_key=k");
  EXPECT_TRUE(m.method_allowed);
  EXPECT_TRUE(match_route(Method::get, "/apps/1/channels", false, false, true).method_allowed);
  EXPECT_FALSE(match_route(Method::del, "/apps/1/channels", false, false, true).method_allowed);
  EXPECT_EQ(match_route(Method::post, "/apps/1/events", true, true, false).route, Route::not_found);
}
