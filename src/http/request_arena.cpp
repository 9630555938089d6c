#include "http/request_arena.hpp"

#include <vector>

namespace presenced::http {

struct RequestArena::Block {
  alignas(std::max_align_t) unsigned char http[kHttpBytes];
  alignas(std::max_align_t) unsigned char json[kJsonBytes];
};

namespace {
// Each connection lives on one thread, so a thread-local pool needs no lock. Bounded: a
// burst of concurrent requests leaves at most this many blocks behind per thread.
constexpr std::size_t kMaxPooled = 256;
thread_local std::vector<std::unique_ptr<RequestArena::Block>> pool;

std::unique_ptr<RequestArena::Block> lease() {
  if (pool.empty()) return std::make_unique<RequestArena::Block>();
  auto block = std::move(pool.back());
  pool.pop_back();
  return block;
}
}  // namespace

RequestArena::RequestArena()
    : block_(lease()), http_(block_->http, sizeof block_->http, std::pmr::new_delete_resource()) {}

RequestArena::~RequestArena() {
  http_.release();
  if (pool.size() < kMaxPooled) pool.push_back(std::move(block_));
}

unsigned char* RequestArena::json_buffer() { return block_->json; }

}  // namespace presenced::http
