#pragma once
// Keep-alive for every WebSocket of a thread (both protocols), with one timer per thread instead of one per
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

namespace presenced::websocket {

class KeepAlive;

// A socket, as its thread's keep-alive list sees it, whatever protocol it speaks.
class KeptAlive {
 public:
  virtual ~KeptAlive() = default;
  // Every tick: ping a quiet peer, drop a silent one, check the token's expiry.
  virtual void keep_alive(std::chrono::steady_clock::time_point now) = 0;
  // The server is stopping: close with 1001 Going Away once the queue is written.
  virtual void going_away() = 0;

 protected:
  friend class KeepAlive;
  KeepAlive* keep_alive_ = nullptr;  // the list this socket is in
  KeptAlive* keep_alive_prev_ = nullptr;
  KeptAlive* keep_alive_next_ = nullptr;
};

// The sessions of one thread, in an intrusive list (two pointers in each session).
class KeepAlive {
 public:
  // The sessions of `thread` (add, remove and the sweep run there: checked), ticking on
  // `timers` (simulated time in tests).
  KeepAlive(runtime::EventThread& thread, service::TimerSource& timers, std::chrono::milliseconds tick);
  ~KeepAlive();

  void add(KeptAlive& s);
  void remove(KeptAlive& s);
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
  KeptAlive* head_ = nullptr;
  std::size_t size_ = 0;
  bool stopped_ = false;
};

}  // namespace presenced::websocket
