#pragma once
// From tabs to viewers: one entry per user, never the caller, ordered by when each user's
// first live tab joined. Shared by every store so the rule exists once.

#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace presenced::presence {

// One live tab as a store sees it while it answers.
struct TabView {
  const Person* user;  // the tabs of one record are of its tenant: a user is their id
  Mode mode;
  bool dirty;
  std::uint64_t joined;  // smaller joined earlier; unique within a record
  Activity activity = Activity::active;
  std::string_view field;  // empty: none
  std::uint32_t lock_version = kNoLockVersion;
};

// Replaces `out` with the viewers of `tabs` other than `caller` (everyone when null), and
// sets `totals` (when given) to the record's, the caller's tabs included.
// `saved_version` is the record's latest saved lock_version (kNoLockVersion: none), for
// the stale marks. Reuses `out`'s storage, so a caller that keeps the vector pays no
// allocation once it has grown.
void aggregate_viewers(std::span<const TabView> tabs, const User* caller, std::uint32_t saved_version,
                       std::vector<Viewer>& out, Totals* totals = nullptr);

}  // namespace presenced::presence
