#include "presence/aggregation.hpp"

#include "presence/scratch.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>

namespace presenced::presence {
namespace {

// A user's entry before any of their tabs is counted (reusing `v`'s storage).
void start_viewer(Viewer& v, const Person& user) {
  v.id.assign(user.id);
  v.id_is_number = user.id_is_number;
  v.name.assign(user.name);
  v.tabs = 0;
  v.has_dirty_tab = false;
  v.mode = Mode::view;
  v.away = true;
  v.stale = false;
  v.fields.clear();
  v.avatar_url.assign(user.avatar_url);
  v.info = user.info;
}

// One more of the user's tabs, in join order.
void add_tab(Viewer& v, const TabView& tab, std::uint32_t saved_version) {
  ++v.tabs;
  v.has_dirty_tab |= tab.dirty;
  if (tab.mode == Mode::edit) v.mode = Mode::edit;
  v.away &= tab.activity == Activity::idle;
  v.stale |= saved_version != kNoLockVersion && tab.lock_version != kNoLockVersion && tab.lock_version < saved_version;
  if (!tab.field.empty() && std::find(v.fields.begin(), v.fields.end(), tab.field) == v.fields.end()) {
    v.fields.emplace_back(tab.field);
  }
}

}  // namespace

void aggregate_viewers(std::span<const TabView> tabs, const User* caller, std::uint32_t saved_version,
                       std::vector<Viewer>& out, Totals* totals) {
  // Tabs are taken in join order, whatever order the store found them in (a Redis hash
  // has its own): a user's earliest tab names them, their fields come in tab order, and
  // viewers come out ordered by their first join. The embedded store keeps tabs in join
  // order already, so the copy and sort are skipped there.
  const auto by_join = [](const TabView& a, const TabView& b) { return a.joined < b.joined; };
  thread_local std::vector<TabView> sorted;
  if (!std::is_sorted(tabs.begin(), tabs.end(), by_join)) {
    sorted.assign(tabs.begin(), tabs.end());
    std::sort(sorted.begin(), sorted.end(), by_join);
    tabs = sorted;
  }

  // Most records hold few users: a linear search per tab beats building a hash map. A
  // large room (an incident page, a shared dashboard) switches to one once it has
  // kLinearUsers users, so that a read costs its tabs, not its tabs times its users.
  constexpr std::size_t kLinearUsers = 32;
  std::size_t used = 0;
  // A record's tabs are all of its tenant: within it, a user is their id (same_user()).
  thread_local std::vector<const Person*> owners;
  owners.clear();
  boost::unordered_flat_map<std::string_view, std::size_t> index;

  // At most one viewer per tab: reserved once, so that a large room's list is one
  // allocation of its size, not a doubling's copies (each alive with the last).
  if (out.capacity() < tabs.size()) out.reserve(tabs.size());
  bool caller_viewing = false;
  for (const TabView& tab : tabs) {
    if (caller && tab.user->id == caller->id) {
      caller_viewing = true;
      continue;
    }
    std::size_t i = 0;
    if (used < kLinearUsers) {
      while (i < used && owners[i]->id != tab.user->id) ++i;
    } else {
      if (index.empty()) {
        index.reserve(2 * kLinearUsers);
        for (std::size_t k = 0; k < used; ++k) index.emplace(owners[k]->id, k);
      }
      const auto [it, added] = index.try_emplace(std::string_view(tab.user->id), used);
      i = it->second;
    }
    if (i == used) {
      if (out.size() <= used) out.emplace_back();
      start_viewer(out[used++], *tab.user);
      owners.push_back(tab.user);
    }
    add_tab(out[i], tab, saved_version);
  }
  out.resize(used);
  if (totals) *totals = {.users = used + (caller_viewing ? 1 : 0), .tabs = tabs.size()};
  release_if_large(sorted);
  release_if_large(owners);
}

PageBuilder::PageBuilder(const User* caller, std::uint32_t saved_version, std::size_t offset, std::size_t limit,
                         const UserTally& tally, std::vector<Viewer>& out)
    : caller_(caller),
      saved_version_(saved_version),
      offset_(offset),
      end_(limit > SIZE_MAX - offset ? SIZE_MAX : offset + limit),
      tally_(tally),
      out_(out) {
  out_.clear();
  seen_.clear();
}

bool PageBuilder::take(const TabView& tab) {
  if (caller_ && tab.user->id == caller_->id) return true;
  const std::string_view id = tab.user->id;
  if (users_ < end_) {
    const auto [it, added] = seen_.try_emplace(id, kBeforePage);
    if (added) {
      if (users_ >= offset_) {
        it->second = out_.size();
        start_viewer(out_.emplace_back(), *tab.user);
        waiting_ += tally_.tabs_of(id);
      }
      ++users_;
    }
    if (it->second != kBeforePage) {
      add_tab(out_[it->second], tab, saved_version_);
      if (waiting_ > 0) --waiting_;
    }
  } else if (const auto it = seen_.find(id); it != seen_.end() && it->second != kBeforePage) {
    add_tab(out_[it->second], tab, saved_version_);
    if (waiting_ > 0) --waiting_;
  }
  return users_ < end_ || waiting_ > 0;
}

}  // namespace presenced::presence
