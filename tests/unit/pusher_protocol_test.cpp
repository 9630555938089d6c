// The Pusher endpoint's pieces that need no socket: --pusher-app texts, channel kinds,
// frames read and written.
#include "presence/json_text.hpp"
#include "pusher/apps.hpp"
#include "pusher/channel.hpp"
#include "pusher/frame.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace presenced::pusher;

TEST(PusherApps, ParsesIdKeySecretWithColonsInTheSecret) {
  App app;
  std::string error;
  ASSERT_TRUE(parse_app("1001:app-key:s3cret:with:colons", app, error)) << error;
  EXPECT_EQ(app.id, "1001");
  EXPECT_EQ(app.key, "app-key");
  EXPECT_EQ(app.secret, "s3cret:with:colons");
}

TEST(PusherApps, RefusesMalformedTextsWithoutShowingTheSecret) {
  App app;
  for (const char* bad : {"", "1001", "1001:key", ":key:secret-long", "1001::secret-long", "10/01:key:secret-long",
                          "1001:key:short", "1001:key:has space in it", "1001:key:has,comma-x",
                          "1001:a-key-that-is-far-too-long-for-a-path-segment-of-sixty-four-chars-x:secret-long"}) {
    std::string error;
    EXPECT_FALSE(parse_app(bad, app, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
    EXPECT_EQ(error.find("secret-long"), std::string::npos) << error;
  }
}

TEST(PusherApps, FindsByKeyAndIdExactlyAndRefusesDuplicates) {
  Apps apps;
  std::string error;
  ASSERT_TRUE(apps.add({"1", "key-a", "secret-aaaa"}, error));
  ASSERT_TRUE(apps.add({"2", "key-b", "secret-bbbb"}, error));
  EXPECT_EQ(apps.by_key("key-b")->id, "2");
  EXPECT_EQ(apps.by_id("1")->key, "key-a");
  EXPECT_EQ(apps.by_key("KEY-A"), nullptr);
  EXPECT_EQ(apps.by_key("key-"), nullptr);
  EXPECT_EQ(apps.by_id("3"), nullptr);
  EXPECT_FALSE(apps.add({"1", "key-c", "secret-cccc"}, error));
  EXPECT_FALSE(apps.add({"3", "key-a", "secret-cccc"}, error));
}

TEST(PusherChannel, KindsByPrefixAndPushersNameRule) {
  EXPECT_EQ(channel_kind("orders"), ChannelKind::public_);
  EXPECT_EQ(channel_kind("private-orders.1"), ChannelKind::private_);
  EXPECT_EQ(channel_kind("presence-tenant.1.flow.9"), ChannelKind::presence);
  EXPECT_EQ(channel_kind("private-encrypted-x"), ChannelKind::encrypted);
  EXPECT_EQ(channel_kind("a_-=@,.;Z9"), ChannelKind::public_);
  EXPECT_EQ(channel_kind(std::string(164, 'a')), ChannelKind::public_);
  EXPECT_EQ(channel_kind(std::string(165, 'a')), ChannelKind::invalid);
  for (const char* bad : {"", "has space", "colon:x", "slash/x", "quote\"x", "\xc3\xa9t\xc3\xa9"}) {
    EXPECT_EQ(channel_kind(bad), ChannelKind::invalid) << bad;
  }
  EXPECT_TRUE(allows_client_events(ChannelKind::private_));
  EXPECT_TRUE(allows_client_events(ChannelKind::presence));
  EXPECT_FALSE(allows_client_events(ChannelKind::public_));
  EXPECT_FALSE(allows_client_events(ChannelKind::user));
}

TEST(PusherChannel, AUsersChannelNamesAnIdOfChannelCharacters) {
  EXPECT_EQ(channel_kind("#server-to-user-42"), ChannelKind::user);
  EXPECT_EQ(channel_kind("#server-to-user-a_-=@,.;Z9"), ChannelKind::user);
  EXPECT_EQ(channel_kind("#server-to-user-" + std::string(148, 'a')), ChannelKind::user);
  for (const std::string& bad : std::vector<std::string>{"#server-to-user-", "#server-to-user-a b", "#other",
                                                          "#server-to-user-" + std::string(149, 'a')}) {
    EXPECT_EQ(channel_kind(bad), ChannelKind::invalid) << bad;
  }
  EXPECT_EQ(signin_user_id(R"({"id":"u-42","user_info":{"name":"Alice"}})"), "u-42");
  for (const char* bad : {"", "[]", "{}", R"({"id":42})", R"({"id":""})", R"({"id":"a b"})", R"({"id":null})", "{"}) {
    EXPECT_FALSE(signin_user_id(bad)) << bad;
  }
}

TEST(PusherFrame, ReadsWhatPusherJsSends) {
  ClientFrame f;
  std::string error;
  ASSERT_EQ(read_frame(R"({"event":"pusher:subscribe","data":{"auth":"k:ab","channel":"private-x"}})", f, error),
            FrameStatus::ok);
  EXPECT_EQ(f.event, FrameEvent::subscribe);
  EXPECT_EQ(f.channel, "private-x");
  EXPECT_EQ(f.auth, "k:ab");
  // data JSON-encoded in a string, as some clients send it
  ASSERT_EQ(read_frame(R"({"event":"pusher:unsubscribe","data":"{\"channel\":\"x\"}"})", f, error), FrameStatus::ok);
  EXPECT_EQ(f.event, FrameEvent::unsubscribe);
  EXPECT_EQ(f.channel, "x");
  ASSERT_EQ(read_frame(R"({"event":"client-typing","channel":"private-x","data":{"field":"t\u00e9"}})", f, error),
            FrameStatus::ok);
  EXPECT_EQ(f.event, FrameEvent::client_event);
  EXPECT_EQ(boost::json::parse(f.data), boost::json::parse(R"({"field":"t\u00e9"})"));
  ASSERT_EQ(read_frame(R"({"event":"pusher:ping","data":{}})", f, error), FrameStatus::ok);
  EXPECT_EQ(f.event, FrameEvent::ping);
}

TEST(PusherFrame, RefusesWhatIsNotAFrame) {
  ClientFrame f;
  std::string error;
  for (const char* bad : {"", "null", "[]", "{}", R"({"event":1})", R"({"event":""})", "{\"event\":\"x\""}) {
    EXPECT_EQ(read_frame(bad, f, error), FrameStatus::malformed) << bad;
  }
  for (const char* bad : {R"({"event":"pusher:subscribe"})", R"({"event":"pusher:subscribe","data":{}})",
                          R"({"event":"pusher:subscribe","data":{"channel":7}})",
                          R"({"event":"pusher:subscribe","data":{"channel":"x","auth":1}})",
                          R"({"event":"client-x","data":{}})", R"({"event":"client-x","channel":3})"}) {
    error.clear();
    EXPECT_EQ(read_frame(bad, f, error), FrameStatus::invalid) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_EQ(read_frame(R"({"event":")" + std::string(201, 'e') + R"("})", f, error), FrameStatus::invalid);
}

TEST(PusherFrame, WritesDataAsPusherDoes) {
  EXPECT_EQ(event_frame("pusher_internal:subscription_succeeded", "private-x", "{}"),
            R"({"event":"pusher_internal:subscription_succeeded","channel":"private-x","data":"{}"})");
  EXPECT_EQ(event_frame("pusher:pong", "", "{}"), R"({"event":"pusher:pong","data":"{}"})");
  EXPECT_EQ(error_frame(4001, "No \"app\"."), R"({"event":"pusher:error","data":{"code":4001,"message":"No \"app\"."}})");
  EXPECT_EQ(error_frame(0, "x"), R"({"event":"pusher:error","data":{"code":null,"message":"x"}})");
  EXPECT_EQ(client_event_frame("client-a", "private-x", R"({"n":1})"),
            R"({"event":"client-a","channel":"private-x","data":{"n":1}})");
}

TEST(Utf8Prefix, CutsBeforeACharacterNeverInsideOne) {
  using presenced::presence::utf8_prefix;
  EXPECT_EQ(utf8_prefix("abc", 64), "abc");
  EXPECT_EQ(utf8_prefix("abcdef", 3), "abc");
  EXPECT_EQ(utf8_prefix("ab\xc3\xa9", 3), "ab");             // é is two bytes
  EXPECT_EQ(utf8_prefix("a\xe2\x82\xac" "b", 3), "a");       // € is three
  EXPECT_EQ(utf8_prefix("a\xe2\x82\xac" "b", 4), "a\xe2\x82\xac");
}
