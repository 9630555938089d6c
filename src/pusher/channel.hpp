#pragma once
// Pusher's channel names and kinds: at most 164 characters of A-Z a-z 0-9 _ - = @ , . ;
// (Pusher's own rule), the prefix saying who may subscribe; and the channel Pusher gives a
// signed-in user, "#server-to-user-<id>" (the id: the same characters). `private-encrypted-` channels
// are not offered (the issue makes them optional): they are refused by name.

#include <cstddef>
#include <string_view>

namespace presenced::pusher {

inline constexpr std::size_t kMaxChannelBytes = 164;

enum class ChannelKind {
  invalid,    // not a channel name
  public_,    // anyone
  private_,   // "private-": a signature from the app
  presence,   // "presence-": a signature over the member's channel_data
  encrypted,  // "private-encrypted-": not offered
  user,       // "#server-to-user-<user id>": the signed-in user's own (pusher:signin)
};

inline constexpr std::string_view kUserChannelPrefix = "#server-to-user-";
// Where a user's signed-in sockets hear terminate_connections: no client may subscribe to
// it, nor trigger on it (channel_kind() calls it invalid).
inline constexpr std::string_view kTerminatePrefix = "#terminate-";

// Whether `id` may be a signed-in user's (the characters of a channel name, at most 148).
bool is_user_id(std::string_view id);

ChannelKind channel_kind(std::string_view name);

// Whether a socket may send client events on it (private and presence channels).
inline bool allows_client_events(ChannelKind k) { return k == ChannelKind::private_ || k == ChannelKind::presence; }

}  // namespace presenced::pusher
