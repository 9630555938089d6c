#pragma once
// Which records a token may touch: the optional `scope` claim, a list of patterns
// "type:id" where either part may be "*" ("flow:*", "form:42", "*:*"; "*" alone is
// "*:*"). A token without the claim may touch every record of its tenant; a token with
// it only the records one of its patterns covers (an empty list: none).

#include <string>
#include <string_view>
#include <vector>

namespace presenced::presence {

class Scope {
 public:
  static constexpr std::size_t kMaxPatterns = 100;

  // From now on only what the patterns added cover is allowed.
  void restrict() { restricted_ = true; }
  // Adds a pattern; false when it is not one (a segment as in a record path, or "*"), or
  // when there are already kMaxPatterns: the token is then refused, never widened.
  bool add(std::string_view pattern);

  bool restricted() const { return restricted_; }
  bool allows(std::string_view type, std::string_view id) const;

 private:
  struct Pattern {
    std::string type;  // empty: any
    std::string id;    // empty: any
  };
  std::vector<Pattern> patterns_;
  bool restricted_ = false;
};

}  // namespace presenced::presence
