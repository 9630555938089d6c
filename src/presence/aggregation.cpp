#include "presence/aggregation.hpp"

#include <algorithm>

namespace presenced::presence {

void aggregate_viewers(std::span<const TabView> tabs, const User* caller, std::uint32_t saved_version,
                       std::vector<Viewer>& out) {
  // Records hold few users, so a linear search per tab beats building a hash map.
  // `firsts[i]` is the join order of out[i]'s earliest live tab.
  std::size_t used = 0;
  thread_local std::vector<std::uint64_t> firsts;
  thread_local std::vector<const User*> owners;
  firsts.clear();
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
      firsts.push_back(tab.joined);
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
    firsts[i] = std::min(firsts[i], tab.joined);
  }
  out.resize(used);

  // Order by first join. Stores that keep tabs in join order arrive sorted already.
  if (std::is_sorted(firsts.begin(), firsts.end())) return;
  thread_local std::vector<std::size_t> order;
  order.resize(used);
  for (std::size_t i = 0; i < used; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [](std::size_t a, std::size_t b) { return firsts[a] < firsts[b]; });
  std::vector<Viewer> sorted;
  sorted.reserve(used);
  for (std::size_t i : order) sorted.push_back(std::move(out[i]));
  out.swap(sorted);
}

}  // namespace presenced::presence
