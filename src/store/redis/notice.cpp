#include "store/redis/notice.hpp"

#include "presence/json_text.hpp"
#include "presence/validation.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <charconv>

namespace presenced::store::redis {

std::optional<std::string_view> take_counted(std::string_view& in) {
  const auto colon = in.find(':');
  std::size_t n = 0;
  if (colon == std::string_view::npos || colon == 0 || colon > 5 ||
      std::from_chars(in.data(), in.data() + colon, n).ptr != in.data() + colon || n == 0 || n > in.size() - colon - 1) {
    return std::nullopt;
  }
  const std::string_view taken = in.substr(colon + 1, n);
  in.remove_prefix(colon + 1 + n);
  return taken;
}

std::optional<TabNotice> decode_tab_notice(std::string_view payload) {
  if (payload.size() < 2) return std::nullopt;
  const char kind = payload.front();
  payload.remove_prefix(1);
  if (kind == 'd') return TabNotice{.removed = true, .tab_id = payload, .value = {}};
  if (kind != 's') return std::nullopt;
  const auto id = take_counted(payload);
  if (!id || payload.empty()) return std::nullopt;  // an id, then a value
  return TabNotice{.removed = false, .tab_id = *id, .value = payload};
}

std::string encode_saved_notice(const presence::User& by, std::uint32_t lock_version) {
  std::string out = R"({"lock_version":)" + std::to_string(lock_version) + R"(,"by":{"id":)";
  if (by.id_is_number) out.append(by.id);
  else presence::append_json_string(out, by.id);
  out.append(R"(,"name":)");
  presence::append_json_string(out, by.name);
  out.append("}}");
  return out;
}

std::optional<SavedNotice> decode_saved_notice(std::string_view payload) {
  unsigned char arena[1024];
  boost::json::monotonic_resource memory(arena, sizeof arena);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec, &memory);
  const auto* obj = v.if_object();
  if (ec || !obj) return std::nullopt;
  const auto* version = obj->if_contains("lock_version");
  const auto* by = obj->if_contains("by");
  if (!version || !version->is_int64() || version->get_int64() < 0 ||
      version->get_int64() > static_cast<std::int64_t>(presence::kMaxLockVersion) || !by || !by->is_object()) {
    return std::nullopt;
  }
  SavedNotice notice;
  notice.lock_version = static_cast<std::uint32_t>(version->get_int64());
  const auto* id = by->get_object().if_contains("id");
  const auto* name = by->get_object().if_contains("name");
  if (!id || !name || !name->is_string()) return std::nullopt;
  // Exact, as every id is: a token's numeric id is an int64 or a uint64 (jwt.cpp).
  if (id->is_int64() || id->is_uint64()) {
    notice.by.id = id->is_int64() ? std::to_string(id->get_int64()) : std::to_string(id->get_uint64());
    notice.by.id_is_number = true;
  } else if (id->is_string()) {
    notice.by.id = std::string_view(id->get_string());
  } else {
    return std::nullopt;
  }
  notice.by.name = std::string_view(name->get_string());
  return notice;
}

}  // namespace presenced::store::redis
