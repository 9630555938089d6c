#include "fanout/named_message.hpp"

#include "fanout/decimal.hpp"

namespace presenced::fanout {

std::optional<SocketRef> parse_socket_id(std::string_view socket_id) {
  SocketRef ref;
  if (!take_number(socket_id, '.', ref.node) || !read_decimal(socket_id, ref.id)) return std::nullopt;
  return ref;
}

std::string encode_named_message(std::uint32_t origin, SocketRef except, std::string_view text) {
  std::string out;
  out.reserve(48 + text.size());
  out.append(std::to_string(origin)).append(1, ':');
  out.append(std::to_string(except.node)).append(1, '.').append(std::to_string(except.id)).append(1, ':');
  out.append(text);
  return out;
}

std::optional<NamedMessage> decode_named_message(std::string_view payload) {
  NamedMessage m;
  if (!take_number(payload, ':', m.origin)) return std::nullopt;
  if (!take_number(payload, '.', m.except.node)) return std::nullopt;
  if (!take_number(payload, ':', m.except.id)) return std::nullopt;
  m.text = payload;
  return m;
}

}  // namespace presenced::fanout
