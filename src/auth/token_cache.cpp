#include "auth/token_cache.hpp"

#include "auth/jwt.hpp"

namespace presenced::auth {

const presence::Identity* TokenCache::find(std::string_view token) const {
  auto it = entries_.find(token);
  return it == entries_.end() ? nullptr : &it->second;
}

void TokenCache::insert(std::string_view token, presence::Identity identity, std::int64_t now_unix) {
  if (capacity_ == 0) return;
  if (entries_.size() >= capacity_) make_room(now_unix);
  entries_.insert_or_assign(std::string(token), std::move(identity));
}

void TokenCache::erase(std::string_view token) {
  if (auto it = entries_.find(token); it != entries_.end()) entries_.erase(it);
}

void TokenCache::make_room(std::int64_t now_unix) {
  std::erase_if(entries_, [&](const auto& e) { return is_expired(now_unix, e.second.expires_at); });
  for (auto it = entries_.begin(); entries_.size() > capacity_ * 3 / 4 && it != entries_.end();) {
    it = entries_.erase(it);
  }
}

}  // namespace presenced::auth
