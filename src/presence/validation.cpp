#include "presence/validation.hpp"

#include <boost/json/value.hpp>

namespace presenced::presence {
namespace {

constexpr bool is_segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

constexpr bool is_tab_id_char(char c) { return is_segment_char(c) || c == '.' || c == ':'; }

// Characters, not bytes, as Laravel's max rule counts them (mb_strlen). The JSON parser
// has already rejected invalid UTF-8.
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

const boost::json::value* member(const boost::json::value& body, std::string_view name) {
  const auto* obj = body.if_object();
  if (!obj) return nullptr;
  const auto* v = obj->if_contains(name);
  return (v && !v->is_null()) ? v : nullptr;  // null counts as absent, as with Laravel's `required`
}

bool check_tab_id(const boost::json::value& body, std::string_view& out, ValidationErrors& errors) {
  const auto* v = member(body, "tab_id");
  if (!v || (v->is_string() && v->get_string().empty())) {
    errors.add("tab_id", "The tab id field is required.");
    return false;
  }
  if (!v->is_string()) {
    errors.add("tab_id", "The tab id field must be a string.");
    return false;
  }
  std::string_view s = v->get_string();
  if (s.size() > kMaxTabId) {
    errors.add("tab_id", "The tab id field must not be greater than 128 characters.");
    return false;
  }
  if (!is_valid_tab_id(s)) {
    errors.add("tab_id", "The tab id field format is invalid.");
    return false;
  }
  out = s;
  return true;
}

// Laravel's `boolean` rule: true, false, 1, 0, "1", "0" and nothing else.
bool as_laravel_boolean(const boost::json::value& v, bool& out) {
  if (v.is_bool()) {
    out = v.get_bool();
    return true;
  }
  if (v.is_int64() || v.is_uint64()) {
    auto n = v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_uint64() > 1 ? 2 : v.get_uint64());
    if (n == 0 || n == 1) {
      out = n == 1;
      return true;
    }
    return false;
  }
  if (v.is_string()) {
    std::string_view s = v.get_string();
    if (s == "0" || s == "1") {
      out = s == "1";
      return true;
    }
  }
  return false;
}

}  // namespace

void ValidationErrors::add(std::string_view field, std::string message) {
  for (auto& [name, messages] : fields_) {
    if (name == field) {
      messages.push_back(std::move(message));
      return;
    }
  }
  fields_.emplace_back(std::string(field), std::vector<std::string>{std::move(message)});
}

std::size_t ValidationErrors::count() const {
  std::size_t n = 0;
  for (const auto& f : fields_) n += f.second.size();
  return n;
}

std::string ValidationErrors::summary() const {
  if (fields_.empty()) return "The given data was invalid.";
  std::string s = fields_.front().second.front();
  if (auto more = count() - 1; more > 0) {
    s += " (and " + std::to_string(more) + (more == 1 ? " more error)" : " more errors)");
  }
  return s;
}

bool is_valid_segment(std::string_view s) {
  if (s.empty() || s.size() > kMaxSegment) return false;
  for (char c : s)
    if (!is_segment_char(c)) return false;
  return true;
}

bool is_valid_tab_id(std::string_view s) {
  if (s.empty() || s.size() > kMaxTabId) return false;
  for (char c : s)
    if (!is_tab_id_char(c)) return false;
  return true;
}

bool parse_heartbeat(const boost::json::value& body, HeartbeatInput& out, ValidationErrors& errors) {
  check_tab_id(body, out.tab_id, errors);

  if (const auto* v = member(body, "mode"); !v || (v->is_string() && v->get_string().empty())) {
    errors.add("mode", "The mode field is required.");
  } else if (v->is_string() && v->get_string() == "view") {
    out.mode = Mode::view;
  } else if (v->is_string() && v->get_string() == "edit") {
    out.mode = Mode::edit;
  } else {
    errors.add("mode", "The selected mode is invalid.");
  }

  if (const auto* v = member(body, "dirty"); !v || (v->is_string() && v->get_string().empty())) {
    errors.add("dirty", "The dirty field is required.");
  } else if (!as_laravel_boolean(*v, out.dirty)) {
    errors.add("dirty", "The dirty field must be true or false.");
  }

  out.active_field = {};
  if (const auto* v = member(body, "active_field")) {
    if (!v->is_string()) {
      errors.add("active_field", "The active field field must be a string.");
    } else if (std::string_view s = v->get_string(); s.empty()) {
      // An empty string clears the field, as null does.
    } else if (utf8_length(s) > kMaxActiveField) {
      errors.add("active_field", "The active field field must not be greater than 64 characters.");
    } else {
      out.active_field = s;
    }
  }
  return errors.empty();
}

bool parse_unregister(const boost::json::value& body, std::string_view& tab_id, ValidationErrors& errors) {
  return check_tab_id(body, tab_id, errors);
}

}  // namespace presenced::presence
