// Pusher frames from a client (pusher/frame.hpp), channel names (pusher/channel.hpp) and
// --pusher-app texts (pusher/apps.hpp): never a crash, and what is accepted keeps the
// parser's promises: a subscription names a channel, an event name fits Pusher's limit,
// a client event's data is JSON again, and a frame written back is JSON with that event.
#include "pusher/apps.hpp"
#include "pusher/channel.hpp"
#include "pusher/frame.hpp"
#include "presence/json_text.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace presenced::pusher;

namespace {

bool is_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse(text, ec);
  return !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ClientFrame f;
  std::string error;
  const FrameStatus status = read_frame(input, f, error);
  if (status == FrameStatus::invalid && error.empty()) __builtin_trap();
  if (status == FrameStatus::ok) {
    if (f.name.empty() || f.name.size() > kMaxEventBytes) __builtin_trap();
    if ((f.event == FrameEvent::subscribe || f.event == FrameEvent::unsubscribe) && f.channel.empty()) __builtin_trap();
    if (f.event == FrameEvent::client_event && (f.channel.empty() || !is_json(f.data))) __builtin_trap();
    if (f.event == FrameEvent::client_event && !is_json(client_event_frame(f.name, f.channel, f.data))) __builtin_trap();
  }
  if (status != FrameStatus::malformed) {
    // What the session writes back quotes the client's own (valid) text, cut to a prefix.
    const std::string quoted(presenced::presence::utf8_prefix(f.name, 64));
    if (!is_json(event_frame(quoted, "", quoted)) || !is_json(error_frame(0, "Unknown event \"" + quoted + "\"."))) {
      __builtin_trap();
    }
  }

  if (const auto id = signin_user_id(input)) {  // an id that names the user's channel
    if (id->empty() || channel_kind(std::string(kUserChannelPrefix) + *id) != ChannelKind::user) __builtin_trap();
  }

  const ChannelKind kind = channel_kind(input);
  if (kind != ChannelKind::invalid && (input.empty() || input.size() > kMaxChannelBytes)) __builtin_trap();
  if (kind != ChannelKind::invalid && !is_json(subscription_error_frame(input, "AuthError", input, 401))) __builtin_trap();

  App app;
  if (parse_app(input, app, error)) {
    if (app.id.empty() || app.key.empty() || app.secret.size() < 8 || input != app.id + ":" + app.key + ":" + app.secret) {
      __builtin_trap();
    }
  }
  return 0;
}
