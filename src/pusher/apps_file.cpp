#include "pusher/apps_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <limits>

namespace presenced::pusher {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxApps = 1000;
constexpr std::size_t kMaxOrigins = 100;
constexpr std::size_t kMaxOriginBytes = 300;
constexpr std::int64_t kMaxConnections = std::numeric_limits<std::int32_t>::max();

bool fail(std::string& error, std::string what) {
  error = std::move(what);
  return false;
}

// An origin entry: visible ASCII, no space or comma; "*", a host pattern or a whole origin.
bool valid_origin_entry(std::string_view s) {
  return !s.empty() && s.size() <= kMaxOriginBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f && c != ','; });
}

bool read_app(const json::value& v, std::size_t index, App& app, std::string& error) {
  const std::string where = "apps[" + std::to_string(index) + "]";
  const json::object* o = v.if_object();
  if (!o) return fail(error, where + " is not an object");
  for (const auto& [name, field] : *o) {
    if (name == "id" || name == "key" || name == "secret") {
      const json::string* text = field.if_string();
      if (!text) return fail(error, where + "." + std::string(name) + " is not a string");
      (name == "id" ? app.id : name == "key" ? app.key : app.secret) = std::string(*text);
    } else if (name == "allowed_origins") {
      const json::array* list = field.if_array();
      if (!list || list->size() > kMaxOrigins) {
        return fail(error, where + ".allowed_origins is a list of at most 100 origins or hosts");
      }
      for (const json::value& entry : *list) {
        const json::string* text = entry.if_string();
        if (!text || !valid_origin_entry(*text)) {
          return fail(error, where + ".allowed_origins holds something not an origin or a host");
        }
        app.allowed_origins.emplace_back(*text);
      }
    } else if (name == "max_connections") {
      const std::int64_t* n = field.if_int64();
      const std::uint64_t* u = field.if_uint64();
      const std::int64_t value = n ? *n : (u && *u <= static_cast<std::uint64_t>(kMaxConnections) ? static_cast<std::int64_t>(*u) : -1);
      if (value < 0 || value > kMaxConnections) {
        return fail(error, where + ".max_connections is a whole number from 0 (no limit) up");
      }
      app.max_connections = static_cast<std::size_t>(value);
    } else {
      return fail(error, where + " has a field presenced does not know: " + std::string(name));
    }
  }
  if (app.id.empty() || app.key.empty() || app.secret.empty()) {
    return fail(error, where + " needs an id, a key and a secret");
  }
  std::string why;
  if (!check_app(app, why)) return fail(error, where + ": " + why);
  return true;
}

}  // namespace

bool parse_apps_file(std::string_view text, std::vector<App>& apps, std::string& error) {
  if (text.size() > kMaxAppsFileBytes) return fail(error, "the apps file is over 1 MiB");
  boost::system::error_code ec;
  const json::value root = json::parse(text, ec);
  if (ec) return fail(error, "the apps file is not JSON: " + ec.message());
  const json::object* o = root.if_object();
  const json::value* list = o ? o->if_contains("apps") : nullptr;
  if (!list || !list->is_array() || o->size() != 1) {
    return fail(error, R"(the apps file is {"apps": [...]}, and nothing else)");
  }
  const json::array& entries = list->get_array();
  if (entries.size() > kMaxApps) return fail(error, "the apps file lists over 1000 apps");
  std::vector<App> read;
  read.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!read_app(entries[i], i, read.emplace_back(), error)) return false;
  }
  for (App& app : read) apps.push_back(std::move(app));
  return true;
}

}  // namespace presenced::pusher
