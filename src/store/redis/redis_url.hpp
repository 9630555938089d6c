#pragma once
// redis://[user:password@]host:port[/db] (also redis://:password@host:port), or a
// cluster: redis-cluster://[user:password@]host:port[,host:port...] (database 0 only).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::store::redis {

struct RedisEndpoint {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
  // redis-cluster://: the nodes to learn the cluster's slot map from, host:port above
  // the first of them. Every node is reached with the same credentials.
  bool cluster = false;
  std::vector<std::pair<std::string, std::uint16_t>> seeds;

  // The same credentials and database, another node (or, on one Redis, this one):
  // every connection made from it selects `db`.
  RedisEndpoint node(std::string_view node_host, std::uint16_t node_port) const {
    RedisEndpoint e{std::string(node_host), node_port, user, password, db, cluster, {}};
    return e;
  }
  std::string url() const;  // for logs, without the password
};

// Returns nullopt, with `error` set, when `url` is not of that form.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error);

}  // namespace presenced::store::redis
