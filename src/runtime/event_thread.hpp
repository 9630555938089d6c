#pragma once
// One server thread: its io_context, and the answer to "am I on it?".
//
// Every socket, timer and per-thread list in presenced belongs to exactly one of these
// and is touched only on it (docs/architecture.md, threads). What else a thread owns (its
// token cache, connection and keep-alive lists, session context) is gathered beside it in
// app/thread_context.hpp; what a component keeps per thread (the hub's share, the Redis
// store's connections) it finds by index(), never by searching.

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace presenced::runtime {

class EventThread {
 public:
  explicit EventThread(std::size_t index);
  EventThread(const EventThread&) = delete;
  EventThread& operator=(const EventThread&) = delete;

  std::size_t index() const { return index_; }
  boost::asio::io_context& context() { return context_; }
  boost::asio::io_context::executor_type executor() { return context_.get_executor(); }

  // The calling thread is this one (inside run(), or bound by a Binding).
  bool running_here() const { return current() == this; }
  // The EventThread the caller runs on; null on any other thread.
  static EventThread* current();
  // Whether some thread is inside run() now.
  bool running() const { return running_.load(std::memory_order_acquire); }

  // On the calling thread: binds it (current(), its metrics shard) and runs the context
  // until it is stopped.
  void run();
  void stop() { context_.stop(); }

  // Makes the calling thread act as `thread` for its scope: tests that drive a context by
  // hand, and the main thread's work before and after run().
  class Binding {
   public:
    explicit Binding(EventThread& thread);
    ~Binding();
    Binding(const Binding&) = delete;
    Binding& operator=(const Binding&) = delete;

   private:
    EventThread* previous_;
  };

 private:
  std::size_t index_;
  // Every socket and timer of this context is used only by its own thread, so the reactor
  // needs no per-descriptor locks. The scheduler keeps its lock: other threads post to
  // it (changes for a record homed here, store background work) and stop it (signals).
  boost::asio::io_context context_;
  std::atomic<bool> running_{false};
};

// The server's threads, made once, never moved (components keep references).
class EventThreads {
 public:
  explicit EventThreads(std::size_t count);

  std::size_t size() const { return threads_.size(); }
  EventThread& operator[](std::size_t i) { return *threads_[i]; }
  EventThread& front() { return *threads_.front(); }
  // No thread is inside run(): what "only once the threads have stopped" checks.
  bool none_running() const;

  auto begin() { return threads_.begin(); }
  auto end() { return threads_.end(); }

 private:
  std::vector<std::unique_ptr<EventThread>> threads_;
};

}  // namespace presenced::runtime
