#include "store/redis/cluster/slot_map.hpp"

#include <algorithm>
#include <charconv>

namespace presenced::store::redis::cluster {
namespace {

std::string_view text(const redisReply& r) { return {r.str, r.len}; }

bool read_integer(const redisReply& r, long long& out) {
  if (r.type == REDIS_REPLY_INTEGER) {
    out = r.integer;
    return true;
  }
  return false;
}

template <typename T>
bool to_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool SlotMap::covers_every_slot() const {
  return std::none_of(owner.begin(), owner.end(), [](std::uint16_t o) { return o == kNoNode; });
}

std::optional<SlotMap> parse_cluster_slots(const redisReply& reply, std::string_view fallback_host) {
  if (reply.type != REDIS_REPLY_ARRAY) return std::nullopt;
  SlotMap map;
  map.owner.fill(SlotMap::kNoNode);
  for (std::size_t i = 0; i < reply.elements; ++i) {
    const redisReply& range = *reply.element[i];
    long long first = 0, last = 0, port = 0;
    if (range.type != REDIS_REPLY_ARRAY || range.elements < 3 || !read_integer(*range.element[0], first) ||
        !read_integer(*range.element[1], last) || first < 0 || last < first || last >= kSlots) {
      return std::nullopt;
    }
    const redisReply& master = *range.element[2];
    if (master.type != REDIS_REPLY_ARRAY || master.elements < 2 || master.element[0]->type != REDIS_REPLY_STRING ||
        !read_integer(*master.element[1], port) || port <= 0 || port > 65535) {
      return std::nullopt;
    }
    NodeAddress address{std::string(text(*master.element[0])), static_cast<std::uint16_t>(port)};
    if (address.host.empty() || address.host == "?") address.host = fallback_host;
    auto at = std::find(map.masters.begin(), map.masters.end(), address);
    if (at == map.masters.end()) at = map.masters.insert(map.masters.end(), std::move(address));
    const auto index = static_cast<std::uint16_t>(at - map.masters.begin());
    std::fill(map.owner.begin() + first, map.owner.begin() + last + 1, index);
  }
  return map;
}

std::optional<Redirect> parse_redirect(std::string_view error) {
  Redirect r{};
  if (error.starts_with("MOVED ")) {
    r.kind = Redirect::Kind::moved;
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    r.kind = Redirect::Kind::ask;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = error.find(' ');
  const auto colon = error.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) return std::nullopt;
  if (!to_number(error.substr(0, space), r.slot) || r.slot >= kSlots) return std::nullopt;
  if (!to_number(error.substr(colon + 1), r.to.port) || r.to.port == 0) return std::nullopt;
  r.to.host = error.substr(space + 1, colon - space - 1);
  if (r.to.host.empty()) return std::nullopt;
  return r;
}

bool is_transient_cluster_error(std::string_view error) {
  for (std::string_view prefix : {"TRYAGAIN", "CLUSTERDOWN", "LOADING", "READONLY", "MASTERDOWN"}) {
    if (error.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace presenced::store::redis::cluster
