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

  // Whether one more may open (and then it is counted).
  bool try_take() {
    if (open_.fetch_add(1, std::memory_order_relaxed) < max_) return true;
    open_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  // A connection taken with try_take() has closed.
  void closed() {
    open_.fetch_sub(1, std::memory_order_relaxed);
    metrics::add(metrics::Counter::connections_closed);
  }

 private:
  std::size_t max_;
  std::atomic<std::size_t> open_{0};
};

// One connection's slot; gives it back when destroyed.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ConnectionLimit* limit) : limit_(limit) {}
  ConnectionSlot(ConnectionSlot&& o) noexcept : limit_(std::exchange(o.limit_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (limit_) limit_->closed();
  }

  // Gives the slot back now (the socket has closed, though its holder lives on a little).
  void give_back() {
    if (limit_) std::exchange(limit_, nullptr)->closed();
  }

 private:
  ConnectionLimit* limit_;
};

}  // namespace presenced::http
