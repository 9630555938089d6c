#pragma once
// Input rules of the presence API, worded as the host app's Laravel validator words them,
// so clients written against the host app show the same messages.

#include "presence/types.hpp"

#include <boost/json/fwd.hpp>

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

// Validates a heartbeat body. `body` is whatever JSON arrived; anything but an object is
// treated as an empty input, as Laravel does. Views in `out` point into `body`.
bool parse_heartbeat(const boost::json::value& body, HeartbeatInput& out, ValidationErrors& errors);

// Validates an unregister body ({"tab_id"}).
bool parse_unregister(const boost::json::value& body, std::string_view& tab_id, ValidationErrors& errors);

}  // namespace presenced::presence
