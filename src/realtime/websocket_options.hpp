#pragma once
// The WebSocket endpoint's limits and timings (--ws-* flags).

#include <chrono>
#include <cstddef>

namespace presenced::realtime {

struct WebSocketOptions {
  std::size_t max_subscriptions = 100;       // records per socket (and tabs per socket)
  std::size_t max_message_bytes = 16 * 1024;
  double messages_per_second = 20;           // per socket, with bursts of twice that
  std::chrono::seconds idle_timeout{40};     // pinged at half; dead peers gone by then
  std::size_t max_queue = 256;               // messages waiting to be sent to a slow reader
};

}  // namespace presenced::realtime
