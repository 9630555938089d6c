#include "pusher/channel.hpp"

#include <algorithm>

namespace presenced::pusher {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '=' || c == '@' || c == ',' || c == '.' || c == ';';
}

}  // namespace

ChannelKind channel_kind(std::string_view name) {
  if (name.starts_with(kUserChannelPrefix)) {
    const std::string_view id = name.substr(kUserChannelPrefix.size());
    return id.empty() || name.size() > kMaxChannelBytes || !std::all_of(id.begin(), id.end(), name_char)
               ? ChannelKind::invalid
               : ChannelKind::user;
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
