#include "auth/authenticator.hpp"

#include "auth/bearer.hpp"
#include "metrics/metrics.hpp"

namespace presenced::auth {
namespace {

// Every refusal is counted by its reason (GET /metrics).
TokenError counted(TokenError e) {
  if (e != TokenError::none) metrics::token_rejected(static_cast<std::size_t>(e));
  return e;
}

}  // namespace

TokenError Authenticator::authenticate_header(std::string_view authorization, presence::Identity& out) {
  const std::string_view token = bearer_credential(authorization);
  if (token.empty()) return counted(TokenError::missing);
  return authenticate_token(token, out);
}

TokenError Authenticator::authenticate_token(std::string_view token, presence::Identity& out, Remember remember) {
  const std::int64_t now = clock_.unix_seconds();
  if (const presence::Identity* cached = cache_.find(token)) {
    if (!is_expired(now, cached->expires_at)) {
      out = *cached;
      return TokenError::none;
    }
    cache_.erase(token);
    return counted(TokenError::expired);
  }
  if (TokenError e = codec_.verify(token, now, out); e != TokenError::none) return counted(e);
  if (remember == Remember::yes) cache_.insert(token, out, now);
  return TokenError::none;
}

}  // namespace presenced::auth
