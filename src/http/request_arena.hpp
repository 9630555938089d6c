#pragma once
// Scratch memory for one request in flight: its header fields and body (Beast's parser
// allocates through `http()`) and its JSON document (`json_buffer()`). Blocks are leased
// from a per-thread pool when a request's first bytes arrive and returned when it has
// been answered, so parsing a heartbeat calls no malloc and idle keep-alive connections
// hold none of this memory. What outgrows a block (a large body) falls back to the heap.

#include <cstddef>
#include <memory>
#include <memory_resource>

namespace presenced::http {

class RequestArena {
 public:
  static constexpr std::size_t kHttpBytes = 4096;
  static constexpr std::size_t kJsonBytes = 4096;

  RequestArena();
  ~RequestArena();
  RequestArena(const RequestArena&) = delete;
  RequestArena& operator=(const RequestArena&) = delete;

  std::pmr::memory_resource* http() { return &http_; }
  unsigned char* json_buffer();
  std::size_t json_size() const { return kJsonBytes; }

  struct Block;

 private:
  std::unique_ptr<Block> block_;
  std::pmr::monotonic_buffer_resource http_;
};

}  // namespace presenced::http
