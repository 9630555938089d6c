#pragma once
// Scratch memory for one request in flight: its header fields and body (Beast's parser
// allocates through `http()`) and its JSON document (`json_buffer()`). Blocks are leased
// from a per-thread pool when a request's first bytes arrive and returned when it has
// been answered, so parsing a heartbeat calls no malloc and idle keep-alive connections
// hold none of this memory. What outgrows a block (a large body) falls back to the heap.

#include <cstddef>
#include <memory>
#include <memory_resource>
#include <new>
#include <type_traits>

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

  // A request body's parsed form (presence::HeartbeatBody, ...), made in the JSON block:
  // kept out of the handler's coroutine frame, which then stays small enough for Asio's
  // per-thread frame cache (frames over 1,020 bytes are a malloc and a free per request).
  // One per request; the JSON block is not used for anything else on these routes.
  template <class T>
  T& make_body() {
    static_assert(sizeof(T) <= kJsonBytes && alignof(T) <= alignof(std::max_align_t));
    static_assert(std::is_trivially_destructible_v<T>, "the block is reused without destroying it");
    return *::new (static_cast<void*>(json_buffer())) T;  // default-initialised: its buffers are not zeroed
  }

  struct Block;

 private:
  std::unique_ptr<Block> block_;
  std::pmr::monotonic_buffer_resource http_;
};

}  // namespace presenced::http
