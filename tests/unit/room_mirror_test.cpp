// A node's copy of a watched room on Redis, kept from the scripts' notices: trusted only
// while every notice is heard, read again where it cannot be, and exact over a read that
// crossed notices in flight.
#include "presence/iso8601.hpp"
#include "store/redis/entry_codec.hpp"
#include "store/redis/notice.hpp"
#include "store/redis/room_mirror.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

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

// The host app's tabs join when first seen, to the second: many share a join time. Reads
// that list them in different orders (Redis's hash order is no order) give one room, so a
// read again sends subscribers no reordering.
TEST(RoomMirror, TabsThatJoinedTogetherKeepOneOrder) {
  std::vector<std::string> ids, values;
  for (int i = 0; i < 50; ++i) {
    ids.push_back("app" + std::to_string(i));
    values.push_back(entry(i + 1, kNow, 7));
  }
  std::vector<RoomMirror::ReadEntry> read;
  for (int i = 0; i < 50; ++i) read.push_back({ids[i], "7", "", values[i]});
  RoomMirror m("1", 500, kTtl);
  m.listening(true);
  ASSERT_TRUE(m.finish_read(m.begin_read(), read, presence::kNoLockVersion, kNow));
  const auto first = ask(m).names();
  std::reverse(read.begin(), read.end());
  ASSERT_TRUE(m.finish_read(m.begin_read(), read, presence::kNoLockVersion, kNow));
  EXPECT_EQ(ask(m).names(), first);
  m.heard(put("app3", entry(4, kNow, 7, presence::Mode::edit)));  // an update keeps its place
  EXPECT_EQ(ask(m).names(), first);
}

// A read's packed entry, as the room and due scripts give it.
std::string packed(const std::string& tab, std::uint64_t joined, const std::string& value) {
  return std::to_string(tab.size()) + ":" + tab + std::to_string(joined) + "::" + value;
}

