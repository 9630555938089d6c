#include "auth/pusher_api_signature.hpp"

#include "auth/hmac.hpp"

#include <algorithm>
#include <optional>
#include <charconv>
#include <utility>
#include <vector>

namespace presenced::auth {
namespace {

// More parameters than any SDK sends (auth_* four, body_md5, info, filter_by_prefix).
constexpr std::size_t kMaxParams = 32;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query's key or value decoded the way the SDKs' frameworks read it: %XX is a byte, '+'
// a space. Nothing for a '%' not followed by two hex digits. (Hand-written: Boost 1.81's
// params_encoded_view decodes a parameter with a wrong length, stale bytes at its end.)
std::optional<std::string> decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] != '%') {
      out.push_back(s[i]);
    } else {
      const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1, lo = hi < 0 ? -1 : hex_digit(s[i + 2]);
      if (lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// "k=v&k2=v2" into decoded pairs, keys lower-cased; false for a query that cannot be read
// or has more than kMaxParams parameters.
bool read_query(std::string_view query, Params& params);

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string string_to_sign(std::string_view method, std::string_view path,
                           const Params& sorted) {
  std::string text;
  text.append(method).append(1, '\n').append(path).append(1, '\n');
  bool first = true;
  for (const auto& [k, v] : sorted) {
    if (k == "auth_signature") continue;
    if (!first) text.push_back('&');
    first = false;
    text.append(k).append(1, '=').append(v);
  }
  return text;
}

bool read_query(std::string_view query, Params& params) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    if (params.size() == kMaxParams) return false;
    const std::size_t eq = pair.find('=');
    auto key = decode(pair.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) return false;
    params.emplace_back(lower(std::move(*key)), std::move(*value));
  }
  return true;
}

const std::string* find(const Params& params, std::string_view key) {
  const auto it = std::lower_bound(params.begin(), params.end(), key,
                                   [](const auto& p, std::string_view k) { return p.first < k; });
  return it != params.end() && it->first == key ? &it->second : nullptr;
}

}  // namespace

std::optional<std::string> pusher_query_parameter(std::string_view query, std::string_view key) {
  Params params;
  if (!read_query(query, params)) return std::nullopt;
  std::sort(params.begin(), params.end());
  const std::string* value = find(params, key);
  if (!value) return std::nullopt;
  return *value;
}

ApiSignatureError check_pusher_api_signature(const SignedRequest& request, std::string_view key,
                                             std::string_view secret, std::int64_t now_s, std::string& message) {
  auto fail = [&](ApiSignatureError e, std::string text) {
    message = std::move(text);
    return e;
  };
  Params params;
  if (!read_query(request.query, params)) {
    return fail(ApiSignatureError::malformed, "The query string cannot be read (or has more than " +
                                                  std::to_string(kMaxParams) + " parameters).");
  }
  std::sort(params.begin(), params.end());
  for (std::size_t i = 1; i < params.size(); ++i) {
    if (params[i].first == params[i - 1].first) {
      return fail(ApiSignatureError::malformed, "The query parameter " + params[i].first + " is given twice.");
    }
  }

  const std::string* auth_key = find(params, "auth_key");
  const std::string* timestamp = find(params, "auth_timestamp");
  const std::string* signature = find(params, "auth_signature");
  if (!auth_key || !timestamp || !signature) {
    return fail(ApiSignatureError::missing, "Missing authentication parameters: auth_key, auth_timestamp and "
                                            "auth_signature are required.");
  }
  if (*auth_key != key) return fail(ApiSignatureError::unknown_key, "Unknown auth_key.");
  if (const std::string* version = find(params, "auth_version"); version && *version != "1.0") {
    return fail(ApiSignatureError::bad_version, "Unsupported auth_version: 1.0 is the only one.");
  }
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), ts);
  if (ec != std::errc() || end != timestamp->data() + timestamp->size() || ts < now_s - kPusherApiClockSkewS ||
      ts > now_s + kPusherApiClockSkewS) {
    return fail(ApiSignatureError::expired, "Timestamp expired: given timestamp (" + timestamp->substr(0, 20) +
                                                ") not within " + std::to_string(kPusherApiClockSkewS) +
                                                "s of server time (" + std::to_string(now_s) + ").");
  }
  const std::string* body_md5 = find(params, "body_md5");
  if (!request.body.empty() || body_md5) {
    if (!body_md5) return fail(ApiSignatureError::body_md5, "A request with a body must carry body_md5.");
    if (*body_md5 != md5_hex(request.body)) return fail(ApiSignatureError::body_md5, "body_md5 does not match the body.");
  }
  const std::string signed_text = string_to_sign(request.method, request.path, params);
  const std::string expected = lower_hex(hmac_sha256(secret, signed_text));
  if (!equal_in_constant_time(*signature, expected)) {
    // What Pusher answers: the text that should have been signed (it holds no secret).
    return fail(ApiSignatureError::bad_signature,
                "Invalid signature: you should have sent HmacSHA256Hex(\"" + signed_text + "\", your_secret).");
  }
  message.clear();
  return ApiSignatureError::none;
}

std::string sign_pusher_api_request(std::string_view method, std::string_view path, std::string_view params,
                                    std::string_view body, std::string_view key, std::string_view secret,
                                    std::int64_t now_s) {
  std::string query;
  query.append("auth_key=").append(key).append("&auth_timestamp=").append(std::to_string(now_s));
  query.append("&auth_version=1.0");
  if (!body.empty()) query.append("&body_md5=").append(md5_hex(body));
  if (!params.empty()) query.append(1, '&').append(params);
  Params sorted;
  if (!read_query(query, sorted)) return query;  // unsigned: the server will say why
  std::sort(sorted.begin(), sorted.end());
  query.append("&auth_signature=").append(lower_hex(hmac_sha256(secret, string_to_sign(method, path, sorted))));
  return query;
}

}  // namespace presenced::auth
