#include "store/redis/redis_url.hpp"

#include <charconv>

namespace presenced::store::redis {
namespace {

template <typename T>
bool to_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// host, host:port, [v6] or [v6]:port
bool parse_host_port(std::string_view rest, std::string& host_out, std::uint16_t& port_out, std::string& error) {
  std::string_view host = rest, port;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "an IPv6 host must be in brackets";
      return false;
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        error = "expected :port after the host";
        return false;
      }
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (!port.empty() || rest.ends_with(':')) {
    if (!to_number(port, port_out) || port_out == 0) {
      error = "the port must be a number from 1 to 65535";
      return false;
    }
  }
  if (host.empty()) {
    error = "the host is missing";
    return false;
  }
  host_out = host;
  return true;
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error) {
  constexpr std::string_view scheme = "redis://", cluster_scheme = "redis-cluster://";
  RedisEndpoint ep;
  std::string_view rest;
  if (url.starts_with(scheme)) {
    rest = url.substr(scheme.size());
  } else if (url.starts_with(cluster_scheme)) {
    rest = url.substr(cluster_scheme.size());
    ep.cluster = true;
  } else {
    error = "must start with redis:// or redis-cluster://";
    return std::nullopt;
  }

  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      ep.password = credentials;  // redis://password@host, as some clients accept
    } else {
      ep.user = credentials.substr(0, colon);
      ep.password = credentials.substr(colon + 1);
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!to_number(db, ep.db) || ep.db < 0)) {
      error = "the database must be a number";
      return std::nullopt;
    }
    if (ep.cluster && ep.db != 0) {
      error = "a cluster has only database 0";
      return std::nullopt;
    }
  }
  if (!ep.cluster) {
    if (!parse_host_port(rest, ep.host, ep.port, error)) return std::nullopt;
    return ep;
  }
  while (true) {
    const auto comma = rest.find(',');
    std::pair<std::string, std::uint16_t> seed{{}, 6379};
    if (!parse_host_port(rest.substr(0, comma), seed.first, seed.second, error)) return std::nullopt;
    ep.seeds.push_back(std::move(seed));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  ep.host = ep.seeds.front().first;
  ep.port = ep.seeds.front().second;
  return ep;
}

std::string RedisEndpoint::url() const {
  std::string out = cluster ? "redis-cluster://" : "redis://";
  if (!cluster) return out + host + ":" + std::to_string(port) + (db ? "/" + std::to_string(db) : "");
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    if (i) out += ",";
    out += seeds[i].first + ":" + std::to_string(seeds[i].second);
  }
  return out;
}

}  // namespace presenced::store::redis
