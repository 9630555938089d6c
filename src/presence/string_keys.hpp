#pragma once
// Hash and equality for maps keyed by std::string that are looked up by string_view
// (transparent: no string is built for a lookup).

#include <functional>
#include <string_view>

namespace presenced::presence {

struct StringKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct StringKeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

}  // namespace presenced::presence
