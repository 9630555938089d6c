// A named channel's message between nodes, and Pusher's socket ids: what is read back
// from a shared Redis is taken only when it is exactly what a node writes.
#include "fanout/named_message.hpp"
#include "store/layout.hpp"

#include <gtest/gtest.h>

namespace presenced::fanout {
namespace {

TEST(NamedMessage, ReadsBackWhatANodeWrites) {
  const std::string text = R"({"event":"OrderShipped","channel":"orders","data":"{\"id\":7}"})";
  const std::string payload = encode_named_message(4'000'000'001u, {17, 123456789012ull}, text);
  EXPECT_EQ(payload, "4000000001:17.123456789012:" + text);
  const auto m = decode_named_message(payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->origin, 4'000'000'001u);
  EXPECT_EQ(m->except, (SocketRef{17, 123456789012ull}));
  EXPECT_EQ(m->text, text);
}

TEST(NamedMessage, NoSocketLeftOutIsZeroDotZero) {
  const std::string payload = encode_named_message(5, {}, "x:y");
  const auto m = decode_named_message(payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->except, SocketRef{});
  EXPECT_EQ(m->text, "x:y");  // the text's own colons are the text's
}

TEST(NamedMessage, AnythingElseIsDropped) {
  for (const char* payload : {"", "changed", "5", "5:", "5:1.2", "5:1.2", ":1.2:x", "5:.2:x", "5:1.:x", "-5:1.2:x",
                              "+5:1.2:x", "05:1.2:x", "5:01.2:x", "5:1.02:x", "5:1 .2:x", "4294967296:1.2:x",
                              "5:4294967296.2:x", "5:1.18446744073709551616:x", "5x:1.2:x"}) {
    EXPECT_FALSE(decode_named_message(payload)) << payload;
  }
}

TEST(SocketId, IsNodeDotIdInDecimal) {
  EXPECT_EQ(parse_socket_id("123.456"), (SocketRef{123, 456}));
  EXPECT_EQ(parse_socket_id("4294967295.18446744073709551615"), (SocketRef{4294967295u, 18446744073709551615ull}));
  for (const char* id : {"", ".", "1.", ".1", "1.2.3", "a.1", "1.b", "01.2", "1.02", "-1.2", "1.-2", "1.+2", " 1.2",
                         "1.2 ", "4294967296.1", "1.18446744073709551616"}) {
    EXPECT_FALSE(parse_socket_id(id)) << id;
  }
}

TEST(NamedMessage, ItsRedisChannelIsInTheNamesSlotAndReadsBack) {
  const std::string channel = store::layout::named_channel_of("1001:private-orders.7");
  EXPECT_EQ(channel, "presenced_named:{1001:private-orders.7}");
  EXPECT_EQ(store::layout::name_of_named_channel(channel), "1001:private-orders.7");
  EXPECT_EQ(store::layout::name_of_named_channel("presenced:{tenant_1_record_presence:flow:1}"), "");
  EXPECT_EQ(store::layout::name_of_named_channel("presenced_named:{x"), "");
}

}  // namespace
}  // namespace presenced::fanout
