#include "presence/json_fields.hpp"

#include <gtest/gtest.h>

using presenced::presence::JsonField;
using presenced::presence::JsonFields;
using Kind = JsonField::Kind;

TEST(JsonFields, ReadsWantedTopLevelMembersAndSkipsTheRest) {
  JsonFields f{"a", "b", "c", "d", "e"};
  ASSERT_EQ(f.read(R"({"x":{"a":"nested"},"a":"text","b":true,"c":-7,"d":null,"y":[1,{"b":2}],"e":1.5})"),
            JsonFields::Status::object);
  EXPECT_EQ(f.get("a").kind, Kind::string);
  EXPECT_EQ(f.get("a").text, "text");
  EXPECT_EQ(f.get("b").kind, Kind::boolean);
  EXPECT_TRUE(f.get("b").boolean);
  EXPECT_EQ(f.get("c").kind, Kind::integer);
  EXPECT_EQ(f.get("c").integer, -7);
  EXPECT_EQ(f.get("d").kind, Kind::null);
  EXPECT_EQ(f.get("e").kind, Kind::number);
}

TEST(JsonFields, CompoundValuesAndAbsentMembers) {
  JsonFields f{"a", "b", "c"};
  ASSERT_EQ(f.read(R"({"a":[1,2],"b":{"c":"inner"}})"), JsonFields::Status::object);
  EXPECT_EQ(f.get("a").kind, Kind::compound);
  EXPECT_EQ(f.get("b").kind, Kind::compound);
  EXPECT_EQ(f.get("c").kind, Kind::absent) << "nested members are not top-level members";
}

TEST(JsonFields, TheLastDuplicateWins) {
  JsonFields f{"a"};
  ASSERT_EQ(f.read(R"({"a":"first","a":"second"})"), JsonFields::Status::object);
  EXPECT_EQ(f.get("a").text, "second");
  ASSERT_EQ(f.read(R"({"a":"first","a":false})"), JsonFields::Status::object);
  EXPECT_EQ(f.get("a").kind, Kind::boolean);
}

TEST(JsonFields, EscapedKeysAndValuesAreDecoded) {
  JsonFields f{"tab_id"};
  ASSERT_EQ(f.read(R"({"tab\u005fid":"\u00e9\n\"x\""})"), JsonFields::Status::object);
  EXPECT_EQ(f.get("tab_id").text, "\xC3\xA9\n\"x\"");
  EXPECT_EQ(f.get("tab_id").text_size, f.get("tab_id").text.size());
}

TEST(JsonFields, LongStringsKeepTheirLengthButNotTheirWholeText) {
  JsonFields f{"a", "b"};
  std::string body = R"({"a":")" + std::string(5000, 'x') + R"(","b":"short"})";
  ASSERT_EQ(f.read(body), JsonFields::Status::object);
  EXPECT_TRUE(f.get("a").truncated);
  EXPECT_EQ(f.get("a").text_size, 5000u);
  EXPECT_LE(f.get("a").text.size(), JsonFields::kMaxString);
  EXPECT_EQ(f.get("b").text, "short") << "a long value does not crowd out the next";
}

TEST(JsonFields, NotAnObjectOrMalformed) {
  JsonFields f{"a"};
  EXPECT_EQ(f.read(R"(["a"])"), JsonFields::Status::not_object);
  EXPECT_EQ(f.read(R"("a")"), JsonFields::Status::not_object);
  EXPECT_EQ(f.read(""), JsonFields::Status::object);
  EXPECT_EQ(f.read(R"({"a":1)"), JsonFields::Status::malformed);
  EXPECT_EQ(f.read(R"({"a":1}{})"), JsonFields::Status::malformed);
  EXPECT_EQ(f.read("{\"a\":\"\xC3\"}"), JsonFields::Status::malformed) << "invalid UTF-8";
  EXPECT_EQ(f.read(std::string(100, '[') + std::string(100, ']')), JsonFields::Status::malformed) << "too deep";
  EXPECT_EQ(f.get("a").kind, Kind::absent) << "a failed read leaves nothing behind";
}
