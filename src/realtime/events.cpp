#include "realtime/events.hpp"

#include "presence/json_text.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>

namespace presenced::realtime {
namespace {

using presence::append_json_string;

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

bool same_entry(const presence::Viewer& a, const presence::Viewer& b) {
  return a.name == b.name && a.avatar_url == b.avatar_url && a.tabs == b.tabs && a.has_dirty_tab == b.has_dirty_tab && a.mode == b.mode &&
         a.away == b.away && a.stale == b.stale && a.fields == b.fields;
}

}  // namespace

std::string json_id(std::string_view id, bool is_number) {
  if (is_number) return std::string(id);  // digits, checked when the token was verified
  std::string s;
  append_json_string(s, id);
  return s;
}

std::pair<std::size_t, std::size_t> PresenceEvent::cut_for(std::string_view receiver_id) const {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].user_id != receiver_id) continue;
    // The entry and one comma beside it: the one before, or for the first, the one after.
    if (i > 0) return {entries[i - 1].end, entries[i].end};
    if (entries.size() > 1) return {entries[0].begin, entries[1].begin};
    return {entries[0].begin, entries[0].end};
  }
  return {text.size(), text.size()};
}

std::shared_ptr<const PresenceEvent> make_presence_event(std::string record_key, presence::RecordRef record,
                                                         std::uint64_t seq,
                                                         const std::vector<presence::Viewer>& viewers,
                                                         const Transitions& transitions) {
  auto event = std::make_shared<PresenceEvent>();
  event->record_key = std::move(record_key);
  std::string& o = event->text;
  o.reserve(160 + viewers.size() * 128);
  o.append(R"({"type":"presence",)");
  append_record(o, record);
  // The totals, everyone counted (the receiver too, when their user is viewing): what an
  // avatar row's "+N" is computed from without the whole list.
  presence::Totals totals{.users = viewers.size()};
  for (const presence::Viewer& v : viewers) totals.tabs += v.tabs;
  o.append(R"(,"seq":)").append(std::to_string(seq)) += ',';
  char count[presence::kCountTextMax];
  o.append(count, presence::write_count(count, totals));
  o.append(R"(,"viewers":[)");
  event->entries.reserve(viewers.size());
  for (std::size_t i = 0; i < viewers.size(); ++i) {
    if (i) o += ',';
    const std::size_t begin = o.size();
    presence::append_viewer(o, viewers[i]);
    event->entries.push_back({viewers[i].id, begin, o.size()});
  }
  o += ']';
  append_ids(o, "joined", transitions.joined);
  append_ids(o, "left", transitions.left);
  append_ids(o, "updated", transitions.updated);
  o += '}';
  return event;
}

// One pass over each list with a table of the old one (by user id): linear in the room,
// where searching the old list for each viewer was quadratic (100 million comparisons a
// change in a room of 10,000).
Transitions diff_viewers(const std::vector<presence::Viewer>& before, const std::vector<presence::Viewer>& after) {
  Transitions t;
  boost::unordered_flat_map<std::string_view, const presence::Viewer*> old;  // null once found in `after`
  old.reserve(before.size());
  for (const auto& v : before) old.emplace(v.id, &v);
  for (const auto& v : after) {
    auto it = old.find(v.id);
    if (it == old.end()) {
      t.joined.push_back(json_id(v));
      continue;
    }
    if (it->second && !same_entry(*it->second, v)) t.updated.push_back(json_id(v));
    it->second = nullptr;
  }
  for (const auto& v : before) {
    if (old.find(v.id)->second) t.left.push_back(json_id(v));
  }
  return t;
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

std::string make_error(std::string_view code, std::string_view message) {
  std::string o = R"({"type":"error","code":)";
  append_json_string(o, code);
  o.append(R"(,"message":)");
  append_json_string(o, message);
  o += '}';
  return o;
}

}  // namespace presenced::realtime
