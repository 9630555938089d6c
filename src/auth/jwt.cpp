#include "auth/jwt.hpp"

#include "auth/base64url.hpp"
#include "auth/hmac.hpp"
#include "presence/validation.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace presenced::auth {
namespace {

constexpr std::size_t kMaxTokenSize = 8192;
constexpr std::size_t kMaxUserIdSize = presence::kMaxUserIdBytes;
constexpr std::size_t kMaxNameSize = 255;

std::optional<boost::json::object> decode_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// An integer claim, or a string one; `as_segment` restricts strings to key-safe characters.
bool read_id(const boost::json::value* v, std::size_t max, bool as_segment, std::string& text, bool& is_number) {
  if (!v) return false;
  if (v->is_int64() || v->is_uint64()) {
    if (as_segment && v->is_int64() && v->get_int64() < 0) return false;
    text = v->is_int64() ? std::to_string(v->get_int64()) : std::to_string(v->get_uint64());
    is_number = true;
    return true;
  }
  if (!v->is_string()) return false;
  std::string_view s = v->get_string();
  if (s.empty() || s.size() > max) return false;
  if (as_segment && !presence::is_valid_segment(s)) return false;
  text.assign(s);
  is_number = false;
  return true;
}

bool read_time(const boost::json::value* v, std::int64_t& out) {
  if (!v) return false;
  if (v->is_int64()) out = v->get_int64();
  else if (v->is_uint64()) out = INT64_MAX;
  else if (v->is_double() && std::isfinite(v->get_double()) && std::abs(v->get_double()) < 1e15)
    out = static_cast<std::int64_t>(std::floor(v->get_double()));
  else return false;
  return true;
}

// `scope`: an array of patterns, or one string of patterns separated by spaces (as
// OAuth writes scopes). Anything else, or a pattern that is not one, refuses the token:
// a scope that cannot be read must not turn into the whole tenant.
bool read_scope(const boost::json::value& claim, presence::Scope& out) {
  out.restrict();
  if (claim.is_string()) {
    std::string_view rest = claim.get_string();
    while (!rest.empty()) {
      const auto start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      const auto end = std::min(rest.find(' '), rest.size());
      if (!out.add(rest.substr(0, end))) return false;
      rest.remove_prefix(end);
    }
    return true;
  }
  if (!claim.is_array()) return false;
  for (const auto& pattern : claim.get_array()) {
    if (!pattern.is_string() || !out.add(pattern.get_string())) return false;
  }
  return true;
}

}  // namespace

TokenError JwtCodec::verify(std::string_view token, std::int64_t now_unix, presence::Identity& out) const {
  if (token.empty() || token.size() > kMaxTokenSize) return TokenError::malformed;
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return TokenError::malformed;
  }
  std::string_view signed_part = token.substr(0, dot2);
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature || signature->empty() || dot1 == 0 || dot2 == dot1 + 1) return TokenError::malformed;

  // The signature first: nothing an unauthenticated party wrote is interpreted before it.
  // A token whose header names another algorithm cannot carry a valid HS256 signature
  // unless our own key signed it, and the header is checked right after anyway.
  const Sha256Mac mac = hmac_sha256(secret_, signed_part);
  if (!equal_in_constant_time(*signature, {reinterpret_cast<const char*>(mac.data()), mac.size()})) {
    return TokenError::bad_signature;
  }

  auto header = decode_object(token.substr(0, dot1));
  if (!header) return TokenError::malformed;
  const auto* alg = header->if_contains("alg");
  if (!alg || !alg->is_string() || alg->get_string() != "HS256") return TokenError::bad_algorithm;

  auto payload = decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return TokenError::malformed;

  auto user = boost::intrusive_ptr<presence::User>(new presence::User);
  bool tenant_is_number = false;
  std::int64_t exp = 0;
  const auto* name = payload->if_contains("name");
  if (!read_id(payload->if_contains("sub"), kMaxUserIdSize, false, user->id, user->id_is_number) ||
      !read_id(payload->if_contains("tenant_id"), presence::kMaxSegment, true, user->tenant, tenant_is_number) ||
      !name || !name->is_string() || name->get_string().empty() || name->get_string().size() > kMaxNameSize ||
      !read_time(payload->if_contains("exp"), exp)) {
    return TokenError::bad_claims;
  }
  user->name.assign(name->get_string());
  if (const auto* avatar = payload->if_contains("avatar_url");
      avatar && avatar->is_string() && presence::is_usable_avatar_url(avatar->get_string())) {
    user->avatar_url.assign(avatar->get_string());
  }
  if (const auto* scope = payload->if_contains("scope"); scope && !read_scope(*scope, user->scope)) {
    return TokenError::bad_claims;
  }
  if (is_expired(now_unix, exp)) return TokenError::expired;
  if (std::int64_t nbf; payload->contains("nbf")) {
    if (!read_time(payload->if_contains("nbf"), nbf)) return TokenError::bad_claims;
    if (now_unix + kExpiryLeewaySeconds < nbf) return TokenError::expired;  // not valid yet
  }
  out.user = std::move(user);
  out.expires_at = exp;
  return TokenError::none;
}

std::string JwtCodec::sign(const TokenClaims& c) const {
  // An id claim as the host app would write it: a JSON number when it is one.
  auto id = [](const std::string& text, bool is_number) -> boost::json::value {
    if (!is_number) return boost::json::value(text);
    std::int64_t n = 0;
    if (std::from_chars(text.data(), text.data() + text.size(), n).ec == std::errc()) return boost::json::value(n);
    std::uint64_t u = 0;  // beyond int64 (a snowflake id past 2^63)
    std::from_chars(text.data(), text.data() + text.size(), u);
    return boost::json::value(u);
  };
  boost::json::object payload;
  payload["sub"] = id(c.user_id, c.user_id_is_number);
  payload["name"] = c.name;
  payload["tenant_id"] = id(c.tenant, c.tenant_is_number);
  if (!c.avatar_url.empty()) payload["avatar_url"] = c.avatar_url;
  if (c.scope) {
    boost::json::array scope;
    for (const auto& pattern : *c.scope) scope.emplace_back(pattern);
    payload["scope"] = std::move(scope);
  }
  payload["iat"] = c.issued_at;
  payload["exp"] = c.expires_at;

  std::string token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  token += '.';
  token += base64url_encode(boost::json::serialize(payload));
  const Sha256Mac mac = hmac_sha256(secret_, token);
  token += '.';
  token += base64url_encode({reinterpret_cast<const char*>(mac.data()), mac.size()});
  return token;
}

}  // namespace presenced::auth
