#pragma once
// HS256 JSON Web Tokens: the identity the host app signs for each user.
// Only HS256 is accepted; `alg` none or any other algorithm is refused. A few lines over
// OpenSSL's HMAC, rather than libjwt 1.10, whose pitfalls (no exp check, alg confusion)
// would need as much code to guard against.

#include "presence/identity.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::auth {

// Why a token was refused; also the label of the rejection counter.
enum class TokenError { none, missing, malformed, bad_signature, bad_algorithm, bad_claims, expired };

// Every TokenError's name, indexed by its value (also the `reason` label of /metrics).
inline constexpr std::string_view kTokenErrorNames[] = {"none",          "missing",       "malformed", "bad_signature",
                                                        "bad_algorithm", "bad_claims",    "expired"};

inline std::string_view to_string(TokenError e) { return kTokenErrorNames[static_cast<std::size_t>(e)]; }

inline constexpr std::int64_t kExpiryLeewaySeconds = 30;  // clock skew between app and presenced

// Whether a token with `exp` has expired at `now_unix`, with the leeway. The leeway is
// taken from now, not added to `exp`: a token may say any `exp` up to INT64_MAX.
inline bool is_expired(std::int64_t now_unix, std::int64_t exp) { return now_unix - kExpiryLeewaySeconds > exp; }

struct TokenClaims {
  std::string avatar_url;  // optional
  std::optional<std::vector<std::string>> scope;  // optional: record patterns ("flow:*")
  std::string user_id;
  bool user_id_is_number = false;
  std::string name;
  std::string tenant;
  bool tenant_is_number = false;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

class JwtCodec {
 public:
  explicit JwtCodec(std::string secret) : secret_(std::move(secret)) {}

  // Checks signature, algorithm, claims and expiry against `now_unix`.
  TokenError verify(std::string_view token, std::int64_t now_unix, presence::Identity& out) const;

  std::string sign(const TokenClaims& claims) const;

 private:
  std::string secret_;
};

}  // namespace presenced::auth
