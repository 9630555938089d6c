#pragma once
// The apps file (--pusher-apps-file), for what a flag cannot say well: several apps, each
// with its allowed origins and its limits, the way Reverb's and Soketi's apps are set.
// JSON:
//   {"apps": [{"id": "1001", "key": "app-key", "secret": "...",
//              "allowed_origins": ["app.example.com", "*.example.com"],
//              "max_connections": 5000}]}
// id, key and secret as --pusher-app takes them; the rest optional (apps.hpp says what
// each means). Strict: a field it does not know is an error, since a misspelt limit would
// otherwise be a limit silently not applied.

#include "pusher/apps.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace presenced::pusher {

inline constexpr std::size_t kMaxAppsFileBytes = 1024 * 1024;

// The apps `text` lists (added to `apps`); false with `error` (never a secret) when it
// is not such a file.
bool parse_apps_file(std::string_view text, std::vector<App>& apps, std::string& error);

}  // namespace presenced::pusher
