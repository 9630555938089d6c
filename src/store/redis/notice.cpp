#include "store/redis/notice.hpp"

#include "presence/json_text.hpp"
#include "store/redis/keys.hpp"
#include "presence/validation.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace presenced::store::redis {

std::string channel_of(std::string_view key) {
  std::string channel(kChannelPrefix);
  channel.append("{").append(key).append("}");
  return channel;
}

std::optional<presence::RecordRef> record_of_key(std::string_view key) {
  // tenant_<t>_record_presence:<type>:<id>
  if (!key.starts_with(kKeyPrefix)) return std::nullopt;
  key.remove_prefix(kKeyPrefix.size());
  const auto middle = key.find(kKeyMiddle);
  if (middle == std::string_view::npos) return std::nullopt;
  presence::RecordRef r;
  r.tenant = key.substr(0, middle);
  std::string_view rest = key.substr(middle + kKeyMiddle.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  r.type = rest.substr(0, colon);
  r.id = rest.substr(colon + 1);
  if (!presence::is_valid_segment(r.tenant) || !presence::is_valid_segment(r.type) ||
      !presence::is_valid_segment(r.id)) {
    return std::nullopt;
  }
  return r;
}

std::optional<presence::RecordRef> record_of_channel(std::string_view channel) {
  // presenced:{<key>}
  if (!channel.starts_with(kChannelPrefix)) return std::nullopt;
  std::string_view key = channel.substr(kChannelPrefix.size());
  if (key.size() < 2 || key.front() != '{' || key.back() != '}') return std::nullopt;
  return record_of_key(key.substr(1, key.size() - 2));
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
