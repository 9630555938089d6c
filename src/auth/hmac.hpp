#pragma once
// HMAC-SHA256 (OpenSSL), the one MAC presenced checks: HS256 tokens (jwt.hpp) and Pusher's
// channel and API signatures (pusher_signature.hpp).

#include <array>
#include <string>
#include <string_view>

namespace presenced::auth {

using Sha256Mac = std::array<unsigned char, 32>;

Sha256Mac hmac_sha256(std::string_view key, std::string_view data);

// Lower-case hex, as Pusher's signatures are written.
std::string lower_hex(const Sha256Mac& mac);

// Whether `a` and `b` are equal, in a time that depends on their lengths only.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace presenced::auth
