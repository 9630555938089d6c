#include "auth/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace presenced::auth {

Sha256Mac hmac_sha256(std::string_view key, std::string_view data) {
  Sha256Mac mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &size);
  return mac;
}

std::string lower_hex(const Sha256Mac& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * mac.size(), '\0');
  for (std::size_t i = 0; i < mac.size(); ++i) {
    out[2 * i] = kHex[mac[i] >> 4];
    out[2 * i + 1] = kHex[mac[i] & 15];
  }
  return out;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace presenced::auth
