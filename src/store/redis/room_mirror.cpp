#include "store/redis/room_mirror.hpp"

#include "presence/iso8601.hpp"
#include "presence/scratch.hpp"
#include "store/redis/entry_codec.hpp"
#include "store/redis/notice.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>

namespace presenced::store::redis {
namespace {

constexpr std::string_view kStampMember = "\"last_seen_at\":\"";
constexpr std::string_view kJoinedMember = ",\"joined_us\":";

// An entry in presenced's own format (entry_codec.hpp): its stamp, parsed.
std::optional<std::int64_t> own_stamp_ms(std::string_view value) {
  const auto at = value.find(kStampMember);
  if (at == std::string_view::npos || value.size() < at + kStampMember.size() + 24) return std::nullopt;
  return presence::parse_iso8601_ms(value.substr(at + kStampMember.size(), 24));
}

// An entry in presenced's own format: its join time's digits, the last member.
std::optional<std::string_view> own_joined(std::string_view value) {
  const auto at = value.rfind(kJoinedMember);
  if (at == std::string_view::npos || value.back() != '}') return std::nullopt;
  const std::string_view digits = value.substr(at + kJoinedMember.size(), value.size() - 1 - at - kJoinedMember.size());
  if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return digits;
}

// When a read's entry was last seen (unix ms): its `seen` digits, or for presenced's own
// entry (`seen` empty) the stamp in its value. False when neither can be read.
bool seen_of(const RoomMirror::ReadEntry& e, std::int64_t& ms) {
  if (e.seen.empty()) {
    const auto stamp = own_stamp_ms(e.value);
    if (stamp) ms = *stamp;
    return stamp.has_value();
  }
  const auto [end, ec] = std::from_chars(e.seen.data(), e.seen.data() + e.seen.size(), ms);
  return ec == std::errc() && end == e.seen.data() + e.seen.size();
}

// Unique among every mirror of the process: a check begun on a mirror that was dropped
// (its record unwatched) and made again while the check waited is not taken by the new one.
std::uint64_t fresh_generation() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Join order, ties (the host app's tabs joined when first seen, to the second) broken by
// tab id: every read then agrees, and a room read again is not a room reordered (a diff
// of the whole room to every subscriber).
const auto by_join = [](const auto* a, const auto* b) {
  return a->joined < b->joined || (a->joined == b->joined && a->id < b->id);
};

}  // namespace

std::optional<RoomMirror::ReadEntry> RoomMirror::unpack(std::string_view packed) {
  const auto id = take_counted(packed);
  if (!id) return std::nullopt;
  ReadEntry e;
  e.tab_id = *id;
  const auto joined_end = packed.find(':');
  if (joined_end == std::string_view::npos) return std::nullopt;
  e.joined = packed.substr(0, joined_end);
  packed.remove_prefix(joined_end + 1);
  const auto seen_end = packed.find(':');
  if (seen_end == std::string_view::npos) return std::nullopt;
  e.seen = packed.substr(0, seen_end);
  e.value = packed.substr(seen_end + 1);
  return e;
}

RoomMirror::RoomMirror(std::string tenant, std::size_t max_tabs, std::int64_t ttl_ms)
    : tenant_(std::move(tenant)),
      max_tabs_(max_tabs),
      ttl_ms_(ttl_ms),
      fresh_for_ms_(std::clamp<std::int64_t>(ttl_ms / 3, 1, kFreshForMs)) {}

void RoomMirror::distrust() {
  trusted_ = false;
  ++epoch_;
  generation_ = fresh_generation();
}

void RoomMirror::listening(bool on) {
  listening_ = on;
  distrust();
}

void RoomMirror::saved(std::uint32_t lock_version) {
  if (saved_version_ == presence::kNoLockVersion || lock_version > saved_version_) saved_version_ = lock_version;
}

void RoomMirror::heard(std::string_view payload) {
  if (reading_) {
    if (heard_during_read_.size() < kMaxHeardDuringRead) heard_during_read_.emplace_back(payload);
    else overflowed_ = true;
  }
  const auto notice = decode_tab_notice(payload);
  if (checks_open_ && notice) {  // (what is not a tab's notice has apply() distrust)
    if (heard_during_checks_.size() < kMaxHeardDuringRead) heard_during_checks_.emplace_back(notice->tab_id);
    else checks_overflowed_ = true;
  }
  apply(notice);
}

void RoomMirror::apply(const std::optional<TabNotice>& notice) {
  if (!notice) {
    distrust();  // "changed", or what cannot be read
    return;
  }
  if (notice->removed) {
    remove(notice->tab_id);
    return;
  }
  const auto joined = own_joined(notice->value);
  const auto seen = own_stamp_ms(notice->value);
  if (!joined || !seen || !put(notice->tab_id, *joined, *seen, notice->value, true)) distrust();
}

void RoomMirror::unlink(const Tab* tab) {
  auto [first, last] = std::equal_range(order_.begin(), order_.end(), tab, by_join);
  auto it = std::find(first, last, tab);
  if (it != last) order_.erase(it);
}

void RoomMirror::link(const Tab* tab) {
  order_.insert(std::upper_bound(order_.begin(), order_.end(), tab, by_join), tab);
}

bool RoomMirror::put(std::string_view id, std::string_view joined, std::int64_t seen_ms, std::string_view value,
                     bool in_order) {
  presence::User user;
  std::string field;
  presence::TabView view{};
  if (!read_entry(joined, value, tenant_, user, field, view)) return false;
  auto it = tabs_.find(id);
  if (it == tabs_.end()) {
    if (in_order && tabs_.size() >= max_tabs_) return false;  // more than Redis may hold: read it
    it = tabs_.try_emplace(std::string(id)).first;
    it->second.id = it->first;
  } else {
    if (in_order) unlink(&it->second);
    users_.remove(it->second.user.id);  // (the same user, mostly; a tab id may be taken over)
  }
  users_.add(user.id);
  Tab& t = it->second;
  t.user = std::move(static_cast<presence::Person&>(user));
  t.field = std::move(field);
  t.mode = view.mode;
  t.dirty = view.dirty;
  t.activity = view.activity;
  t.lock_version = view.lock_version;
  t.joined = view.joined;
  t.deadline_ms = seen_ms + ttl_ms_;
  if (in_order) link(&t);
  return true;
}

void RoomMirror::remove(std::string_view id) {
  auto it = tabs_.find(id);
  if (it == tabs_.end()) return;
  unlink(&it->second);
  users_.remove(it->second.user.id);
  tabs_.erase(it);
}

std::uint64_t RoomMirror::begin_read() {
  reading_ = ++reads_;
  read_epoch_ = epoch_;
  heard_during_read_.clear();
  overflowed_ = false;
  return reading_;
}

void RoomMirror::abandon_read(std::uint64_t read) {
  if (read != reading_) return;
  reading_ = 0;
  heard_during_read_.clear();
}

bool RoomMirror::finish_read(std::uint64_t read, std::span<const ReadEntry> entries, std::uint32_t saved_version,
                             std::int64_t now_ms) {
  if (read == 0 || read != reading_) return false;  // a later read is under way: its answer counts
  reading_ = 0;
  tabs_.clear();
  order_.clear();
  users_.clear();
  for (const ReadEntry& e : entries) {
    std::int64_t seen = 0;
    if (!seen_of(e, seen)) continue;
    // Entries the host app wrote may be anything; what cannot be read is not presence.
    put(e.tab_id, e.joined, seen, e.value, false);
  }
  order_.reserve(tabs_.size());
  for (const auto& [id, tab] : tabs_) order_.push_back(&tab);
  std::sort(order_.begin(), order_.end(), by_join);
  saved(saved_version);
  generation_ = fresh_generation();
  trusted_ = listening_ && read_epoch_ == epoch_ && !overflowed_;
  fresh_until_ms_ = now_ms + fresh_for_ms_;
  for (const std::string& payload : heard_during_read_) apply(decode_tab_notice(payload));
  heard_during_read_.clear();
  return true;
}

RoomMirror::Doubt RoomMirror::doubt(std::int64_t now_ms, std::vector<std::string>* due) const {
  if (!trusted_ || reading_ || now_ms >= fresh_until_ms_) return Doubt::all;
  if (due) due->clear();
  std::size_t passed = 0;
  for (const Tab* t : order_) {
    if (t->deadline_ms > now_ms) continue;
    // Renewed unheard, or expired: only Redis tells.
    if (!due || ++passed > kMaxDueChecked) return Doubt::all;
    due->emplace_back(t->id);
  }
  return passed ? Doubt::due : Doubt::none;
}

bool RoomMirror::answer(std::int64_t now_ms, std::vector<presence::Viewer>& out, RecordState& state) {
  if (doubt(now_ms) != Doubt::none) return false;
  roll_up(now_ms, out, state);
  return true;
}

std::uint64_t RoomMirror::begin_check() {
  ++checks_open_;
  return generation_;
}

void RoomMirror::close_check() {
  if (checks_open_ && --checks_open_ == 0) {
    heard_during_checks_.clear();
    checks_overflowed_ = false;
  }
}

void RoomMirror::abandon_check() { close_check(); }

bool RoomMirror::finish_check(std::uint64_t check, std::span<const std::string> due,
                              std::span<const std::string_view> found) {
  const bool taken = check == generation_ && trusted_ && !reading_ && !checks_overflowed_ && due.size() == found.size();
  if (taken) {
    for (std::size_t i = 0; i < due.size(); ++i) {
      const std::string_view id = due[i];
      if (std::find(heard_during_checks_.begin(), heard_during_checks_.end(), id) != heard_during_checks_.end()) {
        continue;  // what was heard is as new as the check's answer, or newer
      }
      const auto e = found[i].empty() ? std::nullopt : unpack(found[i]);
      std::int64_t seen = 0;
      const bool live = e && e->tab_id == id && seen_of(*e, seen);
      // Gone, or what cannot be read (it is then not presence, as in a read).
      if (!live || !put(id, e->joined, seen, e->value, true)) remove(id);
    }
  }
  close_check();
  return taken;
}

void RoomMirror::page(const presence::User& caller, std::size_t offset, std::size_t limit,
                      std::vector<presence::Viewer>& out, presence::Totals& totals) const {
  presence::PageBuilder page(&caller, saved_version_, offset, limit, users_, out);
  for (const Tab* t : order_) {
    if (!page.take({.user = &t->user,
                    .mode = t->mode,
                    .dirty = t->dirty,
                    .joined = t->joined,
                    .activity = t->activity,
                    .field = t->field,
                    .lock_version = t->lock_version})) {
      break;
    }
  }
  totals = {.users = users_.users(), .tabs = tabs_.size()};
}

void RoomMirror::roll_up(std::int64_t now_ms, std::vector<presence::Viewer>& out, RecordState& state) {
  thread_local std::vector<presence::TabView> views;
  views.clear();
  views.reserve(order_.size());
  std::int64_t next = fresh_until_ms_;
  for (const Tab* t : order_) {
    views.push_back({.user = &t->user,
                     .mode = t->mode,
                     .dirty = t->dirty,
                     .joined = t->joined,
                     .activity = t->activity,
                     .field = t->field,
                     .lock_version = t->lock_version});
    next = std::min(next, t->deadline_ms);
  }
  state.saved_version = saved_version_;
  state.next_expiry_ms = std::max<std::int64_t>(0, next - now_ms);
  presence::aggregate_viewers(views, nullptr, saved_version_, out, &state.totals);
  // A large room's views are given back: the roll-up makes a list the room's size anyway,
  // and a thread watching several large rooms would keep the largest's for its life.
  presence::release_if_large(views);
}

}  // namespace presenced::store::redis
