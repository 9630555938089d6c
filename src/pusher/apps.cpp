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

bool parse_app(std::string_view text, App& app, std::string& error) {
  const std::size_t first = text.find(':');
  const std::size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) {
    error = "a Pusher app is ID:KEY:SECRET";
    return false;
  }
  const std::string_view id = text.substr(0, first), key = text.substr(first + 1, second - first - 1),
                         secret = text.substr(second + 1);
  if (!presence::is_valid_segment(id)) {
    error = "a Pusher app's id is 1-64 characters of A-Z a-z 0-9 _ -";
    return false;
  }
  if (!presence::is_valid_segment(key)) {
    error = "a Pusher app's key is 1-64 characters of A-Z a-z 0-9 _ -";
    return false;
  }
  if (secret.size() < kMinSecretBytes || secret.size() > kMaxSecretBytes || !visible_ascii(secret)) {
    error = "a Pusher app's secret is 8-256 visible ASCII characters, no comma";
    return false;
  }
  app = App{std::string(id), std::string(key), std::string(secret)};
  return true;
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
