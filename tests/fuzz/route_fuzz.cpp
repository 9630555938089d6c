// The request line's target and method, as the router sees them: routes, path
// parameters and their checks. Byte 0 picks the method, byte 1 whether dev routes exist.
// The same bytes as a request head, for the framing checks (http/framing).
#include "http/framing.hpp"
#include "http/router.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace presenced::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::string_view kVerbs[] = {"GET", "POST", "DELETE", "HEAD", "PUT", "PATCH", "OPTIONS", "BREW"};
  const Method method = parse_method(kVerbs[data[0] % 8]);
  const bool dev = data[1] & 1;
  const std::string_view target(reinterpret_cast<const char*>(data + 2), size - 2);
  const RouteMatch m = match_route(method, target, dev);
  // What a match promises: parameters only on presence routes, and inside the target.
  if (m.route != Route::heartbeat && m.route != Route::viewers && m.route != Route::unregister &&
      m.route != Route::saved && (!m.record_type.empty() || !m.record_id.empty())) {
    __builtin_trap();
  }
  if (m.path.size() > target.size()) __builtin_trap();
  (void)method_name(method);

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const framing::Head head = framing::scan_head(bytes);
  if (head.size > bytes.size() || (head.size != 0 && bytes[head.size - 1] != '\n')) __builtin_trap();
  if (head.obs_fold && head.size == 0) __builtin_trap();  // told only of a whole head
  return 0;
}
