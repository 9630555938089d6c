// The apps file (--pusher-apps-file) and the allowed origins it sets, as Reverb's
// allowed_origins reads them.
#include "pusher/apps.hpp"
#include "pusher/apps_file.hpp"

#include <gtest/gtest.h>

using namespace presenced::pusher;

namespace {

App with_origins(std::vector<std::string> origins) {
  App app("1", "k", "secret-0");
  app.allowed_origins = std::move(origins);
  return app;
}

}  // namespace

TEST(PusherAppsFile, ReadsEveryAppWithItsOriginsAndLimit) {
  std::vector<App> apps;
  std::string error;
  ASSERT_TRUE(parse_apps_file(R"({"apps":[
      {"id":"1001","key":"app-key","secret":"app-secret-1","allowed_origins":["app.example.com","*.example.org"],
       "max_connections":2},
      {"id":"1002","key":"other","secret":"other-secret"}]})",
                              apps, error))
      << error;
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].id, "1001");
  EXPECT_EQ(apps[0].key, "app-key");
  EXPECT_EQ(apps[0].secret, "app-secret-1");
  EXPECT_EQ(apps[0].allowed_origins, (std::vector<std::string>{"app.example.com", "*.example.org"}));
  EXPECT_EQ(apps[0].max_connections, 2u);
  EXPECT_TRUE(apps[1].allowed_origins.empty());
  EXPECT_EQ(apps[1].max_connections, 0u);
  EXPECT_NE(apps[0].connections, apps[1].connections);  // each app counts its own
}

TEST(PusherAppsFile, RefusesWhatItCannotReadSayingWhereAndNeverTheSecret) {
  const std::string app = R"("id":"1","key":"k","secret":"secret-long")";
  for (const std::string& bad : std::vector<std::string>{
           "", "[]", "{}", R"({"apps":{}})", R"({"apps":[],"extra":1})", R"({"apps":[1]})",
           R"({"apps":[{"key":"k","secret":"secret-long"}]})",           // no id
           R"({"apps":[{"id":"1","key":"k"}]})",                         // no secret
           R"({"apps":[{"id":"1/2","key":"k","secret":"secret-long"}]})",  // not a path segment
           R"({"apps":[{"id":"1","key":"k","secret":"short"}]})",
           R"({"apps":[{"id":1,"key":"k","secret":"secret-long"}]})",
           "{\"apps\":[{" + app + ",\"max_conections\":5}]}",  // misspelt: a limit not applied
           "{\"apps\":[{" + app + ",\"max_connections\":-1}]}",
           "{\"apps\":[{" + app + ",\"max_connections\":1.5}]}",
           "{\"apps\":[{" + app + ",\"max_connections\":\"5\"}]}",
           "{\"apps\":[{" + app + ",\"max_connections\":99999999999999999999}]}",
           "{\"apps\":[{" + app + ",\"allowed_origins\":\"*\"}]}",
           "{\"apps\":[{" + app + ",\"allowed_origins\":[\"a b\"]}]}",
           "{\"apps\":[{" + app + ",\"allowed_origins\":[\"\"]}]}",
           "{\"apps\":[{" + app + ",\"allowed_origins\":[7]}]}",
           "{\"apps\":[{" + app + "}"}) {
    std::vector<App> apps;
    std::string error;
    EXPECT_FALSE(parse_apps_file(bad, apps, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
    EXPECT_TRUE(apps.empty()) << bad;
    EXPECT_EQ(error.find("secret-long"), std::string::npos) << error;
  }
  std::vector<App> apps;
  std::string error;
  EXPECT_FALSE(parse_apps_file(R"({"apps":[{"id":"1","key":"k","secret":"secret-long"},{"id":"2"}]})", apps, error));
  EXPECT_NE(error.find("apps[1]"), std::string::npos) << error;
  EXPECT_FALSE(parse_apps_file(std::string(kMaxAppsFileBytes + 1, ' '), apps, error));
}

TEST(PusherOrigins, AnEmptyListOrAStarLetsEveryPageIn) {
  for (const App& app : {with_origins({}), with_origins({"other.example", "*"})}) {
    EXPECT_TRUE(origin_allowed(app, "https://app.example.com"));
    EXPECT_TRUE(origin_allowed(app, ""));
  }
}

TEST(PusherOrigins, AHostMatchesTheOriginsHostOnAnySchemeAndPort) {
  const App app = with_origins({"app.example.com"});
  EXPECT_TRUE(origin_allowed(app, "https://app.example.com"));
  EXPECT_TRUE(origin_allowed(app, "http://app.example.com:8080"));
  EXPECT_TRUE(origin_allowed(app, "https://APP.example.com"));
  EXPECT_FALSE(origin_allowed(app, "https://app.example.com.evil.test"));
  EXPECT_FALSE(origin_allowed(app, "https://evil-app.example.com"));
  EXPECT_FALSE(origin_allowed(app, "https://example.com"));
  EXPECT_FALSE(origin_allowed(app, "app.example.com"));  // not an origin: no host
  EXPECT_FALSE(origin_allowed(app, "null"));             // a sandboxed page
  EXPECT_FALSE(origin_allowed(app, ""));                 // not a browser
}

TEST(PusherOrigins, AStarDotBeginsAnySubdomainButNotTheDomain) {
  const App app = with_origins({"*.example.com"});
  EXPECT_TRUE(origin_allowed(app, "https://a.example.com"));
  EXPECT_TRUE(origin_allowed(app, "https://a.b.example.com:443"));
  EXPECT_FALSE(origin_allowed(app, "https://example.com"));
  EXPECT_FALSE(origin_allowed(app, "https://badexample.com"));
}

TEST(PusherOrigins, AWholeOriginIsComparedExactly) {
  const App app = with_origins({"https://app.example.com", "http://[::1]:8080"});
  EXPECT_TRUE(origin_allowed(app, "https://app.example.com"));
  EXPECT_FALSE(origin_allowed(app, "http://app.example.com"));
  EXPECT_FALSE(origin_allowed(app, "https://app.example.com:8443"));
  EXPECT_TRUE(origin_allowed(app, "http://[::1]:8080"));
  EXPECT_FALSE(origin_allowed(app, "http://[::1]:8081"));
  const App by_host = with_origins({"[::1]"});
  EXPECT_TRUE(origin_allowed(by_host, "http://[::1]:8081"));
}
