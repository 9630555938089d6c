#pragma once
// Pusher's channel authorization (protocol 7): to subscribe to a `private-` or
// `presence-` channel, a client sends `auth` = "<app key>:<signature>", the lower-case hex
// HMAC-SHA256 under the app's secret of "<socket id>:<channel>", with ":<channel data>"
// appended for a presence channel. The host app's backend signs it (Laravel's
// broadcasters, the `pusher` SDK's authorizeChannel); the server checks it. Issue #25.

#include <string>
#include <string_view>

namespace presenced::auth {

// The signature the backend would send (what `auth` holds after the key and ':').
// `channel_data` empty: a private channel's (nothing appended).
std::string pusher_channel_signature(std::string_view secret, std::string_view socket_id, std::string_view channel,
                                     std::string_view channel_data = {});

// Whether `auth` is exactly "<key>:<the signature>": the key compared as text, the
// signature in constant time. Anything else (another key, upper-case hex, a missing ':',
// trailing bytes) is refused.
bool pusher_channel_auth_valid(std::string_view key, std::string_view secret, std::string_view auth,
                               std::string_view socket_id, std::string_view channel,
                               std::string_view channel_data = {});

// User authentication (pusher:signin): `auth` = "<app key>:<signature>" over
// "<socket id>::user::<user data>", the user data as the backend serialized it (the
// `pusher` SDK's authenticateUser, Laravel's Broadcast::resolveAuthenticatedUser).
std::string pusher_user_signature(std::string_view secret, std::string_view socket_id, std::string_view user_data);
bool pusher_user_auth_valid(std::string_view key, std::string_view secret, std::string_view auth,
                            std::string_view socket_id, std::string_view user_data);

}  // namespace presenced::auth
