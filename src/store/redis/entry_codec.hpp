#pragma once
// A tab's entry in the record's hash, as JSON text both ways: what presenced writes (in
// the pieces the heartbeat script joins) and what it reads back, from presenced or from
// the host app (PHP's json_encode, Carbon's toISOString). No Redis here: the codec is
// tested on its own against the host app's variants.

#include "presence/aggregation.hpp"
#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace presenced::store::redis {

// The value in the pieces the heartbeat script takes: head (up to and including
// `"last_seen_at":"`), then the stamp ("2026-01-21T19:30:15.123Z", ISO-8601 in UTC as the
// host app reads it), then tail (up to and including `"joined_us":`). The script puts the
// join time (kept from the tab's earlier entry, or Redis's now) and "}" after them.
void value_head(std::string& out, const presence::User& user, const presence::HeartbeatInput& tab);
void value_tail(std::string& out, const presence::HeartbeatInput& tab);

// The text of the integer value of member `name` of a JSON object's text, when the member
// occurs exactly once as `"name":` followed by an integer. JSON parsers read numbers as
// doubles or 64-bit integers; ids are compared as exact text, so they are read from here
// (the Lua scripts' user_of() applies the same rule).
std::optional<std::string_view> integer_member_text(std::string_view json, std::string_view name);

// One entry (`order`: its join time in microseconds, `value`: its JSON) into `user`
// (`tenant` given) and a tab view whose field is kept in `field`. False when the entry
// cannot be read (it is then not presence): not an object, or no readable user id.
bool read_entry(std::string_view order, std::string_view value, std::string_view tenant, presence::User& user,
                std::string& field, presence::TabView& tab);

}  // namespace presenced::store::redis
