#include "fanout/events.hpp"

#include "presence/json_text.hpp"

#include <boost/container_hash/hash.hpp>

#include <algorithm>

namespace presenced::fanout {
namespace {

using presence::append_json_string;

// An event of more entries than this finds a receiver's own one through a table.
constexpr std::size_t kIndexedEntries = 32;

void append_record(std::string& o, presence::RecordRef record) {
  o.append(R"("record_type":)");
  append_json_string(o, record.type);
  o.append(R"(,"record_id":)");
  append_json_string(o, record.id);
}

void append_ids(std::string& o, std::string_view name, const std::vector<std::string>& ids) {
  o.append(",\"");
  o.append(name);
  o.append("\":[");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) o += ',';
    o.append(ids[i]);
  }
  o += ']';
}

void append_ids(std::string& o, std::string_view name, const std::vector<presence::Viewer>& viewers,
                const std::vector<std::size_t>& at) {
  o.append(",\"");
  o.append(name);
  o.append("\":[");
  for (std::size_t i = 0; i < at.size(); ++i) {
    if (i) o += ',';
    o.append(json_id(viewers[at[i]]));
  }
  o += ']';
}

// The head every presence event starts with, up to the comma after `count`.
void append_head(std::string& o, std::string_view type, presence::RecordRef record, std::uint64_t seq,
                 const std::vector<presence::Viewer>& viewers) {
  o.append(R"({"type":")").append(type).append(R"(",)");
  append_record(o, record);
  o.append(R"(,"seq":)").append(std::to_string(seq)) += ',';
  // The totals, everyone counted (the receiver too, when their user is viewing): what an
  // avatar row's "+N" is computed from without the whole list.
  presence::Totals totals{.users = viewers.size()};
  for (const presence::Viewer& v : viewers) totals.tabs += v.tabs;
  char count[presence::kCountTextMax];
  o.append(count, presence::write_count(count, totals));
}

// `"viewers":[...]` with the first `count` entries, remembered in `event`.
void append_list(PresenceEvent& event, const std::vector<presence::Viewer>& viewers, std::size_t count) {
  std::string& o = event.text;
  o.append(R"(,"viewers":[)");
  event.list_begin = o.size();
  event.entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (i) o += ',';
    const std::size_t begin = o.size();
    presence::append_viewer(o, viewers[i]);
    event.entries.push_back({viewers[i].id, begin, o.size(), 0});
  }
  event.list_end = o.size();
  o += ']';
}

std::vector<std::size_t> merged(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) {
  std::vector<std::size_t> out(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), out.begin());
  return out;
}

}  // namespace

std::string json_id(std::string_view id, bool is_number) {
  if (is_number) return std::string(id);  // digits, checked when the token was verified
  std::string s;
  append_json_string(s, id);
  return s;
}

void PresenceEvent::index_entries() {
  if (entries.size() <= kIndexedEntries) return;
  by_user_.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) by_user_.emplace(entries[i].user_id, static_cast<std::uint32_t>(i));
}

// The receiver's own entry among the first `within`, or `within`.
std::size_t PresenceEvent::find(std::string_view user_id, std::size_t within) const {
  within = std::min(within, entries.size());
  if (user_id.empty()) return within;
  if (!by_user_.empty()) {
    auto it = by_user_.find(user_id);
    return it == by_user_.end() ? within : std::min<std::size_t>(it->second, within);
  }
  for (std::size_t i = 0; i < within; ++i) {
    if (entries[i].user_id == user_id) return i;
  }
  return within;
}

// Entry `s` and one comma beside it in its array, among entries [0, last): the one
// before, or for the first, the one after.
PresenceEvent::Part PresenceEvent::cut_around(std::size_t s, std::size_t last) const {
  const Entry& e = entries[s];
  if (s > 0 && entries[s - 1].list == e.list) return {entries[s - 1].end, e.end};
  if (s + 1 < last && entries[s + 1].list == e.list) return {e.begin, entries[s + 1].begin};
  return {e.begin, e.end};
}

std::array<PresenceEvent::Part, 3> PresenceEvent::parts_for(std::string_view receiver_id, std::uint32_t limit) const {
  const std::size_t size = text.size(), n = entries.size();
  if (kind == Kind::diff) {
    const std::size_t s = find(receiver_id, n);
    const Part cut = s < n ? cut_around(s, n) : Part{size, size};
    return {Part{0, cut.first}, Part{cut.second, size}, Part{size, size}};
  }
  // A list: the first `limit` entries that are not the receiver's. Their own entry matters
  // only among the first limit + 1; entries [0, last) hold what is sent.
  const std::size_t wanted = limit == kNoLimit ? n : std::min<std::size_t>(limit, n);
  const std::size_t s = find(receiver_id, wanted + 1);
  const bool own = s < std::min(wanted + 1, n);
  const std::size_t last = std::min(n, wanted + (own ? 1 : 0));
  const std::size_t head_end = last > 0 ? entries[last - 1].end : list_begin;
  const Part cut = own ? cut_around(s, last) : Part{head_end, head_end};
  return {Part{0, cut.first}, Part{cut.second, head_end}, Part{list_end, size}};
}

