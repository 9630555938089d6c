#include "store/memory/memory_store.hpp"

#include "runtime/check.hpp"
#include "store/layout.hpp"
#include "store/memory/saved_versions.hpp"

#include "presence/aggregation.hpp"
#include "presence/validation.hpp"
#include "store/memory/expiry_wheel.hpp"
#include "store/memory/field_names.hpp"
#include "store/memory/large_record.hpp"
#include "store/memory/record_block.hpp"
#include "store/memory/tab_index.hpp"

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace presenced::store::memory {
namespace {

constexpr std::uint32_t kNoRecord = UINT32_MAX;
constexpr std::size_t kWheelSlots = 512;

using Slab = std::vector<RecordBlock*>;  // handle -> record; nullptr for a free handle

// The index holds handles and hashes them through the slab, so it costs 4 bytes a slot
// and stays valid when a record is reallocated to grow. Lookups take the key itself.
struct KeyHash {
  const Slab* slab;
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  std::size_t operator()(std::uint32_t h) const noexcept { return (*this)((*slab)[h]->key()); }
};

struct KeyEqual {
  const Slab* slab;
  using is_transparent = void;
  bool operator()(std::uint32_t a, std::uint32_t b) const noexcept { return a == b; }
  bool operator()(std::string_view key, std::uint32_t h) const noexcept { return (*slab)[h]->key() == key; }
  bool operator()(std::uint32_t h, std::string_view key) const noexcept { return (*slab)[h]->key() == key; }
};

// When a tab was last heard from (a TTL before its deadline), on the wall clock.
std::int64_t last_heard_unix_ms(const Tab& t, std::int64_t now_ms, std::int64_t unix_now_ms, std::int64_t ttl_ms) {
  return unix_now_ms - (now_ms - (t.deadline.ms(now_ms) - ttl_ms));
}


// Grow one tab at a time while records are small (most have one to three tabs, and
// doubling would leave memory unused), then by half.
std::uint16_t grown_capacity(std::uint16_t c) {
  return static_cast<std::uint16_t>(c < 16 ? c + 1 : std::min<std::uint32_t>(UINT16_MAX, c + c / 2));
}

}  // namespace

// An expiry seen under the lock, reported to the observer after it is released.
struct PendingExpiry {
  std::string key;
  std::string tab_id;
  presence::UserPtr user;
};

struct MemoryStore::Shard {
  Shard(const MemoryStoreOptions& o, std::int64_t now_ms)
      : index(0, KeyHash{&slab}, KeyEqual{&slab}), wheel(o.tick_ms, kWheelSlots, now_ms) {}
  ~Shard() {
    for (RecordBlock* r : slab)
      if (r) RecordBlock::destroy(r);
  }

  std::uint32_t& next_of(std::uint32_t h) { return slab[h]->wheel_next; }

  std::uint32_t lookup(std::string_view key) const {
    auto it = index.find(key);
    return it == index.end() ? kNoRecord : *it;
  }

  std::uint32_t create(std::string_view key, std::int64_t deadline_ms) {
    std::uint32_t h;
    if (free_handles.empty()) {
      h = static_cast<std::uint32_t>(slab.size());
      slab.push_back(nullptr);
    } else {
      h = free_handles.back();
      free_handles.pop_back();
    }
    slab[h] = RecordBlock::create(key, 1);
    index.insert(h);
    wheel.schedule(h, deadline_ms, [this](std::uint32_t x) -> std::uint32_t& { return next_of(x); });
    return h;
  }

  // Position of `tab_id` in record `h`, or -1: a scan for small records, the record's
  // TabIndex for large ones.
  int find_tab(std::uint32_t h, std::string_view tab_id, std::int64_t now) {
    RecordBlock& r = *slab[h];
    if (r.count() < TabIndex::kThreshold) {
      for (std::uint16_t i = 0; i < r.count(); ++i)
        if (r.tabs()[i].id == tab_id) return i;
      return -1;
    }
    return large_of(h, now).index.find(r, tab_id);
  }

  // The side tables of a record with TabIndex::kThreshold tabs or more, made on first use.
  LargeRecord& large_of(std::uint32_t h, std::int64_t now) {
    auto [it, created] = large.try_emplace(h);
    if (created) it->second.rebuild(*slab[h], now);
    return it->second;
  }

  Tab& append_tab(std::uint32_t h) {
    RecordBlock* r = slab[h];
    if (r->count() == r->capacity()) r = slab[h] = RecordBlock::resize(r, grown_capacity(r->capacity()));
    Tab& t = r->push_back();
    ++tabs;
    return t;
  }

  // After the tab just appended has its id and user.
  void appended(std::uint32_t h) {
    if (auto it = large.find(h); it != large.end()) {
      RecordBlock& r = *slab[h];
      it->second.index.add(r, r.count() - 1);
      it->second.users.add(r.tabs()[r.count() - 1].user->id);
    }
  }

  void remove_tab(std::uint32_t h, std::uint16_t i) {
    RecordBlock& r = *slab[h];
    auto it = large.find(h);
    if (it != large.end()) it->second.users.remove(r.tabs()[i].user->id);
    fields.release(r.tabs()[i].field);
    r.erase(i);
    --tabs;
    if (it != large.end()) after_removal(h, it);
  }

  // Positions shifted (O(tabs) anyway): the index again, or none for a record grown small.
  void after_removal(std::uint32_t h, std::unordered_map<std::uint32_t, LargeRecord>::iterator it) {
    if (slab[h]->count() < TabIndex::kThreshold / 2) large.erase(it);
    else it->second.index.rebuild(*slab[h]);
  }

  // Removes the tabs of record `h` whose deadline has passed, in one pass, handing each to
  // `gone(tab)` first; returns how many went, and in `next` the earliest deadline left
  // (INT64_MAX: none). The wheel's sweep, a large record's read that finds tabs due, and a
  // join or leave that must know whether anyone is left all come here.
  template <typename Gone>
  std::size_t sweep(std::uint32_t h, std::int64_t now, std::int64_t& next, Gone&& gone) {
    RecordBlock& r = *slab[h];
    auto it = large.find(h);
    next = INT64_MAX;
    const std::size_t went = r.erase_if([&](Tab& t) {
      if (!t.deadline.passed(now)) {
        next = std::min(next, t.deadline.ms(now));
        return false;
      }
      if (it != large.end()) it->second.users.remove(t.user->id);
      fields.release(t.field);
      gone(t);
      return true;
    });
    tabs -= went;
    if (it != large.end()) {
      it->second.none_due_before_ms = next;
      if (went > 0) after_removal(h, it);
    }
    return went;
  }

  // The sweep, each tab that went kept in `pending` (when given) for the observer, told
  // once the lock is released.
  std::size_t sweep_expired(std::uint32_t h, std::int64_t now, std::int64_t& next, std::vector<PendingExpiry>* pending) {
    RecordBlock& r = *slab[h];
    return sweep(h, now, next, [&](Tab& t) {
      if (pending) pending->push_back({std::string(r.key()), std::string(t.id.view()), std::move(t.user)});
    });
  }

  // The sweep, before the wheel's, when the record's last live tab leaves: so that its
  // vacancy is told once, now, and not again by the wheel.
  std::size_t purge_passed(std::uint32_t h, std::int64_t now) {
    std::int64_t next;
    return sweep(h, now, next, [](Tab&) {});
  }

  bool any_live(std::uint32_t h, std::int64_t now) const {
    for (const Tab& t : *slab[h])
      if (!t.deadline.passed(now)) return true;
    return false;
  }

  // Only the wheel frees records: see expiry_wheel.hpp.
  void free(std::uint32_t h) {
    large.erase(h);
    index.erase(h);  // hashes through the record: before it is destroyed
    RecordBlock::destroy(slab[h]);
    slab[h] = nullptr;
    free_handles.push_back(h);
  }

  std::mutex mutex;
  Slab slab;
  std::vector<std::uint32_t> free_handles;
  boost::unordered_flat_set<std::uint32_t, KeyHash, KeyEqual> index;
  ExpiryWheel wheel;
  FieldNames fields;
  std::unordered_map<std::uint32_t, LargeRecord> large;  // records with many tabs, by handle
  SavedVersions saved{kSavedVersionKeepMs};
  std::size_t tabs = 0;
};

MemoryStore::MemoryStore(MemoryStoreOptions options, const presence::Clock& clock)
    : options_(options), clock_(clock) {
  shards_.reserve(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(options_, clock_.monotonic_ms()));
  }
}

