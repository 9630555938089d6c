#include "store/redis/cluster/key_slot.hpp"
#include "store/redis/cluster/slot_map.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace presenced::store::redis::cluster {
namespace {

// Values Redis itself gives (CLUSTER KEYSLOT), and the hash tag rules of the cluster spec.
TEST(KeySlot, AsRedisComputesIt) {
  EXPECT_EQ(key_slot("123456789"), 0x31C3 % kSlots);  // the CRC-16/XMODEM check value
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("tenant_1_record_presence:flow:42"), 5325);
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("presenced:{tenant_1_record_presence:flow:42}"), 5325);
  EXPECT_EQ(key_slot("tenant_1_record_presence_saved:{tenant_1_record_presence:flow:42}"), 5325);
  // An empty tag does not count: the whole key is hashed; only the first tag does.
  EXPECT_EQ(key_slot("foo{}{bar}"), 8363);
  EXPECT_EQ(key_slot("foo{{bar}}zap"), 4015);  // the tag is "{bar"
  EXPECT_EQ(key_slot("{bar"), 4015);
  EXPECT_EQ(key_slot("foo{bar}{zap}"), 5061);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot(""), 0);
}

// A small redisReply tree, built by hand as hiredis would.
struct Tree {
  std::vector<std::unique_ptr<redisReply>> nodes;
  std::vector<std::vector<redisReply*>> arrays;
  std::vector<std::string> strings;
  Tree() { strings.reserve(64); arrays.reserve(64); }
  redisReply* node(int type) {
    auto r = std::make_unique<redisReply>();
    std::memset(r.get(), 0, sizeof(redisReply));
    r->type = type;
    nodes.push_back(std::move(r));
    return nodes.back().get();
  }
  redisReply* integer(long long v) {
    redisReply* r = node(REDIS_REPLY_INTEGER);
    r->integer = v;
    return r;
  }
  redisReply* string(std::string v) {
    strings.push_back(std::move(v));
    redisReply* r = node(REDIS_REPLY_STRING);
    r->str = strings.back().data();
    r->len = strings.back().size();
    return r;
  }
  redisReply* array(std::vector<redisReply*> items) {
    arrays.push_back(std::move(items));
    redisReply* r = node(REDIS_REPLY_ARRAY);
    r->elements = arrays.back().size();
    r->element = arrays.back().data();
    return r;
  }
  redisReply* range(long long first, long long last, std::string host, long long port) {
    return array({integer(first), integer(last), array({string(std::move(host)), integer(port), string("id")}),
                  array({string("127.0.0.1"), integer(port + 3), string("replica")})});
  }
};

TEST(SlotMap, ReadsClusterSlots) {
  Tree t;
  auto* reply = t.array({t.range(0, 5460, "127.0.0.1", 7001), t.range(5461, 10922, "127.0.0.1", 7002),
                         t.range(10923, 16383, "", 7003)});
  auto map = parse_cluster_slots(*reply, "10.0.0.9");
  ASSERT_TRUE(map);
  ASSERT_EQ(map->masters.size(), 3u);
  EXPECT_TRUE(map->covers_every_slot());
  EXPECT_EQ(map->masters[map->owner[0]], (NodeAddress{"127.0.0.1", 7001}));
  EXPECT_EQ(map->masters[map->owner[5461]], (NodeAddress{"127.0.0.1", 7002}));
  // An empty host means the node that answered.
  EXPECT_EQ(map->masters[map->owner[16383]], (NodeAddress{"10.0.0.9", 7003}));
}

TEST(SlotMap, AMasterWithSeveralRangesIsOneNodeAndGapsAreUncovered) {
  Tree t;
  auto* reply = t.array({t.range(0, 99, "127.0.0.1", 7001), t.range(200, 16383, "127.0.0.1", 7001)});
  auto map = parse_cluster_slots(*reply, "x");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->masters.size(), 1u);
  EXPECT_FALSE(map->covers_every_slot());
  EXPECT_EQ(map->owner[150], SlotMap::kNoNode);
}

TEST(SlotMap, RefusesWhatIsNotClusterSlots) {
  Tree t;
  EXPECT_FALSE(parse_cluster_slots(*t.string("ERR This instance has cluster support disabled"), "x"));
  EXPECT_FALSE(parse_cluster_slots(*t.array({t.range(0, 16384, "h", 1)}), "x"));   // past the last slot
  EXPECT_FALSE(parse_cluster_slots(*t.array({t.range(10, 5, "h", 1)}), "x"));      // backwards
  EXPECT_FALSE(parse_cluster_slots(*t.array({t.range(0, 5, "h", 70000)}), "x"));   // no such port
  EXPECT_FALSE(parse_cluster_slots(*t.array({t.array({t.integer(0), t.integer(5)})}), "x"));  // no master
}

TEST(Redirect, MovedAndAsk) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->to, (NodeAddress{"127.0.0.1", 6381}));
  auto ask = parse_redirect("ASK 12 ::1:7000");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::ask);
  EXPECT_EQ(ask->to, (NodeAddress{"::1", 7000}));
  for (const char* not_one : {"ERR wrong", "MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED x h:1", "ASK 1 h:0",
                              "ASK 1 :1", "TRYAGAIN Multiple keys request during rehashing of slot"}) {
    EXPECT_FALSE(parse_redirect(not_one)) << not_one;
  }
  EXPECT_TRUE(is_transient_cluster_error("TRYAGAIN Multiple keys request during rehashing of slot"));
  EXPECT_TRUE(is_transient_cluster_error("CLUSTERDOWN The cluster is down"));
  EXPECT_FALSE(is_transient_cluster_error("ERR unknown command"));
}

}  // namespace
}  // namespace presenced::store::redis::cluster
