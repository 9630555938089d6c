#include "auth/pusher_signature.hpp"

#include "auth/hmac.hpp"

namespace presenced::auth {

std::string pusher_channel_signature(std::string_view secret, std::string_view socket_id, std::string_view channel,
                                     std::string_view channel_data) {
  std::string signed_text;
  signed_text.reserve(socket_id.size() + channel.size() + channel_data.size() + 2);
  signed_text.append(socket_id).append(":").append(channel);
  if (!channel_data.empty()) signed_text.append(":").append(channel_data);
  return lower_hex(hmac_sha256(secret, signed_text));
}

namespace {
bool auth_matches(std::string_view key, std::string_view auth, const std::string& signature) {
  if (key.empty() || auth.size() <= key.size() || !auth.starts_with(key) || auth[key.size()] != ':') return false;
  return equal_in_constant_time(auth.substr(key.size() + 1), signature);
}
}  // namespace

std::string pusher_user_signature(std::string_view secret, std::string_view socket_id, std::string_view user_data) {
  std::string signed_text;
  signed_text.reserve(socket_id.size() + user_data.size() + 8);
  signed_text.append(socket_id).append("::user::").append(user_data);
  return lower_hex(hmac_sha256(secret, signed_text));
}

bool pusher_user_auth_valid(std::string_view key, std::string_view secret, std::string_view auth,
                            std::string_view socket_id, std::string_view user_data) {
  return auth_matches(key, auth, pusher_user_signature(secret, socket_id, user_data));
}

bool pusher_channel_auth_valid(std::string_view key, std::string_view secret, std::string_view auth,
                               std::string_view socket_id, std::string_view channel, std::string_view channel_data) {
  return auth_matches(key, auth, pusher_channel_signature(secret, socket_id, channel, channel_data));
}

}  // namespace presenced::auth
