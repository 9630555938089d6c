#include "store/layout.hpp"

#include "presence/validation.hpp"

#include <algorithm>

namespace presenced::store::layout {

KeyText::KeyText(std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts) {
    if (part.size() > kCapacity - size_) {
      size_ = 0;
      ok_ = false;
      return;
    }
    std::copy(part.begin(), part.end(), buf_ + size_);
    size_ += part.size();
  }
}

KeyText index_key(const presence::RecordRef& r) { return KeyText{r.tenant, ":", r.type, ":", r.id}; }

presence::RecordRef split_index_key(std::string_view key) {
  const auto a = key.find(':');
  const auto b = key.find(':', a + 1);
  return {key.substr(0, a), key.substr(a + 1, b - a - 1), key.substr(b + 1)};
}

KeyText redis_key(const presence::RecordRef& r) {
  return KeyText{kKeyPrefix, r.tenant, kKeyMiddle, r.type, ":", r.id};
}

KeyText saved_key(const presence::RecordRef& r) {
  const KeyText key = redis_key(r);
  return KeyText{kKeyPrefix, r.tenant, kSavedKeyMiddle, "{", key.view(), "}"};
}

KeyText occupancy_key(std::string_view key, bool on) {
  if (!on) return KeyText{};
  return KeyText{kOccupancyPrefix, "{", key, "}"};
}

KeyText counts_key(std::string_view key) { return KeyText{kCountsPrefix, "{", key, "}"}; }

std::string channel_of(std::string_view key) { return KeyText{kChannelPrefix, "{", key, "}"}.str(); }

std::optional<presence::RecordRef> record_of_redis_key(std::string_view key) {
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

std::string_view key_of_channel(std::string_view channel) {
  // presenced:{<key>}
  if (!channel.starts_with(kChannelPrefix)) return {};
  std::string_view key = channel.substr(kChannelPrefix.size());
  if (key.size() < 2 || key.front() != '{' || key.back() != '}') return {};
  return key.substr(1, key.size() - 2);
}

namespace {
constexpr std::string_view kNamedPrefix = "presenced_named:{";
}

std::string named_channel_of(std::string_view name) {
  std::string channel;
  channel.reserve(kNamedPrefix.size() + name.size() + 1);
  channel.append(kNamedPrefix).append(name).append(1, '}');
  return channel;
}

std::string_view name_of_named_channel(std::string_view channel) {
  if (!channel.starts_with(kNamedPrefix) || !channel.ends_with('}')) return {};
  return channel.substr(kNamedPrefix.size(), channel.size() - kNamedPrefix.size() - 1);
}

std::optional<presence::RecordRef> record_of_channel(std::string_view channel) {
  const std::string_view key = key_of_channel(channel);
  if (key.empty()) return std::nullopt;
  return record_of_redis_key(key);
}

}  // namespace presenced::store::layout
