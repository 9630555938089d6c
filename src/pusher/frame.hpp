#pragma once
// The Pusher Channels protocol's frames (version 7), read from a client and written to one.
// A frame is a JSON object {"event", "channel"?, "data"?}. Clients send `data` as an
// object (pusher:subscribe, client events) and servers send it as a JSON-encoded string,
// except pusher:error, whose data is an object (what pusher-js and Pusher itself do).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced::pusher {

enum class FrameEvent { ping, pong, subscribe, unsubscribe, signin, client_event, heartbeat, unknown };

struct ClientFrame {
  FrameEvent event = FrameEvent::unknown;
  std::string name;          // the event's name, as sent (at most kMaxEventBytes)
  std::string channel;       // subscribe and unsubscribe: data.channel; a client event: channel
  std::string auth;          // subscribe: data.auth ("key:signature"), signin: data.auth
  std::string channel_data;  // subscribe to presence-: data.channel_data; signin: data.user_data
  std::string data;          // a client event: its data, as JSON text; presenced:heartbeat: its data object
};

// presenced's own event from a client (docs/pusher.md): a record channel's tab says its
// mode, unsaved changes, field, activity and version, as a native heartbeat does:
// {"event":"presenced:heartbeat","channel":"presence-...","data":{"mode":..,"dirty":..}}.
inline constexpr std::string_view kHeartbeatEvent = "presenced:heartbeat";

// Pusher's limit on an event's name.
inline constexpr std::size_t kMaxEventBytes = 200;

enum class FrameStatus {
  ok,
  malformed,  // not a JSON object with a string "event"
  invalid,    // a known event with fields missing or of the wrong type (`error` says which)
};

FrameStatus read_frame(std::string_view text, ClientFrame& out, std::string& error);

// The user's id in pusher:signin's user_data: a JSON object whose "id" is a string that
// can name the user's channel (channel.hpp, "#server-to-user-<id>"); none otherwise.
std::optional<std::string> signin_user_id(std::string_view user_data);

// {"event":..,"channel":..,"data":"<data, JSON-encoded>"}; no channel when empty.
std::string event_frame(std::string_view event, std::string_view channel, std::string_view data);
// A client event passed on: its data as the sender gave it (JSON text), not re-encoded; on
// a presence channel, with the sender's "user_id" (pusher-js hands it to the callback).
std::string client_event_frame(std::string_view event, std::string_view channel, std::string_view data_json,
                               std::string_view user_id = {});
// {"event":"pusher:error","data":{"code":..,"message":..}}; code 0: null (Pusher's errors
// that close nothing and ask nothing of the client).
std::string error_frame(int code, std::string_view message);
// A channel's refusal, to the channel's error callbacks (Echo's .error()):
// {"event":"pusher:subscription_error","channel":..,"data":{"type":..,"error":..,"status":..}}
std::string subscription_error_frame(std::string_view channel, std::string_view type, std::string_view error,
                                     int status);

}  // namespace presenced::pusher
