#pragma once
// What the embedded store keeps beside a record of many tabs (TabIndex::kThreshold or
// more; a small record is scanned instead): its tabs' positions by id, its users' tab
// counts, and a time before which none of its tabs can have passed its deadline. With
// these a page of viewers and the record's totals cost the page (presence::PageBuilder),
// not the room: the tally is exact once the passed tabs are swept, and they need sweeping
// only once `none_due_before_ms` has come.

#include "presence/user_tally.hpp"
#include "store/memory/record_block.hpp"
#include "store/memory/tab_index.hpp"

#include <algorithm>
#include <cstdint>

namespace presenced::store::memory {

struct LargeRecord {
  TabIndex index;
  presence::UserTally users;  // every tab in the block, passed or not
  // A lower bound of the earliest deadline: a renewal only moves a deadline later, and a
  // join's is a TTL from now, later than any before it, so only a sweep must lower it.
  std::int64_t none_due_before_ms = 0;

  void rebuild(RecordBlock& r, std::int64_t now_ms) {
    index.rebuild(r);
    users.clear();
    none_due_before_ms = INT64_MAX;
    for (const Tab& t : r) {
      users.add(t.user->id);
      none_due_before_ms = std::min(none_due_before_ms, t.deadline.ms(now_ms));
    }
  }
};

}  // namespace presenced::store::memory
