#pragma once
// The host app's own calls (/api/v1/server/...) carry --server-key as a bearer secret,
// distinct from user tokens: it is compared as a whole, in constant time.

#include <string>
#include <string_view>

namespace presenced::auth {

class ServerKey {
 public:
  explicit ServerKey(std::string key);
  bool configured() const { return configured_; }
  // Whether `authorization` is "Bearer <the key>". Digests are compared, so neither the
  // key's length nor a matching prefix shows in the time taken.
  bool admits(std::string_view authorization) const;

 private:
  unsigned char digest_[32]{};
  bool configured_ = false;
};

}  // namespace presenced::auth
