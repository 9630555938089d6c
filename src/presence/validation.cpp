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

// Laravel's `integer|min:0|max:4294967294` for lock versions.
bool check_lock_version(const JsonField& f, std::uint32_t& out, ValidationErrors& errors, bool required) {
  if (missing(f)) {
    if (required) errors.add("lock_version", "The lock version field is required.");
    return !required;
  }
  if (f.kind != Kind::integer) {
    errors.add("lock_version", "The lock version field must be an integer.");
    return false;
  }
  if (f.integer < 0) {
    errors.add("lock_version", "The lock version field must be at least 0.");
    return false;
  }
  if (f.integer > static_cast<std::int64_t>(kMaxLockVersion)) {
    errors.add("lock_version", "The lock version field must not be greater than 4294967294.");
    return false;
  }
  out = static_cast<std::uint32_t>(f.integer);
  return true;
}

}  // namespace

void check_tab_id(const JsonField& f, std::string_view& out, ValidationErrors& errors) {
  if (missing(f)) {
    errors.add("tab_id", "The tab id field is required.");
  } else if (f.kind != Kind::string) {
    errors.add("tab_id", "The tab id field must be a string.");
  } else if (f.text_size > kMaxTabId) {
    errors.add("tab_id", "The tab id field must not be greater than 128 characters.");
  } else if (!is_valid_tab_id(f.text)) {
    errors.add("tab_id", "The tab id field format is invalid.");
  } else {
    out = f.text;
  }
}

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

void check_heartbeat(std::span<const JsonField> f, HeartbeatInput& out, ValidationErrors& errors) {
  out = {};
  check_tab_id(f[0], out.tab_id, errors);
  check_tab_state(f.subspan(1), out, errors);
}

void check_tab_state(std::span<const JsonField> f, HeartbeatInput& out, ValidationErrors& errors) {
  if (const JsonField& mode = f[0]; missing(mode)) {
    errors.add("mode", "The mode field is required.");
  } else if (mode.kind == Kind::string && mode.text == "view") {
    out.mode = Mode::view;
  } else if (mode.kind == Kind::string && mode.text == "edit") {
    out.mode = Mode::edit;
  } else {
    errors.add("mode", "The selected mode is invalid.");
  }

  if (const JsonField& dirty = f[1]; missing(dirty)) {
    errors.add("dirty", "The dirty field is required.");
  } else if (!as_laravel_boolean(dirty, out.dirty)) {
    errors.add("dirty", "The dirty field must be true or false.");
  }

  // Optional; null or "" means no field (the tab left it).
  if (const JsonField& field = f[2]; field.is_present()) {
    if (field.kind != Kind::string) {
      errors.add("active_field", "The active field field must be a string.");
    } else if (field.truncated || utf8_length(field.text) > kMaxActiveField) {
      errors.add("active_field", "The active field field must not be greater than 64 characters.");
    } else {
      out.active_field = field.text;
    }
  }

  // Optional; absent means active (clients that predate it are taken as present).
  if (const JsonField& activity = f[3]; !missing(activity)) {
    if (activity.kind == Kind::string && activity.text == "active") {
      out.activity = Activity::active;
    } else if (activity.kind == Kind::string && activity.text == "idle") {
      out.activity = Activity::idle;
    } else {
      errors.add("activity", "The selected activity is invalid.");
    }
  }

  check_lock_version(f[4], out.lock_version, errors, false);
}

BodyStatus read_heartbeat(std::string_view json, HeartbeatBody& body, ValidationErrors& errors) {
  if (body.fields.read(json) == JsonFields::Status::malformed) return BodyStatus::malformed;
  check_heartbeat(body.fields.slice(0, kHeartbeatMembers), body.input, errors);
  return errors.empty() ? BodyStatus::valid : BodyStatus::invalid;
}

BodyStatus read_unregister(std::string_view json, UnregisterBody& body, ValidationErrors& errors) {
  if (body.fields.read(json) == JsonFields::Status::malformed) return BodyStatus::malformed;
  check_tab_id(body.fields[0], body.tab_id, errors);
  if (const JsonField& grace = body.fields[1]; !missing(grace) && !as_laravel_boolean(grace, body.grace)) {
    errors.add("grace", "The grace field must be true or false.");
  }
  return errors.empty() ? BodyStatus::valid : BodyStatus::invalid;
}

BodyStatus read_saved(std::string_view json, SavedBody& body, ValidationErrors& errors) {
  if (body.fields.read(json) == JsonFields::Status::malformed) return BodyStatus::malformed;
  check_lock_version(body.fields[0], body.lock_version, errors, true);
  return errors.empty() ? BodyStatus::valid : BodyStatus::invalid;
}

}  // namespace presenced::presence
