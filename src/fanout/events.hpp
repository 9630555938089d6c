#pragma once
// The presence events of the WebSocket protocol (docs/protocol.md) and its saved-version
// notice, serialised once per change for all their receivers (the hub's, fanout/hub.hpp).
//
// Three presence events. A snapshot lists everyone, on subscribe. After it, a diff
// carries only what changed (the default): entries that joined or changed, ids that left,
// so a change costs each receiver the size of the change, not of the room. A receiver
// that asked for the full form gets the whole list on every change instead.
//
// No event may show a receiver their own user, and a list may be bounded by the
// receiver's `limit`. So each event is written once with everyone, remembering where each
// entry lies, and each receiver is sent up to three slices of the same bytes: the start
// (their own entry cut out), the entries within their limit, the end. No copy and no
// second serialisation per receiver.

#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::fanout {

inline constexpr std::uint32_t kNoLimit = std::numeric_limits<std::uint32_t>::max();

// How a subscriber wants a record's changes (docs/protocol.md, subscribe).
struct SubscribeOptions {
  bool full = false;               // the whole list on every change, not diffs
  std::uint32_t limit = kNoLimit;  // entries in a list at most (snapshot, full form)
  bool members = false;            // wants the event's members too (a Pusher presence channel)
};

// A user as a Pusher presence channel shows them: the id as text ("42" for the number) and
// user_info, a JSON object's text: the member's own (MemberInfo) or, for a tab of another
// transport, {"id":..,"name":..,"avatar_url":..} from their token.
struct Member {
  std::string id;
  std::string info;
};

struct PresenceEvent {
  enum class Kind : std::uint8_t { snapshot, full, diff };
  Kind kind = Kind::snapshot;
  std::string record_key;  // "tenant:type:id", to coalesce a receiver's queue by record
  std::uint64_t seq = 0;
  std::string text;
  struct Entry {
    std::string user_id;
    std::size_t begin, end;  // the viewer's object within `text`
    std::uint8_t list;       // which array it is in: 0 viewers or joined, 1 updated
  };
  std::vector<Entry> entries;  // in text order
  std::size_t list_begin = 0, list_end = 0;  // snapshot and full: the viewers array's inside

  // For SubscribeOptions::members, written once for all such receivers (add_members):
  bool has_members = false;
  std::vector<Member> members;            // snapshot: everyone (not cut to a limit); diff: who joined
  std::vector<std::string> members_left;  // diff: who left, ids as text (not who moved: they stay)
  std::string escaped_text;               // `text` as a JSON string literal (a Pusher frame's data)

  using Part = std::pair<std::size_t, std::size_t>;  // [begin, end) of `text`
  // What `receiver_id` is sent: the parts in order, never their own entry, and of a list
  // (snapshot, full) the first `limit` others. A diff is sent whole (but for the cut).
  std::array<Part, 3> parts_for(std::string_view receiver_id, std::uint32_t limit) const;

  // Finds entries by user in a large event (built once the entries are in).
  void index_entries();

 private:
  std::size_t find(std::string_view user_id, std::size_t within) const;
  Part cut_around(std::size_t s, std::size_t last) const;
  boost::unordered_flat_map<std::string_view, std::uint32_t> by_user_;
};

// What changed from one read of a record to the next. Indices are into the newer list.
struct Transitions {
  std::vector<std::size_t> joined;   // new users, in list order
  std::vector<std::size_t> updated;  // entries that changed in place, in list order
  std::vector<std::size_t> moved;    // users whose place in the order changed (their first tab left)
  std::vector<std::string> left;     // gone, as JSON ids (42 or "u-42")
  std::vector<std::string> left_ids; // the same, as text (42 or u-42)
  bool empty() const { return joined.empty() && updated.empty() && moved.empty() && left.empty(); }
};

// What a diff needs of an entry sent before: whose it was, and a digest of what it showed.
// A channel keeps these for everyone rather than the entries themselves (a third of the
// memory in a large room).
struct SentEntry {
  std::string id;
  bool id_is_number = false;
  std::uint64_t digest = 0;  // entry_digest
};
// Everything an entry shows but its user's id: two entries with equal digests are taken as
// the same (64 bits: a change missed by a collision is one in 2^64).
std::uint64_t entry_digest(const presence::Viewer& v);
// `viewers` as sent, into `out` (its capacity kept).
void remember_sent(const std::vector<presence::Viewer>& viewers, std::vector<SentEntry>& out);

// Which users joined, left, changed or moved from `before` to `after` (both lists of
// everyone, in join order). Linear in the room.
Transitions diff_viewers(const std::vector<SentEntry>& before, const std::vector<presence::Viewer>& after);
Transitions diff_viewers(const std::vector<presence::Viewer>& before, const std::vector<presence::Viewer>& after);

// `seq`: the record's event number on this node (docs/protocol.md): a snapshot carries the
// number of the last change it includes, each change the next one.
// A snapshot's list holds the first `max_entries` of `viewers` (its count says everyone):
// enough for receivers whose limit is below it (limit + 1: one may be their own).
std::shared_ptr<PresenceEvent> make_snapshot_event(std::string record_key, presence::RecordRef record, std::uint64_t seq,
                                                   const std::vector<presence::Viewer>& viewers,
                                                   std::size_t max_entries = SIZE_MAX);
// The entries a list must hold for a receiver with `limit` (one may be their own).
inline std::size_t entries_for(std::uint32_t limit) { return limit == kNoLimit ? SIZE_MAX : std::size_t{limit} + 1; }
std::shared_ptr<PresenceEvent> make_full_event(std::string record_key, presence::RecordRef record, std::uint64_t seq,
                                               const std::vector<presence::Viewer>& viewers, const Transitions& t);
std::shared_ptr<PresenceEvent> make_diff_event(std::string record_key, presence::RecordRef record, std::uint64_t seq,
                                               const std::vector<presence::Viewer>& viewers, const Transitions& t);

// Adds the members to a snapshot (everyone in `viewers`) or a diff (who joined and left in `t`).
void add_members(PresenceEvent& snapshot, const std::vector<presence::Viewer>& viewers);
void add_members(PresenceEvent& diff, const std::vector<presence::Viewer>& viewers, const Transitions& t);
Member member_of(const presence::Viewer& v);
Member member_of(const presence::Person& p);  // a subscriber themselves, as the others see them

std::string make_saved_event(presence::RecordRef record, const presence::User& by, std::uint32_t lock_version);

// A user id as it appears in JSON: 42 for a numeric id, "u-42" otherwise.
std::string json_id(std::string_view id, bool is_number);
inline std::string json_id(const presence::User& u) { return json_id(u.id, u.id_is_number); }
inline std::string json_id(const presence::Viewer& v) { return json_id(v.id, v.id_is_number); }

}  // namespace presenced::fanout
