// Tokens: the JWT parser and verifier (header, claims, signature), and base64url.
#include "http/auth/base64url.hpp"
#include "http/auth/jwt.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace presenced::http::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  static const JwtCodec codec("fuzz-secret");
  presenced::presence::Identity identity;
  const TokenError e = codec.verify(token, 1'800'000'000, identity);
  if (e == TokenError::none && !identity.user) __builtin_trap();
  if (auto decoded = base64url_decode(token)) {
    if (base64url_decode(base64url_encode(*decoded)) != decoded) __builtin_trap();  // round trip
  }
  return 0;
}
