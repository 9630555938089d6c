// The Redis entry codec, without Redis: the host app's JSON variants and exact ids.
#include "store/redis/entry_codec.hpp"

#include <gtest/gtest.h>

namespace presenced::store::redis {
namespace {

TEST(EntryCodec, AnIntegerMemberIsReadAsExactText) {
  EXPECT_EQ(integer_member_text(R"({"user_id":9007199254740993,"x":1})", "user_id"), "9007199254740993");
  EXPECT_EQ(integer_member_text(R"({"user_id" : -12 })", "user_id"), "-12");
  EXPECT_EQ(integer_member_text(R"({"a":1,"user_id":18446744073709551615})", "user_id"), "18446744073709551615");
  // Not an integer, twice, or only inside a string: no id.
  EXPECT_FALSE(integer_member_text(R"({"user_id":1.5})", "user_id"));
  EXPECT_FALSE(integer_member_text(R"({"user_id":1,"user_id":2})", "user_id"));
  EXPECT_FALSE(integer_member_text(R"({"name":"\"user_id\":5"})", "user_id"));
  EXPECT_FALSE(integer_member_text(R"({"user_id":"5"})", "user_id"));
  EXPECT_FALSE(integer_member_text(R"({"user_id":)", "user_id"));
}

TEST(EntryCodec, IdsPastTwoToThe53StayDistinct) {
  presence::User a, b;
  std::string field;
  presence::TabView tab{};
  const char* seen = R"(,"user_name":"A","mode":"view","dirty":false,"last_seen_at":"2026-01-01T00:00:00Z"})";
  ASSERT_TRUE(read_entry("1", std::string(R"({"user_id":1768000000000000000)") + seen, "1", a, field, tab));
  ASSERT_TRUE(read_entry("1", std::string(R"({"user_id":1768000000000000100)") + seen, "1", b, field, tab));
  EXPECT_EQ(a.id, "1768000000000000000");
  EXPECT_EQ(b.id, "1768000000000000100");
  EXPECT_TRUE(a.id_is_number);
  EXPECT_FALSE(presence::same_user(a, b));
  // A string id is kept as written; PHP's "42" and 42 are one user.
  presence::User s;
  ASSERT_TRUE(read_entry("1", std::string(R"({"user_id":"42")") + seen, "1", s, field, tab));
  EXPECT_EQ(s.id, "42");
  EXPECT_FALSE(s.id_is_number);
  // An id written with an escape that the text search cannot see: unreadable, never
  // another member's number.
  EXPECT_FALSE(read_entry("1", std::string(R"({"user\u005fid":1,"m":{"user_id":2})") + seen, "1", s, field, tab));
}

}  // namespace
}  // namespace presenced::store::redis
