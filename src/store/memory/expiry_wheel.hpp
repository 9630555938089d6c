#pragma once
// A hashed timing wheel of records, by the deadline of their earliest tab.
//
// Why a wheel: expiry must not scan every tab, and heartbeats must not pay for it. Each
// record sits in the slot of its earliest deadline; a heartbeat renewing a tab moves the
// tab's deadline later, which never makes the record's slot wrong (the record is only
// visited too early, never too late). When a slot comes due, the store drops the tabs that
// are really past their deadline and files the record again under the next one. So a busy
// record is visited about once per TTL, whatever its heartbeat rate, and a heartbeat costs
// no wheel work at all. Reads also check deadlines (lazily, like Redis), so what callers
// see is exact even though the wheel runs in ticks.
//
// Items carry an intrusive auto-unlink hook: destroying an item removes it from the wheel.

#include <boost/intrusive/list.hpp>

#include <cstdint>
#include <vector>

namespace presenced::store::memory {

using WheelHook = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

// T has `WheelHook wheel_hook` and `std::int64_t wheel_deadline_ms`.
template <typename T>
class ExpiryWheel {
  using List = boost::intrusive::list<T, boost::intrusive::member_hook<T, WheelHook, &T::wheel_hook>,
                                      boost::intrusive::constant_time_size<false>>;

 public:
  ExpiryWheel(std::int64_t tick_ms, std::size_t slots, std::int64_t now_ms)
      : tick_ms_(tick_ms), slots_(slots), processed_tick_(now_ms / tick_ms) {}

  ~ExpiryWheel() {
    for (auto& s : slots_) s.clear();
  }

  // Files `item` under `deadline_ms`, moving it if it was filed already.
  void schedule(T& item, std::int64_t deadline_ms) {
    item.wheel_hook.unlink();
    item.wheel_deadline_ms = deadline_ms;
    // Round up: the slot is processed only once its whole tick has passed the deadline.
    std::int64_t tick = (deadline_ms + tick_ms_ - 1) / tick_ms_;
    if (tick <= processed_tick_) tick = processed_tick_ + 1;
    slots_[static_cast<std::size_t>(tick) % slots_.size()].push_back(item);
  }

  // Calls `on_due(item)` for every item whose deadline is <= now_ms. The callback must
  // either schedule the item again or destroy it.
  template <typename F>
  void advance(std::int64_t now_ms, F&& on_due) {
    const std::int64_t now_tick = now_ms / tick_ms_;
    if (now_tick - processed_tick_ > static_cast<std::int64_t>(slots_.size())) {
      processed_tick_ = now_tick - static_cast<std::int64_t>(slots_.size());
    }
    while (processed_tick_ < now_tick) {
      ++processed_tick_;
      List due;
      due.splice(due.end(), slots_[static_cast<std::size_t>(processed_tick_) % slots_.size()]);
      while (!due.empty()) {
        T& item = due.front();
        due.pop_front();
        if (item.wheel_deadline_ms <= now_ms) {
          on_due(item);
        } else {
          schedule(item, item.wheel_deadline_ms);  // a later round of the wheel
        }
      }
    }
  }

 private:
  std::int64_t tick_ms_;
  std::vector<List> slots_;
  std::int64_t processed_tick_;
};

}  // namespace presenced::store::memory
