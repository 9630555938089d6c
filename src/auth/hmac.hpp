#pragma once
// HMAC-SHA256 (OpenSSL), the one MAC presenced checks: HS256 tokens (jwt.hpp) and Pusher's
// channel and API signatures (pusher_signature.hpp).

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace presenced::auth {

using Sha256Mac = std::array<unsigned char, 32>;

Sha256Mac hmac_sha256(std::string_view key, std::string_view data);

// Lower-case hex, as Pusher's signatures and body digests are written.
std::string lower_hex(std::span<const unsigned char> bytes);

// The MD5 of `data` in lower-case hex: the body digest of a signed Pusher API request
// (body_md5). Not a MAC: the signature covers it.
std::string md5_hex(std::string_view data);

// Whether `a` and `b` are equal, in a time that depends on their lengths only.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace presenced::auth
