// Tokens: the JWT parser and verifier (header, claims, signature), and base64url. The
// input is tried as a whole token, and as the claims of a correctly signed one, so that
// the claims' parser (scope patterns included) sees more than the signature check lets by.
#include "auth/base64url.hpp"
#include "auth/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace presenced::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  static const JwtCodec codec("fuzz-secret");
  presenced::presence::Identity identity;
  const TokenError e = codec.verify(token, 1'800'000'000, identity);
  if (e == TokenError::none && !identity.user) __builtin_trap();

  std::string signed_token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(token);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), "fuzz-secret", 11, reinterpret_cast<const unsigned char*>(signed_token.data()),
       signed_token.size(), mac, &mac_size);
  signed_token += "." + base64url_encode({reinterpret_cast<const char*>(mac), mac_size});
  presenced::presence::Identity claimed;
  if (codec.verify(signed_token, 1'800'000'000, claimed) == TokenError::none &&
      (!claimed.user || claimed.user->tenant.empty() || claimed.user->name.empty())) {
    __builtin_trap();
  }
  if (auto decoded = base64url_decode(token)) {
    if (base64url_decode(base64url_encode(*decoded)) != decoded) __builtin_trap();  // round trip
  }
  return 0;
}
