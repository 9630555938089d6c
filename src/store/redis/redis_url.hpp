#pragma once
// redis://[user:password@]host:port[/db] (also redis://:password@host:port).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced::store::redis {

struct RedisEndpoint {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Returns nullopt, with `error` set, when `url` is not of that form.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error);

}  // namespace presenced::store::redis
