#pragma once
// Pusher's HTTP API request signing (what the `pusher` SDKs and Laravel's broadcasters
// send): the query carries auth_key, auth_timestamp (Unix seconds), auth_version=1.0,
// body_md5 (the body's MD5, lower-case hex, when there is a body) and auth_signature, the
// lower-case hex HMAC-SHA256 under the app's secret of
//   "<METHOD>\n<path>\n<every other query parameter, keys lower-cased, sorted by key,
//    key=value joined by &, values decoded>"
// The server checks each part and says which one failed. Issue #25.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced::auth {

// A request is refused when its timestamp is further than this from the server's clock.
inline constexpr std::int64_t kPusherApiClockSkewS = 600;

enum class ApiSignatureError {
  none,
  malformed,     // a query that cannot be read, or a parameter twice (400)
  missing,       // auth_key, auth_timestamp or auth_signature absent (401)
  unknown_key,   // auth_key is not the app's (401)
  bad_version,   // auth_version present and not 1.0 (401)
  expired,       // auth_timestamp not within kPusherApiClockSkewS of now (401)
  body_md5,      // body_md5 missing for a body, or not its digest (401)
  bad_signature  // auth_signature not the HMAC of the request (401)
};

struct SignedRequest {
  std::string_view method;  // "GET", "POST"
  std::string_view path;    // "/apps/1/events", as sent
  std::string_view query;   // after the '?', percent-encoded
  std::string_view body;
};

// Checks `request` against the app's key and secret at `now_s`; `message` says what is
// wrong in Pusher's words (never the secret).
ApiSignatureError check_pusher_api_signature(const SignedRequest& request, std::string_view key,
                                             std::string_view secret, std::int64_t now_s, std::string& message);

// The decoded value of the query's parameter `key` (lower case), when it has one: what the
// API reads besides the signature (`info`, `filter_by_prefix`), read as the check reads it.
std::optional<std::string> pusher_query_parameter(std::string_view query, std::string_view key);

// The signed query a client sends (auth_* and body_md5 added to `params`, which are
// "k=v" pairs joined by &, unencoded): what the tests and bench use to sign, the same
// construction as the SDKs'.
std::string sign_pusher_api_request(std::string_view method, std::string_view path, std::string_view params,
                                    std::string_view body, std::string_view key, std::string_view secret,
                                    std::int64_t now_s);

}  // namespace presenced::auth
