#include "fanout/named_message.hpp"

#include <charconv>

namespace presenced::fanout {
namespace {

// A decimal number of digits only (no sign, no leading zero but "0") up to `end`, with
// `in` moved past it and `end`; false, `in` untouched, otherwise.
template <typename Number>
bool take_number(std::string_view& in, char end, Number& out) {
  const auto stop = in.find(end);
  if (stop == std::string_view::npos || stop == 0) return false;
  const std::string_view digits = in.substr(0, stop);
  if (digits.size() > 1 && digits.front() == '0') return false;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  in.remove_prefix(stop + 1);
  return true;
}

}  // namespace

std::optional<SocketRef> parse_socket_id(std::string_view socket_id) {
  SocketRef ref;
  std::string_view in = socket_id;
  if (!take_number(in, '.', ref.node) || in.empty() || in.front() == '+' || in.front() == '-') return std::nullopt;
  if (in.size() > 1 && in.front() == '0') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(in.data(), in.data() + in.size(), ref.id);
  if (ec != std::errc() || ptr != in.data() + in.size()) return std::nullopt;
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
