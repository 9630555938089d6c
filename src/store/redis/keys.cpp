#include "store/redis/keys.hpp"

#include "store/redis/notice.hpp"

#include <algorithm>

namespace presenced::store::redis {

KeyText::KeyText(std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts) {
    if (part.size() > kCapacity - size_) {
      size_ = 0;
      ok_ = false;
      return;
    }
    std::copy(part.begin(), part.end(), buf_ + size_);
    size_ += part.size();
  }
}

KeyText record_key(const presence::RecordRef& r) {
  return KeyText{kKeyPrefix, r.tenant, kKeyMiddle, r.type, ":", r.id};
}

KeyText saved_key(const presence::RecordRef& r) {
  const KeyText key = record_key(r);
  return KeyText{kKeyPrefix, r.tenant, kSavedKeyMiddle, "{", key.view(), "}"};
}

KeyText occupancy_key(std::string_view key, bool on) {
  if (!on) return KeyText{};
  return KeyText{kOccupancyPrefix, "{", key, "}"};
}

}  // namespace presenced::store::redis
