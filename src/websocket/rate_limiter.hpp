#pragma once
// Messages per second per socket: a token bucket (steady rate, bursts of twice the rate).

#include <algorithm>
#include <chrono>

namespace presenced::websocket {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `now`: on the session's timers (service/timers.hpp), like every later allow().
  RateLimiter(double per_second, Clock::time_point now)
      : rate_(per_second), burst_(2 * per_second), tokens_(burst_), last_(now) {}

  bool allow(Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_, burst_, tokens_;
  Clock::time_point last_;
};

}  // namespace presenced::websocket
