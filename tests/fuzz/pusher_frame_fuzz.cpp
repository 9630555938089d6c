// Pusher frames from a client (pusher/frame.hpp), channel names (pusher/channel.hpp, and
// the record a presence channel is: pusher/record_channel.hpp), a presence channel's
// channel_data (pusher/presence_member.hpp) and --pusher-app texts (pusher/apps.hpp): never a crash, and what is accepted keeps the
// parser's promises: a subscription names a channel, an event name fits Pusher's limit,
// a client event's data is JSON again, and a frame written back is JSON with that event.
#include "pusher/apps.hpp"
#include "pusher/channel.hpp"
#include "pusher/frame.hpp"
#include "pusher/presence_member.hpp"
#include "pusher/record_channel.hpp"
#include "presence/json_text.hpp"
#include "presence/validation.hpp"

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
    if (f.event == FrameEvent::heartbeat && (f.channel.empty() || !presenced::presence::is_json_object(f.data))) {
      __builtin_trap();
    }
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

  // A member's channel_data: what is kept fits the bounds and is passed on as JSON.
  if (const auto user = read_member(input, "t", error)) {
    if (user->id.empty() || user->id.size() > presenced::presence::kMaxUserIdBytes) __builtin_trap();
    if (user->info && (user->info->json.size() > presenced::presence::kMaxMemberInfoBytes ||
                       !presenced::presence::is_json_object(user->info->json))) {
      __builtin_trap();
    }
    const presenced::fanout::Member m{user->id, user->info ? user->info->json : "{}"};
    const std::string frame = subscription_succeeded_frame("presence-x", {m}, m);
    boost::system::error_code ec;
    const auto v = boost::json::parse(frame, ec);
    if (ec || !is_json(v.at("data").as_string()) || !is_json(member_added_frame("presence-x", m)) ||
        !is_json(member_removed_frame("presence-x", m.id))) {
      __builtin_trap();
    }
  } else if (error.empty()) {
    __builtin_trap();
  }

  // The record a presence channel is: every part a record path's segment.
  static const RecordChannels records = [] {
    RecordChannels r;
    std::string e;
    if (!r.set_pattern(kDefaultRecordChannel, e)) __builtin_trap();
    return r;
  }();
  if (kind == ChannelKind::presence) {
    const App owner{"app-1", "key", "secret-12345"};
    const ChannelRecord r = records.record_of(owner, input);
    if (!presenced::presence::is_valid_segment(r.tenant) || !presenced::presence::is_valid_segment(r.type) ||
        !presenced::presence::is_valid_segment(r.id)) {
      __builtin_trap();
    }
  }
  RecordChannels pattern;
  if (pattern.set_pattern(input, error) && !input.empty() && !input.starts_with("presence-")) __builtin_trap();  // "": none

  App app;
  if (parse_app(input, app, error)) {
    if (app.id.empty() || app.key.empty() || app.secret.size() < 8 || input != app.id + ":" + app.key + ":" + app.secret) {
      __builtin_trap();
    }
  }
  return 0;
}
