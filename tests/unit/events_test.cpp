// The presence events' bytes as each receiver gets them: one text per change, sliced per
// receiver (their own entry cut, a list bounded by their limit); and the slow reader's
// queue, which keeps the newest state of each record without breaking a diff's chain.
#include "fanout/events.hpp"
#include "realtime/outgoing.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace presenced::testing {
namespace {

using fanout::PresenceEvent;

presence::Viewer viewer(int id) {
  presence::Viewer v;
  v.id = std::to_string(id);
  v.id_is_number = true;
  v.name = "User " + std::to_string(id);
  v.tabs = 1;
  return v;
}

const presence::RecordRef kRecord{"1", "flow", "42"};

boost::json::value sent_to(const PresenceEvent& e, std::string_view receiver, std::uint32_t limit) {
  std::string bytes;
  for (auto [begin, end] : e.parts_for(receiver, limit)) bytes.append(e.text, begin, end - begin);
  return boost::json::parse(bytes);  // throws on a slice that is not JSON
}

std::vector<std::string> ids(const boost::json::value& m, const char* list) {
  std::vector<std::string> out;
  for (const auto& v : m.at(list).as_array()) out.push_back(boost::json::serialize(v.is_object() ? v.at("id") : v));
  return out;
}

// Every receiver position, every limit, small rooms and one large enough to be indexed:
// the first `limit` others, in order, never the receiver, with the totals untouched.
TEST(PresenceEvents, AListIsTheFirstLimitOthersForEveryReceiverAndLimit) {
  for (int n : {0, 1, 2, 3, 5, 40}) {
    std::vector<presence::Viewer> room;
    for (int i = 0; i < n; ++i) room.push_back(viewer(i));
    const auto snapshot = fanout::make_snapshot_event("k", kRecord, 3, room);
    for (int receiver = -1; receiver <= n; ++receiver) {  // -1: no user; n: not in the room
      const std::string self = receiver < 0 ? "" : std::to_string(receiver);
      std::vector<std::string> others;
      for (const auto& v : room) {
        if (v.id != self) others.push_back(v.id);
      }
      for (std::uint32_t limit : {0u, 1u, 2u, 3u, 4u, 39u, fanout::kNoLimit}) {
        const auto m = sent_to(*snapshot, self, limit);
        std::vector<std::string> expected(others.begin(), others.begin() + std::min<std::size_t>(limit, others.size()));
        ASSERT_EQ(ids(m, "viewers"), expected) << "n " << n << " receiver " << receiver << " limit " << limit;
        ASSERT_EQ(m.at("count").at("users").as_int64(), n);
        ASSERT_EQ(m.at("seq").as_int64(), 3);
      }
    }
  }
}

TEST(PresenceEvents, ADiffCutsTheReceiversOwnEntryWhereverItIs) {
  std::vector<presence::Viewer> before{viewer(1), viewer(2), viewer(3)};
  std::vector<presence::Viewer> after{viewer(1), viewer(2), viewer(3), viewer(4), viewer(5)};
  after[0].tabs = 2;
  after[2].tabs = 2;
  const auto t = fanout::diff_viewers(before, after);
  const auto diff = fanout::make_diff_event("k", kRecord, 8, after, t);
  EXPECT_EQ(ids(sent_to(*diff, "", fanout::kNoLimit), "joined"), (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(ids(sent_to(*diff, "4", 0), "joined"), std::vector<std::string>{"5"}) << "first of its array; no limit on diffs";
  EXPECT_EQ(ids(sent_to(*diff, "5", 0), "joined"), std::vector<std::string>{"4"}) << "last of its array";
  EXPECT_EQ(ids(sent_to(*diff, "1", 0), "updated"), std::vector<std::string>{"3"});
  EXPECT_EQ(ids(sent_to(*diff, "3", 0), "updated"), std::vector<std::string>{"1"});
  const auto m = sent_to(*diff, "2", 0);
  EXPECT_EQ(m.at("type"), "presence_diff");
  EXPECT_EQ(m.at("count").at("tabs").as_int64(), 7);
  EXPECT_EQ(m.at("joined").at(0).at("after"), boost::json::parse("[3,2]"));
  EXPECT_EQ(m.at("joined").at(1).at("after"), boost::json::parse("[4,3]"));

  const auto only = fanout::make_diff_event("k", kRecord, 9, {viewer(1)},
                                            fanout::diff_viewers(std::vector<presence::Viewer>{}, {viewer(1)}));
  const auto alone = sent_to(*only, "1", fanout::kNoLimit);
  EXPECT_TRUE(alone.at("joined").as_array().empty()) << "their own join: an empty diff but for the count";
  EXPECT_EQ(only->parts_for("1", fanout::kNoLimit)[2].first, only->text.size());
}

std::shared_ptr<const PresenceEvent> event(const char* record, PresenceEvent::Kind kind, std::uint64_t seq) {
  auto e = std::make_shared<PresenceEvent>();
  e->record_key = record;
  e->kind = kind;
  e->seq = seq;
  return e;
}

std::vector<std::string> shape(const std::vector<realtime::Outgoing>& q) {
  std::vector<std::string> out;
  for (const auto& o : q) {
    if (!o.event) {
      out.push_back("text");
      continue;
    }
    const char* kind = o.event->kind == PresenceEvent::Kind::diff ? "diff" : "list";
    out.push_back(o.event->record_key + " " + kind + " " + std::to_string(o.event->seq));
  }
  return out;
}

void push(std::vector<realtime::Outgoing>& q, std::size_t first, std::shared_ptr<const PresenceEvent> e) {
  if (!realtime::merge_presence(q, first, e, fanout::kNoLimit)) q.push_back({std::move(e), nullptr});
}

TEST(SlowReaders, ADiffReplacesAWaitingDiffButNeverAList) {
  using K = PresenceEvent::Kind;
  std::vector<realtime::Outgoing> q;
  push(q, 0, event("a", K::snapshot, 4));
  push(q, 0, event("a", K::diff, 5));
  push(q, 0, event("b", K::diff, 1));
  q.push_back({nullptr, std::make_shared<const std::string>("saved")});
  EXPECT_EQ(shape(q), (std::vector<std::string>{"a list 4", "a diff 5", "b diff 1", "text"})) << "a diff follows a list";
  push(q, 0, event("a", K::diff, 6));
  EXPECT_EQ(shape(q), (std::vector<std::string>{"a list 4", "a diff 6", "b diff 1", "text"})) << "6 replaces 5: a gap";
  push(q, 0, event("a", K::snapshot, 9));
  EXPECT_EQ(shape(q), (std::vector<std::string>{"a list 9", "b diff 1", "text"})) << "a list replaces all of its record";
  push(q, 1, event("b", K::diff, 2));
  EXPECT_EQ(shape(q), (std::vector<std::string>{"a list 9", "b diff 2", "text"}));
  push(q, 2, event("b", K::diff, 3));
  EXPECT_EQ(shape(q), (std::vector<std::string>{"a list 9", "b diff 2", "text", "b diff 3"})) << "the one being written stays";
  push(q, 0, event("a", K::full, 10));
  EXPECT_EQ(shape(q), (std::vector<std::string>{"a list 10", "b diff 2", "text", "b diff 3"}));
}

}  // namespace
}  // namespace presenced::testing

namespace presenced::testing {
namespace {

// The members a Pusher presence channel is told: who joined and who left, once per change;
// a user whose place moved (their first tab left, another stays) neither joined nor left.
TEST(PresenceEvents, MembersAreWhoJoinedAndLeftNeverWhoMoved) {
  std::vector<presence::Viewer> before{viewer(1), viewer(2), viewer(3)};
  std::vector<presence::Viewer> after{viewer(3), viewer(1), viewer(4)};  // 2 left, 4 joined, 3 moved ahead of 1
  presence::Viewer u = viewer(0);
  u.id = "u-9";
  u.id_is_number = false;
  after.push_back(u);
  const auto t = fanout::diff_viewers(before, after);
  auto diff = fanout::make_diff_event("k", kRecord, 2, after, t);
  EXPECT_FALSE(diff->has_members);
  fanout::add_members(*diff, after, t);
  ASSERT_TRUE(diff->has_members);
  std::vector<std::string> joined;
  for (const auto& m : diff->members) joined.push_back(m.id);
  EXPECT_EQ(joined, (std::vector<std::string>{"4", "u-9"}));
  EXPECT_EQ(diff->members_left, std::vector<std::string>{"2"});  // as text, not JSON
  EXPECT_EQ(boost::json::parse(diff->members[1].info), boost::json::parse(R"({"id":"u-9","name":"User 0"})"));

  auto snapshot = fanout::make_snapshot_event("k", kRecord, 2, after, 1);  // a list cut to one entry
  fanout::add_members(*snapshot, after);
  EXPECT_EQ(snapshot->members.size(), after.size()) << "members are everyone, whatever the list's bound";
}

}  // namespace
}  // namespace presenced::testing
