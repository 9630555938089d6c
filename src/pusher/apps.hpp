#pragma once
// The Pusher apps this server speaks for (--pusher-app ID:KEY:SECRET, repeatable): an app's
// key names its WebSocket endpoint (/app/{key}), its id its HTTP API (/apps/{id}/...), and
// its secret signs both the channel authorizations and the API's requests. Without an app
// the Pusher endpoints do not exist.

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::pusher {

struct App {
  std::string id;
  std::string key;
  std::string secret;
  // From the apps file (apps_file.hpp); --pusher-app leaves both open.
  // Where its pages may be: what an Origin must match (origin_allowed); empty: anywhere.
  std::vector<std::string> allowed_origins;
  std::size_t max_connections = 0;  // its sockets open at once on this node; 0: no limit
  // Its sockets open now on this node, shared by the copies of the App (the sessions count).
  std::shared_ptr<std::atomic<std::size_t>> connections = std::make_shared<std::atomic<std::size_t>>(0);

  App() = default;
  App(std::string id, std::string key, std::string secret)
      : id(std::move(id)), key(std::move(key)), secret(std::move(secret)) {}
};

// Whether a page at `origin` (the upgrade's Origin header, maybe empty) may connect, as
// Reverb's allowed_origins says it: "*" lets anyone; an entry with "://" is a whole origin,
// compared exactly; any other is a host, compared with the origin's host, where "*."
// begins any subdomain's ("*.example.com" is a.example.com, not example.com). Without an
// Origin (not a browser), only "*" or an empty list lets it in.
bool origin_allowed(const App& app, std::string_view origin);

// The checks parse_app makes of each part, for the apps file: false with `error`.
bool check_app(const App& app, std::string& error);

// "ID:KEY:SECRET". The id and the key are path segments ([A-Za-z0-9_-]{1,64}); the secret
// is the rest of the text after the second colon (8 to 256 visible ASCII characters, a
// colon among them allowed; no comma, which separates apps in PRESENCED_PUSHER_APP). False, with `error` saying what is wrong (never the secret),
// when it is not such a text.
bool parse_app(std::string_view text, App& app, std::string& error);

class Apps {
 public:
  Apps() = default;
  // False, with `error`, when two apps share an id or a key.
  bool add(App app, std::string& error);

  const App* by_key(std::string_view key) const;
  const App* by_id(std::string_view id) const;
  bool empty() const { return apps_.empty(); }
  const std::vector<App>& all() const { return apps_; }

 private:
  std::vector<App> apps_;  // a handful: a linear search costs less than a map
};

}  // namespace presenced::pusher
