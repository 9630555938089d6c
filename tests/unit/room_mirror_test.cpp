// A node's copy of a watched room on Redis, kept from the scripts' notices: trusted only
// while every notice is heard, read again where it cannot be, and exact over a read that
// crossed notices in flight.
#include "presence/iso8601.hpp"
#include "store/redis/entry_codec.hpp"
#include "store/redis/notice.hpp"
#include "store/redis/room_mirror.hpp"

#include <gtest/gtest.h>

namespace presenced::testing {
namespace {

using store::redis::RoomMirror;

constexpr std::int64_t kTtl = 90'000;
constexpr std::int64_t kNow = 1'790'000'000'000;  // unix ms

// An entry as the heartbeat script writes it.
std::string entry(int user, std::int64_t seen_ms, std::uint64_t joined, presence::Mode mode = presence::Mode::view) {
  presence::User u;
  u.id = std::to_string(user);
  u.id_is_number = true;
  u.name = "User " + std::to_string(user);
  presence::HeartbeatInput tab{.tab_id = "t", .mode = mode, .dirty = false, .active_field = {}};
  std::string head, tail;
  store::redis::value_head(head, u, tab);
  store::redis::value_tail(tail, tab);
  return head + std::string(presence::Iso8601(seen_ms).view()) + tail + std::to_string(joined) + "}";
}
std::string put(const std::string& tab, const std::string& value) {
  return "s" + std::to_string(tab.size()) + ":" + tab + value;
}

struct Answer {
  bool trusted = false;
  std::vector<presence::Viewer> viewers;
  store::RecordState state;
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& v : viewers) out.push_back(v.name);
    return out;
  }
};
Answer ask(RoomMirror& m, std::int64_t now = kNow) {
  Answer a;
  a.trusted = m.answer(now, a.viewers, a.state);
  return a;
}

// A room of `users` users (user i's tab "t<i>", joined at i, last seen at `seen`), read
// at kNow while listening.
RoomMirror listening_room(int users, std::int64_t seen = kNow) {
  RoomMirror m("1", 500, kTtl);
  m.listening(true);
  std::vector<std::string> ids, values, joined;
  for (int i = 1; i <= users; ++i) {
    ids.push_back("t" + std::to_string(i));
    values.push_back(entry(i, seen, static_cast<std::uint64_t>(i)));
    joined.push_back(std::to_string(i));
  }
  std::vector<RoomMirror::ReadEntry> read;
  for (int i = 0; i < users; ++i) read.push_back({ids[i], joined[i], "", values[i]});
  EXPECT_TRUE(m.finish_read(m.begin_read(), read, presence::kNoLockVersion, kNow));
  return m;
}

TEST(TabNotices, ReadExactlyOrNotAtAll) {
  auto s = store::redis::decode_tab_notice("s2:t1{\"a\":1}");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->removed);
  EXPECT_EQ(s->tab_id, "t1");
  EXPECT_EQ(s->value, "{\"a\":1}");
  auto d = store::redis::decode_tab_notice("dt1");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->removed);
  EXPECT_EQ(d->tab_id, "t1");
  for (const char* bad : {"", "s", "d", "changed", "s2:t1", "s9:t1{}", "s0:{}", "sx:t1{}", "s-1:t1{}", "s99999:t1{}",
                          "x2:t1{}", "s2t1{}"}) {
    EXPECT_FALSE(store::redis::decode_tab_notice(bad)) << bad;
  }
}

TEST(TabNotices, AReadsEntriesUnpackExactlyOrNotAtAll) {
  auto own = RoomMirror::unpack("2:t117900::{\"a\":1}");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->tab_id, "t1");
  EXPECT_EQ(own->joined, "17900");
  EXPECT_EQ(own->seen, "");
  EXPECT_EQ(own->value, "{\"a\":1}");
  auto host = RoomMirror::unpack("5:a:b:c12:34:{x:y}");  // a tab id with colons in it
  ASSERT_TRUE(host);
  EXPECT_EQ(host->tab_id, "a:b:c");
  EXPECT_EQ(host->joined, "12");
  EXPECT_EQ(host->seen, "34");
  EXPECT_EQ(host->value, "{x:y}");
  for (const char* bad : {"", ":", "0:", "2:t", "3:t1", "2:t1", "2:t112", "2:t112:", "x:t1::{}", "9999999:t::{}"}) {
    EXPECT_FALSE(RoomMirror::unpack(bad)) << bad;
  }
}

