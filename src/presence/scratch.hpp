#pragma once
// Scratch vectors that a thread keeps between calls, so that a call allocates nothing once
// they have grown. Where a call is rare for a large room (a full read of it: an HTTP
// answer, a node reading a room it keeps from notices), a vector grown past kScratchKept
// entries is given back after use: a thread does not hold a room of 10,000's worth of
// scratch for the rest of its life (docs/benchmarks.md, large rooms: memory per viewer).

#include <cstddef>

namespace presenced::presence {

inline constexpr std::size_t kScratchKept = 1024;

template <class Vector>
void release_if_large(Vector& v) {
  if (v.capacity() > kScratchKept) Vector().swap(v);
}

}  // namespace presenced::presence
