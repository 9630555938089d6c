#include "pusher/frame.hpp"

#include "presence/json_text.hpp"
#include "pusher/channel.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace presenced::pusher {
namespace {

FrameEvent event_of(std::string_view name) {
  if (name == "pusher:ping") return FrameEvent::ping;
  if (name == "pusher:pong") return FrameEvent::pong;
  if (name == "pusher:subscribe") return FrameEvent::subscribe;
  if (name == "pusher:unsubscribe") return FrameEvent::unsubscribe;
  if (name == "pusher:signin") return FrameEvent::signin;
  if (name.starts_with("client-")) return FrameEvent::client_event;
  if (name == kHeartbeatEvent) return FrameEvent::heartbeat;
  return FrameEvent::unknown;
}

// A string member of `o`; false when present but not a string. Absent: "".
bool string_member(const boost::json::object& o, std::string_view key, std::string& out) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return true;
  if (!v->is_string()) return false;
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

// pusher-js sends data as an object; some clients send it JSON-encoded in a string.
const boost::json::object* data_object(const boost::json::object& frame, boost::json::value& decoded,
                                       boost::json::storage_ptr storage) {
  const boost::json::value* data = frame.if_contains("data");
  if (!data) return nullptr;
  if (data->is_object()) return &data->get_object();
  if (!data->is_string()) return nullptr;
  boost::system::error_code ec;
  decoded = boost::json::parse(data->get_string(), ec, storage);
  return !ec && decoded.is_object() ? &decoded.get_object() : nullptr;
}

}  // namespace

FrameStatus read_frame(std::string_view text, ClientFrame& out, std::string& error) {
  unsigned char scratch[4096];
  boost::json::monotonic_resource resource(scratch, sizeof scratch);
  boost::json::storage_ptr storage(&resource);
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(text, ec, storage);
  if (ec || !root.is_object()) return FrameStatus::malformed;
  const boost::json::object& frame = root.get_object();
  const boost::json::value* event = frame.if_contains("event");
  if (!event || !event->is_string() || event->get_string().empty()) return FrameStatus::malformed;
  const std::string_view name = event->get_string();
  if (name.size() > kMaxEventBytes) {
    error = "The event name is longer than 200 characters.";
    return FrameStatus::invalid;
  }
  out = ClientFrame{};
  out.name.assign(name);
  out.event = event_of(name);
  boost::json::value decoded;
  switch (out.event) {
    case FrameEvent::subscribe:
    case FrameEvent::unsubscribe: {
      const boost::json::object* data = data_object(frame, decoded, storage);
      if (!data) {
        error = "The data of " + out.name + " is an object with a channel.";
        return FrameStatus::invalid;
      }
      if (!string_member(*data, "channel", out.channel) || out.channel.empty() ||
          !string_member(*data, "auth", out.auth) || !string_member(*data, "channel_data", out.channel_data)) {
        error = "The data of " + out.name + " has a string channel (and a string auth and channel_data, if any).";
        return FrameStatus::invalid;
      }
      return FrameStatus::ok;
    }
    case FrameEvent::signin: {
      const boost::json::object* data = data_object(frame, decoded, storage);
      if (!data || !string_member(*data, "auth", out.auth) || !string_member(*data, "user_data", out.channel_data) ||
          out.auth.empty() || out.channel_data.empty()) {
        error = "The data of pusher:signin is an object with a string auth and user_data.";
        return FrameStatus::invalid;
      }
      return FrameStatus::ok;
    }
    case FrameEvent::client_event: {
      if (!string_member(frame, "channel", out.channel) || out.channel.empty()) {
        error = "A client event names its channel.";
        return FrameStatus::invalid;
      }
      const boost::json::value* data = frame.if_contains("data");
      out.data = data ? boost::json::serialize(*data) : "{}";
      return FrameStatus::ok;
    }
    case FrameEvent::heartbeat: {
      const boost::json::object* data = data_object(frame, decoded, storage);
      if (!string_member(frame, "channel", out.channel) || out.channel.empty() || !data) {
        error = "presenced:heartbeat names its channel and has an object as its data.";
        return FrameStatus::invalid;
      }
      out.data = boost::json::serialize(*data);
      return FrameStatus::ok;
    }
    case FrameEvent::ping:
    case FrameEvent::pong:
    case FrameEvent::unknown: return FrameStatus::ok;
  }
  return FrameStatus::ok;
}

std::optional<std::string> signin_user_id(std::string_view user_data) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(user_data, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const boost::json::value* id = o ? o->if_contains("id") : nullptr;
  if (!id || !id->is_string()) return std::nullopt;
  std::string out(id->get_string().data(), id->get_string().size());
  if (!is_user_id(out)) return std::nullopt;
  return out;
}

std::string event_frame(std::string_view event, std::string_view channel, std::string_view data) {
  std::string o = R"({"event":)";
  presence::append_json_string(o, event);
  if (!channel.empty()) {
    o += R"(,"channel":)";
    presence::append_json_string(o, channel);
  }
  o += R"(,"data":)";
  presence::append_json_string(o, data);
  o += '}';
  return o;
}

std::string client_event_frame(std::string_view event, std::string_view channel, std::string_view data_json,
                               std::string_view user_id) {
  std::string o = R"({"event":)";
  presence::append_json_string(o, event);
  o += R"(,"channel":)";
  presence::append_json_string(o, channel);
  o += R"(,"data":)";
  o += data_json;
  if (!user_id.empty()) {
    o += R"(,"user_id":)";
    presence::append_json_string(o, user_id);
  }
  o += '}';
  return o;
}

std::string error_frame(int code, std::string_view message) {
  std::string o = R"({"event":"pusher:error","data":{"code":)";
  o += code == 0 ? std::string("null") : std::to_string(code);
  o += R"(,"message":)";
  presence::append_json_string(o, message);
  o += "}}";
  return o;
}

std::string subscription_error_frame(std::string_view channel, std::string_view type, std::string_view error,
                                     int status) {
  std::string o = R"({"event":"pusher:subscription_error","channel":)";
  presence::append_json_string(o, channel);
  o += R"(,"data":{"type":)";
  presence::append_json_string(o, type);
  o += R"(,"error":)";
  presence::append_json_string(o, error);
  o += R"(,"status":)" + std::to_string(status) + "}}";
  return o;
}

}  // namespace presenced::pusher
