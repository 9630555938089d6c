#pragma once
// A cluster's slot map, as CLUSTER SLOTS tells it, and the redirections (MOVED, ASK)
// a node answers when a key's slot is not, or no longer, its own.

#include "store/redis/cluster/key_slot.hpp"

#include <hiredis/hiredis.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::store::redis::cluster {

struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const NodeAddress&) const = default;
};

struct SlotMap {
  static constexpr std::uint16_t kNoNode = 0xFFFF;
  std::vector<NodeAddress> masters;
  std::array<std::uint16_t, kSlots> owner;  // index into masters, or kNoNode
  bool covers_every_slot() const;
};

// CLUSTER SLOTS' reply: [[first, last, [host, port, id, ...], replicas...], ...]. Nothing
// when the reply is not of that form. A master announced with an empty host is at
// `fallback_host` (the node that answered), as Redis documents.
std::optional<SlotMap> parse_cluster_slots(const redisReply& reply, std::string_view fallback_host);

struct Redirect {
  enum class Kind { moved, ask } kind;
  std::uint16_t slot;
  NodeAddress to;
};
// "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381"; nothing for any other error.
std::optional<Redirect> parse_redirect(std::string_view error);

// Errors after which the same command may succeed shortly on the same slot: a slot
// whose keys are being migrated (TRYAGAIN), a cluster that is failing over
// (CLUSTERDOWN), a node that is loading or was just demoted (LOADING, READONLY, MASTERDOWN).
bool is_transient_cluster_error(std::string_view error);

}  // namespace presenced::store::redis::cluster
