#pragma once
// Verified tokens, so a heartbeat does not redo the HMAC and the JSON of its token.
// One cache per server thread: no lock on the hot path, at the price of verifying a token
// once per thread instead of once per process. Bounded: when full, expired entries go
// first, then an arbitrary quarter of the rest (a cache miss costs one verification).

#include "presence/identity.hpp"

#include <string>
#include <string_view>
#include <unordered_map>

namespace presenced::auth {

class TokenCache {
 public:
  explicit TokenCache(std::size_t capacity) : capacity_(capacity) {}

  const presence::Identity* find(std::string_view token) const;
  void insert(std::string_view token, presence::Identity identity, std::int64_t now_unix);
  void erase(std::string_view token);
  std::size_t size() const { return entries_.size(); }

 private:
  // Hashes the signature segment only: it is an HMAC, as good a hash as any, and a
  // quarter of the token's length. Equality still compares whole tokens.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const noexcept {
      auto dot = token.rfind('.');
      return std::hash<std::string_view>{}(dot == std::string_view::npos ? token : token.substr(dot));
    }
  };
  void make_room(std::int64_t now_unix);

  std::size_t capacity_;
  std::unordered_map<std::string, presence::Identity, Hash, std::equal_to<>> entries_;
};

}  // namespace presenced::auth
