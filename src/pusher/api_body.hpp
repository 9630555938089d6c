#pragma once
// The bodies of the Pusher HTTP API's triggers, as the `pusher` SDKs and Laravel's
// broadcasters send them:
//   POST /apps/{id}/events        {"name","data","channels":[..] | "channel", "socket_id"?, "info"?}
//   POST /apps/{id}/batch_events  {"batch":[{"name","data","channel","socket_id"?, "info"?}, ..]}
// `data` is a string (what subscribers receive, as is). Pusher's limits: an event's name at
// most 200 characters, 1 to 100 channels per event, 1 to 10 events per batch.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::pusher {

inline constexpr std::size_t kMaxEventChannels = 100;
inline constexpr std::size_t kMaxBatchEvents = 10;

struct ApiEvent {
  std::string name;
  std::string data;
  std::vector<std::string> channels;
  std::string socket_id;  // the sender's connection, left out of the delivery; "" for none
};

enum class ApiBodyStatus {
  ok,
  invalid,   // 400: not such a body (`error` says what)
  too_large  // 413: an event's data is over the limit
};

// `max_data`: the largest `data` of one event, in bytes.
ApiBodyStatus read_events_body(std::string_view body, std::size_t max_data, ApiEvent& out, std::string& error);
ApiBodyStatus read_batch_body(std::string_view body, std::size_t max_data, std::vector<ApiEvent>& out,
                              std::string& error);

// Pusher's socket ids: digits, a dot, digits ("<node>.<connection>"), each part at most
// 20 digits.
bool is_socket_id(std::string_view s);

}  // namespace presenced::pusher
