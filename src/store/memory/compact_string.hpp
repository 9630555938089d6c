#pragma once
// A tab id sized for presence entries: a live tab is the unit of memory that grows with
// users, so the common case lives inside the tab itself.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace presenced::store::memory {

// Up to 27 bytes inline (the reference client's "tab_1732860000000_k3j9x2a1b" fits);
// longer ids (the API allows 128) in one heap block. 28 bytes either way.
class TabId {
 public:
  TabId() { bytes_[0] = 0; }
  explicit TabId(std::string_view s) { assign(s); }
  TabId(const TabId&) = delete;
  TabId& operator=(const TabId&) = delete;
  TabId(TabId&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.bytes_[0] = 0;
  }
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
  static constexpr std::size_t kInline = 27;
  // Heap form: tag at 0, size at 4, pointer at 8 (read with memcpy: no alignment needed).

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

  char bytes_[28];
};
static_assert(sizeof(TabId) == 28);

}  // namespace presenced::store::memory
