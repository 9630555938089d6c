#pragma once
// One record of the embedded store in one allocation: a small header, the record's key,
// then its tabs, in join order.
//
//   [count:2][capacity:2][key_size:1][wheel_next:4][key bytes][pad to 8][Tab][Tab]...
//
// A record with one tab and a key such as "1:flow:4242" takes 72 bytes, which glibc
// serves from an 80-byte chunk. Keeping key and tabs together (rather than a map node,
// a key string and a vector) is most of why a live tab costs under 100 bytes; see
// docs/benchmarks.md for the measurement.

#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "store/memory/compact_string.hpp"

#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace presenced::store::memory {

// A point on the monotonic clock (ms) in 4 bytes: its low 32 bits, compared with now as a
// signed distance. Exact while deadlines stay within 24 days of now, which they do: the
// TTL is at most a day, and the wheel sweeps a tab within a tick of its deadline.
class Deadline {
 public:
  static Deadline at(std::int64_t ms) { return Deadline(static_cast<std::uint32_t>(ms)); }
  bool passed(std::int64_t now) const { return distance(now) <= 0; }
  std::int64_t ms(std::int64_t now) const { return now + distance(now); }

 private:
  explicit Deadline(std::uint32_t low) : low_(low) {}
  std::int32_t distance(std::int64_t now) const {
    return static_cast<std::int32_t>(low_ - static_cast<std::uint32_t>(now));
  }
  std::uint32_t low_;
};

struct Tab {
  presence::UserPtr user;     // shared with the token cache and the user's other tabs
  Deadline deadline = Deadline::at(0);
  std::uint32_t lock_version = presence::kNoLockVersion;
  TabId id;
  std::uint16_t field = 0;    // FieldNames index
  presence::Mode mode = presence::Mode::view;
  bool dirty : 1 = false;
  bool idle : 1 = false;      // Activity::idle
};
static_assert(sizeof(Tab) == 48, "a tab is the unit of memory that grows with users");

class RecordBlock {
 public:
  static constexpr std::uint32_t kNoLink = UINT32_MAX;

  static RecordBlock* create(std::string_view key, std::uint16_t capacity) {
    void* memory = ::operator new(size_for(key.size(), capacity));
    auto* r = new (memory) RecordBlock;
    r->count_ = 0;
    r->capacity_ = capacity;
    r->key_size_ = static_cast<std::uint8_t>(key.size());
    r->wheel_next = kNoLink;
    std::memcpy(r->key_bytes(), key.data(), key.size());
    return r;
  }

  // A copy of `from` with room for `capacity` tabs; `from` is destroyed.
  static RecordBlock* resize(RecordBlock* from, std::uint16_t capacity) {
    RecordBlock* to = create(from->key(), capacity);
    to->wheel_next = from->wheel_next;
    for (std::uint16_t i = 0; i < from->count_; ++i) new (&to->tabs()[i]) Tab(std::move(from->tabs()[i]));
    to->count_ = from->count_;
    destroy(from);
    return to;
  }

  static void destroy(RecordBlock* r) {
    for (std::uint16_t i = 0; i < r->count_; ++i) r->tabs()[i].~Tab();
    ::operator delete(r);
  }

  std::string_view key() const { return {key_bytes(), key_size_}; }
  std::uint16_t count() const { return count_; }
  std::uint16_t capacity() const { return capacity_; }
  Tab* tabs() { return reinterpret_cast<Tab*>(reinterpret_cast<char*>(this) + tabs_offset(key_size_)); }
  Tab* begin() { return tabs(); }
  Tab* end() { return tabs() + count_; }

  // Appends a tab; the caller has made room (count() < capacity()).
  Tab& push_back() {
    Tab* t = new (&tabs()[count_++]) Tab{};
    return *t;
  }

  // Removes every tab for which `gone(tab)` is true (which may take what it needs from
  // it first), keeping the others in join order, in one pass; returns how many went.
  template <typename Gone>
  std::uint16_t erase_if(Gone&& gone) {
    Tab* t = tabs();
    std::uint16_t kept = 0;
    for (std::uint16_t i = 0; i < count_; ++i) {
      if (gone(t[i])) continue;
      if (kept != i) t[kept] = std::move(t[i]);
      ++kept;
    }
    for (std::uint16_t i = kept; i < count_; ++i) t[i].~Tab();
    const auto went = static_cast<std::uint16_t>(count_ - kept);
    count_ = kept;
    return went;
  }

  // Removes tabs()[i], keeping the others in join order.
  void erase(std::uint16_t i) {
    Tab* t = tabs();
    for (std::uint16_t j = i; j + 1 < count_; ++j) t[j] = std::move(t[j + 1]);
    t[--count_].~Tab();
  }

  std::uint32_t wheel_next;  // the next record in the same expiry-wheel slot (offset 0)

 private:
  RecordBlock() = default;  // count_ at 4, capacity_ at 6, key_size_ at 8, key at 9
  static constexpr std::size_t kHeader = 9;
  static std::size_t tabs_offset(std::size_t key_size) { return (kHeader + key_size + 7) & ~std::size_t{7}; }
  static std::size_t size_for(std::size_t key_size, std::size_t capacity) {
    return tabs_offset(key_size) + capacity * sizeof(Tab);
  }
  char* key_bytes() { return reinterpret_cast<char*>(this) + kHeader; }
  const char* key_bytes() const { return reinterpret_cast<const char*>(this) + kHeader; }

  std::uint16_t count_;
  std::uint16_t capacity_;
  std::uint8_t key_size_;
};
// The key starts right after key_size_, inside the struct's tail padding.
static_assert(sizeof(RecordBlock) == 12);

}  // namespace presenced::store::memory
