// The Pusher HTTP API's pieces that need no socket: request signatures and trigger bodies.
// (The same signatures made by the `pusher` SDK are checked in tests/pusher/.)
#include "auth/hmac.hpp"
#include "auth/pusher_api_signature.hpp"
#include "pusher/api_body.hpp"

#include <gtest/gtest.h>

using namespace presenced;
using auth::ApiSignatureError;

namespace {
constexpr std::string_view kKey = "app-key", kSecret = "app-secret-1";
constexpr std::int64_t kNow = 1'800'000'000;

ApiSignatureError check(std::string_view method, std::string_view path, std::string_view query, std::string_view body,
                        std::int64_t now = kNow) {
  std::string message;
  const auto e = auth::check_pusher_api_signature({.method = method, .path = path, .query = query, .body = body}, kKey,
                                                  kSecret, now, message);
  EXPECT_EQ(e == ApiSignatureError::none, message.empty()) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos);
  return e;
}
}  // namespace

TEST(PusherApiSignature, AQueryParameterIsReadDecodedAndByLowerCaseKey) {
  EXPECT_EQ(auth::pusher_query_parameter("auth_key=k&info=user_count%2Csubscription_count", "info"),
            "user_count,subscription_count");
  EXPECT_EQ(auth::pusher_query_parameter("INFO=a+b", "info"), "a b");
  EXPECT_FALSE(auth::pusher_query_parameter("auth_key=k", "info"));
  EXPECT_FALSE(auth::pusher_query_parameter("info=%zz", "info"));  // unreadable: none
}

