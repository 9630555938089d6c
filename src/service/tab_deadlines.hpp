#pragma once
// One user's live tabs in the ledger (user_ledger.hpp): a tab's hash -> its deadline.
// Most users hold one to a few tabs, and a room of 10,000 viewers is 10,000 users: a hash
// map's first allocation is a whole group (256 bytes for one tab), so the first kFew tabs
// live in a short vector searched linearly (16 bytes each); a user with more moves to a
// hash map, so that a renewal stays one lookup whatever their number of tabs.

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace presenced::service {

class TabDeadlines {
 public:
  static constexpr std::size_t kFew = 8;

  // The tab's deadline, to read or renew; null when the tab is not there.
  std::int64_t* find(std::uint64_t hash) {
    if (!many_.empty()) {
      auto it = many_.find(hash);
      return it == many_.end() ? nullptr : &it->second;
    }
    for (auto& [h, deadline] : few_) {
      if (h == hash) return &deadline;
    }
    return nullptr;
  }
  // A tab that is not there.
  void add(std::uint64_t hash, std::int64_t deadline) {
    if (many_.empty() && few_.size() < kFew) {
      few_.emplace_back(hash, deadline);
      return;
    }
    if (many_.empty()) {
      many_.insert(few_.begin(), few_.end());
      few_ = {};
    }
    many_.emplace(hash, deadline);
  }
  bool erase(std::uint64_t hash) {
    if (!many_.empty()) return many_.erase(hash) > 0;
    auto it = std::find_if(few_.begin(), few_.end(), [&](const auto& t) { return t.first == hash; });
    if (it == few_.end()) return false;
    *it = few_.back();
    few_.pop_back();
    if (few_.empty()) few_ = {};  // a user with no tab holds no allocation
    return true;
  }
  // Forgets the tabs whose deadline is at or before `now`.
  void prune(std::int64_t now) {
    if (!many_.empty()) {
      boost::unordered::erase_if(many_, [&](const auto& t) { return t.second <= now; });
      return;
    }
    std::erase_if(few_, [&](const auto& t) { return t.second <= now; });
    if (few_.empty()) few_ = {};
  }
  void clear() {
    few_ = {};
    many_ = {};
  }
  std::size_t size() const { return many_.empty() ? few_.size() : many_.size(); }
  bool empty() const { return size() == 0; }

 private:
  std::vector<std::pair<std::uint64_t, std::int64_t>> few_;
  boost::unordered_flat_map<std::uint64_t, std::int64_t> many_;  // once more than kFew
};

}  // namespace presenced::service
