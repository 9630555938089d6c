#include "presence/aggregation.hpp"

#include <algorithm>

namespace presenced::presence {

void aggregate_viewers(std::span<const TabView> tabs, const User* caller, std::uint32_t saved_version,
                       std::vector<Viewer>& out) {
  // Tabs are taken in join order, whatever order the store found them in (a Redis hash
  // has its own): a user's earliest tab names them, their fields come in tab order, and
  // viewers come out ordered by their first join. The embedded store keeps tabs in join
  // order already, so the copy and sort are skipped there.
  const auto by_join = [](const TabView& a, const TabView& b) { return a.joined < b.joined; };
  if (!std::is_sorted(tabs.begin(), tabs.end(), by_join)) {
    thread_local std::vector<TabView> sorted;
    sorted.assign(tabs.begin(), tabs.end());
    std::sort(sorted.begin(), sorted.end(), by_join);
    tabs = sorted;
  }

  // Records hold few users, so a linear search per tab beats building a hash map.
  std::size_t used = 0;
  thread_local std::vector<const User*> owners;
  owners.clear();

  for (const TabView& tab : tabs) {
    if (caller && same_user(*tab.user, *caller)) continue;
    std::size_t i = 0;
    while (i < used && !same_user(*owners[i], *tab.user)) ++i;
    if (i == used) {
      if (out.size() <= used) out.emplace_back();
      Viewer& v = out[used++];
      v.id.assign(tab.user->id);
      v.id_is_number = tab.user->id_is_number;
      v.name.assign(tab.user->name);
      v.tabs = 0;
      v.has_dirty_tab = false;
      v.mode = Mode::view;
      v.away = true;
      v.stale = false;
      v.fields.clear();
      v.avatar_url.assign(tab.user->avatar_url);
      owners.push_back(tab.user);
    }
    Viewer& v = out[i];
    ++v.tabs;
    v.has_dirty_tab |= tab.dirty;
    if (tab.mode == Mode::edit) v.mode = Mode::edit;
    v.away &= tab.activity == Activity::idle;
    v.stale |= saved_version != kNoLockVersion && tab.lock_version != kNoLockVersion && tab.lock_version < saved_version;
    if (!tab.field.empty() && std::find(v.fields.begin(), v.fields.end(), tab.field) == v.fields.end()) {
      v.fields.emplace_back(tab.field);
    }
  }
  out.resize(used);
}

}  // namespace presenced::presence
