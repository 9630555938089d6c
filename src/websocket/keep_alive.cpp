#include "websocket/keep_alive.hpp"

#include "runtime/check.hpp"

namespace presenced::websocket {

KeepAlive::KeepAlive(runtime::EventThread& thread, service::TimerSource& timers, std::chrono::milliseconds tick)
    : thread_(thread), timers_(timers), timer_(timers.make(thread.executor())), tick_(tick) {}

KeepAlive::~KeepAlive() { stop(); }

void KeepAlive::add(KeptAlive& s) {
  PRESENCED_CHECK(thread_.running_here(), "a thread's keep-alive list is touched on its thread only");
  s.keep_alive_prev_ = nullptr;
  s.keep_alive_next_ = head_;
  if (head_) head_->keep_alive_prev_ = &s;
  head_ = &s;
  s.keep_alive_ = this;
  if (size_++ == 0) arm();
}

void KeepAlive::remove(KeptAlive& s) {
  if (s.keep_alive_ != this) return;
  PRESENCED_CHECK(thread_.running_here(), "a thread's keep-alive list is touched on its thread only");
  if (s.keep_alive_prev_) s.keep_alive_prev_->keep_alive_next_ = s.keep_alive_next_;
  else head_ = s.keep_alive_next_;
  if (s.keep_alive_next_) s.keep_alive_next_->keep_alive_prev_ = s.keep_alive_prev_;
  s.keep_alive_ = nullptr;
  s.keep_alive_prev_ = s.keep_alive_next_ = nullptr;
  --size_;
}

void KeepAlive::going_away() {
  PRESENCED_CHECK(thread_.running_here(), "a thread's sessions are closed on their thread");
  // Closing may end a session, which removes it from the list: step first.
  for (KeptAlive* s = head_; s;) {
    KeptAlive* next = s->keep_alive_next_;
    s->going_away();
    s = next;
  }
}

void KeepAlive::stop() {
  stopped_ = true;
  timer_->cancel();
  for (KeptAlive* s = head_; s;) {
    KeptAlive* next = s->keep_alive_next_;
    s->keep_alive_ = nullptr;
    s = next;
  }
  head_ = nullptr;
  size_ = 0;
}

void KeepAlive::arm() {
  if (stopped_) return;
  timer_->start(tick_, [this] {
    if (stopped_) return;
    sweep();
    if (size_ > 0) arm();
  });
}

void KeepAlive::sweep() {
  const auto now = timers_.now();
  // keep_alive() may end a session, which removes it from the list: step first.
  for (KeptAlive* s = head_; s;) {
    KeptAlive* next = s->keep_alive_next_;
    s->keep_alive(now);
    s = next;
  }
}

}  // namespace presenced::websocket
