#include "pusher/apps.hpp"

#include "presence/validation.hpp"

#include <algorithm>

namespace presenced::pusher {
namespace {

constexpr std::size_t kMinSecretBytes = 8;
constexpr std::size_t kMaxSecretBytes = 256;

bool visible_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f && c != ','; });
}

}  // namespace

bool check_app(const App& app, std::string& error) {
  if (!presence::is_valid_segment(app.id)) {
    error = "a Pusher app's id is 1-64 characters of A-Z a-z 0-9 _ -";
    return false;
  }
  if (!presence::is_valid_segment(app.key)) {
    error = "a Pusher app's key is 1-64 characters of A-Z a-z 0-9 _ -";
    return false;
  }
  if (app.secret.size() < kMinSecretBytes || app.secret.size() > kMaxSecretBytes || !visible_ascii(app.secret)) {
    error = "a Pusher app's secret is 8-256 visible ASCII characters, no comma";
    return false;
  }
  return true;
}

bool parse_app(std::string_view text, App& app, std::string& error) {
  const std::size_t first = text.find(':');
  const std::size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) {
    error = "a Pusher app is ID:KEY:SECRET";
    return false;
  }
  App parsed;
  parsed.id = text.substr(0, first);
  parsed.key = text.substr(first + 1, second - first - 1);
  parsed.secret = text.substr(second + 1);
  if (!check_app(parsed, error)) return false;
  app = std::move(parsed);
  return true;
}

namespace {

// The host of "scheme://host[:port]" (no path in an Origin); empty when it has none.
std::string_view host_of(std::string_view origin) {
  const std::size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = origin.substr(scheme + 3);
  if (rest.starts_with('[')) {  // an IPv6 literal keeps its colons
    const std::size_t end = rest.find(']');
    return end == std::string_view::npos ? std::string_view() : rest.substr(0, end + 1);
  }
  return rest.substr(0, rest.find(':'));
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    const std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && equal_ignoring_case(host.substr(host.size() - suffix.size()), suffix);
  }
  return equal_ignoring_case(pattern, host);
}

}  // namespace

bool origin_allowed(const App& app, std::string_view origin) {
  if (app.allowed_origins.empty()) return true;
  const std::string_view host = host_of(origin);
  for (const std::string& allowed : app.allowed_origins) {
    if (allowed == "*") return true;
    if (origin.empty()) continue;
    if (allowed.find("://") != std::string::npos ? equal_ignoring_case(allowed, origin)
                                                 : !host.empty() && host_matches(allowed, host)) {
      return true;
    }
  }
  return false;
}

bool Apps::add(App app, std::string& error) {
  for (const App& a : apps_) {
    if (a.id == app.id) {
      error = "two Pusher apps have the id " + app.id;
      return false;
    }
    if (a.key == app.key) {
      error = "two Pusher apps have the key " + app.key;
      return false;
    }
  }
  apps_.push_back(std::move(app));
  return true;
}

const App* Apps::by_key(std::string_view key) const {
  for (const App& a : apps_)
    if (a.key == key) return &a;
  return nullptr;
}

const App* Apps::by_id(std::string_view id) const {
  for (const App& a : apps_)
    if (a.id == id) return &a;
  return nullptr;
}

}  // namespace presenced::pusher
