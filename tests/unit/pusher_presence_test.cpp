// Pusher presence channels without a socket: which record a channel is, what a member's
// channel_data may be, and the frames the members are told, as pusher-js reads them.
#include "fanout/events.hpp"
#include "pusher/presence_member.hpp"
#include "pusher/record_channel.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace presenced::pusher {
namespace {

const App kApp{"app-1", "key", "secret-123"};

RecordChannels with(std::string_view pattern) {
  RecordChannels r;
  std::string error;
  EXPECT_TRUE(r.set_pattern(pattern, error)) << error;
  return r;
}

TEST(RecordChannel, TheDefaultPatternNamesTenantTypeAndId) {
  const RecordChannels r = with(kDefaultRecordChannel);
  const auto m = r.matched(kApp, "presence-tenant.acme.flow.42");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tenant, "acme");
  EXPECT_EQ(m->type, "flow");
  EXPECT_EQ(m->id, "42");
  // Not quite the pattern, or a part that is not a record path's segment: not a record's.
  for (std::string_view other : {"presence-tenant.acme.flow", "presence-tenant.acme.flow.42.x", "presence-tenant..flow.4",
                                 "presence-tenant.acme.flow.4@2", "presence-tenants.acme.flow.42"}) {
    EXPECT_FALSE(r.matched(kApp, other)) << other;
  }
  EXPECT_FALSE(r.matched(kApp, "presence-tenant.a.b." + std::string(65, 'x')));
}

TEST(RecordChannel, APatternWithoutTenantUsesTheAppsId) {
  const RecordChannels r = with("presence-{type}.{id}");
  const auto m = r.matched(kApp, "presence-flow.9");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tenant, "app-1");
  EXPECT_EQ(m->type, "flow");
}

TEST(RecordChannel, RefusesPatternsThatCannotBeMatchedOneWay) {
  RecordChannels r;
  std::string error;
  for (std::string_view bad : {"private-{type}.{id}", "presence-{type}{id}", "presence-{type}x{id}", "presence-{id}",
                               "presence-{type}.{id}.{id}", "presence-{tenant}.{tenant}.{type}.{id}", "presence-{kind}.{id}",
                               "presence-{type}.{id"}) {
    error.clear();
    EXPECT_FALSE(r.set_pattern(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_TRUE(r.set_pattern("", error));  // none
  EXPECT_FALSE(r.matched(kApp, "presence-tenant.acme.flow.42"));
}

TEST(RecordChannel, OtherChannelsAreRecordsOfTheirOwnWithReadableOrDigestedIds) {
  const RecordChannels r = with(kDefaultRecordChannel);
  const ChannelRecord plain = r.record_of(kApp, "presence-chat");
  EXPECT_EQ(plain.tenant, "app-1");
  EXPECT_EQ(plain.type, kChannelRecordType);
  EXPECT_EQ(plain.id, "chat");
  const ChannelRecord dotted = r.record_of(kApp, "presence-chat.room.1");
  const ChannelRecord dotted2 = r.record_of(kApp, "presence-chat.room.2");
  EXPECT_EQ(dotted.id.size(), 41u);
  EXPECT_EQ(dotted.id[0], '_');
  EXPECT_NE(dotted.id, dotted2.id);
  EXPECT_EQ(dotted.id, r.record_of(kApp, "presence-chat.room.1").id);  // the same every time, on every node
  // A name that looks like a digest is digested too: it cannot take another channel's record.
  EXPECT_NE(r.record_of(kApp, "presence-" + dotted.id).id, dotted.id);
}

TEST(PresenceMember, ReadsLaravelsChannelData) {
  std::string error;
  auto u = read_member(R"({"user_id":42,"user_info":{"id":42,"name":"Ann","avatar_url":"https://x/a.png"}})", "t", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->id, "42");
  EXPECT_TRUE(u->id_is_number);
  EXPECT_EQ(u->tenant, "t");
  EXPECT_EQ(u->name, "Ann");
  EXPECT_EQ(u->avatar_url, "https://x/a.png");
  ASSERT_TRUE(u->info);
  EXPECT_EQ(boost::json::parse(u->info->json), boost::json::parse(R"({"id":42,"name":"Ann","avatar_url":"https://x/a.png"})"));
  // Ids past 2^53 stay exact; a string id stays a string; no user_info is none.
  u = read_member(R"({"user_id":9007199254740993})", "t", error);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->id, "9007199254740993");
  EXPECT_FALSE(u->info);
  u = read_member(R"({"user_id":"u-7","user_info":null})", "t", error);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->id, "u-7");
  EXPECT_FALSE(u->id_is_number);
}

TEST(PresenceMember, RefusesWhatIsNotChannelData) {
  for (std::string_view bad : {"", "[]", R"({"user_info":{}})", R"({"user_id":1.5})", R"({"user_id":""})",
                               R"({"user_id":true})", R"({"user_id":1,"user_info":[1]})", R"({"user_id":1e3})"}) {
    std::string error;
    EXPECT_FALSE(read_member(bad, "t", error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  EXPECT_FALSE(read_member(R"({"user_id":")" + std::string(129, 'a') + R"("})", "t", error));
  EXPECT_FALSE(read_member(R"({"user_id":1,"user_info":{"a":")" + std::string(1100, 'a') + R"("}})", "t", error));
}

TEST(PresenceMember, FramesAsPusherJsReadsThem) {
  const fanout::Member ann{"42", R"({"name":"Ann"})"}, me{"u-7", R"({"name":"Me"})"};
  // The snapshot predates my own arrival: I am added.
  const auto frame = boost::json::parse(subscription_succeeded_frame("presence-x", {ann}, me));
  EXPECT_EQ(frame.at("event"), "pusher_internal:subscription_succeeded");
  EXPECT_EQ(frame.at("channel"), "presence-x");
  EXPECT_EQ(boost::json::parse(frame.at("data").as_string()),
            boost::json::parse(R"({"presence":{"count":2,"ids":["42","u-7"],"hash":{"42":{"name":"Ann"},"u-7":{"name":"Me"}}}})"));
  // Already in: not twice.
  const auto again = boost::json::parse(subscription_succeeded_frame("presence-x", {ann, me}, me));
  EXPECT_EQ(boost::json::parse(again.at("data").as_string()).at("presence").at("count"), 2);
  const auto added = boost::json::parse(member_added_frame("presence-x", ann));
  EXPECT_EQ(boost::json::parse(added.at("data").as_string()),
            boost::json::parse(R"({"user_id":"42","user_info":{"name":"Ann"}})"));
  const auto removed = boost::json::parse(member_removed_frame("presence-x", "42"));
  EXPECT_EQ(removed.at("event"), "pusher_internal:member_removed");
  EXPECT_EQ(boost::json::parse(removed.at("data").as_string()), boost::json::parse(R"({"user_id":"42"})"));
}

TEST(PresenceMember, AViewerOfAnotherTransportShowsTheirTokensNameAndAvatar) {
  presence::Viewer v;
  v.id = "5";
  v.id_is_number = true;
  v.name = "Http \"User\"";
  v.avatar_url = "/a.png";
  const fanout::Member m = fanout::member_of(v);
  EXPECT_EQ(m.id, "5");
  EXPECT_EQ(boost::json::parse(m.info), boost::json::parse(R"({"id":5,"name":"Http \"User\"","avatar_url":"/a.png"})"));
  v.info = new presence::MemberInfo(R"({"x":1})");
  EXPECT_EQ(fanout::member_of(v).info, R"({"x":1})");
}

}  // namespace
}  // namespace presenced::pusher
