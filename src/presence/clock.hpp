#pragma once
// Time sources, injectable so that tests advance time instead of sleeping.
// Expiry runs on the monotonic clock (a stepped wall clock never expires or revives tabs);
// token expiry and timestamps shown to people use the wall clock.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace presenced::presence {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t monotonic_ms() const = 0;
  virtual std::int64_t unix_seconds() const = 0;
  virtual std::int64_t unix_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  std::int64_t unix_seconds() const override {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  }
  std::int64_t unix_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

// A clock that moves only when told to; safe to read from several threads.
class ManualClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override { return mono_ms_.load(); }
  std::int64_t unix_seconds() const override { return unix_ms_.load() / 1000; }
  std::int64_t unix_ms() const override { return unix_ms_.load(); }
  // Both clocks move together, as they do in life.
  void advance_ms(std::int64_t ms) {
    mono_ms_ += ms;
    unix_ms_ += ms;
  }
  // Steps the wall clock alone, as an NTP correction does.
  void step_wall_ms(std::int64_t ms) { unix_ms_ += ms; }

 private:
  std::atomic<std::int64_t> mono_ms_{1'000'000};
  std::atomic<std::int64_t> unix_ms_{1'800'000'000'000};
};

}  // namespace presenced::presence
