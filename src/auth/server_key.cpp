#include "auth/server_key.hpp"

#include "auth/bearer.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace presenced::auth {

ServerKey::ServerKey(std::string key) : configured_(!key.empty()) {
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest_);
  OPENSSL_cleanse(key.data(), key.size());
}

bool ServerKey::admits(std::string_view authorization) const {
  if (!configured_) return false;
  const std::string_view credential = bearer_credential(authorization);
  if (credential.empty()) return false;
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(credential.data()), credential.size(), digest);
  return CRYPTO_memcmp(digest, digest_, sizeof digest) == 0;
}

}  // namespace presenced::auth
