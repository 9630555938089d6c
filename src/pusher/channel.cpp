#include "pusher/channel.hpp"

#include <algorithm>

namespace presenced::pusher {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '=' || c == '@' || c == ',' || c == '.' || c == ';';
}

}  // namespace

bool is_user_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxChannelBytes - kUserChannelPrefix.size() &&
         std::all_of(id.begin(), id.end(), name_char);
}

ChannelKind channel_kind(std::string_view name) {
  if (name.starts_with(kUserChannelPrefix)) {
    return is_user_id(name.substr(kUserChannelPrefix.size())) ? ChannelKind::user : ChannelKind::invalid;
  }
  if (name.empty() || name.size() > kMaxChannelBytes || !std::all_of(name.begin(), name.end(), name_char)) {
    return ChannelKind::invalid;
  }
  if (name.starts_with("private-encrypted-")) return ChannelKind::encrypted;
  if (name.starts_with("private-")) return ChannelKind::private_;
  if (name.starts_with("presence-")) return ChannelKind::presence;
  return ChannelKind::public_;
}

}  // namespace presenced::pusher
