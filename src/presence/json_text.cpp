#include "presence/json_text.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>
#include <charconv>

namespace presenced::presence {

void append_json_string(std::string& out, std::string_view s) {
  boost::json::serializer sr;
  sr.reset(s);
  char buf[256];
  while (!sr.done()) out.append(sr.read(buf));
}

bool is_json_object(std::string_view s) {
  unsigned char arena[4096];
  boost::json::monotonic_resource memory(arena, sizeof arena);
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(s, ec, &memory);
  return !ec && v.is_object();
}

char* write_count(char* out, const Totals& totals) {
  static constexpr std::string_view kUsers = R"("count":{"users":)", kTabs = R"(,"tabs":)";
  static_assert(kUsers.size() + kTabs.size() + 1 + 2 * 20 <= kCountTextMax);  // 20: a size_t's digits
  out = std::copy(kUsers.begin(), kUsers.end(), out);
  out = std::to_chars(out, out + 20, totals.users).ptr;
  out = std::copy(kTabs.begin(), kTabs.end(), out);
  out = std::to_chars(out, out + 20, totals.tabs).ptr;
  *out++ = '}';
  return out;
}

void append_viewer(std::string& o, const Viewer& v) {
  o.append(R"({"id":)");
  if (v.id_is_number) o.append(v.id);  // digits checked when the token was verified
  else append_json_string(o, v.id);
  o.append(R"(,"name":)");
  append_json_string(o, v.name);
  if (!v.avatar_url.empty()) {
    o.append(R"(,"avatar_url":)");
    append_json_string(o, v.avatar_url);
  }
  o.append(R"(,"tabs":)");
  o.append(std::to_string(v.tabs));
  o.append(v.has_dirty_tab ? R"(,"has_dirty_tab":true,"mode":")" : R"(,"has_dirty_tab":false,"mode":")");
  o.append(to_string(v.mode));
  o.append(v.away ? R"(","away":true)" : R"(","away":false)");
  o.append(v.stale ? R"(,"stale":true,"fields":[)" : R"(,"stale":false,"fields":[)");
  for (std::size_t i = 0; i < v.fields.size(); ++i) {
    if (i) o += ',';
    append_json_string(o, v.fields[i]);
  }
  o.append("]}");
}

}  // namespace presenced::presence
