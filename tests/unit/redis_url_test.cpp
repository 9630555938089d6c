#include "store/redis/redis_url.hpp"
#include "store/redis/resp.hpp"

#include <gtest/gtest.h>

using presenced::store::redis::parse_redis_url;

TEST(RedisUrl, HostPortDbAndCredentials) {
  std::string error;
  auto a = parse_redis_url("redis://127.0.0.1:6380/2", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_TRUE(a->password.empty());

  auto b = parse_redis_url("redis://app:s3cr:et@cache.internal:6379", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->user, "app");
  EXPECT_EQ(b->password, "s3cr:et");
  EXPECT_EQ(b->host, "cache.internal");

  auto c = parse_redis_url("redis://:pw@[::1]:7000", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->user, "");
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);

  auto d = parse_redis_url("redis://localhost", error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->port, 6379);
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrl) {
  std::string error;
  for (const char* url : {"http://x:1", "redis://", "redis://:6379", "redis://h:0", "redis://h:70000", "redis://h:x",
                          "redis://h:1/db", "redis://[::1", "redis://h:"}) {
    EXPECT_FALSE(parse_redis_url(url, error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

TEST(Resp, CommandsAreArraysOfBulkStrings) {
  std::string out;
  presenced::store::redis::Command().arg("HGET").arg("k").arg(std::int64_t{-42}).append_to(out);
  EXPECT_EQ(out, "*3\r\n$4\r\nHGET\r\n$1\r\nk\r\n$3\r\n-42\r\n");
  presenced::store::redis::Command().arg(std::string_view("a\r\nb", 4)).arg("").arg(std::string(12, 'x')).append_to(out);
  EXPECT_EQ(out, "*3\r\n$4\r\nHGET\r\n$1\r\nk\r\n$3\r\n-42\r\n" + std::string("*3\r\n$4\r\na\r\nb\r\n$0\r\n\r\n$12\r\n") +
                     std::string(12, 'x') + "\r\n");
}

#include "presence/iso8601.hpp"

TEST(Iso8601, UtcWithMillisecondsAlways24Characters) {
  using presenced::presence::Iso8601;
  EXPECT_EQ(Iso8601(0).view(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Iso8601(1768937415123).view(), "2026-01-20T19:30:15.123Z");
  EXPECT_EQ(Iso8601(951782400999).view(), "2000-02-29T00:00:00.999Z");
  EXPECT_EQ(Iso8601(4102444799000).view(), "2099-12-31T23:59:59.000Z");
  // Seconds are remembered; stamps within, between and across them stay exact.
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(Iso8601(1768937415999).view(), "2026-01-20T19:30:15.999Z");
    EXPECT_EQ(Iso8601(1768937325000).view(), "2026-01-20T19:28:45.000Z");
    EXPECT_EQ(Iso8601(1768937416000).view(), "2026-01-20T19:30:16.000Z");
    EXPECT_EQ(Iso8601(1768937415001).view(), "2026-01-20T19:30:15.001Z");
  }
  // Stamps order as strings as they do in time: the heartbeat script compares them so.
  EXPECT_LT(Iso8601(1768937415123).view(), Iso8601(1768937415124).view());
  EXPECT_LT(Iso8601(1768937409999).view(), Iso8601(1768937410000).view());
}

TEST(RedisUrl, AClusterBySeeds) {
  std::string error;
  auto a = parse_redis_url("redis-cluster://app:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002", error);
  ASSERT_TRUE(a) << error;
  EXPECT_TRUE(a->cluster);
  ASSERT_EQ(a->seeds.size(), 3u);
  EXPECT_EQ(a->seeds[0], (std::pair<std::string, std::uint16_t>{"10.0.0.1", 7000}));
  EXPECT_EQ(a->seeds[1], (std::pair<std::string, std::uint16_t>{"10.0.0.2", 6379}));
  EXPECT_EQ(a->seeds[2], (std::pair<std::string, std::uint16_t>{"::1", 7002}));
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->user, "app");
  EXPECT_EQ(a->password, "pw");
  // Every node is reached with the same credentials; the URL in logs has no password.
  EXPECT_EQ(a->node("10.0.0.3", 7005).password, "pw");
  EXPECT_EQ(a->url(), "redis-cluster://10.0.0.1:7000,10.0.0.2:6379,::1:7002");
  EXPECT_FALSE(parse_redis_url("redis://h:1", error)->cluster);

  for (const char* url : {"redis-cluster://", "redis-cluster://h:1,", "redis-cluster://h:1,:2", "redis-cluster://h:1/2",
                          "redis-cluster://h:x"}) {
    EXPECT_FALSE(parse_redis_url(url, error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
  EXPECT_TRUE(parse_redis_url("redis-cluster://h:1/0", error)) << error;
}

TEST(RedisUrl, EveryNodeKeepsTheDatabase) {
  std::string error;
  auto a = parse_redis_url("redis://127.0.0.1:6380/3", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->node(a->host, a->port).db, 3) << "each connection is made from node(): it must select 3";
  EXPECT_FALSE(parse_redis_url("redis-cluster://127.0.0.1:7000/3", error));
  EXPECT_EQ(error, "a cluster has only database 0");
}
