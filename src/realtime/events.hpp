#pragma once
// Server messages of the WebSocket protocol (docs/protocol.md), serialised once per
// change for all their receivers.
//
// A presence event lists every viewer but must never show a receiver their own user.
// So it is written once with every viewer, remembering where each viewer's entry lies,
// and each receiver is sent the same bytes with at most their own entry cut out: two
// buffers into one shared text, no copy and no second serialisation.

#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::realtime {

struct PresenceEvent {
  std::string record_key;  // "tenant:type:id", to coalesce a receiver's queue by record
  std::string text;
  struct Entry {
    std::string user_id;
    std::size_t begin, end;  // the viewer's object within `text`
  };
  std::vector<Entry> entries;  // in list order

  // The parts of `text` to send to `receiver_id`: [0, cut_begin) and [cut_end, size).
  std::pair<std::size_t, std::size_t> cut_for(std::string_view receiver_id) const;
};

struct Transitions {
  std::vector<std::string> joined, left, updated;  // user ids, as JSON (42 or "u-42")
};

// `seq`: the record's event number on this node (docs/protocol.md): a snapshot carries the
// number of the last change it includes, each change the next one.
std::shared_ptr<const PresenceEvent> make_presence_event(std::string record_key, presence::RecordRef record,
                                                         std::uint64_t seq,
                                                         const std::vector<presence::Viewer>& viewers,
                                                         const Transitions& transitions);

// Which users joined, left or changed from `before` to `after` (both lists of everyone).
Transitions diff_viewers(const std::vector<presence::Viewer>& before, const std::vector<presence::Viewer>& after);

std::string make_saved_event(presence::RecordRef record, const presence::User& by, std::uint32_t lock_version);
std::string make_error(std::string_view code, std::string_view message);

// A user id as it appears in JSON: 42 for a numeric id, "u-42" otherwise.
std::string json_id(std::string_view id, bool is_number);
inline std::string json_id(const presence::User& u) { return json_id(u.id, u.id_is_number); }
inline std::string json_id(const presence::Viewer& v) { return json_id(v.id, v.id_is_number); }

}  // namespace presenced::realtime
