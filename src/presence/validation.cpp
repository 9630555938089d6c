#include "presence/validation.hpp"


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

using Kind = JsonField::Kind;

// Laravel's `required`: absent, null and "" all fail it.
bool missing(const JsonField& f) { return !f.is_present() || (f.kind == Kind::string && f.text_size == 0); }

bool check_tab_id(const JsonField& f, std::string_view& out, ValidationErrors& errors) {
  if (missing(f)) {
    errors.add("tab_id", "The tab id field is required.");
    return false;
  }
  if (f.kind != Kind::string) {
    errors.add("tab_id", "The tab id field must be a string.");
    return false;
  }
  if (f.text_size > kMaxTabId) {
    errors.add("tab_id", "The tab id field must not be greater than 128 characters.");
    return false;
  }
  if (!is_valid_tab_id(f.text)) {
    errors.add("tab_id", "The tab id field format is invalid.");
    return false;
  }
  out = f.text;
  return true;
}

// Laravel's `boolean` rule: true, false, 1, 0, "1", "0" and nothing else.
bool as_laravel_boolean(const JsonField& f, bool& out) {
  switch (f.kind) {
    case Kind::boolean: out = f.boolean; return true;
    case Kind::integer:
      if (f.integer != 0 && f.integer != 1) return false;
      out = f.integer == 1;
      return true;
    case Kind::string:
      if (f.text != "0" && f.text != "1") return false;
      out = f.text == "1";
      return true;
    default: return false;
  }
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

BodyStatus read_heartbeat(std::string_view json, HeartbeatBody& body, ValidationErrors& errors) {
  if (body.fields.read(json) == JsonFields::Status::malformed) return BodyStatus::malformed;
  HeartbeatInput& out = body.input;
  out = {};
  check_tab_id(body.fields[0], out.tab_id, errors);

  if (const JsonField& mode = body.fields[1]; missing(mode)) {
    errors.add("mode", "The mode field is required.");
  } else if (mode.kind == Kind::string && mode.text == "view") {
    out.mode = Mode::view;
  } else if (mode.kind == Kind::string && mode.text == "edit") {
    out.mode = Mode::edit;
  } else {
    errors.add("mode", "The selected mode is invalid.");
  }

  if (const JsonField& dirty = body.fields[2]; missing(dirty)) {
    errors.add("dirty", "The dirty field is required.");
  } else if (!as_laravel_boolean(dirty, out.dirty)) {
    errors.add("dirty", "The dirty field must be true or false.");
  }

  // Optional; null or "" means no field (the tab left it).
  if (const JsonField& field = body.fields[3]; field.is_present()) {
    if (field.kind != Kind::string) {
      errors.add("active_field", "The active field field must be a string.");
    } else if (field.truncated || utf8_length(field.text) > kMaxActiveField) {
      errors.add("active_field", "The active field field must not be greater than 64 characters.");
    } else {
      out.active_field = field.text;
    }
  }
  return errors.empty() ? BodyStatus::valid : BodyStatus::invalid;
}

BodyStatus read_unregister(std::string_view json, UnregisterBody& body, ValidationErrors& errors) {
  if (body.fields.read(json) == JsonFields::Status::malformed) return BodyStatus::malformed;
  return check_tab_id(body.fields[0], body.tab_id, errors) ? BodyStatus::valid : BodyStatus::invalid;
}

}  // namespace presenced::presence
