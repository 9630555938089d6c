#include "app/allocator.hpp"

// A sanitizer brings its own allocator: glibc's settings do not reach it (TSan's mallopt
// even answers that it took them).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define PRESENCED_SANITIZER_MALLOC 1
#endif
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && \
    !defined(PRESENCED_SANITIZER_MALLOC)
#define PRESENCED_GLIBC_MALLOC 1
#include <malloc.h>
#endif

namespace presenced::app {

bool keep_large_blocks_out_of_the_heap() {
#if defined(PRESENCED_GLIBC_MALLOC)
  // Setting it also turns off glibc's dynamic adjustment (mallopt(3), M_MMAP_THRESHOLD).
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(kLargeBlockBytes)) == 1;
#else
  return false;
#endif
}

}  // namespace presenced::app
