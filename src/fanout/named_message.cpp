#include "fanout/named_message.hpp"

#include <charconv>

namespace presenced::fanout {
namespace {

// `digits` as a decimal number: digits only (no sign, no leading zero but "0"), in range.
template <typename Number>
bool read_decimal(std::string_view digits, Number& out) {
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return false;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

// A decimal number up to `end`, with `in` moved past it and `end`; false otherwise.
template <typename Number>
bool take_number(std::string_view& in, char end, Number& out) {
  const auto stop = in.find(end);
  if (stop == std::string_view::npos || !read_decimal(in.substr(0, stop), out)) return false;
  in.remove_prefix(stop + 1);
  return true;
}

}  // namespace

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
