#pragma once
// Strings sized for presence entries. A live tab is the unit of memory that grows with
// users, so these keep the common case inside the tab itself.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace presenced::store::memory {

// Up to 31 bytes inline (tab ids such as "tab_1732860000000_k3j9x2a1b" fit); longer ones
// (up to the 128 the API allows) in one heap block. 32 bytes either way.
class TabId {
 public:
  TabId() { bytes_[0] = 0; }
  explicit TabId(std::string_view s) { assign(s); }
  TabId(const TabId&) = delete;
  TabId& operator=(const TabId&) = delete;
  TabId(TabId&& o) noexcept { std::memcpy(bytes_, o.bytes_, sizeof bytes_), o.bytes_[0] = 0; }
  TabId& operator=(TabId&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.bytes_[0] = 0;
    }
    return *this;
  }
  ~TabId() { release(); }

  std::string_view view() const {
    if (is_inline()) return {bytes_ + 1, static_cast<unsigned char>(bytes_[0])};
    return {heap(), heap_size()};
  }
  bool operator==(std::string_view s) const { return view() == s; }

 private:
  static constexpr unsigned char kHeapTag = 0xFF;
  static constexpr std::size_t kInline = 31;

  bool is_inline() const { return static_cast<unsigned char>(bytes_[0]) != kHeapTag; }
  const char* heap() const {
    char* p;
    std::memcpy(&p, bytes_ + 8, sizeof p);
    return p;
  }
  std::size_t heap_size() const {
    std::uint32_t n;
    std::memcpy(&n, bytes_ + 4, sizeof n);
    return n;
  }
  void assign(std::string_view s) {
    if (s.size() <= kInline) {
      bytes_[0] = static_cast<char>(s.size());
      std::memcpy(bytes_ + 1, s.data(), s.size());
      return;
    }
    bytes_[0] = static_cast<char>(kHeapTag);
    auto n = static_cast<std::uint32_t>(s.size());
    char* p = new char[n];
    std::memcpy(p, s.data(), n);
    std::memcpy(bytes_ + 4, &n, sizeof n);
    std::memcpy(bytes_ + 8, &p, sizeof p);
  }
  void release() {
    if (!is_inline()) delete[] heap();
    bytes_[0] = 0;
  }

  alignas(8) char bytes_[32];
};
static_assert(sizeof(TabId) == 32);

// An optional short string in one pointer: null when absent, else a block holding a
// two-byte length and the characters. For `active_field`, which most tabs never set.
class OptionalName {
 public:
  OptionalName() = default;
  std::string_view view() const {
    if (!p_) return {};
    std::uint16_t n;
    std::memcpy(&n, p_.get(), sizeof n);
    return {p_.get() + sizeof n, n};
  }
  // Returns true when the value changed. `s` is at most 64 characters (256 bytes).
  bool assign(std::string_view s) {
    if (s == view()) return false;
    if (s.empty()) {
      p_.reset();
      return true;
    }
    auto n = static_cast<std::uint16_t>(s.size());
    p_ = std::make_unique_for_overwrite<char[]>(sizeof n + n);
    std::memcpy(p_.get(), &n, sizeof n);
    std::memcpy(p_.get() + sizeof n, s.data(), n);
    return true;
  }

 private:
  std::unique_ptr<char[]> p_;
};
static_assert(sizeof(OptionalName) == 8);

}  // namespace presenced::store::memory
