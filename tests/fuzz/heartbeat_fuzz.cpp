// Request bodies: heartbeat, unregister and saved, read and validated as the handlers do.
#include "presence/validation.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace presenced::presence;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  {
    HeartbeatBody b;
    ValidationErrors errors;
    if (read_heartbeat(body, b, errors) == BodyStatus::valid) {
      // A valid heartbeat names a tab the key layout can hold.
      if (!is_valid_tab_id(b.input.tab_id)) __builtin_trap();
    } else {
      (void)errors.summary();
    }
  }
  {
    UnregisterBody b;
    ValidationErrors errors;
    (void)read_unregister(body, b, errors);
  }
  {
    SavedBody b;
    ValidationErrors errors;
    if (read_saved(body, b, errors) == BodyStatus::valid && b.lock_version > kMaxLockVersion) __builtin_trap();
  }
  return 0;
}
