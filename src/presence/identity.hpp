#pragma once
// Who is calling: the verified claims of a token. Shared by reference count between the
// token cache and every tab the user has open, so a tab costs one pointer, not two strings.

#include "presence/scope.hpp"
#include "presence/types.hpp"

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::presence {

// The longest user id (`sub`) a token may carry, in bytes.
inline constexpr std::size_t kMaxUserIdBytes = 128;

// What a viewers list shows of a user, and all that a record's roll-up reads of them
// (aggregation.hpp): a node that keeps a large room keeps this much per tab, not the rest.
struct Person {
  std::string id;              // `sub` as text; "42" for the number 42
  std::string name;
  std::string avatar_url;      // optional `avatar_url` claim: a picture for the avatar row
  bool id_is_number = false;   // echo back as given
  MemberInfoPtr info;          // a Pusher presence member's user_info (types.hpp); null otherwise
};

struct User : boost::intrusive_ref_counter<User, boost::thread_safe_counter>, Person {
  std::string tenant;          // `tenant_id` as text, validated like a path segment
  Scope scope;                 // optional `scope` claim: the records the token may touch
};

// What an `avatar_url` claim may be: an http(s) URL, a path on the page's origin, or an
// image as a data: URL, at most 1024 characters. Anything else is ignored (a picture is
// not worth refusing a token over).
inline bool is_usable_avatar_url(std::string_view u) {
  return u.size() <= 1024 && (u.starts_with("https://") || u.starts_with("http://") ||
                              (u.starts_with("/") && !u.starts_with("//")) || u.starts_with("data:image/"));
}

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
