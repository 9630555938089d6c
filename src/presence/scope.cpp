#include "presence/scope.hpp"

#include "presence/validation.hpp"

#include <algorithm>

namespace presenced::presence {
namespace {

// "*" is stored as empty; anything else must be a valid path segment.
bool read_part(std::string_view part, std::string& out) {
  if (part == "*") {
    out.clear();
    return true;
  }
  if (!is_valid_segment(part)) return false;
  out.assign(part);
  return true;
}

}  // namespace

bool Scope::add(std::string_view pattern) {
  if (patterns_.size() >= kMaxPatterns) return false;
  if (pattern == "*") pattern = "*:*";
  const auto colon = pattern.find(':');
  if (colon == std::string_view::npos) return false;
  Pattern p;
  if (!read_part(pattern.substr(0, colon), p.type) || !read_part(pattern.substr(colon + 1), p.id)) return false;
  patterns_.push_back(std::move(p));
  return true;
}

bool Scope::allows(std::string_view type, std::string_view id) const {
  if (!restricted_) return true;
  return std::any_of(patterns_.begin(), patterns_.end(), [&](const Pattern& p) {
    return (p.type.empty() || p.type == type) && (p.id.empty() || p.id == id);
  });
}

}  // namespace presenced::presence
