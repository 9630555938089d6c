#pragma once
// Every key, channel and marker presenced names, encoded and decoded in one place, for
// both stores and the hub. Built on the stack and bounds-checked.
//
//   index key      tenant:type:id                             the embedded store's index,
//                                                             the hub's tables
//   Redis key      tenant_{t}_record_presence:{type}:{id}     the host app's hash
//   saved key      tenant_{t}_record_presence_saved:{<key>}   the latest saved version
//   marker         presenced_occupied:{<key>}                 webhooks' occupancy
//   tab counts     presenced_tabs:{<key>}                     tabs per user (docs/redis.md)
//   channel        presenced:{<key>}                          a record's changes
//
// The braces put a record's keys and channel in one cluster slot. A record's parts are
// validated segments ([A-Za-z0-9_-]{1,64}), so ':' and the other separators cannot occur
// inside one, and keys built from a RecordRef always fit. Text read back from Redis (SCAN,
// expiry events, channels) is untrusted: the decoders accept only what parses as ours,
// and a key built from text that does not fit is empty and !ok(), never an overflow.

#include "presence/types.hpp"

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace presenced::store::layout {

inline constexpr std::string_view kKeyPrefix = "tenant_";
inline constexpr std::string_view kKeyMiddle = "_record_presence:";
inline constexpr std::string_view kSavedKeyMiddle = "_record_presence_saved:";
inline constexpr std::string_view kOccupancyPrefix = "presenced_occupied:";
inline constexpr std::string_view kCountsPrefix = "presenced_tabs:";
inline constexpr std::string_view kChannelPrefix = "presenced:";

class KeyText {
 public:
  // Room for the longest text of ours: a saved key around a Redis key of three
  // 64-character segments (about 330 bytes).
  static constexpr std::size_t kCapacity = 512;

  KeyText() = default;
  // The parts joined; empty and !ok() when they do not fit.
  KeyText(std::initializer_list<std::string_view> parts);

  bool ok() const { return ok_; }
  std::string_view view() const { return {buf_, size_}; }
  std::string str() const { return std::string(view()); }

 private:
  char buf_[kCapacity];
  std::size_t size_ = 0;
  bool ok_ = true;
};

// "tenant:type:id", and back (views into `key`, which must be an index key).
KeyText index_key(const presence::RecordRef& r);
presence::RecordRef split_index_key(std::string_view key);

// The Redis layout.
KeyText redis_key(const presence::RecordRef& r);
KeyText saved_key(const presence::RecordRef& r);
// The marker of the record whose Redis key is `key`; empty (no key passed to a script)
// when `on` is false, a store without webhooks.
KeyText occupancy_key(std::string_view key, bool on = true);
// The tab counts of the record whose Redis key is `key` (a join's cap check in O(1)).
KeyText counts_key(std::string_view key);
std::string channel_of(std::string_view key);
// The record a Redis key or a channel names (views into the text), or nothing when the
// text is not ours.
std::optional<presence::RecordRef> record_of_redis_key(std::string_view key);
std::optional<presence::RecordRef> record_of_channel(std::string_view channel);
// The record's key in a channel's name ("presenced:{<key>}" -> "<key>"); empty when the
// name is not one.
std::string_view key_of_channel(std::string_view channel);
// A named channel's Redis channel, "presenced_named:{<name>}" (on a cluster, in the slot
// of the name), and back: the name, or empty when `channel` is not one.
std::string named_channel_of(std::string_view name);
std::string_view name_of_named_channel(std::string_view channel);

}  // namespace presenced::store::layout
