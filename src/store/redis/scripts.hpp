#pragma once
// The Lua scripts that make each presence operation one atomic round trip to Redis, on
// the host app's layout: a hash per record, `tenant_{t}_record_presence:{type}:{id}`, a
// field per tab whose value is JSON {"user_id","user_name","mode","dirty",
// "last_seen_at", ...}. See scripts.cpp for the scripts and docs/redis.md for the layout.

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::store::redis {

struct Script {
  std::string_view name;
  std::string source;
  std::string sha1;  // hex, as EVALSHA wants it
};

// A store's scripts. The heartbeat script has the tab limits written into its text (a
// store's limits do not change, and every argument costs each call a little: most calls
// are renewals, which never look at the limits). `sharded`: on a cluster, changes are
// published with SPUBLISH, on the record's slot, instead of PUBLISH.
struct Scripts {
  Script heartbeat, viewers, viewers_many, room, due, size, tabs, remove_user, unregister, saved, expired, publish_named;
};

// With webhooks, a record's occupancy marker (notice.hpp) is given the TTL and this at a
// join, an update, and the first renewal of each hour (a PEXPIRE on every renewal cost
// Redis a tenth of its heartbeat throughput): so it outlives the record by up to this,
// long enough for the key's expiry to be heard and the marker deleted then. A marker
// still there at the next join means that vacancy went unheard: it is told then.
inline constexpr std::int64_t kOccupancyGraceMs = 2 * 3600 * 1000;
Scripts make_scripts(std::size_t max_tabs_per_record, std::size_t max_tabs_per_user, bool sharded);

}  // namespace presenced::store::redis
