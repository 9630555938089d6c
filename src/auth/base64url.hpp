#pragma once
// Base64url without padding (RFC 4648 §5), as JWT uses it. Strict: padding, other
// alphabets and impossible lengths are errors, so one token has one spelling.

#include <optional>
#include <string>
#include <string_view>

namespace presenced::auth {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace presenced::auth
