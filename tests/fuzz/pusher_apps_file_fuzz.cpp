// The apps file (pusher/apps_file.hpp) and the origin check its allowed_origins feed
// (pusher/apps.hpp). Never a crash; an app the file gives passes the checks --pusher-app
// makes; an app with "*" lets every origin in, and one with a list refuses a page without
// an Origin. The input's last line is also tried as an Origin against every app read.
#include "pusher/apps.hpp"
#include "pusher/apps_file.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace presenced::pusher;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<App> apps;
  std::string error;
  if (!parse_apps_file(input, apps, error)) {
    if (error.empty() || !apps.empty()) __builtin_trap();  // said why, and gave nothing
  }
  const std::size_t nl = input.rfind('\n');
  const std::string_view origin = nl == std::string_view::npos ? input : input.substr(nl + 1);
  for (const App& app : apps) {
    std::string why;
    if (!check_app(app, why)) __builtin_trap();
    const bool any = app.allowed_origins.empty() ||
                     std::find(app.allowed_origins.begin(), app.allowed_origins.end(), "*") != app.allowed_origins.end();
    if (any && !origin_allowed(app, origin)) __builtin_trap();
    if (!any && origin_allowed(app, "")) __builtin_trap();
  }
  // The origin check alone, on an app whose list is the input's lines.
  App listed("1", "k", "secret-0");
  for (std::size_t at = 0; at < input.size() && listed.allowed_origins.size() < 8;) {
    const std::size_t end = std::min(input.find('\n', at), input.size());
    listed.allowed_origins.emplace_back(input.substr(at, end - at));
    at = end + 1;
  }
  (void)origin_allowed(listed, origin);
  return 0;
}
