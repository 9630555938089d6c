#pragma once
// From tabs to viewers: one entry per user, never the caller, ordered by when each user's
// first live tab joined. Shared by every store so the rule exists once.

#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "presence/user_tally.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

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

// One page of what `caller` sees of a large room (everyone else, in join order: `offset`
// users skipped, at most `limit` kept), built from the room's tabs fed in join order,
// without reading the rest of the room: take() answers false once every user of the page
// has shown as many tabs as `tally` counts for them, and the store stops feeding. So a
// page costs the tabs up to its last user's last tab, not the room (docs/architecture.md,
// pages). The totals are the tally's. The same entries as aggregate_viewers() cut to the
// page, provided `tally` counts exactly the tabs fed (a tally that counts too many only
// makes the page read further).
class PageBuilder {
 public:
  PageBuilder(const User* caller, std::uint32_t saved_version, std::size_t offset, std::size_t limit,
              const UserTally& tally, std::vector<Viewer>& out);
  // The next tab in join order; false: the page is whole, stop.
  bool take(const TabView& tab);

 private:
  static constexpr std::size_t kBeforePage = SIZE_MAX;

  const User* caller_;
  std::uint32_t saved_version_;
  std::size_t offset_, end_;
  const UserTally& tally_;
  std::vector<Viewer>& out_;
  std::size_t users_ = 0;    // distinct users seen (the caller not counted)
  std::size_t waiting_ = 0;  // tabs of the page's users not yet seen
  // The users seen while the page fills: kBeforePage, or their place in out_. Views of the
  // fed tabs' users, which outlive the builder.
  boost::unordered_flat_map<std::string_view, std::size_t> seen_;
};

}  // namespace presenced::presence