MemoryStore::~MemoryStore() = default;

MemoryStore::Shard& MemoryStore::shard_for(std::string_view key) {
  // The high bits: the shard's own table uses the low ones.
  return *shards_[(KeyHash{nullptr}(key) >> 40) % shards_.size()];
}

HeartbeatResult MemoryStore::apply_heartbeat(presence::RecordRef record, const presence::UserPtr& user,
                                             const presence::HeartbeatInput& in) {
  const layout::KeyText key = layout::index_key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  const std::int64_t deadline = now + options_.ttl_ms;
  const bool idle = in.activity == presence::Activity::idle;
  HeartbeatResult result;
  {
    std::lock_guard lock(shard.mutex);
    std::uint32_t h = shard.lookup(key.view());
    if (h == kNoRecord) h = shard.create(key.view(), deadline);
    int i = shard.find_tab(h, in.tab_id, now);
    if (i >= 0 && !shard.slab[h]->tabs()[i].deadline.passed(now)) {
      Tab& tab = shard.slab[h]->tabs()[i];
      if (!presence::same_user(*tab.user, *user)) return HeartbeatResult::not_owner;
      bool changed = tab.mode != in.mode || tab.dirty != in.dirty || tab.idle != idle ||
                     tab.lock_version != in.lock_version;
      if (shard.fields.name(tab.field) != in.active_field) {
        shard.fields.release(tab.field);
        tab.field = shard.fields.acquire(in.active_field);
        changed = true;
      }
      tab.mode = in.mode;
      tab.dirty = in.dirty;
      tab.idle = idle;
      tab.lock_version = in.lock_version;
      tab.deadline = Deadline::at(deadline);
      if (tab.user != user) tab.user = user;  // a newer token may carry a new name
      result = changed ? HeartbeatResult::updated : HeartbeatResult::renewed;
    } else {
      // New, or expired but not yet swept: either way it joins now, at the end of the order,
      // if there is room for it.
      std::size_t live = 0, mine = 0;
      for (const Tab& t : *shard.slab[h]) {
        if (t.deadline.passed(now)) continue;
        ++live;
        mine += presence::same_user(*t.user, *user);
      }
      if (live >= options_.limits.per_record) return HeartbeatResult::record_full;
      if (mine >= options_.limits.per_user) return HeartbeatResult::user_full;
      if (live == 0 && occupancy_) {
        // The first live tab. Tabs that expired unswept end the last occupancy first. Told
        // under the lock, so that a record's events reach the observer in their order.
        if (shard.purge_passed(h, now) > 0) occupancy_->on_occupancy(record, Occupancy::vacated);
        occupancy_->on_occupancy(record, Occupancy::occupied);
        i = -1;  // if it was there, it has passed and is gone
      }
      if (i >= 0) shard.remove_tab(h, static_cast<std::uint16_t>(i));
      Tab& t = shard.append_tab(h);
      t.user = user;
      t.deadline = Deadline::at(deadline);
      t.id = TabId(in.tab_id);
      t.field = shard.fields.acquire(in.active_field);
      t.mode = in.mode;
      t.dirty = in.dirty;
      t.idle = idle;
      t.lock_version = in.lock_version;
      shard.appended(h);
      result = HeartbeatResult::joined;
    }
  }
  if (observer_ && result != HeartbeatResult::renewed) {
    observer_->on_change({record, in.tab_id, user.get(),
                          result == HeartbeatResult::joined ? ChangeKind::joined : ChangeKind::updated});
  }
  return result;
}

