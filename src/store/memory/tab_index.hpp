#pragma once
// Positions of a large record's tabs by id, so that finding a tab stays O(1) however many
// tabs the record has. Most records have a few tabs and are scanned instead: a scan of a
// few 48-byte tabs beats a hash, and costs no memory. Open addressing with linear
// probing over 2-byte slots (position + 1; 0 is empty), at most half full.

#include "store/memory/record_block.hpp"

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace presenced::store::memory {

class TabIndex {
 public:
  // Records with at least this many tabs get an index; below half of it they lose it.
  static constexpr std::uint16_t kThreshold = 32;

  // Indexes every tab of `r`. O(tabs); positions shift when a tab leaves, so leaving
  // rebuilds (it shifts the tabs, O(tabs), anyway).
  void rebuild(RecordBlock& r) {
    std::size_t size = 64;
    while (size < 2u * r.count() + 2) size *= 2;
    slots_.assign(size, 0);
    for (std::uint16_t i = 0; i < r.count(); ++i) insert(r.tabs()[i].id.view(), i);
  }

  // Records the tab just appended at `position`.
  void add(RecordBlock& r, std::uint16_t position) {
    if (2u * (position + 1u) + 2 > slots_.size()) return rebuild(r);
    insert(r.tabs()[position].id.view(), position);
  }

  int find(RecordBlock& r, std::string_view tab_id) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(tab_id) & mask;; i = (i + 1) & mask) {
      std::uint16_t slot = slots_[i];
      if (slot == 0) return -1;
      if (r.tabs()[slot - 1].id == tab_id) return slot - 1;
    }
  }

 private:
  static std::size_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  void insert(std::string_view tab_id, std::uint16_t position) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(tab_id) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = static_cast<std::uint16_t>(position + 1);
  }

  std::vector<std::uint16_t> slots_;
};

}  // namespace presenced::store::memory