namespace {

std::shared_ptr<PresenceEvent> make_list_event(PresenceEvent::Kind kind, std::string record_key, presence::RecordRef record,
                                               std::uint64_t seq, const std::vector<presence::Viewer>& viewers,
                                               const Transitions& t, std::size_t max_entries) {
  auto event = std::make_shared<PresenceEvent>();
  event->kind = kind;
  event->record_key = std::move(record_key);
  event->seq = seq;
  const std::size_t count = std::min(viewers.size(), max_entries);
  std::string& o = event->text;
  o.reserve(200 + count * 128);
  append_head(o, "presence", record, seq, viewers);
  append_list(*event, viewers, count);
  // The full form's transitions are ids; a user who moved is one whose entry changed.
  append_ids(o, "joined", viewers, t.joined);
  append_ids(o, "left", t.left);
  append_ids(o, "updated", viewers, t.moved.empty() ? t.updated : merged(t.updated, t.moved));
  o += '}';
  event->index_entries();
  return event;
}

}  // namespace

std::shared_ptr<PresenceEvent> make_full_event(std::string record_key, presence::RecordRef record, std::uint64_t seq,
                                               const std::vector<presence::Viewer>& viewers, const Transitions& t) {
  return make_list_event(PresenceEvent::Kind::full, std::move(record_key), record, seq, viewers, t, SIZE_MAX);
}

// A snapshot is the full form with no transitions: the same text, sent only on subscribe.
std::shared_ptr<PresenceEvent> make_snapshot_event(std::string record_key, presence::RecordRef record, std::uint64_t seq,
                                                   const std::vector<presence::Viewer>& viewers, std::size_t max_entries) {
  return make_list_event(PresenceEvent::Kind::snapshot, std::move(record_key), record, seq, viewers, {}, max_entries);
}

// Joined entries carry where they go: `"after":[p1,p2]`, the ids of the two users before
// them in join order (fewer at the start). Two, because one may be the receiver's own
// user, whom the receiver does not hold. A user who moved is sent as left and joined.
std::shared_ptr<PresenceEvent> make_diff_event(std::string record_key, presence::RecordRef record, std::uint64_t seq,
                                               const std::vector<presence::Viewer>& viewers, const Transitions& t) {
  auto event = std::make_shared<PresenceEvent>();
  event->kind = PresenceEvent::Kind::diff;
  event->record_key = std::move(record_key);
  event->seq = seq;
  std::string& o = event->text;
  const std::vector<std::size_t> placed = t.moved.empty() ? t.joined : merged(t.joined, t.moved);
  o.reserve(200 + (placed.size() + t.updated.size()) * 160 + t.left.size() * 16);
  append_head(o, "presence_diff", record, seq, viewers);
  o.append(R"(,"joined":[)");
  for (std::size_t k = 0; k < placed.size(); ++k) {
    const std::size_t i = placed[k];
    if (k) o += ',';
    const std::size_t begin = o.size();
    presence::append_viewer(o, viewers[i]);
    o.pop_back();  // the object's '}': the place goes in it
    o.append(R"(,"after":[)");
    if (i >= 1) o.append(json_id(viewers[i - 1]));
    if (i >= 2) o.append(",").append(json_id(viewers[i - 2]));
    o.append("]}");
    event->entries.push_back({viewers[i].id, begin, o.size(), 0});
  }
  o.append(R"(],"updated":[)");
  for (std::size_t k = 0; k < t.updated.size(); ++k) {
    if (k) o += ',';
    const std::size_t begin = o.size();
    presence::append_viewer(o, viewers[t.updated[k]]);
    event->entries.push_back({viewers[t.updated[k]].id, begin, o.size(), 1});
  }
  o += ']';
  std::vector<std::string> left = t.left;
  for (std::size_t i : t.moved) left.push_back(json_id(viewers[i]));
  append_ids(o, "left", left);
  o += '}';
  event->index_entries();
  return event;
}