UnregisterResult MemoryStore::apply_unregister(presence::RecordRef record, const presence::User& user,
                                               std::string_view tab_id, std::int64_t unless_seen_since_ms) {
  const layout::KeyText key = layout::index_key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  presence::UserPtr owner;  // keeps the user alive for the observer after the tab is gone
  {
    std::lock_guard lock(shard.mutex);
    std::uint32_t h = shard.lookup(key.view());
    if (h == kNoRecord) return UnregisterResult::absent;
    int i = shard.find_tab(h, tab_id, now);
    Tab* tabs = shard.slab[h]->tabs();
    if (i < 0 || tabs[i].deadline.passed(now)) return UnregisterResult::absent;
    if (!presence::same_user(*tabs[i].user, user)) return UnregisterResult::not_owner;
    if (unless_seen_since_ms > 0) {
      // On the wall clock the condition is given in.
      if (last_heard_unix_ms(tabs[i], now, clock_.unix_ms(), options_.ttl_ms) >= unless_seen_since_ms) return UnregisterResult::kept;
    }
    owner = tabs[i].user;  // a copy: removing the tab still reads its user (the tally)
    shard.remove_tab(h, static_cast<std::uint16_t>(i));
    if (occupancy_ && !shard.any_live(h, now)) {
      shard.purge_passed(h, now);
      occupancy_->on_occupancy(record, Occupancy::vacated);  // under the lock: see the join
    }
    // An emptied record stays until its wheel slot frees it (at most one TTL).
  }
  if (observer_) observer_->on_change({record, tab_id, owner.get(), ChangeKind::left});
  return UnregisterResult::removed;
}

