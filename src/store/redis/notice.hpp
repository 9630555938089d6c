#pragma once
// What travels between nodes on a record's channel, `presenced:{<key>}` (the record's key
// in the host app's layout, in braces: on a cluster the channel hashes to the key's slot,
// the only one a script may publish to): "changed", published by the scripts that change presence,
// or a saved notice, {"lock_version":N,"by":{"id":42,"name":"Alice"}}.

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

std::string encode_saved_notice(const presence::User& by, std::uint32_t lock_version);

struct SavedNotice {
  presence::User by;  // id, id_is_number and name; the tenant is the channel's
  std::uint32_t lock_version = 0;
};
std::optional<SavedNotice> decode_saved_notice(std::string_view payload);

}  // namespace presenced::store::redis
