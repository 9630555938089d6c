// Pusher channel authorization (auth/pusher_signature.hpp): an `auth` string from a
// client, checked for a fixed app, socket and channel. Nothing but the one right string
// may pass; the input is also tried as the channel data a presence subscription signs.
#include "auth/pusher_signature.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace presenced::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static constexpr std::string_view kKey = "app-key", kSecret = "app-secret", kSocket = "123.456";
  static const std::string right = std::string(kKey) + ":" + pusher_channel_signature(kSecret, kSocket, "private-x");
  if (pusher_channel_auth_valid(kKey, kSecret, input, kSocket, "private-x") != (input == right)) __builtin_trap();

  const std::string signed_data =
      std::string(kKey) + ":" + pusher_channel_signature(kSecret, kSocket, "presence-x", input);
  if (!pusher_channel_auth_valid(kKey, kSecret, signed_data, kSocket, "presence-x", input)) __builtin_trap();
  if (!input.empty() && pusher_channel_auth_valid(kKey, kSecret, signed_data, kSocket, "presence-x")) __builtin_trap();
  return 0;
}
