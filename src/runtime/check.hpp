#pragma once
// Contracts that comments used to carry ("runs on its own thread", "only once the threads
// have stopped"), checked where a mistake would otherwise be a silent race: in Debug and
// sanitizer builds (PRESENCED_CHECKS, set by CMakeLists.txt) a broken one aborts with where
// and why. Release builds compile them out: they sit on the hot path.

namespace presenced::runtime {

[[noreturn]] void check_failed(const char* condition, const char* why, const char* file, int line);

}  // namespace presenced::runtime

#if defined(PRESENCED_CHECKS)
#define PRESENCED_CHECK(condition, why) \
  ((condition) ? static_cast<void>(0) : ::presenced::runtime::check_failed(#condition, why, __FILE__, __LINE__))
#else
#define PRESENCED_CHECK(condition, why) static_cast<void>(0)
#endif
