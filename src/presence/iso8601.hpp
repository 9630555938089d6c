#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace presenced::presence {

// "2026-01-21T19:30:15.123Z": ISO-8601 in UTC with milliseconds, always 24 characters,
// so that two stamps compare as strings in time order (the heartbeat script's fast path
// relies on it). Calendar arithmetic from <chrono>, digits by hand: snprintf cost more
// than all the rest of a heartbeat's work here. The date and time up to the second are
// kept per thread for the last two seconds asked (a heartbeat asks for now and for now
// minus the TTL, and most heartbeats of a second share both), so that usually only the
// milliseconds are written.
class Iso8601 {
 public:
  explicit Iso8601(std::int64_t unix_ms) {
    using namespace std::chrono;
    const std::int64_t second = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
    thread_local Cache recent[2];
    thread_local unsigned older = 0;
    Cache* hit = recent[0].valid && recent[0].second == second   ? &recent[0]
                 : recent[1].valid && recent[1].second == second ? &recent[1]
                                                                 : nullptr;
    if (!hit) {
      sys_time<seconds> t{seconds(second)};
      auto day = floor<days>(t);
      year_month_day ymd{day};
      hh_mm_ss hms{t - day};
      put(0, 4, static_cast<int>(ymd.year()));
      put(5, 2, static_cast<int>(static_cast<unsigned>(ymd.month())));
      put(8, 2, static_cast<int>(static_cast<unsigned>(ymd.day())));
      put(11, 2, static_cast<int>(hms.hours().count()));
      put(14, 2, static_cast<int>(hms.minutes().count()));
      put(17, 2, static_cast<int>(hms.seconds().count()));
      Cache& slot = recent[older];
      older ^= 1;
      std::copy(buf_, buf_ + kSecondLength, slot.text);
      slot.second = second;
      slot.valid = true;
    } else {
      std::copy(hit->text, hit->text + kSecondLength, buf_);
    }
    put(20, 3, static_cast<int>(unix_ms - second * 1000));
  }
  std::string_view view() const { return {buf_, sizeof buf_}; }

 private:
  static constexpr int kSecondLength = 19;  // "2026-01-21T19:30:15"
  struct Cache {
    std::int64_t second = 0;
    bool valid = false;
    char text[kSecondLength];
  };
  void put(int at, int width, int value) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) buf_[i] = static_cast<char>('0' + value % 10);
  }
  char buf_[24] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0',
                   '0', ':', '0', '0', ':', '0', '0', '.', '0', '0', '0', 'Z'};
};

// The unix milliseconds of a stamp in exactly the format above, or none: the stamps
// presenced writes, read back (store/redis/room_mirror.cpp). Anything else (the host
// app's variants) is for the lenient readers.
inline std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
      s[23] != 'Z') {
    return std::nullopt;
  }
  bool ok = true;
  const auto num = [&](std::size_t at, std::size_t width) {
    int v = 0;
    for (std::size_t i = at; i < at + width; ++i) {
      if (s[i] < '0' || s[i] > '9') ok = false;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const int hour = num(11, 2), minute = num(14, 2), second = num(17, 2), milli = num(20, 3);
  if (!ok || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  const std::int64_t days = sys_days(date).time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * 60'000LL + second * 1000LL + milli;
}

}  // namespace presenced::presence
