#pragma once
// Presence domain vocabulary. No I/O here: the store and the HTTP layer both speak these types.

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::presence {

enum class Mode : std::uint8_t { view, edit };

inline std::string_view to_string(Mode m) { return m == Mode::edit ? "edit" : "view"; }

// Whether the person at a tab is there: the client says idle after a while without input
// or while the tab is hidden.
enum class Activity : std::uint8_t { active, idle };

// What a Pusher presence channel's member said of themselves (channel_data's user_info), as
// JSON object text of at most kMaxMemberInfoBytes, passed on verbatim to the channel's other
// members. Shared, and null for the tabs of other transports: a tab costs one pointer.
struct MemberInfo : boost::intrusive_ref_counter<MemberInfo, boost::thread_safe_counter> {
  explicit MemberInfo(std::string j) : json(std::move(j)) {}
  std::string json;
};
using MemberInfoPtr = boost::intrusive_ptr<const MemberInfo>;
inline constexpr std::size_t kMaxMemberInfoBytes = 1024;  // Pusher's own limit on user_info

// The version of the record a tab loaded (the host app's lock_version), when it said.
inline constexpr std::uint32_t kNoLockVersion = UINT32_MAX;
inline constexpr std::uint32_t kMaxLockVersion = UINT32_MAX - 1;

// A record inside a tenant. Every part has been validated ([A-Za-z0-9_-]{1,64}), so the
// parts can be joined into keys without escaping and without colliding.
struct RecordRef {
  std::string_view tenant;
  std::string_view type;
  std::string_view id;
};

// What a heartbeat asks for, after validation.
struct HeartbeatInput {
  std::string_view tab_id;
  Mode mode = Mode::view;
  bool dirty = false;
  std::string_view active_field;  // empty: none
  Activity activity = Activity::active;
  std::uint32_t lock_version = kNoLockVersion;
};

// The most entries one list answer holds: an HTTP /viewers page, a WebSocket
// subscription's limit.
inline constexpr std::size_t kMaxListed = 1'000;

// A record's totals: users (entries) and live tabs, everyone counted, the caller too.
struct Totals {
  std::size_t users = 0;
  std::size_t tabs = 0;
};

// One entry of the viewers answer: a user, aggregated over their live tabs.
struct Viewer {
  std::string id;          // the token's `sub`, as text
  bool id_is_number = false;  // echoed back as a JSON number when the token had one
  std::string name;
  std::uint32_t tabs = 0;
  bool has_dirty_tab = false;
  Mode mode = Mode::view;  // edit when any tab edits
  bool away = false;       // every tab idle
  bool stale = false;      // a tab holds an older version than the latest saved one
  std::vector<std::string> fields;  // the fields their tabs edit, each once, in tab order
  std::string avatar_url;           // from the user's token, when it had one
  MemberInfoPtr info;               // a Pusher member's user_info, when they have one
};

// One live tab in full: what support tooling sees (the server API), not the browser.
struct TabDetail {
  std::string tab_id;
  std::string user_id;
  bool user_id_is_number = false;
  std::string user_name;
  Mode mode = Mode::view;
  bool dirty = false;
  Activity activity = Activity::active;
  std::string field;                          // empty: none
  std::uint32_t lock_version = kNoLockVersion;
  std::int64_t last_seen_ms = 0;              // unix ms
};

}  // namespace presenced::presence
