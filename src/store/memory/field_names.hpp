#pragma once
// Interned `active_field` names. Tabs name a field by a 2-byte index instead of holding a
// string: forms have a handful of fields and most tabs name none. Reference counted, so a
// name goes when its last tab does. Not thread-safe: each shard owns one, under its lock.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace presenced::store::memory {

class FieldNames {
 public:
  using Index = std::uint16_t;
  static constexpr Index kNone = 0;

  // Takes a reference to `name`'s index (kNone for an empty name). When 65,535 distinct
  // names are live in one shard (only an abusive client gets there), new ones are not
  // recorded: the tab shows no field rather than the shard growing without bound.
  Index acquire(std::string_view name) {
    if (name.empty()) return kNone;
    if (auto it = index_.find(name); it != index_.end()) {
      ++entries_[it->second].refs;
      return it->second;
    }
    Index i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else if (entries_.size() <= UINT16_MAX) {
      if (entries_.empty()) entries_.emplace_back();  // index 0 is kNone
      i = static_cast<Index>(entries_.size());
      entries_.emplace_back();
    } else {
      return kNone;
    }
    entries_[i] = {std::string(name), 1};
    index_.emplace(entries_[i].name, i);
    return i;
  }

  void release(Index i) {
    if (i == kNone || --entries_[i].refs > 0) return;
    index_.erase(entries_[i].name);
    entries_[i].name.clear();
    entries_[i].name.shrink_to_fit();
    free_.push_back(i);
  }

  std::string_view name(Index i) const { return i == kNone ? std::string_view() : entries_[i].name; }

 private:
  struct Entry {
    std::string name;
    std::uint32_t refs = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::vector<Entry> entries_;
  std::vector<Index> free_;
  std::unordered_map<std::string, Index, Hash, std::equal_to<>> index_;
};

}  // namespace presenced::store::memory
