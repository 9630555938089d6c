#include "pusher/api_body.hpp"

#include "pusher/channel.hpp"
#include "pusher/frame.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace presenced::pusher {
namespace {

namespace json = boost::json;

bool digits(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// One event object. `batch`: a batch's event, which names one `channel` only.
ApiBodyStatus read_event(const json::value& v, bool batch, std::size_t max_data, ApiEvent& out, std::string& error) {
  const json::object* o = v.if_object();
  if (!o) {
    error = batch ? "Each event of the batch must be an object." : "The body must be a JSON object.";
    return ApiBodyStatus::invalid;
  }
  const json::value* name = o->if_contains("name");
  if (!name || !name->is_string() || name->get_string().empty()) {
    error = "The name field is required and must be a string.";
    return ApiBodyStatus::invalid;
  }
  if (name->get_string().size() > kMaxEventBytes) {
    error = "The event name is longer than 200 characters.";
    return ApiBodyStatus::invalid;
  }
  const json::value* data = o->if_contains("data");
  if (!data || !data->is_string()) {
    error = "The data field is required and must be a string.";
    return ApiBodyStatus::invalid;
  }
  if (data->get_string().size() > max_data) {
    error = "The event's data is larger than " + std::to_string(max_data) + " bytes.";
    return ApiBodyStatus::too_large;
  }
  out.name.assign(name->get_string());
  out.data.assign(data->get_string());
  out.channels.clear();

  auto add_channel = [&](const json::value& c) {
    if (!c.is_string() || channel_kind(c.get_string()) == ChannelKind::invalid) {
      error = "Channel names are 1 to 164 characters of A-Z a-z 0-9 _ - = @ , . ;";
      return false;
    }
    out.channels.emplace_back(c.get_string());
    return true;
  };
  const json::value* channels = batch ? nullptr : o->if_contains("channels");
  const json::value* channel = o->if_contains("channel");
  if (channels && channel) {
    error = "Give channels or channel, not both.";
    return ApiBodyStatus::invalid;
  }
  if (channels) {
    const json::array* list = channels->if_array();
    if (!list || list->empty() || list->size() > kMaxEventChannels) {
      error = "The channels field must be a list of 1 to " + std::to_string(kMaxEventChannels) + " channels.";
      return ApiBodyStatus::invalid;
    }
    out.channels.reserve(list->size());
    for (const json::value& c : *list) {
      if (!add_channel(c)) return ApiBodyStatus::invalid;
    }
  } else if (channel) {
    if (!add_channel(*channel)) return ApiBodyStatus::invalid;
  } else {
    error = batch ? "The channel field is required." : "The channels field is required.";
    return ApiBodyStatus::invalid;
  }

  out.socket_id.clear();
  if (const json::value* sid = o->if_contains("socket_id"); sid && !sid->is_null()) {
    if (!sid->is_string() || !is_socket_id(sid->get_string())) {
      error = "The socket_id field must be a socket id (digits, a dot, digits).";
      return ApiBodyStatus::invalid;
    }
    out.socket_id.assign(sid->get_string());
  }
  if (const json::value* info = o->if_contains("info"); info && !info->is_null() && !info->is_string()) {
    error = "The info field must be a string.";
    return ApiBodyStatus::invalid;
  }
  return ApiBodyStatus::ok;
}

bool parse(std::string_view body, json::value& root, json::storage_ptr storage, std::string& error) {
  boost::system::error_code ec;
  root = json::parse(body, ec, std::move(storage));
  if (ec) error = "The body is not JSON.";
  return !ec;
}

}  // namespace

bool is_socket_id(std::string_view s) {
  const auto dot = s.find('.');
  return dot != std::string_view::npos && digits(s.substr(0, dot)) && digits(s.substr(dot + 1));
}

ApiBodyStatus read_events_body(std::string_view body, std::size_t max_data, ApiEvent& out, std::string& error) {
  json::monotonic_resource resource;
  json::value root;
  if (!parse(body, root, &resource, error)) return ApiBodyStatus::invalid;
  return read_event(root, false, max_data, out, error);
}

ApiBodyStatus read_batch_body(std::string_view body, std::size_t max_data, std::vector<ApiEvent>& out,
                              std::string& error) {
  json::monotonic_resource resource;
  json::value root;
  if (!parse(body, root, &resource, error)) return ApiBodyStatus::invalid;
  const json::object* o = root.if_object();
  const json::value* batch = o ? o->if_contains("batch") : nullptr;
  const json::array* list = batch ? batch->if_array() : nullptr;
  if (!list || list->empty() || list->size() > kMaxBatchEvents) {
    error = "The batch field must be a list of 1 to " + std::to_string(kMaxBatchEvents) + " events.";
    return ApiBodyStatus::invalid;
  }
  out.clear();
  out.resize(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (const ApiBodyStatus s = read_event((*list)[i], true, max_data, out[i], error); s != ApiBodyStatus::ok) {
      error = "Event " + std::to_string(i) + ": " + error;
      return s;
    }
  }
  return ApiBodyStatus::ok;
}

}  // namespace presenced::pusher
