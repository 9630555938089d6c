#pragma once
// Decimal numbers in the messages nodes send each other through the store: read exactly
// (digits only, no sign, no leading zero but "0", in range), since a Redis that others
// share may hold anything.

#include <charconv>
#include <string_view>

namespace presenced::fanout {

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

}  // namespace presenced::fanout