// One pass over each list with a table of the old one (by user id): linear in the room,
// where searching the old list for each viewer was quadratic (100 million comparisons a
// change in a room of 10,000). A user still there whose place before is behind one seen
// earlier in the new list has moved (greedy: correct, not always the fewest moves; moves
// are rare, they need a user's first tab to leave while another stays).
std::uint64_t entry_digest(const presence::Viewer& v) {
  // Each string hashed apart and then combined, so that where one ends is part of the digest.
  std::size_t h = boost::hash<std::string_view>{}(v.name);
  boost::hash_combine(h, std::string_view(v.avatar_url));
  if (v.info) boost::hash_combine(h, std::string_view(v.info->json));
  boost::hash_combine(h, v.tabs);
  boost::hash_combine(h, (unsigned{v.has_dirty_tab} << 0) | (unsigned{v.mode == presence::Mode::edit} << 1) |
                             (unsigned{v.away} << 2) | (unsigned{v.stale} << 3));
  boost::hash_combine(h, v.fields.size());
  for (const std::string& f : v.fields) boost::hash_combine(h, std::string_view(f));
  return h;
}

void remember_sent(const std::vector<presence::Viewer>& viewers, std::vector<SentEntry>& out) {
  out.resize(viewers.size());
  for (std::size_t i = 0; i < viewers.size(); ++i) {
    out[i].id.assign(viewers[i].id);
    out[i].id_is_number = viewers[i].id_is_number;
    out[i].digest = entry_digest(viewers[i]);
  }
}

Transitions diff_viewers(const std::vector<SentEntry>& before, const std::vector<presence::Viewer>& after) {
  Transitions t;
  struct Old {
    std::uint64_t digest;
    std::size_t at;
    bool found;  // in `after`
  };
  boost::unordered_flat_map<std::string_view, Old> old;
  old.reserve(before.size());
  for (std::size_t i = 0; i < before.size(); ++i) old.emplace(before[i].id, Old{before[i].digest, i, false});
  std::size_t furthest = 0;
  bool any_kept = false;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const presence::Viewer& v = after[i];
    auto it = old.find(v.id);
    if (it == old.end()) {
      t.joined.push_back(i);
      continue;
    }
    if (any_kept && it->second.at < furthest) {
      t.moved.push_back(i);
    } else {
      if (it->second.digest != entry_digest(v)) t.updated.push_back(i);
      furthest = it->second.at;
      any_kept = true;
    }
    it->second.found = true;
  }
  for (const SentEntry& e : before) {
    if (!old.find(e.id)->second.found) {
      t.left.push_back(json_id(e.id, e.id_is_number));
      t.left_ids.push_back(e.id);
    }
  }
  return t;
}

Transitions diff_viewers(const std::vector<presence::Viewer>& before, const std::vector<presence::Viewer>& after) {
  std::vector<SentEntry> sent;
  remember_sent(before, sent);
  return diff_viewers(sent, after);
}

namespace {

// A Viewer or a Person: the same fields, as the list shows the one and the token says the other.
template <class Shown>
Member member_from(const Shown& v) {
  Member m{v.id, {}};
  if (v.info) {
    m.info = v.info->json;
  } else {
    m.info.reserve(32 + v.id.size() + v.name.size() + v.avatar_url.size());
    m.info.append(R"({"id":)").append(json_id(v.id, v.id_is_number)).append(R"(,"name":)");
    append_json_string(m.info, v.name);
    if (!v.avatar_url.empty()) {
      m.info.append(R"(,"avatar_url":)");
      append_json_string(m.info, v.avatar_url);
    }
    m.info += '}';
  }
  return m;
}

}  // namespace

Member member_of(const presence::Viewer& v) { return member_from(v); }
Member member_of(const presence::Person& p) { return member_from(p); }

void add_members(PresenceEvent& snapshot, const std::vector<presence::Viewer>& viewers) {
  snapshot.has_members = true;
  append_json_string(snapshot.escaped_text, snapshot.text);
  snapshot.members.reserve(viewers.size());
  for (const presence::Viewer& v : viewers) snapshot.members.push_back(member_of(v));
}

void add_members(PresenceEvent& diff, const std::vector<presence::Viewer>& viewers, const Transitions& t) {
  diff.has_members = true;
  append_json_string(diff.escaped_text, diff.text);
  diff.members.reserve(t.joined.size());
  for (std::size_t i : t.joined) diff.members.push_back(member_of(viewers[i]));
  diff.members_left = t.left_ids;
}

std::string make_saved_event(presence::RecordRef record, const presence::User& by, std::uint32_t lock_version) {
  std::string o = R"({"type":"saved",)";
  append_record(o, record);
  o.append(R"(,"by":{"id":)");
  o.append(json_id(by));
  o.append(R"(,"name":)");
  append_json_string(o, by.name);
  o.append(R"(},"lock_version":)");
  o.append(std::to_string(lock_version));
  o += '}';
  return o;
}

}  // namespace presenced::fanout
