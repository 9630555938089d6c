#include "app/allocator.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace presenced::app {
namespace {

#if defined(__GLIBC__)
// A room-sized buffer, once freed, is given back to the kernel, however many came before:
// without the fixed threshold the second and third (smaller than the first) would come
// from the heap and stay in the process once freed.
TEST(Allocator, ARoomSizedBufferGoesBackToTheKernelOnceFreed) {
  if (!keep_large_blocks_out_of_the_heap()) GTEST_SKIP() << "this allocator (a sanitizer's) has no such setting";
  void* (*volatile allocate)(std::size_t) = std::malloc;  // not elided
  for (std::size_t size : {std::size_t{1} << 20, std::size_t{512} << 10, std::size_t{256} << 10}) {
    const std::size_t before = mallinfo2().hblkhd;
    void* block = allocate(size);
    ASSERT_NE(block, nullptr);
    std::memset(block, 1, size);
    EXPECT_GE(mallinfo2().hblkhd, before + size) << size << " bytes did not come from the kernel";
    std::free(block);
    EXPECT_EQ(mallinfo2().hblkhd, before) << size << " bytes were kept";
  }
}

TEST(Allocator, SmallBlocksStayInTheHeap) {
  if (!keep_large_blocks_out_of_the_heap()) GTEST_SKIP() << "this allocator (a sanitizer's) has no such setting";
  void* (*volatile allocate)(std::size_t) = std::malloc;
  const std::size_t before = mallinfo2().hblkhd;
  void* block = allocate(kLargeBlockBytes / 2);
  EXPECT_EQ(mallinfo2().hblkhd, before);
  std::free(block);
}
#endif

}  // namespace
}  // namespace presenced::app
