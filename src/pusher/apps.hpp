#pragma once
// The Pusher apps this server speaks for (--pusher-app ID:KEY:SECRET, repeatable): an app's
// key names its WebSocket endpoint (/app/{key}), its id its HTTP API (/apps/{id}/...), and
// its secret signs both the channel authorizations and the API's requests. Without an app
// the Pusher endpoints do not exist.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::pusher {

struct App {
  std::string id;
  std::string key;
  std::string secret;
};

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
