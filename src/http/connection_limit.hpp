#pragma once
// --max-connections: how many sockets (HTTP and WebSocket) may be open at once. A slot is
// taken when a connection is accepted and given back when its socket closes, whichever
// layer holds it by then (a WebSocket session takes its connection's slot along).
// One atomic shared by the threads, touched once per connection, never per request.

#include "metrics/metrics.hpp"

#include <atomic>
#include <cstddef>
#include <utility>

namespace presenced::http {

class ConnectionLimit {
 public:
  explicit ConnectionLimit(std::size_t max) : max_(max) {}
  std::size_t open() const { return open_.load(std::memory_order_relaxed); }
  std::size_t max() const { return max_; }

  // Whether one more may open (and then it is counted).
  bool try_take() {
    if (open_.fetch_add(1, std::memory_order_relaxed) < max_) return true;
    open_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void give_back() { open_.fetch_sub(1, std::memory_order_relaxed); }

  // A connection taken with try_take() has closed.
  void closed() {
    give_back();
    metrics::add(metrics::Counter::connections_closed);
  }

 private:
  std::size_t max_;
  std::atomic<std::size_t> open_{0};
};

// One connection's slot; gives it back when destroyed.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(ConnectionLimit* limit) : limit_(limit) {}
  ConnectionSlot(ConnectionSlot&& o) noexcept : limit_(std::exchange(o.limit_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept {
    if (this != &o) {
      release();
      limit_ = std::exchange(o.limit_, nullptr);
    }
    return *this;
  }
  ~ConnectionSlot() { release(); }

  // Hands the duty over to a holder that knows the limit by other means (a WebSocket
  // session, through its thread's context: a pointer less per idle socket). The holder
  // then calls limit->closed() itself, once.
  ConnectionLimit* dismiss() { return std::exchange(limit_, nullptr); }
  ConnectionLimit* limit() const { return limit_; }

 private:
  void release() {
    if (limit_) limit_->closed();
    limit_ = nullptr;
  }
  ConnectionLimit* limit_ = nullptr;
};

}  // namespace presenced::http
