#pragma once
// Who is calling: the verified claims of a token. Shared by reference count between the
// token cache and every tab the user has open, so a tab costs one pointer, not two strings.

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <cstdint>
#include <string>

namespace presenced::presence {

struct User : boost::intrusive_ref_counter<User, boost::thread_safe_counter> {
  std::string id;              // `sub` as text; "42" for the number 42
  bool id_is_number = false;   // echo back as given
  std::string name;
  std::string tenant;          // `tenant_id` as text, validated like a path segment
};

using UserPtr = boost::intrusive_ptr<const User>;

// Two tokens name the same user when tenant and id match as text: the host app groups
// tabs by user_id the same way (PHP array keys turn "42" and 42 into one key).
inline bool same_user(const User& a, const User& b) {
  return &a == &b || (a.id == b.id && a.tenant == b.tenant);
}

struct Identity {
  UserPtr user;
  std::int64_t expires_at = 0;  // unix seconds (`exp`)
};

}  // namespace presenced::presence
