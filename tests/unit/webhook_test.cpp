#include "webhook/webhook_event.hpp"
#include "webhook/webhook_url.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {
using namespace presenced;
using store::Occupancy;

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
  // Computed independently: python3 hmac.new(secret, b'1764451200.{"id":"x"}', sha256).
  EXPECT_EQ(webhook::signature("webhook-secret-0123456789", "1764451200", R"({"id":"x"})"),
            "v1=02ea4a7a427df77858b66b9327b7e09e9e5cadef4379197c48f78b3e2086f40c");
  EXPECT_NE(webhook::signature("webhook-secret-0123456789", "1764451201", R"({"id":"x"})"),
            webhook::signature("webhook-secret-0123456789", "1764451200", R"({"id":"x"})"));
}

TEST(WebhookEvent, SaysWhatHappenedToWhichRecordAndWhen) {
  auto body = boost::json::parse(webhook::event_body("abc-1", Occupancy::occupied, {"17", "flow", "42"}, 1764451200123));
  EXPECT_EQ(body, boost::json::parse(R"({"id":"abc-1","event":"record.occupied","tenant_id":17,"record_type":"flow",)"
                                     R"("record_id":"42","occurred_at":"2025-11-29T21:20:00.123Z"})"));
  // A tenant id that is not a plain number stays a string, as it came.
  for (std::string tenant : {"acme", "007", "12345678901234567890"}) {
    auto v = boost::json::parse(webhook::event_body("i", Occupancy::vacated, {tenant, "form", "x_1"}, 0));
    EXPECT_EQ(v.at("tenant_id"), boost::json::value(tenant)) << tenant;
    EXPECT_EQ(v.at("event"), "record.vacated");
  }
}

TEST(WebhookUrl, TakesHttpAndHttpsOnly) {
  std::string error;
  auto t = webhook::parse_webhook_url("https://hooks.example.com/presence?app=1", error);
  ASSERT_TRUE(t) << error;
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->host, "hooks.example.com");
  EXPECT_EQ(t->port, "443");
  EXPECT_EQ(t->target, "/presence?app=1");
  EXPECT_EQ(t->host_header, "hooks.example.com");

  t = webhook::parse_webhook_url("http://[::1]:8081", error);
  ASSERT_TRUE(t) << error;
  EXPECT_FALSE(t->tls);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "8081");
  EXPECT_EQ(t->target, "/");
  EXPECT_EQ(t->host_header, "[::1]:8081");

  for (const char* bad : {"ftp://example.com/", "example.com/hooks", "http://", "https://user:pw@example.com/",
                          "http://example.com:/x", "not a url"}) {
    EXPECT_FALSE(webhook::parse_webhook_url(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
