#pragma once
// The credential of an `Authorization: Bearer <credential>` header, shared by user tokens
// and the server key.

#include <boost/beast/core/string.hpp>  // beast::iequals: ASCII, no locale

#include <string_view>

namespace presenced::auth {

// The credential without surrounding spaces; empty when the header is missing, empty, or
// of another scheme. The scheme is matched without regard to case (RFC 9110 §11.1).
inline std::string_view bearer_credential(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size() || !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme)) {
    return {};
  }
  std::string_view credential = authorization.substr(scheme.size());
  while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
  while (!credential.empty() && credential.back() == ' ') credential.remove_suffix(1);
  return credential;
}

}  // namespace presenced::auth
