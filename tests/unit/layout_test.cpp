// The key layout (store/layout.hpp): every key, channel and marker both ways, bounded.
#include "store/layout.hpp"

#include <gtest/gtest.h>

namespace presenced::store::layout {
namespace {

TEST(Layout, EveryNameOfARecord) {
  const presence::RecordRef r{"1", "flow", "42"};
  const KeyText index = index_key(r);
  EXPECT_EQ(index.view(), "1:flow:42");
  const presence::RecordRef back = split_index_key(index.view());  // views into `index`
  EXPECT_EQ(back.tenant, "1");
  EXPECT_EQ(back.type, "flow");
  EXPECT_EQ(back.id, "42");
  EXPECT_EQ(redis_key(r).view(), "tenant_1_record_presence:flow:42");
  EXPECT_EQ(saved_key(r).view(), "tenant_1_record_presence_saved:{tenant_1_record_presence:flow:42}");
  EXPECT_EQ(occupancy_key(redis_key(r).view()).view(), "presenced_occupied:{tenant_1_record_presence:flow:42}");
  EXPECT_EQ(occupancy_key("k", false).view(), "");
  EXPECT_EQ(channel_of(redis_key(r).view()), "presenced:{tenant_1_record_presence:flow:42}");
  const KeyText key = redis_key(r);
  auto from_key = record_of_redis_key(key.view());
  ASSERT_TRUE(from_key);
  EXPECT_EQ(from_key->id, "42");
  const std::string channel = channel_of(key.view());
  auto from_channel = record_of_channel(channel);
  ASSERT_TRUE(from_channel);
  EXPECT_EQ(from_channel->type, "flow");
}

TEST(Layout, TextReadBackFromRedisIsUntrusted) {
  for (std::string_view key : {"tenant_1_record_presence:", "tenant_1_record_presence:flow",
                               "tenant_1_record_presence:flow:", "other:flow:1", "tenant_a:b_record_presence:flow:1"}) {
    EXPECT_FALSE(record_of_redis_key(key)) << key;
  }
  const std::string long_id = "tenant_1_record_presence:flow:" + std::string(65, '9');
  EXPECT_FALSE(record_of_redis_key(long_id));
  EXPECT_FALSE(record_of_channel("presenced:tenant_1_record_presence:flow:1"));
  EXPECT_FALSE(record_of_channel("presenced:{}"));
  // A marker built from text that does not fit is empty, never an overflow.
  const std::string huge(KeyText::kCapacity, 'x');
  const KeyText over = occupancy_key(huge);
  EXPECT_FALSE(over.ok());
  EXPECT_EQ(over.view(), "");
  const std::string longest(64, 'a');
  EXPECT_TRUE(saved_key({longest, longest, longest}).ok());
}

}  // namespace
}  // namespace presenced::store::layout
