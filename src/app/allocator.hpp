#pragma once
// How the process's allocator is set up for a server that holds many small objects for
// long (sockets, tabs) and, now and then, one the size of a room (a full read of a large
// record, a snapshot of everyone, a roll-up): docs/operations.md, "Memory".

#include <cstddef>

namespace presenced::app {

// Blocks of at least this size come straight from the kernel and go back to it when freed.
inline constexpr std::size_t kLargeBlockBytes = 128 * 1024;

// glibc raises its threshold for that to the size of every such block freed (up to 32 MiB),
// so after the first large read of a room the next ones come from the heap, and once freed
// they stay in the process as holes between the long-lived small objects (measured: a
// quarter of a node's memory in a room of 10,000). A fixed threshold keeps a room-sized
// buffer's memory for the time it is used. Returns false where the allocator has no such
// setting (not glibc, or a sanitizer's).
bool keep_large_blocks_out_of_the_heap();

}  // namespace presenced::app