TEST(TabNotices, StampsAreReadBackExactly) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, std::int64_t{951'782'400'000} /* 2000-02-29 */, kNow, kNow + 999}) {
    EXPECT_EQ(presence::parse_iso8601_ms(presence::Iso8601(ms).view()), ms);
  }
  for (const char* bad : {"2026-02-30T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T00:00:00.000",
                          "2026-01-01T00:00:00Z", "2026-01-01T00:0a:00.000Z", "2026-01-01 00:00:00.000Z"}) {
    EXPECT_FALSE(presence::parse_iso8601_ms(bad)) << bad;
  }
}

TEST(RoomMirror, IsTrustedOnlyAfterAReadBegunWhileListening) {
  RoomMirror m("1", 500, kTtl);
  EXPECT_FALSE(ask(m).trusted) << "nothing read";
  const std::string v = entry(1, kNow, 1);
  const RoomMirror::ReadEntry e{"t1", "1", "", v};
  ASSERT_TRUE(m.finish_read(m.begin_read(), {&e, 1}, presence::kNoLockVersion, kNow));
  EXPECT_FALSE(ask(m).trusted) << "read before the channel was heard: a notice may have been missed";
  Answer rolled;
  m.roll_up(kNow, rolled.viewers, rolled.state);
  EXPECT_EQ(rolled.names(), std::vector<std::string>{"User 1"}) << "the read's answer all the same";

  m.listening(true);
  const auto read = m.begin_read();
  m.listening(false);
  m.listening(true);  // a reconnection while the read was under way
  ASSERT_TRUE(m.finish_read(read, {&e, 1}, presence::kNoLockVersion, kNow));
  EXPECT_FALSE(ask(m).trusted);
  ASSERT_TRUE(m.finish_read(m.begin_read(), {&e, 1}, presence::kNoLockVersion, kNow));
  EXPECT_TRUE(ask(m).trusted);
  m.listening(false);
  EXPECT_FALSE(ask(m).trusted) << "not heard: changes may be missed";
}

TEST(RoomMirror, NoticesKeepTheRoomInJoinOrder) {
  RoomMirror m = listening_room(3);
  m.heard(put("t9", entry(9, kNow, 9, presence::Mode::edit)));
  m.heard(put("t2", entry(2, kNow, 2, presence::Mode::edit)));
  m.heard("dt1");
  m.heard("dt7");  // not there: nothing
  Answer a = ask(m);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.names(), (std::vector<std::string>{"User 2", "User 3", "User 9"}));
  EXPECT_EQ(a.viewers[0].mode, presence::Mode::edit) << "updated in place";
  EXPECT_EQ(a.state.totals.tabs, 3u);
  // A second tab of user 3, joined before anyone: user 3 now comes first.
  m.heard(put("t0", entry(3, kNow, 0)));
  a = ask(m);
  EXPECT_EQ(a.names(), (std::vector<std::string>{"User 3", "User 2", "User 9"}));
  EXPECT_EQ(a.viewers[0].tabs, 2u);
}

TEST(RoomMirror, NoticesHeardDuringAReadGoOnTopOfItsAnswer) {
  RoomMirror m("1", 500, kTtl);
  m.listening(true);
  const auto read = m.begin_read();
  // Heard while the read is under way; the read saw the first (t1 joined) but not the
  // second (t1 left) and the third (t2 joined).
  m.heard(put("t1", entry(1, kNow, 1)));
  m.heard("dt1");
  m.heard(put("t2", entry(2, kNow, 2)));
  const std::string v1 = entry(1, kNow, 1);
  const RoomMirror::ReadEntry seen{"t1", "1", "", v1};
  ASSERT_TRUE(m.finish_read(read, {&seen, 1}, presence::kNoLockVersion, kNow));
  Answer a = ask(m);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.names(), std::vector<std::string>{"User 2"});
}

