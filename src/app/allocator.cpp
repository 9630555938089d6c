#include "app/allocator.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace presenced::app {

bool keep_large_blocks_out_of_the_heap() {
#if defined(__GLIBC__)
  // Setting it also turns off glibc's dynamic adjustment (mallopt(3), M_MMAP_THRESHOLD).
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(kLargeBlockBytes)) == 1;
#else
  return false;
#endif
}

}  // namespace presenced::app