void MemoryStore::read_viewers(presence::RecordRef record, const presence::User* caller,
                               std::vector<presence::Viewer>& out, RecordState* state) {
  const layout::KeyText key = layout::index_key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  std::lock_guard lock(shard.mutex);
  read_viewers_locked(shard, key.view(), caller, out, state, now);
}

void MemoryStore::read_viewers_locked(Shard& shard, std::string_view key, const presence::User* caller,
                                      std::vector<presence::Viewer>& out, RecordState* state, std::int64_t now) {
  thread_local std::vector<presence::TabView> live;
  live.clear();
  std::int64_t next_deadline = INT64_MAX;
  const std::uint32_t saved_version = shard.saved.find(key, now);
  if (std::uint32_t h = shard.lookup(key); h != kNoRecord) {
    RecordBlock& r = *shard.slab[h];
    for (std::uint16_t i = 0; i < r.count(); ++i) {
      const Tab& t = r.tabs()[i];
      if (t.deadline.passed(now)) continue;
      next_deadline = std::min(next_deadline, t.deadline.ms(now));
      live.push_back({t.user.get(), t.mode, t.dirty, i,  // position is join order
                      t.idle ? presence::Activity::idle : presence::Activity::active, shard.fields.name(t.field),
                      t.lock_version});
    }
  }
  if (state) *state = {saved_version, next_deadline == INT64_MAX ? -1 : next_deadline - now, {}};
  // Aggregated under the lock: the tabs own the users and field names the views point at.
  presence::aggregate_viewers(live, caller, saved_version, out, state ? &state->totals : nullptr);
}

SavedResult MemoryStore::apply_saved(presence::RecordRef record, const presence::UserPtr& user,
                                     std::uint32_t lock_version) {
  const layout::KeyText key = layout::index_key(record);
  Shard& shard = shard_for(key.view());
  {
    std::lock_guard lock(shard.mutex);
    shard.saved.save(key.view(), lock_version, clock_.monotonic_ms());
  }
  if (observer_) observer_->on_change({record, {}, user.get(), ChangeKind::saved, lock_version});
  return SavedResult::ok;
}

std::size_t MemoryStore::expire_due() {
  const std::int64_t now = clock_.monotonic_ms();
  std::size_t expired = 0;
  std::vector<PendingExpiry> pending;
  for (auto& shard_ptr : shards_) {
    Shard& shard = *shard_ptr;
    std::lock_guard lock(shard.mutex);
    auto next_of = [&shard](std::uint32_t h) -> std::uint32_t& { return shard.next_of(h); };
    shard.wheel.advance(now, next_of, [&](std::uint32_t h) {
      std::int64_t next;
      const std::size_t went = shard.sweep_expired(h, now, next, observer_ ? &pending : nullptr);
      expired += went;
      RecordBlock* r = shard.slab[h];
      if (r->count() == 0) {
        // A record emptied earlier (unregister) was told vacant then: only one emptied now.
        if (went > 0 && occupancy_) occupancy_->on_occupancy(layout::split_index_key(r->key()), Occupancy::vacated);
        shard.free(h);
        return;
      }
      if (r->capacity() > 2 * r->count()) r = shard.slab[h] = RecordBlock::resize(r, r->count());
      shard.wheel.schedule(h, next, next_of);
    });
  }
  tell_expired(pending);
  return expired;
}

