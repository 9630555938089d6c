#pragma once
// One-shot timers from an injectable source, so that what waits (the hub's coalescing
// window and expiry checks, the leave grace, WebSocket keep-alive and close deadlines)
// runs on simulated time in tests: the test moves the clock and the due callbacks run, in
// order, without a sleep (tests/support/manual_timers.hpp). In the server, SteadyTimers:
// Asio's steady_timer.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace presenced::service {

class Timer {
 public:
  virtual ~Timer() = default;
  // Calls `done` on the timer's executor once `after` has passed, unless cancelled or
  // started again first (then never). Destroying the timer cancels it.
  virtual void start(std::chrono::milliseconds after, std::function<void()> done) = 0;
  virtual void cancel() = 0;
};

class TimerSource {
 public:
  virtual ~TimerSource() = default;
  virtual std::unique_ptr<Timer> make(const boost::asio::any_io_executor& executor) = 0;
  // The time these timers run on (monotonic): what a deadline is measured against.
  virtual std::chrono::steady_clock::time_point now() const = 0;
};

// Asio's steady_timer on the executor's own io_context.
class SteadyTimers final : public TimerSource {
 public:
  std::unique_ptr<Timer> make(const boost::asio::any_io_executor& executor) override;
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace presenced::service
