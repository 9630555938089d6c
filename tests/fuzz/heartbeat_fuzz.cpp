// Request bodies: heartbeat, unregister and saved, read and validated as the handlers do.
// Whatever is accepted must read back the same through a full JSON parser (the last of
// duplicate members wins in both): a value cut short, or a member read from the wrong
// place, is a crash.
#include "presence/validation.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace presenced::presence;

namespace {

const boost::json::value* member(const boost::json::object* o, std::string_view name) {
  if (!o) return nullptr;
  const auto* v = o->if_contains(name);
  return v && !v->is_null() ? v : nullptr;
}

bool same_text(const boost::json::value* v, std::string_view expected) {
  return v && v->is_string() && v->get_string() == expected;
}

void check_heartbeat_reads_back(std::string_view body, const HeartbeatInput& in) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec) __builtin_trap();  // accepted, yet not JSON
  const boost::json::object* o = doc.if_object();
  if (!same_text(member(o, "tab_id"), in.tab_id)) __builtin_trap();
  if (!same_text(member(o, "mode"), to_string(in.mode))) __builtin_trap();
  if (const auto* field = member(o, "active_field"); in.active_field.empty()) {
    if (field && !(field->is_string() && field->get_string().empty())) __builtin_trap();
  } else if (!same_text(field, in.active_field)) {
    __builtin_trap();
  }
  if (const auto* activity = member(o, "activity"); activity && !(activity->is_string() && activity->get_string().empty())) {
    if (!same_text(activity, in.activity == Activity::idle ? "idle" : "active")) __builtin_trap();
  } else if (in.activity != Activity::active) {
    __builtin_trap();
  }
  // "" is absent, as Laravel's ConvertEmptyStringsToNull makes it before `nullable|integer`.
  if (const auto* version = member(o, "lock_version"); version && !(version->is_string() && version->get_string().empty())) {
    if (!version->is_int64() || version->get_int64() != static_cast<std::int64_t>(in.lock_version)) __builtin_trap();
  } else if (in.lock_version != kNoLockVersion) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  {
    HeartbeatBody b;
    ValidationErrors errors;
    if (read_heartbeat(body, b, errors) == BodyStatus::valid) {
      // A valid heartbeat names a tab the key layout can hold.
      if (!is_valid_tab_id(b.input.tab_id)) __builtin_trap();
      check_heartbeat_reads_back(body, b.input);
    } else {
      (void)errors.summary();
    }
  }
  {
    UnregisterBody b;
    ValidationErrors errors;
    if (read_unregister(body, b, errors) == BodyStatus::valid) {
      const auto doc = boost::json::parse(body);
      if (!same_text(member(doc.if_object(), "tab_id"), b.tab_id)) __builtin_trap();
    }
  }
  {
    SavedBody b;
    ValidationErrors errors;
    if (read_saved(body, b, errors) == BodyStatus::valid && b.lock_version > kMaxLockVersion) __builtin_trap();
  }
  return 0;
}
