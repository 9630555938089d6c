#include "store/redis/redis_url.hpp"

#include <charconv>

namespace presenced::store::redis {
namespace {

template <typename T>
bool to_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error) {
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) {
    error = "must start with redis://";
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size());
  RedisEndpoint ep;

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
  }
  // host, host:port, [v6] or [v6]:port
  std::string_view host = rest, port;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "an IPv6 host must be in brackets";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        error = "expected :port after the host";
        return std::nullopt;
      }
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (!port.empty() || rest.ends_with(':')) {
    if (!to_number(port, ep.port) || ep.port == 0) {
      error = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
  }
  if (host.empty()) {
    error = "the host is missing";
    return std::nullopt;
  }
  ep.host = host;
  return ep;
}

}  // namespace presenced::store::redis