TEST(RoomMirror, WhatNoNoticeDescribesIsReadAgain) {
  for (const char* notice : {"changed", "garbage", "s2:t1{not json", "s2:t1{\"user_id\":5}"}) {
    RoomMirror m = listening_room(2);
    m.heard(notice);
    EXPECT_FALSE(ask(m).trusted) << notice;
  }
  RoomMirror capped("1", 2, kTtl);
  capped.listening(true);
  ASSERT_TRUE(capped.finish_read(capped.begin_read(), {}, presence::kNoLockVersion, kNow));
  capped.heard(put("a", entry(1, kNow, 1)));
  capped.heard(put("b", entry(2, kNow, 2)));
  EXPECT_TRUE(ask(capped).trusted);
  capped.heard(put("c", entry(3, kNow, 3)));
  EXPECT_FALSE(ask(capped).trusted) << "more tabs than the record may hold: someone else publishes; read the truth";
  EXPECT_EQ(capped.tabs(), 2u);
}

TEST(RoomMirror, ADeadlineOrTheHostAppsTabsSendItBackToRedis) {
  RoomMirror m = listening_room(2);
  Answer a = ask(m);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.state.next_expiry_ms, kTtl / 3) << "a third of the TTL: the host app's tabs, which publish nothing";
  EXPECT_TRUE(ask(m, kNow + kTtl / 3 - 1).trusted);
  EXPECT_FALSE(ask(m, kNow + kTtl / 3).trusted);

  // A tab seen long ago is due before that: renewed unheard or expired, only a read tells.
  RoomMirror old = listening_room(1, kNow - kTtl + 5'000);
  old.heard(put("t2", entry(2, kNow, 2)));
  a = ask(old, kNow);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.state.next_expiry_ms, 5'000);
  EXPECT_FALSE(ask(old, kNow + 5'000).trusted);
}

TEST(RoomMirror, ATooLongReadIsNotTrusted) {
  RoomMirror m("1", 10'000, kTtl);
  m.listening(true);
  const auto read = m.begin_read();
  for (std::size_t i = 0; i <= RoomMirror::kMaxHeardDuringRead; ++i) m.heard(put("t", entry(1, kNow, 1)));
  ASSERT_TRUE(m.finish_read(read, {}, presence::kNoLockVersion, kNow));
  EXPECT_FALSE(ask(m).trusted) << "notices were dropped while it was under way";
  EXPECT_FALSE(m.finish_read(read, {}, presence::kNoLockVersion, kNow)) << "a read is taken once";
}

TEST(RoomMirror, SavesMarkOlderTabsStale) {
  RoomMirror m("1", 500, kTtl);
  m.listening(true);
  presence::User u;
  u.id = "1";
  u.id_is_number = true;
  u.name = "A";
  presence::HeartbeatInput tab;
  tab.tab_id = "t";
  tab.lock_version = 3;
  std::string head, tail;
  store::redis::value_head(head, u, tab);
  store::redis::value_tail(tail, tab);
  const std::string v = head + std::string(presence::Iso8601(kNow).view()) + tail + "1}";
  const RoomMirror::ReadEntry e{"t1", "1", "", v};
  ASSERT_TRUE(m.finish_read(m.begin_read(), {&e, 1}, 3, kNow));
  EXPECT_FALSE(ask(m).viewers.at(0).stale);
  m.saved(4);
  EXPECT_TRUE(ask(m).viewers.at(0).stale);
  m.saved(2);  // an older save heard late: the latest stays
  EXPECT_EQ(ask(m).state.saved_version, 4u);
}

}  // namespace
}  // namespace presenced::testing
