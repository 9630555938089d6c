#pragma once
// The Pusher endpoint's limits and timings.

#include "pusher/record_channel.hpp"

#include <chrono>
#include <cstddef>

namespace presenced::pusher {

struct PusherOptions {
  std::size_t max_channels = 100;             // channels per socket
  std::size_t max_message_bytes = 16 * 1024;  // a frame from the client
  double messages_per_second = 50;            // per socket, bursts of twice that: an app subscribing to
                                              // its channels at once fits (over it: dropped, told once)
  double client_events_per_second = 10;       // Pusher's own limit (over it: error 4301)
  std::chrono::seconds activity_timeout{30};  // told to the client; a silent one is pinged after it
  std::chrono::seconds pong_timeout{30};      // and closed (4201) when still silent this much later (as long)
  std::size_t max_queue = 256;                // frames waiting for a slow reader (over it: closed, 4100)
  RecordChannels records;                     // which presence channel is which record
  std::chrono::milliseconds renew_every{30'000};  // a presence channel's tab is heard from (a third of the TTL)
};

}  // namespace presenced::pusher
