#pragma once
// A named channel's message as it travels between nodes (through the store's
// publish_named): "<origin node>:<except node>.<except id>:<text>", the numbers in decimal.
// The origin tells a node its own messages apart (it delivered them itself); the except
// socket (Pusher's socket_id, "<node>.<id>"; 0.0: none) is left out on the node it lives
// on. The text is the frame as every subscriber receives it.
//
// Read back from a Redis that others share: anything that is not exactly this is dropped.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced::fanout {

// A connection anywhere in the cluster: its node and its id there (0: none).
struct SocketRef {
  std::uint32_t node = 0;
  std::uint64_t id = 0;
  bool operator==(const SocketRef&) const = default;
};

// Pusher's socket_id, "<node>.<id>" in decimal, or none.
std::optional<SocketRef> parse_socket_id(std::string_view socket_id);

struct NamedMessage {
  std::uint32_t origin = 0;
  SocketRef except;
  std::string_view text;  // into the payload
};

std::string encode_named_message(std::uint32_t origin, SocketRef except, std::string_view text);
std::optional<NamedMessage> decode_named_message(std::string_view payload);

}  // namespace presenced::fanout
