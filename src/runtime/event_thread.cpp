#include "runtime/event_thread.hpp"

#include "metrics/metrics.hpp"
#include "runtime/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace presenced::runtime {
namespace {
thread_local EventThread* t_current = nullptr;
}  // namespace

void check_failed(const char* condition, const char* why, const char* file, int line) {
  std::fprintf(stderr, "presenced: contract broken at %s:%d: %s (%s)\n", file, line, why, condition);
  std::fflush(stderr);
  std::abort();
}

EventThread::EventThread(std::size_t index) : index_(index), context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO) {}

EventThread* EventThread::current() { return t_current; }

void EventThread::run() {
  PRESENCED_CHECK(!running(), "a thread's context runs on one thread only");
  Binding bound(*this);
  metrics::bind_thread(index_);
  running_.store(true, std::memory_order_release);
  context_.run();
  running_.store(false, std::memory_order_release);
}

EventThread::Binding::Binding(EventThread& thread) : previous_(t_current) { t_current = &thread; }
EventThread::Binding::~Binding() { t_current = previous_; }

EventThreads::EventThreads(std::size_t count) {
  if (count == 0) count = 1;
  for (std::size_t i = 0; i < count; ++i) threads_.push_back(std::make_unique<EventThread>(i));
}

bool EventThreads::none_running() const {
  for (const auto& t : threads_) {
    if (t->running()) return false;
  }
  return true;
}

}  // namespace presenced::runtime