void MemoryStore::tell_expired(std::span<const PendingExpiry> pending) {
  for (const auto& e : pending) {
    observer_->on_change({layout::split_index_key(e.key), e.tab_id, e.user.get(), ChangeKind::expired});
  }
}

void MemoryStore::read_page(presence::RecordRef record, const presence::User& caller, std::size_t offset,
                            std::size_t limit, std::vector<presence::Viewer>& out, presence::Totals& totals) {
  const layout::KeyText key = layout::index_key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  std::vector<PendingExpiry> pending;
  {
    std::lock_guard lock(shard.mutex);
    const std::uint32_t h = shard.lookup(key.view());
    if (h == kNoRecord || shard.slab[h]->count() < TabIndex::kThreshold) {
      // A small record (or none): read whole, which costs a few tabs.
      RecordState state;
      read_viewers_locked(shard, key.view(), &caller, out, &state, now);
      totals = state.totals;
      cut_page(out, offset, limit);
      return;
    }
    LargeRecord& large = shard.large_of(h, now);
    if (now >= large.none_due_before_ms) {
      // Tabs may have passed their deadline unswept: sweep them now (as the wheel would,
      // and told as expiries), so that the tally counts live tabs only.
      std::int64_t next;
      if (shard.sweep_expired(h, now, next, observer_ ? &pending : nullptr) > 0 && occupancy_ &&
          shard.slab[h]->count() == 0) {
        occupancy_->on_occupancy(record, Occupancy::vacated);  // under the lock: see the join
      }
    }
    RecordBlock& r = *shard.slab[h];
    const std::uint32_t saved_version = shard.saved.find(key.view(), now);
    auto it = shard.large.find(h);  // gone if the sweep left the record small
    if (it == shard.large.end()) {
      RecordState state;
      read_viewers_locked(shard, key.view(), &caller, out, &state, now);
      totals = state.totals;
      cut_page(out, offset, limit);
    } else {
      presence::PageBuilder page(&caller, saved_version, offset, limit, it->second.users, out);
      for (std::uint16_t i = 0; i < r.count(); ++i) {
        const Tab& t = r.tabs()[i];
        if (!page.take({t.user.get(), t.mode, t.dirty, i,
                        t.idle ? presence::Activity::idle : presence::Activity::active, shard.fields.name(t.field),
                        t.lock_version})) {
          break;
        }
      }
      totals = {.users = it->second.users.users(), .tabs = r.count()};
    }
  }
  if (observer_) tell_expired(pending);
}

MemoryStoreStats MemoryStore::stats() const {
  MemoryStoreStats s;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (std::uint32_t h : shard->index) s.records += shard->slab[h]->count() > 0;
    s.allocated_records += shard->index.size();
    s.tabs += shard->tabs;
  }
  return s;
}

std::optional<metrics::LiveCounts> MemoryStore::live_counts() const {
  metrics::LiveCounts live;
  boost::unordered_flat_set<std::string> users;  // "tenant\x1fuser": the scrape's own memory
  const std::int64_t now = clock_.monotonic_ms();
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (std::uint32_t h : shard->index) {
      bool any = false;
      for (const Tab& tab : *shard->slab[h]) {
        if (tab.deadline.passed(now)) continue;  // expired, not yet swept by the wheel
        any = true;
        ++live.tabs;
        users.insert(tab.user->tenant + '\x1f' + tab.user->id);
      }
      live.records += any;
    }
  }
  live.users = users.size();
  return live;
}

boost::asio::awaitable<HeartbeatResult> MemoryStore::heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                               presence::HeartbeatInput tab) {
  co_return apply_heartbeat(record, user, tab);
}

boost::asio::awaitable<UnregisterResult> MemoryStore::unregister(presence::RecordRef record,
                                                                 const presence::User& user, std::string_view tab_id,
                                                                 std::int64_t unless_seen_since_ms) {
  co_return apply_unregister(record, user, tab_id, unless_seen_since_ms);
}

