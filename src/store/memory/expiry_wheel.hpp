#pragma once
// A hashed timing wheel of records (by handle), filed under the deadline of their
// earliest tab.
//
// Why a wheel: expiry must not scan every tab, and heartbeats must not pay for it. Each
// record sits in the slot of its earliest deadline. A heartbeat renewing a tab only moves
// a deadline later, which never makes the record's slot wrong (the record is visited too
// early, never too late), so a heartbeat does no wheel work at all. When a slot comes due
// the store drops the tabs that are really past their deadline and files the record again
// under its next one. A busy record is visited about once per TTL, whatever its heartbeat
// rate. Reads check deadlines too (lazily, as Redis does), so callers see exact expiry
// although the wheel works in ticks.
//
// The wheel keeps one list head per slot; the link from one record to the next lives in
// the record itself (`next_of(handle)`), 4 bytes it already has room for. Lists are
// singly linked, so a record cannot leave its slot early: records are freed only when
// the wheel hands them over, and one emptied by an unregister waits for its slot.

#include <cstdint>
#include <vector>

namespace presenced::store::memory {

class ExpiryWheel {
 public:
  static constexpr std::uint32_t kEnd = UINT32_MAX;

  ExpiryWheel(std::int64_t tick_ms, std::size_t slots, std::int64_t now_ms)
      : tick_ms_(tick_ms), heads_(slots, kEnd), processed_tick_(now_ms / tick_ms) {}

  // Files `handle` under `deadline_ms`. `next_of(handle)` is the record's link.
  template <typename NextOf>
  void schedule(std::uint32_t handle, std::int64_t deadline_ms, NextOf&& next_of) {
    // Round up: a slot is processed only once its whole tick has passed the deadline.
    std::int64_t tick = (deadline_ms + tick_ms_ - 1) / tick_ms_;
    if (tick <= processed_tick_) tick = processed_tick_ + 1;
    std::uint32_t& head = heads_[static_cast<std::size_t>(tick) % heads_.size()];
    next_of(handle) = head;
    head = handle;
  }

  // Hands every record filed in a slot that `now_ms` has passed to `on_due(handle)`,
  // which must schedule it again or free it. A record filed one or more turns of the
  // wheel ahead is handed over early too; on_due files it again under its deadline.
  template <typename NextOf, typename OnDue>
  void advance(std::int64_t now_ms, NextOf&& next_of, OnDue&& on_due) {
    const std::int64_t now_tick = now_ms / tick_ms_;
    const auto turn = static_cast<std::int64_t>(heads_.size());
    if (now_tick - processed_tick_ > turn) processed_tick_ = now_tick - turn;
    while (processed_tick_ < now_tick) {
      ++processed_tick_;
      std::uint32_t& head = heads_[static_cast<std::size_t>(processed_tick_) % heads_.size()];
      std::uint32_t handle = head;
      head = kEnd;  // detach the slot: on_due may file records into it again
      while (handle != kEnd) {
        std::uint32_t next = next_of(handle);
        on_due(handle);
        handle = next;
      }
    }
  }

 private:
  std::int64_t tick_ms_;
  std::vector<std::uint32_t> heads_;
  std::int64_t processed_tick_;
};

}  // namespace presenced::store::memory
