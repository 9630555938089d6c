#pragma once
// A session's queue of messages to send, and how a slow reader's queue stays short: it
// gets the newest state of each record, not every step to it.

#include "fanout/events.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::realtime {

struct Outgoing {
  std::shared_ptr<const fanout::PresenceEvent> event;  // or
  std::shared_ptr<const std::string> text;
  std::uint32_t limit = fanout::kNoLimit;  // the event's subscription's
};

// Puts a presence event in place of what it makes useless among `queue[first..]` (before
// `first`: being written, untouched) and says whether it did; false: append it. A list (a
// snapshot, a full-form event) replaces every waiting event of its record, in the place of
// the earliest. A diff replaces a waiting diff of its record (the client sees the skipped
// `seq` and subscribes again), and never a list, which it must follow.
// The protocol's error message: {"type":"error","code","message"} (docs/protocol.md).
std::string make_error(std::string_view code, std::string_view message);

bool merge_presence(std::vector<Outgoing>& queue, std::size_t first,
                    std::shared_ptr<const fanout::PresenceEvent>& event, std::uint32_t limit);

}  // namespace presenced::realtime
