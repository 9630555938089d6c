#pragma once
// A record's users and how many tabs each has there, kept as tabs join and leave, so that
// the record's totals and a page of its viewers cost the page, not the room: a page stops
// reading tabs once each of its users has shown as many as the tally says they have
// (PageBuilder, aggregation.hpp). Kept by each store for its large rooms only (a small room is read
// whole: a scan of a few tabs beats a hash). Users are compared by id: a record's tabs
// are all of its tenant.

#include "presence/string_keys.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::presence {

class UserTally {
 public:
  void add(std::string_view user_id) {
    auto it = counts_.find(user_id);
    if (it == counts_.end()) counts_.emplace(std::string(user_id), 1u);
    else ++it->second;
    ++tabs_;
  }
  // A tab of a counted user left; an uncounted user is left alone.
  void remove(std::string_view user_id) {
    auto it = counts_.find(user_id);
    if (it == counts_.end()) return;
    --tabs_;
    if (--it->second == 0) counts_.erase(it);
  }
  void clear() {
    counts_.clear();
    tabs_ = 0;
  }

  std::size_t users() const { return counts_.size(); }
  std::size_t tabs() const { return tabs_; }
  std::uint32_t tabs_of(std::string_view user_id) const {
    auto it = counts_.find(user_id);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  boost::unordered_flat_map<std::string, std::uint32_t, StringKeyHash, StringKeyEqual> counts_;
  std::size_t tabs_ = 0;
};

}  // namespace presenced::presence