TEST(RoomMirror, OnlyTheDueTabsAreInDoubt) {
  // t1 seen long ago (due 5 s from now), t2 and t3 just now.
  RoomMirror m = listening_room(1, kNow - kTtl + 5'000);
  m.heard(put("t2", entry(2, kNow, 2)));
  m.heard(put("t3", entry(3, kNow, 3)));
  std::vector<std::string> due;
  EXPECT_EQ(m.doubt(kNow, &due), RoomMirror::Doubt::none);
  EXPECT_TRUE(due.empty());
  EXPECT_EQ(m.doubt(kNow + 5'000, &due), RoomMirror::Doubt::due);
  EXPECT_EQ(due, std::vector<std::string>{"t1"});
  EXPECT_EQ(m.doubt(kNow + 5'000), RoomMirror::Doubt::all) << "without a list to fill, a due tab means a read";
  EXPECT_FALSE(ask(m, kNow + 5'000).trusted);

  // Renewed: the check's answer gives its new deadline, and the room is trusted again.
  const auto check = m.begin_check();
  const std::string renewed = packed("t1", 1, entry(1, kNow + 4'000, 1));
  const std::vector<std::string_view> found{renewed};
  ASSERT_TRUE(m.finish_check(check, due, found));
  Answer a = ask(m, kNow + 5'000);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.names(), (std::vector<std::string>{"User 1", "User 2", "User 3"})) << "in join order still";

  // Gone (expired and removed by the check, or by someone): the others are left, trusted.
  EXPECT_EQ(m.doubt(kNow + kTtl / 3, &due), RoomMirror::Doubt::all)
      << "a check does not stand for the read that the host app's tabs need";
  const std::vector<std::string> only{"t1"};
  const std::vector<std::string_view> gone{""};
  RoomMirror fresh = listening_room(3, kNow);
  fresh.heard(put("t1", entry(1, kNow - kTtl + 5'000, 1)));
  ASSERT_EQ(fresh.doubt(kNow + 5'000, &due), RoomMirror::Doubt::due);
  ASSERT_TRUE(fresh.finish_check(fresh.begin_check(), only, gone));
  a = ask(fresh, kNow + 5'000);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.names(), (std::vector<std::string>{"User 2", "User 3"}));
}

TEST(RoomMirror, ACheckDoesNotUndoWhatWasHeardMeanwhile) {
  RoomMirror m = listening_room(2, kNow);
  m.heard(put("t1", entry(1, kNow - kTtl + 5'000, 1)));
  std::vector<std::string> due;
  ASSERT_EQ(m.doubt(kNow + 5'000, &due), RoomMirror::Doubt::due);
  const auto check = m.begin_check();
  m.heard("dt1");  // unregistered while the check was under way; the check saw it live
  const std::string stale = packed("t1", 1, entry(1, kNow + 1'000, 1));
  const std::vector<std::string_view> found{stale};
  ASSERT_TRUE(m.finish_check(check, due, found));
  Answer a = ask(m, kNow + 5'000);
  ASSERT_TRUE(a.trusted);
  EXPECT_EQ(a.names(), std::vector<std::string>{"User 2"}) << "the removal heard stands";
}

TEST(RoomMirror, ACheckThatCrossedAReadOrADoubtIsNotTaken) {
  const std::vector<std::string> due{"t1"};
  const std::string live = packed("t1", 1, entry(1, kNow, 1));
  const std::vector<std::string_view> found{live};
  {
    RoomMirror m = listening_room(2, kNow);
    const auto check = m.begin_check();
    ASSERT_TRUE(m.finish_read(m.begin_read(), {}, presence::kNoLockVersion, kNow));  // the room emptied
    EXPECT_FALSE(m.finish_check(check, due, found));
    EXPECT_EQ(m.tabs(), 0u) << "the read's answer stands";
  }
  {
    RoomMirror m = listening_room(2, kNow);
    const auto check = m.begin_check();
    m.heard("changed");
    EXPECT_FALSE(m.finish_check(check, due, found));
  }
  {
    RoomMirror m = listening_room(2, kNow);
    const auto check = m.begin_check();
    const std::vector<std::string_view> short_answer;
    EXPECT_FALSE(m.finish_check(check, due, short_answer)) << "an answer that does not match the question";
    EXPECT_EQ(m.tabs(), 2u);
  }
  {
    // Entries that cannot be read, or that name another tab, are not presence.
    RoomMirror m = listening_room(2, kNow);
    const std::string other = packed("t9", 1, entry(1, kNow, 1));
    for (std::string_view bad : {std::string_view("garbage"), std::string_view(other),
                                 std::string_view("2:t11::{\"user_id\":1}")}) {
      const std::vector<std::string_view> answer{bad};
      EXPECT_TRUE(m.finish_check(m.begin_check(), due, answer));
    }
    EXPECT_EQ(m.tabs(), 1u);
  }
}

TEST(RoomMirror, ManyDueTabsAreReadInFull) {
  RoomMirror m = listening_room(static_cast<int>(RoomMirror::kMaxDueChecked) + 1, kNow - kTtl + 1'000);
  std::vector<std::string> due;
  EXPECT_EQ(m.doubt(kNow + 1'000, &due), RoomMirror::Doubt::all);
  RoomMirror fewer = listening_room(static_cast<int>(RoomMirror::kMaxDueChecked), kNow - kTtl + 1'000);
  EXPECT_EQ(fewer.doubt(kNow + 1'000, &due), RoomMirror::Doubt::due);
  EXPECT_EQ(due.size(), RoomMirror::kMaxDueChecked);
}

// A page from the mirror is the whole roll-up without the caller, cut: random rooms
// (users with several tabs, tabs leaving and moving to other users) at every offset.
TEST(RoomMirror, APageIsTheRollUpCut) {
  std::mt19937 random(24);
  for (int round = 0; round < 50; ++round) {
    RoomMirror m = listening_room(0);
    for (int step = 0; step < 200; ++step) {
      const std::string tab = "t" + std::to_string(random() % 60);
      if (random() % 4 == 0) m.heard("d" + tab);
      else m.heard(put(tab, entry(static_cast<int>(random() % 25), kNow, random() % 1000)));
    }
    presence::User caller;
    caller.id = std::to_string(random() % 25);
    Answer whole = ask(m);
    ASSERT_TRUE(whole.trusted);
    std::vector<std::string> others;
    for (const auto& v : whole.viewers) {
      if (v.id != caller.id) others.push_back(v.name + "/" + std::to_string(v.tabs));
    }
    for (std::size_t offset : {0u, 1u, 7u, 30u}) {
      for (std::size_t limit : {1u, 5u, 20u, 100u}) {
        std::vector<presence::Viewer> page;
        presence::Totals totals;
        m.page(caller, offset, limit, page, totals);
        std::vector<std::string> want(others.begin() + std::min(offset, others.size()),
                                      others.begin() + std::min(offset + limit, others.size()));
        std::vector<std::string> got;
        for (const auto& v : page) got.push_back(v.name + "/" + std::to_string(v.tabs));
        ASSERT_EQ(got, want) << "round " << round << " offset " << offset << " limit " << limit;
        ASSERT_EQ(totals.users, whole.state.totals.users);
        ASSERT_EQ(totals.tabs, whole.state.totals.tabs);
      }
    }
  }
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
