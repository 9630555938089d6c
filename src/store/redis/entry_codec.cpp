#include "store/redis/entry_codec.hpp"

#include "presence/json_text.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <cstdlib>

namespace presenced::store::redis {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Whether `digits` (an integer's text) is the number the parser read: guards against a
// member found in the text that is not the one the parser kept (written with escapes).
bool same_number(std::string_view digits, const boost::json::value& v) {
  const char* first = digits.data();
  const char* last = first + digits.size();
  if (v.is_int64()) {
    std::int64_t n = 0;
    return std::from_chars(first, last, n).ptr == last && n == v.get_int64();
  }
  if (v.is_uint64()) {
    std::uint64_t n = 0;
    return std::from_chars(first, last, n).ptr == last && n == v.get_uint64();
  }
  return v.is_double() && std::strtod(std::string(digits).c_str(), nullptr) == v.get_double();
}

}  // namespace

std::optional<std::string_view> integer_member_text(std::string_view json, std::string_view name) {
  // `"` cannot stand unescaped inside a JSON string, so `"name"` followed by `:` is a
  // member name wherever it is found (an escaped quote before it makes that no match).
  std::optional<std::string_view> found;
  std::size_t members = 0;
  for (std::size_t at = json.find(name); at != std::string_view::npos; at = json.find(name, at + 1)) {
    if (at == 0 || json[at - 1] != '"' || at + name.size() >= json.size() || json[at + name.size()] != '"') continue;
    std::size_t p = at + name.size() + 1;
    while (p < json.size() && is_space(json[p])) ++p;
    if (p >= json.size() || json[p] != ':') continue;
    if (++members > 1) return std::nullopt;
    ++p;
    while (p < json.size() && is_space(json[p])) ++p;
    const std::size_t start = p;
    if (p < json.size() && json[p] == '-') ++p;
    const std::size_t digits = p;
    while (p < json.size() && json[p] >= '0' && json[p] <= '9') ++p;
    if (p == digits || p >= json.size() || !(is_space(json[p]) || json[p] == ',' || json[p] == '}')) continue;
    found = json.substr(start, p - start);
  }
  return found;
}

void value_head(std::string& out, const presence::User& user, const presence::HeartbeatInput& tab) {
  out.assign(R"({"user_id":)");
  if (user.id_is_number) out.append(user.id);
  else presence::append_json_string(out, user.id);
  out.append(R"(,"user_name":)");
  presence::append_json_string(out, user.name);
  if (!user.avatar_url.empty()) {
    out.append(R"(,"avatar_url":)");
    presence::append_json_string(out, user.avatar_url);
  }
  if (user.info) {
    // As a string: a key inside it (a "user_id" of its own) is then never taken for the
    // entry's, by this reader or the scripts' user_of().
    out.append(R"(,"user_info":)");
    presence::append_json_string(out, user.info->json);
  }
  out.append(tab.mode == presence::Mode::edit ? R"(,"mode":"edit")" : R"(,"mode":"view")");
  out.append(tab.dirty ? R"(,"dirty":true,"last_seen_at":")" : R"(,"dirty":false,"last_seen_at":")");
}

void value_tail(std::string& out, const presence::HeartbeatInput& tab) {
  out.assign("\"");
  if (!tab.active_field.empty()) {
    out.append(R"(,"active_field":)");
    presence::append_json_string(out, tab.active_field);
  }
  if (tab.activity == presence::Activity::idle) out.append(R"(,"activity":"idle")");
  if (tab.lock_version != presence::kNoLockVersion) {
    out.append(R"(,"lock_version":)");
    out.append(std::to_string(tab.lock_version));
  }
  out.append(R"(,"joined_us":)");
}

bool read_entry(std::string_view order, std::string_view value, std::string_view tenant, presence::User& user,
                std::string& field, presence::TabView& tab) {
  unsigned char arena[2048];
  boost::json::monotonic_resource memory(arena, sizeof arena);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(value, ec, &memory);
  const auto* obj = v.if_object();
  if (ec || !obj) return false;
  const auto* id = obj->if_contains("user_id");
  if (!id) return false;
  if (id->is_string()) {
    user.id = std::string_view(id->get_string());
    user.id_is_number = false;
  } else if (id->is_number()) {
    // Exact text, never through a double (ids past 2^53 would merge).
    const auto digits = integer_member_text(value, "user_id");
    if (!digits || !same_number(*digits, *id)) return false;
    user.id = *digits;
    user.id_is_number = true;
  } else {
    return false;
  }
  const auto* name = obj->if_contains("user_name");
  user.name = name && name->is_string() ? std::string_view(name->get_string()) : std::string_view();
  user.tenant = tenant;
  const auto* avatar = obj->if_contains("avatar_url");
  user.avatar_url = avatar && avatar->is_string() && presence::is_usable_avatar_url(avatar->get_string())
                        ? std::string_view(avatar->get_string())
                        : std::string_view();
  // A Pusher member's user_info, a JSON object's text in a string: kept when it is one, within
  // the bound (it is passed on verbatim; the host app's entries have none).
  user.info.reset();
  if (const auto* info = obj->if_contains("user_info"); info && info->is_string()) {
    const std::string_view json = info->get_string();
    if (json.size() <= presence::kMaxMemberInfoBytes && presence::is_json_object(json)) {
      user.info = new presence::MemberInfo(std::string(json));
    }
  }
  const auto* mode = obj->if_contains("mode");
  tab.mode = mode && mode->is_string() && mode->get_string() == "edit" ? presence::Mode::edit : presence::Mode::view;
  const auto* dirty = obj->if_contains("dirty");
  tab.dirty = dirty && ((dirty->is_bool() && dirty->get_bool()) || (dirty->is_int64() && dirty->get_int64() == 1) ||
                        (dirty->is_string() && dirty->get_string() == "1"));
  const auto* active_field = obj->if_contains("active_field");
  field = active_field && active_field->is_string() ? std::string_view(active_field->get_string()) : std::string_view();
  tab.field = field;
  const auto* activity = obj->if_contains("activity");
  tab.activity = activity && activity->is_string() && activity->get_string() == "idle" ? presence::Activity::idle
                                                                                        : presence::Activity::active;
  const auto* version = obj->if_contains("lock_version");
  tab.lock_version = version && version->is_int64() && version->get_int64() >= 0 &&
                             version->get_int64() <= static_cast<std::int64_t>(presence::kMaxLockVersion)
                         ? static_cast<std::uint32_t>(version->get_int64())
                         : presence::kNoLockVersion;
  std::uint64_t joined = 0;
  std::from_chars(order.data(), order.data() + order.size(), joined);
  tab.joined = joined;
  return true;
}

}  // namespace presenced::store::redis
