#include "pusher/record_channel.hpp"

#include "auth/hmac.hpp"
#include "presence/validation.hpp"

namespace presenced::pusher {
namespace {

constexpr std::string_view kPresencePrefix = "presence-";

bool is_segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

enum class Part { tenant, type, id };

// The placeholder at `p` in the pattern, if one starts there.
std::optional<std::pair<Part, std::size_t>> placeholder_at(std::string_view pattern, std::size_t p) {
  static constexpr std::pair<std::string_view, Part> kNames[] = {
      {"{tenant}", Part::tenant}, {"{type}", Part::type}, {"{id}", Part::id}};
  for (const auto& [name, part] : kNames) {
    if (pattern.substr(p, name.size()) == name) return std::pair{part, name.size()};
  }
  return std::nullopt;
}

}  // namespace

bool RecordChannels::set_pattern(std::string_view pattern, std::string& error) {
  if (pattern.empty()) {
    pattern_.clear();
    return true;
  }
  if (!pattern.starts_with(kPresencePrefix)) {
    error = "the record channel pattern must start with \"presence-\"";
    return false;
  }
  int seen[3] = {0, 0, 0};
  for (std::size_t p = 0; p < pattern.size();) {
    if (const auto ph = placeholder_at(pattern, p)) {
      ++seen[static_cast<int>(ph->first)];
      p += ph->second;
      // What follows must end the segment: a matched value is the longest run of segment characters.
      if (p < pattern.size() && (is_segment_char(pattern[p]) || pattern[p] == '{')) {
        error = "in the record channel pattern, each placeholder must be followed by a character such as '.', or end it";
        return false;
      }
      continue;
    }
    if (pattern[p] == '{' || pattern[p] == '}') {
      error = "the record channel pattern's placeholders are {tenant}, {type} and {id}";
      return false;
    }
    ++p;
  }
  if (seen[1] != 1 || seen[2] != 1 || seen[0] > 1) {
    error = "the record channel pattern holds {type} and {id} once each, and {tenant} at most once";
    return false;
  }
  pattern_.assign(pattern);
  return true;
}

std::optional<ChannelRecord> RecordChannels::matched(const App& app, std::string_view channel) const {
  if (pattern_.empty()) return std::nullopt;
  ChannelRecord r;
  bool has_tenant = false;
  std::size_t c = 0;
  for (std::size_t p = 0; p < pattern_.size();) {
    if (const auto ph = placeholder_at(pattern_, p)) {
      const std::size_t start = c;
      while (c < channel.size() && is_segment_char(channel[c])) ++c;
      const std::string_view value = channel.substr(start, c - start);
      if (!presence::is_valid_segment(value)) return std::nullopt;
      (ph->first == Part::tenant ? r.tenant : ph->first == Part::type ? r.type : r.id).assign(value);
      has_tenant |= ph->first == Part::tenant;
      p += ph->second;
      continue;
    }
    if (c >= channel.size() || channel[c] != pattern_[p]) return std::nullopt;
    ++c;
    ++p;
  }
  if (c != channel.size()) return std::nullopt;
  if (!has_tenant) r.tenant = app.id;
  r.is_record = true;
  return r;
}

ChannelRecord RecordChannels::record_of(const App& app, std::string_view channel) const {
  if (auto r = matched(app, channel)) return std::move(*r);
  // A channel of the app's own. Its name is the record's id when it can be one; else (a
  // character such as '.', or too long) a digest of it, marked by a leading '_' that a
  // name used as it is never has.
  const std::string_view rest = channel.substr(std::min(channel.size(), kPresencePrefix.size()));
  ChannelRecord r{app.id, std::string(kChannelRecordType), {}, false};
  if (presence::is_valid_segment(rest) && !rest.starts_with('_')) {
    r.id.assign(rest);
  } else {
    const auto digest = auth::hmac_sha256("presenced presence channel", rest);
    r.id = "_" + auth::lower_hex(digest).substr(0, 40);
  }
  return r;
}

}  // namespace presenced::pusher
