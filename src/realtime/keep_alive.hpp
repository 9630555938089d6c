#pragma once
// Keep-alive for every socket of a thread, with one timer per thread instead of one per
// socket: an idle socket should cost as little memory as possible, and a pending timer
// operation per socket costs more than the rest of its state put together.
//
// Every tick (a quarter of the idle timeout), each session is asked to keep_alive(): it
// pings a peer silent for half the idle timeout, drops one silent for all of it (a dead
// peer is found within the idle timeout, 40 s, less than two heartbeat intervals), and
// checks its token's expiry.

#include "runtime/event_thread.hpp"
#include "service/timers.hpp"

#include <chrono>
#include <memory>
#include <vector>

namespace presenced::realtime {

class SessionBase;

// The sessions of one thread, in an intrusive list (two pointers in each session).
class KeepAlive {
 public:
  // The sessions of `thread` (add, remove and the sweep run there: checked), ticking on
  // `timers` (simulated time in tests).
  KeepAlive(runtime::EventThread& thread, service::TimerSource& timers, std::chrono::milliseconds tick);
  ~KeepAlive();

  void add(SessionBase& s);
  void remove(SessionBase& s);
  // The graceful stop: every session closes with 1001 Going Away (after what it has queued).
  void going_away();
  // Stops the timer and forgets the sessions (they are destroyed with their io_context).
  void stop();

  std::size_t size() const { return size_; }

 private:
  void arm();
  void sweep();

  runtime::EventThread& thread_;
  service::TimerSource& timers_;
  std::unique_ptr<service::Timer> timer_;
  std::chrono::milliseconds tick_;
  SessionBase* head_ = nullptr;
  std::size_t size_ = 0;
  bool stopped_ = false;
};

}  // namespace presenced::realtime
