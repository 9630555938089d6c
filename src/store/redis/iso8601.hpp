#pragma once
#include <chrono>
#include <cstdint>
#include <string_view>

namespace presenced::store::redis {

// "2026-01-21T19:30:15.123Z": ISO-8601 in UTC with milliseconds, always 24 characters,
// so that two stamps compare as strings in time order (the heartbeat script's fast path
// relies on it). Calendar arithmetic from <chrono>, digits by hand: snprintf cost more
// than all the rest of a heartbeat's work here.
class Iso8601 {
 public:
  explicit Iso8601(std::int64_t unix_ms) {
    using namespace std::chrono;
    sys_time<milliseconds> t{milliseconds(unix_ms)};
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    put(0, 4, static_cast<int>(ymd.year()));
    put(5, 2, static_cast<int>(static_cast<unsigned>(ymd.month())));
    put(8, 2, static_cast<int>(static_cast<unsigned>(ymd.day())));
    put(11, 2, static_cast<int>(hms.hours().count()));
    put(14, 2, static_cast<int>(hms.minutes().count()));
    put(17, 2, static_cast<int>(hms.seconds().count()));
    put(20, 3, static_cast<int>(hms.subseconds().count()));
  }
  std::string_view view() const { return {buf_, sizeof buf_}; }

 private:
  void put(int at, int width, int value) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) buf_[i] = static_cast<char>('0' + value % 10);
  }
  char buf_[24] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0',
                   '0', ':', '0', '0', ':', '0', '0', '.', '0', '0', '0', 'Z'};
};

}  // namespace presenced::store::redis
