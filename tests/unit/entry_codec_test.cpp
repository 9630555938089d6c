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

TEST(EntryCodec, AMembersUserInfoRoundTripsAsAStringAndHidesItsOwnUserId) {
  presence::User member;
  member.id = "7";
  member.id_is_number = true;
  member.name = "Bea";
  member.info = new presence::MemberInfo(R"({"user_id":99,"name":"Bea","role":"editor"})");
  presence::HeartbeatInput in;
  in.tab_id = "pusher:1.2";
  std::string head, tail;
  value_head(head, member, in);
  value_tail(tail, in);
  const std::string value = head + "2026-01-01T00:00:00.000Z" + tail + "5}";
  // The info's own "user_id" is inside a string: the entry's id is still the one.
  EXPECT_EQ(integer_member_text(value, "user_id"), "7");
  presence::User read;
  std::string field;
  presence::TabView tab{};
  ASSERT_TRUE(read_entry("5", value, "1", read, field, tab));
  EXPECT_EQ(read.id, "7");
  ASSERT_TRUE(read.info);
  EXPECT_EQ(read.info->json, member.info->json);

  // What another writer left: not an object's text, or over the bound: no info, still presence.
  const char* seen = R"(,"user_name":"A","mode":"view","dirty":false,"last_seen_at":"2026-01-01T00:00:00Z"})";
  for (std::string bad : {std::string(R"("[1,2]")"), std::string(R"("{\"a\":")"), std::string(R"({"a":1})"),
                          "\"{\\\"a\\\":\\\"" + std::string(1100, 'x') + "\\\"}\""}) {
    presence::User u;
    ASSERT_TRUE(read_entry("1", R"({"user_id":1,"user_info":)" + bad + seen, "1", u, field, tab)) << bad;
    EXPECT_FALSE(u.info) << bad;
  }
}

}  // namespace
}  // namespace presenced::store::redis
