#pragma once
// Input rules of the presence API, worded as the host app's Laravel validator words them,
// so clients written against the host app show the same messages.

#include "presence/json_fields.hpp"
#include "presence/types.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::presence {

inline constexpr std::size_t kMaxSegment = 64;
inline constexpr std::size_t kMaxTabId = 128;
inline constexpr std::size_t kMaxActiveField = 64;

// Field name -> messages, in the order the fields were checked.
class ValidationErrors {
 public:
  void add(std::string_view field, std::string message);
  bool empty() const { return fields_.empty(); }
  std::size_t count() const;
  const std::vector<std::pair<std::string, std::vector<std::string>>>& fields() const { return fields_; }
  // Laravel's summary: the first message, plus "(and N more errors)".
  std::string summary() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> fields_;
};

// [A-Za-z0-9_-]{1,64}: record types, record ids and tenant ids.
bool is_valid_segment(std::string_view s);
// [A-Za-z0-9_.:-]{1,128}
bool is_valid_tab_id(std::string_view s);

enum class BodyStatus { valid, invalid, malformed };  // 200, 422, 400

// The members of a heartbeat, in the order check_heartbeat() takes them. A WebSocket
// heartbeat has the same ones after its own (type, record).
// The tab's state (check_tab_state) follows its id: a transport whose tab is the socket
// itself (the Pusher endpoint's presenced:heartbeat) reads the state alone.
#define PRESENCED_TAB_STATE_MEMBERS "mode", "dirty", "active_field", "activity", "lock_version"
#define PRESENCED_HEARTBEAT_MEMBERS "tab_id", PRESENCED_TAB_STATE_MEMBERS
inline constexpr std::size_t kTabStateMembers = 5;
inline constexpr std::size_t kHeartbeatMembers = 1 + kTabStateMembers;

// A heartbeat body and what it says; `input`'s views point into `fields`.
struct HeartbeatBody {
  JsonFields fields{PRESENCED_HEARTBEAT_MEMBERS};
  HeartbeatInput input;
};

struct UnregisterBody {
  JsonFields fields{"tab_id", "grace"};
  std::string_view tab_id;
  bool grace = false;  // leave after the grace period, unless the tab comes back
};

struct SavedBody {
  JsonFields fields{"lock_version"};
  std::uint32_t lock_version = 0;
};

// Validates the heartbeat members `f` (PRESENCED_HEARTBEAT_MEMBERS, in order) into `out`.
void check_heartbeat(std::span<const JsonField> f, HeartbeatInput& out, ValidationErrors& errors);
// The state members alone (PRESENCED_TAB_STATE_MEMBERS, in order) into `out`, its tab id untouched.
void check_tab_state(std::span<const JsonField> f, HeartbeatInput& out, ValidationErrors& errors);
void check_tab_id(const JsonField& f, std::string_view& out, ValidationErrors& errors);

// Reads and validates a request body. JSON that is not an object (or no body at all) is
// an empty input, as Laravel treats it: 422 on the required fields, not 400.
BodyStatus read_heartbeat(std::string_view json, HeartbeatBody& body, ValidationErrors& errors);
BodyStatus read_unregister(std::string_view json, UnregisterBody& body, ValidationErrors& errors);
BodyStatus read_saved(std::string_view json, SavedBody& body, ValidationErrors& errors);

}  // namespace presenced::presence
