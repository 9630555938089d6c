#pragma once
// The Lua scripts that make each presence operation one atomic round trip to Redis, on
// the host app's layout: a hash per record, `tenant_{t}_record_presence:{type}:{id}`, a
// field per tab whose value is JSON {"user_id","user_name","mode","dirty",
// "last_seen_at", ...}. See scripts.cpp for the scripts and docs/redis.md for the layout.

#include <string>
#include <string_view>

namespace presenced::store::redis {

struct Script {
  std::string_view name;
  std::string source;
  std::string sha1;  // hex, as EVALSHA wants it
};

// The heartbeat script with the tab limits written into its text (a store's limits do not
// change, and every argument costs each call a little: most calls are renewals, which
// never look at the limits).
Script heartbeat_script(std::size_t max_tabs_per_record, std::size_t max_tabs_per_user);
const Script& viewers_script();
const Script& viewers_many_script();
const Script& tabs_script();
const Script& remove_user_script();
const Script& unregister_script();
const Script& saved_script();

}  // namespace presenced::store::redis