boost::asio::awaitable<ViewersResult> MemoryStore::viewers(presence::RecordRef record, const presence::User* caller,
                                                           std::vector<presence::Viewer>& out, RecordState* state) {
  read_viewers(record, caller, out, state);
  co_return ViewersResult::ok;
}

boost::asio::awaitable<ViewersResult> MemoryStore::viewers_page(presence::RecordRef record,
                                                                const presence::User& caller, std::size_t offset,
                                                                std::size_t limit, std::vector<presence::Viewer>& out,
                                                                presence::Totals& totals) {
  read_page(record, caller, offset, limit, out, totals);
  co_return ViewersResult::ok;
}

boost::asio::awaitable<ViewersResult> MemoryStore::tabs(presence::RecordRef record,
                                                         std::vector<presence::TabDetail>& out) {
  out.clear();
  const layout::KeyText key = layout::index_key(record);
  Shard& shard = shard_for(key.view());
  const std::int64_t now = clock_.monotonic_ms();
  const std::int64_t unix_now = clock_.unix_ms();
  std::lock_guard lock(shard.mutex);
  if (std::uint32_t h = shard.lookup(key.view()); h != kNoRecord) {
    RecordBlock& r = *shard.slab[h];
    for (std::uint16_t i = 0; i < r.count(); ++i) {  // positions are join order
      const Tab& t = r.tabs()[i];
      if (t.deadline.passed(now)) continue;
      out.push_back({.tab_id = std::string(t.id.view()),
                     .user_id = t.user->id,
                     .user_id_is_number = t.user->id_is_number,
                     .user_name = t.user->name,
                     .mode = t.mode,
                     .dirty = t.dirty,
                     .activity = t.idle ? presence::Activity::idle : presence::Activity::active,
                     .field = std::string(shard.fields.name(t.field)),
                     .lock_version = t.lock_version,
                     .last_seen_ms = last_heard_unix_ms(t, now, unix_now, options_.ttl_ms)});
    }
  }
  co_return ViewersResult::ok;
}

boost::asio::awaitable<std::optional<std::size_t>> MemoryStore::remove_user(std::string_view tenant,
                                                                              std::string_view user_id) {
  presence::User user;
  user.tenant = tenant;
  user.id = user_id;
  // Found shard by shard under each shard's lock, then removed as unregisters are (each
  // tells the observers); a tab renewed in between is removed all the same.
  std::vector<std::pair<std::string, std::string>> found;  // record key, tab id
  const std::int64_t now = clock_.monotonic_ms();
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (std::uint32_t h : shard->index) {
      const RecordBlock& r = *shard->slab[h];
      if (layout::split_index_key(r.key()).tenant != tenant) continue;
      for (const Tab& tab : *shard->slab[h]) {
        if (!tab.deadline.passed(now) && presence::same_user(*tab.user, user)) {
          found.emplace_back(std::string(r.key()), std::string(tab.id.view()));
        }
      }
    }
  }
  std::size_t removed = 0;
  for (const auto& [key, tab_id] : found) {
    removed += apply_unregister(layout::split_index_key(key), user, tab_id, 0) == UnregisterResult::removed;
  }
  co_return removed;
}

boost::asio::awaitable<SavedResult> MemoryStore::saved(presence::RecordRef record, presence::UserPtr user,
                                                       std::uint32_t lock_version) {
  co_return apply_saved(record, user, lock_version);
}

void MemoryStore::start(runtime::EventThreads& threads) {
  threads_ = &threads;
  timer_ = std::make_unique<boost::asio::steady_timer>(threads.front().executor());
  running_ = true;
  schedule_tick();
}

void MemoryStore::schedule_tick() {
  timer_->expires_after(std::chrono::milliseconds(options_.tick_ms));
  timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    expire_due();
    schedule_tick();
  });
}

void MemoryStore::stop() {
  PRESENCED_CHECK(!threads_ || threads_->none_running(), "the store stops once the server threads have");
  running_ = false;
  timer_.reset();  // while its io_context still exists (see presence_store.hpp)
}

}  // namespace presenced::store::memory
