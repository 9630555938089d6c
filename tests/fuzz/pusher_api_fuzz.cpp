// The Pusher HTTP API's inputs: a signed query (auth/pusher_api_signature.hpp) and a
// trigger's body (pusher/api_body.hpp). The first line of the input is the query, the
// rest the body. Never a crash, and what is accepted keeps the readers' promises: a
// signature passes only when it is the one the signer makes, an event names 1 to 100
// valid channels, its data fits, a socket id is digits.digits.
#include "auth/pusher_api_signature.hpp"
#include "pusher/api_body.hpp"
#include "pusher/channel.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace presenced;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view query = input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  // What the API reads besides the signature: a value of the query, decoded, never longer.
  if (const auto info = presenced::auth::pusher_query_parameter(query, "info"); info && info->size() > query.size()) {
    __builtin_trap();
  }

  std::string message;
  const auto e = auth::check_pusher_api_signature({.method = "POST", .path = "/apps/1/events", .query = query, .body = body},
                                                  "key", "secret-secret", 1'800'000'000, message);
  if ((e == auth::ApiSignatureError::none) != message.empty()) __builtin_trap();
  // What the signer makes for this body passes.
  const std::string signed_query =
      auth::sign_pusher_api_request("POST", "/apps/1/events", "", body, "key", "secret-secret", 1'800'000'000);
  if (auth::check_pusher_api_signature({.method = "POST", .path = "/apps/1/events", .query = signed_query, .body = body},
                                       "key", "secret-secret", 1'800'000'000, message) != auth::ApiSignatureError::none) {
    __builtin_trap();
  }

  auto check_event = [](const pusher::ApiEvent& ev) {
    if (ev.name.empty() || ev.name.size() > 200 || ev.data.size() > 1024) __builtin_trap();
    if (ev.channels.empty() || ev.channels.size() > pusher::kMaxEventChannels) __builtin_trap();
    for (const std::string& c : ev.channels) {
      if (pusher::channel_kind(c) == pusher::ChannelKind::invalid) __builtin_trap();
    }
    if (!ev.socket_id.empty() && !pusher::is_socket_id(ev.socket_id)) __builtin_trap();
  };
  pusher::ApiEvent event;
  if (pusher::read_events_body(input, 1024, event, message) == pusher::ApiBodyStatus::ok) check_event(event);
  else if (message.empty()) __builtin_trap();
  std::vector<pusher::ApiEvent> batch;
  if (pusher::read_batch_body(input, 1024, batch, message) == pusher::ApiBodyStatus::ok) {
    if (batch.empty() || batch.size() > pusher::kMaxBatchEvents) __builtin_trap();
    for (const auto& ev : batch) {
      check_event(ev);
      if (ev.channels.size() != 1) __builtin_trap();
    }
  }
  return 0;
}
