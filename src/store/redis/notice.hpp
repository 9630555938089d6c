#pragma once
// What travels between nodes on a record's channel, `presenced:{<key>}` (the record's key
// in the host app's layout, in braces: on a cluster the channel hashes to the key's slot,
// the only one a script may publish to), published by the scripts that change presence:
//   s<n>:<tab id><value>   a tab joined or changed: its id (n bytes) and the entry written
//   d<tab id>              a tab left
//   changed                something changed that no notice describes (expired entries
//                          cleaned, a user's tabs removed): read the record again
//   {"lock_version":N,"by":{"id":42,"name":"Alice"}}   a save
// A tab's notice carries what the script wrote, so that a node keeps the room from the
// notices (room_mirror.hpp) instead of reading it again after every change.

#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced::store::redis {

// The channel's and the keys' names are in store/layout.hpp. With webhooks,
// `presenced_occupied:{<key>}` marks a record whose occupancy was told and whose vacancy
// is not yet: in the record's slot, deleted by whoever tells the vacancy (scripts.cpp,
// docs/webhooks.md).

inline constexpr std::string_view kChangedNotice = "changed";

struct TabNotice {
  bool removed = false;
  std::string_view tab_id;
  std::string_view value;  // the entry written (empty when removed)
};
// "<n>:<n bytes>" at the start of `in` (n from 1 to 99,999, in decimal): the n bytes, with
// `in` moved past them; none, and `in` untouched, when it does not start with one. How a
// tab id is framed in a notice and in a full read's entry (room_mirror.hpp).
std::optional<std::string_view> take_counted(std::string_view& in);

// A tab's notice, or none: anyone who can publish on a shared Redis may send anything.
std::optional<TabNotice> decode_tab_notice(std::string_view payload);

std::string encode_saved_notice(const presence::User& by, std::uint32_t lock_version);

struct SavedNotice {
  presence::User by;  // id, id_is_number and name; the tenant is the channel's
  std::uint32_t lock_version = 0;
};
std::optional<SavedNotice> decode_saved_notice(std::string_view payload);

}  // namespace presenced::store::redis
