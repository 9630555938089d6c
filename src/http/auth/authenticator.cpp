#include "http/auth/authenticator.hpp"

#include "metrics/metrics.hpp"

#include <boost/beast/core/string.hpp>  // beast::iequals: ASCII, no locale

namespace presenced::http::auth {
namespace {

// Every refusal is counted by its reason (GET /metrics).
TokenError counted(TokenError e) {
  if (e != TokenError::none) metrics::token_rejected(static_cast<std::size_t>(e));
  return e;
}

}  // namespace

TokenError Authenticator::authenticate_header(std::string_view authorization, presence::Identity& out) {
  // "Bearer <token>", the scheme matched without regard to case (RFC 9110 §11.1).
  constexpr std::string_view scheme = "bearer ";
  // ASCII comparison: the locale-aware one costs more than the rest of the request.
  if (authorization.size() <= scheme.size() || !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme)) {
    return counted(TokenError::missing);
  }
  std::string_view token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return counted(TokenError::missing);
  return authenticate_token(token, out);
}

TokenError Authenticator::authenticate_token(std::string_view token, presence::Identity& out) {
  const std::int64_t now = clock_.unix_seconds();
  if (const presence::Identity* cached = cache_.find(token)) {
    if (now <= cached->expires_at + kExpiryLeewaySeconds) {
      out = *cached;
      return TokenError::none;
    }
    cache_.erase(token);
    return counted(TokenError::expired);
  }
  if (TokenError e = codec_.verify(token, now, out); e != TokenError::none) return counted(e);
  cache_.insert(token, out, now);
  return TokenError::none;
}

}  // namespace presenced::http::auth