TEST(PusherApiSignature, Md5IsTheKnownDigest) {
  EXPECT_EQ(auth::md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(auth::md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(PusherApiSignature, PushersDocumentedExampleIsAccepted) {
  // The worked example of Pusher's HTTP API reference (key 278d425bdf160c739803, secret
  // 7ad3773142a6692b25b8, timestamp 1353088179).
  const std::string body = R"({"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"})";
  ASSERT_EQ(auth::md5_hex(body), "ec365a775a4cd0599faeb73354201b6f");
  const std::string query =
      "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5="
      "ec365a775a4cd0599faeb73354201b6f&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c";
  std::string message;
  EXPECT_EQ(auth::check_pusher_api_signature({.method = "POST", .path = "/apps/3/events", .query = query, .body = body},
                                             "278d425bdf160c739803", "7ad3773142a6692b25b8", 1353088179 + 30, message),
            ApiSignatureError::none)
      << message;
}

TEST(PusherApiSignature, WhatTheSignerMakesIsAcceptedWhateverTheOrderOfParameters) {
  const std::string body = R"({"name":"e","channel":"c","data":"x"})";
  const std::string q = auth::sign_pusher_api_request("POST", "/apps/1/events", "", body, kKey, kSecret, kNow);
  EXPECT_EQ(check("POST", "/apps/1/events", q, body), ApiSignatureError::none);
  const std::string g = auth::sign_pusher_api_request("GET", "/apps/1/channels",
                                                      "info=user_count&filter_by_prefix=presence-", "", kKey, kSecret, kNow);
  EXPECT_EQ(check("GET", "/apps/1/channels", g, ""), ApiSignatureError::none);
  // Upper-case keys are lower-cased before signing (Pusher's rule).
  const std::string upper = "AUTH_KEY=app-key" + g.substr(g.find('&'));
  EXPECT_EQ(check("GET", "/apps/1/channels", upper, ""), ApiSignatureError::none);
}

TEST(PusherApiSignature, EachPartIsCheckedAndNamed) {
  const std::string body = R"({"name":"e","channel":"c","data":"x"})";
  const std::string q = auth::sign_pusher_api_request("POST", "/apps/1/events", "", body, kKey, kSecret, kNow);
  EXPECT_EQ(check("POST", "/apps/1/events", q, body + " "), ApiSignatureError::body_md5);     // body changed
  EXPECT_EQ(check("POST", "/apps/2/events", q, body), ApiSignatureError::bad_signature);      // another path
  EXPECT_EQ(check("GET", "/apps/1/events", q, body), ApiSignatureError::bad_signature);       // another method
  EXPECT_EQ(check("POST", "/apps/1/events", q, body, kNow + 601), ApiSignatureError::expired);
  EXPECT_EQ(check("POST", "/apps/1/events", q, body, kNow - 601), ApiSignatureError::expired);
  EXPECT_EQ(check("POST", "/apps/1/events", q, body, kNow + 600), ApiSignatureError::none);
  EXPECT_EQ(check("POST", "/apps/1/events", q + "&extra=1", body), ApiSignatureError::bad_signature);
  EXPECT_EQ(check("POST", "/apps/1/events", q + "&auth_key=x", body), ApiSignatureError::malformed);  // twice
  EXPECT_EQ(check("POST", "/apps/1/events", "", body), ApiSignatureError::missing);
  EXPECT_EQ(check("POST", "/apps/1/events", "%zz=1", body), ApiSignatureError::malformed);

  std::string other_key = q;
  other_key.replace(other_key.find("app-key"), 7, "app-kez");
  EXPECT_EQ(check("POST", "/apps/1/events", other_key, body), ApiSignatureError::unknown_key);

  // A body needs its digest; a signature made under another secret is refused.
  const std::string no_md5 = auth::sign_pusher_api_request("POST", "/apps/1/events", "", "", kKey, kSecret, kNow);
  EXPECT_EQ(check("POST", "/apps/1/events", no_md5, body), ApiSignatureError::body_md5);
  const std::string forged = auth::sign_pusher_api_request("POST", "/apps/1/events", "", body, kKey, "other-secret", kNow);
  EXPECT_EQ(check("POST", "/apps/1/events", forged, body), ApiSignatureError::bad_signature);
  std::string bad_ts = q;
  bad_ts.replace(bad_ts.find("1800000000"), 10, "18000000x0");
  EXPECT_EQ(check("POST", "/apps/1/events", bad_ts, body), ApiSignatureError::expired);
}

TEST(PusherApiBody, ReadsATriggerToOneOrManyChannels) {
  pusher::ApiEvent e;
  std::string error;
  ASSERT_EQ(pusher::read_events_body(R"({"name":"App\\Events\\Saved","data":"{\"v\":2}","channels":["a","private-b"],"socket_id":"12.34"})",
                                     10240, e, error),
            pusher::ApiBodyStatus::ok)
      << error;
  EXPECT_EQ(e.name, "App\\Events\\Saved");
  EXPECT_EQ(e.data, R"({"v":2})");
  EXPECT_EQ(e.channels, (std::vector<std::string>{"a", "private-b"}));
  EXPECT_EQ(e.socket_id, "12.34");
  ASSERT_EQ(pusher::read_events_body(R"({"name":"n","data":"","channel":"c"})", 10240, e, error),
            pusher::ApiBodyStatus::ok);
  EXPECT_EQ(e.channels, std::vector<std::string>{"c"});
  EXPECT_TRUE(e.socket_id.empty());
}

TEST(PusherApiBody, RefusesWhatPusherRefusesSayingWhy) {
  pusher::ApiEvent e;
  const std::string big(10241, 'x');
  const std::string too_many = [] {
    std::string s = R"({"name":"n","data":"d","channels":[)";
    for (int i = 0; i < 101; ++i) s += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
    return s + "]}";
  }();
  for (const std::string& bad :
       {std::string("not json"), std::string("[]"), std::string(R"({"data":"d","channel":"c"})"),
        std::string(R"({"name":"n","channel":"c"})"), std::string(R"({"name":"n","data":{"a":1},"channel":"c"})"),
        std::string(R"({"name":"n","data":"d"})"), std::string(R"({"name":"n","data":"d","channels":[]})"),
        std::string(R"({"name":"n","data":"d","channels":["ok","bad name"]})"),
        std::string(R"({"name":"n","data":"d","channel":"c","channels":["c"]})"),
        std::string(R"({"name":"n","data":"d","channel":"c","socket_id":"abc"})"),
        std::string(R"({"name":"n","data":"d","channel":"c","socket_id":"1.2.3"})"),
        std::string(R"({"name":")") + std::string(201, 'n') + R"(","data":"d","channel":"c"})", too_many}) {
    std::string error;
    EXPECT_EQ(pusher::read_events_body(bad, 10240, e, error), pusher::ApiBodyStatus::invalid) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  EXPECT_EQ(pusher::read_events_body(R"({"name":"n","channel":"c","data":")" + big + "\"}", 10240, e, error),
            pusher::ApiBodyStatus::too_large);
}

TEST(PusherApiBody, ABatchIsOneToTenEventsEachOnOneChannel) {
  std::vector<pusher::ApiEvent> list;
  std::string error;
  ASSERT_EQ(pusher::read_batch_body(R"({"batch":[{"name":"a","data":"1","channel":"x"},{"name":"b","data":"2","channel":"y","socket_id":"1.2"}]})",
                                    10240, list, error),
            pusher::ApiBodyStatus::ok)
      << error;
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].channels, std::vector<std::string>{"y"});
  EXPECT_EQ(list[1].socket_id, "1.2");
  std::string eleven = R"({"batch":[)";
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? "," : "") + R"({"name":"a","data":"1","channel":"x"})";
  eleven += "]}";
  EXPECT_EQ(pusher::read_batch_body(eleven, 10240, list, error), pusher::ApiBodyStatus::invalid);
  EXPECT_EQ(pusher::read_batch_body(R"({"batch":[]})", 10240, list, error), pusher::ApiBodyStatus::invalid);
  EXPECT_EQ(pusher::read_batch_body(R"({"batch":[{"name":"a","data":"1","channels":["x"]}]})", 10240, list, error),
            pusher::ApiBodyStatus::invalid);
  EXPECT_NE(error.find("Event 0"), std::string::npos) << error;
}

TEST(PusherApiBody, SocketIdsAreDigitsDotDigits) {
  EXPECT_TRUE(pusher::is_socket_id("123.456"));
  for (const char* bad : {"", ".", "1.", ".1", "a.1", "1.a", "1.2.3", "-1.2", "123456789012345678901.1"}) {
    EXPECT_FALSE(pusher::is_socket_id(bad)) << bad;
  }
}
