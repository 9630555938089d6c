#pragma once
// The Redis key layout, built on the stack and bounds-checked: the record's key in the
// host app's layout (`tenant_{t}_record_presence:{type}:{id}`), its saved version
// (`tenant_{t}_record_presence_saved:{<key>}`) and, with webhooks, its occupancy marker
// (`presenced_occupied:{<key>}`). The braces put all three in the record's cluster slot.
//
// Keys built from a RecordRef always fit (its parts are validated segments). A key read
// back from Redis (SCAN, an expiry event) is untrusted: the host app or anyone with access
// to a shared Redis may have written it. Parse it with record_of_key() first; a marker
// built from text that does not fit is empty and !ok(), never an overflow.

#include "presence/types.hpp"

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace presenced::store::redis {

inline constexpr std::string_view kKeyPrefix = "tenant_";
inline constexpr std::string_view kKeyMiddle = "_record_presence:";
inline constexpr std::string_view kSavedKeyMiddle = "_record_presence_saved:";

class KeyText {
 public:
  // Room for the longest key of ours: a saved key around a record key of three
  // 64-character segments (about 330 bytes).
  static constexpr std::size_t kCapacity = 512;

  KeyText() = default;
  // The parts joined; empty and !ok() when they do not fit.
  KeyText(std::initializer_list<std::string_view> parts);

  bool ok() const { return ok_; }
  std::string_view view() const { return {buf_, size_}; }

 private:
  char buf_[kCapacity];
  std::size_t size_ = 0;
  bool ok_ = true;
};

KeyText record_key(const presence::RecordRef& r);
KeyText saved_key(const presence::RecordRef& r);
// The marker of the record whose key is `key`; empty (no key passed to a script) when
// `on` is false, a store without webhooks.
KeyText occupancy_key(std::string_view key, bool on = true);

}  // namespace presenced::store::redis
