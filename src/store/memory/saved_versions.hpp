#pragma once
// The latest saved lock_version of each record, by record key, kept for
// kSavedVersionKeepMs after the last save, whether or not the record has tabs (as the
// Redis store keeps it): a tab that joins later holding an older version is stale. Few
// records are saved compared with those opened, so this is a map beside the records, not
// a member of every record block. Expired entries are dropped when read, and swept when
// the map has doubled since its last sweep (O(1) amortised). Not thread-safe: the
// shard's lock guards it.

#include "presence/string_keys.hpp"
#include "presence/types.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::store::memory {

class SavedVersions {
 public:
  explicit SavedVersions(std::int64_t keep_ms) : keep_ms_(keep_ms) {}

  // The later of `version` and the one kept; kept for keep_ms from `now` either way.
  void save(std::string_view key, std::uint32_t version, std::int64_t now) {
    sweep(now);
    auto it = map_.find(key);
    if (it == map_.end() || it->second.until_ms <= now) {
      map_.insert_or_assign(std::string(key), Entry{version, now + keep_ms_});
      return;
    }
    it->second.version = std::max(it->second.version, version);
    it->second.until_ms = now + keep_ms_;
  }

  // The version kept for `key`, or kNoLockVersion.
  std::uint32_t find(std::string_view key, std::int64_t now) const {
    if (map_.empty()) return presence::kNoLockVersion;  // most shards: no hash computed
    const auto it = map_.find(key);
    return it == map_.end() || it->second.until_ms <= now ? presence::kNoLockVersion : it->second.version;
  }

  std::size_t size() const { return map_.size(); }

 private:
  struct Entry {
    std::uint32_t version;
    std::int64_t until_ms;  // monotonic
  };

  void sweep(std::int64_t now) {
    if (map_.size() < 2 * size_after_sweep_ + 1024) return;
    boost::unordered::erase_if(map_, [&](const auto& kv) { return kv.second.until_ms <= now; });
    size_after_sweep_ = map_.size();
  }

  std::int64_t keep_ms_;
  boost::unordered_flat_map<std::string, Entry, presence::StringKeyHash, presence::StringKeyEqual> map_;
  std::size_t size_after_sweep_ = 0;
};

}  // namespace presenced::store::memory
