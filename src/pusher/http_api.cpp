#include "pusher/http_api.hpp"

#include "auth/pusher_api_signature.hpp"
#include "presence/json_text.hpp"
#include "pusher/api_body.hpp"
#include "pusher/channel.hpp"
#include "pusher/frame.hpp"
#include "pusher/session.hpp"

#include <memory>
#include <vector>

namespace presenced::pusher {
namespace {

void error(http::Response& res, unsigned status, std::string_view message) {
  res.status = status;
  res.content_type = "application/json";
  res.body.assign(R"({"error":)");
  presence::append_json_string(res.body, message);
  res.body.push_back('}');
}

// Pusher's success: 200 with an empty object.
void accepted(http::Response& res) {
  res.status = 200;
  res.content_type = "application/json";
  res.body.assign("{}");
}

}  // namespace

HttpApi::HttpApi(const Apps& apps, fanout::NamedChannels& channels, const presence::Clock& clock,
                 const RecordChannels& records, service::PresenceService& service)
    : apps_(apps), channels_(channels), clock_(clock), records_(records), service_(service) {}

// A full batch of the largest events, JSON-escaped at worst, and its envelope.
std::size_t HttpApi::max_body_bytes() const { return kMaxBatchEvents * (2 * kMaxApiEventData + 4 * 1024); }

boost::asio::awaitable<void> HttpApi::handle(http::Method method, std::string_view path, std::string_view query,
                                             std::string_view body, http::Response& res) {
  // /apps/{id}/{rest}
  std::string_view rest = path.substr(6);
  const auto slash = rest.find('/');
  const App* app = slash == std::string_view::npos ? nullptr : apps_.by_id(rest.substr(0, slash));
  if (!app) {
    error(res, 404, "Unknown app.");
    co_return;
  }
  rest.remove_prefix(slash + 1);
  const bool events = rest == "events", batch = rest == "batch_events";
  const bool known = events || batch || rest == "channels" || rest.starts_with("channels/") ||
                     (rest.starts_with("users/") && rest.ends_with("/terminate_connections"));
  if (!known) {
    error(res, 404, "Not found.");
    co_return;
  }
  const bool wants_post = events || batch || rest.starts_with("users/");
  if (method != (wants_post ? http::Method::post : http::Method::get)) {
    error(res, 405, wants_post ? "Use POST." : "Use GET.");
    res.add_header("Allow", wants_post ? "POST" : "GET");
    co_return;
  }

  std::string message;
  const auth::SignedRequest signed_request{
      .method = http::method_name(method), .path = path, .query = query, .body = body};
  const auth::ApiSignatureError signature =
      auth::check_pusher_api_signature(signed_request, app->key, app->secret, clock_.unix_seconds(), message);
  if (signature != auth::ApiSignatureError::none) {
    error(res, signature == auth::ApiSignatureError::malformed ? 400 : 401, message);
    co_return;
  }

  if (events || batch) {
    co_await trigger(*app, body, batch, res);
    co_return;
  }
  if (rest.starts_with("users/")) {
    // users/{user}/terminate_connections ("users/terminate_connections" names no user: "")
    constexpr std::size_t kAround = std::string_view("users//terminate_connections").size();
    const std::string_view user = rest.size() < kAround ? std::string_view() : rest.substr(6, rest.size() - kAround);
    co_await terminate(*app, user, res);
    co_return;
  }
  co_await channel_query(*app, rest, query, res);
}

namespace {

// Whether Pusher's `info` (a comma-separated list) asks for `attribute`.
bool asks(const std::optional<std::string>& info, std::string_view attribute) {
  if (!info) return false;
  std::string_view list = *info;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (list.substr(0, comma) == attribute) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

constexpr std::string_view kCensusFailed =
    "Not every node answered with its subscriptions in time (or the store is unreachable): try again.";
constexpr std::string_view kUserCountOfPresenceOnly =
    "user_count is only given for presence channels: ask with filter_by_prefix=presence-.";

void ok_json(http::Response& res) {
  res.status = 200;
  res.content_type = "application/json";
}

}  // namespace

boost::asio::awaitable<void> HttpApi::channel_query(const App& app, std::string_view rest, std::string_view query,
                                                    http::Response& res) {
  // channels, channels/{name}, channels/{name}/users
  const std::optional<std::string> info = auth::pusher_query_parameter(query, "info");
  if (rest == "channels") {
    co_await channel_list(app, auth::pusher_query_parameter(query, "filter_by_prefix").value_or(""), info, res);
    co_return;
  }
  std::string_view name = rest.substr(std::string_view("channels/").size());
  const bool users = name.ends_with("/users");
  if (users) name.remove_suffix(std::string_view("/users").size());
  const ChannelKind kind = channel_kind(name);
  if (kind == ChannelKind::invalid) {
    error(res, 400, "Invalid channel name.");
    co_return;
  }
  if (kind != ChannelKind::presence && (users || asks(info, "user_count"))) {
    error(res, 400, users ? "Users can only be retrieved for presence channels." : kUserCountOfPresenceOnly);
    co_return;
  }
  std::size_t subscriptions = 0;
  if (asks(info, "subscription_count") || kind != ChannelKind::presence) {
    // The sockets subscribed on every node (a census: fanout/named_channels.hpp).
    const std::string key = channel_key(app, name);
    const std::optional<fanout::ChannelCounts> counts = co_await channels_.counts(key);
    if (!counts) {
      error(res, 503, kCensusFailed);
      co_return;
    }
    if (const auto it = counts->find(key); it != counts->end()) subscriptions = it->second;
  }
  if (kind != ChannelKind::presence) {
    ok_json(res);
    res.body.assign(subscriptions ? R"({"occupied":true)" : R"({"occupied":false)");
    if (asks(info, "subscription_count")) res.body.append(R"(,"subscription_count":)").append(std::to_string(subscriptions));
    res.body.push_back('}');
    co_return;
  }
  // A presence channel's members are its record's viewers, however they came (a Pusher
  // subscription, a native socket, an HTTP heartbeat).
  const ChannelRecord record = records_.record_of(app, name);
  std::vector<presence::Viewer> viewers;
  const service::Outcome outcome = co_await service_.viewers(record.ref(), nullptr, viewers);
  if (outcome != service::Outcome::ok) {
    error(res, 503, service::text_of(outcome).http_message);
    co_return;
  }
  ok_json(res);
  if (users) {
    res.body.assign(R"({"users":[)");
    for (std::size_t i = 0; i < viewers.size(); ++i) {
      if (i) res.body.push_back(',');
      res.body.append(R"({"id":)");
      presence::append_json_string(res.body, viewers[i].id);
      res.body.push_back('}');
    }
    res.body.append("]}");
    co_return;
  }
  res.body.assign(viewers.empty() ? R"({"occupied":false)" : R"({"occupied":true)");
  if (asks(info, "user_count")) res.body.append(R"(,"user_count":)").append(std::to_string(viewers.size()));
  if (asks(info, "subscription_count")) res.body.append(R"(,"subscription_count":)").append(std::to_string(subscriptions));
  res.body.push_back('}');
}

boost::asio::awaitable<void> HttpApi::channel_list(const App& app, std::string prefix,
                                                   std::optional<std::string> info, http::Response& res) {
  const bool user_count = asks(info, "user_count"), subscription_count = asks(info, "subscription_count");
  if (user_count && !std::string_view(prefix).starts_with("presence-")) {
    error(res, 400, kUserCountOfPresenceOnly);
    co_return;
  }
  // The occupied channels: those with a subscription on some node.
  const std::string app_prefix = channel_key(app, "");
  const std::optional<fanout::ChannelCounts> counts = co_await channels_.counts(app_prefix + prefix);
  if (!counts) {
    error(res, 503, kCensusFailed);
    co_return;
  }
  struct Listed {
    std::string_view name;
    std::size_t subscriptions;
  };
  std::vector<Listed> listed;
  for (const auto& [key, n] : *counts) {
    const std::string_view name = std::string_view(key).substr(app_prefix.size());
    const ChannelKind kind = channel_kind(name);
    // A signed-in user's own channel and the server's lines are not the app's channels.
    if (kind == ChannelKind::invalid || kind == ChannelKind::user) continue;
    listed.push_back({name, n});
  }
  std::vector<std::vector<presence::Viewer>> viewers;
  if (user_count) {
    std::vector<ChannelRecord> records;
    records.reserve(listed.size());
    for (const Listed& l : listed) records.push_back(records_.record_of(app, l.name));
    std::vector<presence::RecordRef> refs;
    refs.reserve(records.size());
    for (const ChannelRecord& r : records) refs.push_back(r.ref());
    const service::Outcome outcome = co_await service_.viewers_of(refs, viewers);
    if (outcome != service::Outcome::ok) {
      error(res, 503, service::text_of(outcome).http_message);
      co_return;
    }
  }
  ok_json(res);
  res.body.assign(R"({"channels":{)");
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (i) res.body.push_back(',');
    presence::append_json_string(res.body, listed[i].name);
    res.body.append(":{");
    if (user_count) res.body.append(R"("user_count":)").append(std::to_string(i < viewers.size() ? viewers[i].size() : 0));
    if (subscription_count) {
      if (user_count) res.body.push_back(',');
      res.body.append(R"("subscription_count":)").append(std::to_string(listed[i].subscriptions));
    }
    res.body.push_back('}');
  }
  res.body.append("}}");
}

boost::asio::awaitable<void> HttpApi::trigger(const App& app, std::string_view body, bool batch,
                                              http::Response& res) {
  std::string message;
  std::vector<ApiEvent> list;
  ApiBodyStatus status;
  if (batch) {
    status = read_batch_body(body, kMaxApiEventData, list, message);
  } else {
    list.resize(1);
    status = read_events_body(body, kMaxApiEventData, list.front(), message);
  }
  if (status != ApiBodyStatus::ok) {
    error(res, status == ApiBodyStatus::too_large ? 413 : 400, message);
    co_return;
  }
  // Checked whole before any is sent: a refused request delivers nothing.
  for (const ApiEvent& e : list) {
    // A socket_id that names no connection leaves nobody out (Pusher ignores it too).
    const fanout::SocketRef except = fanout::parse_socket_id(e.socket_id).value_or(fanout::SocketRef{});
    for (const std::string& channel : e.channels) {
      // One frame per channel (it names the channel), shared by all its subscribers.
      auto frame = std::make_shared<const std::string>(event_frame(e.name, channel, e.data));
      const bool sent = co_await channels_.publish_acknowledged(channel_key(app, channel), std::move(frame), except);
      if (!sent) {
        // What went before this channel was sent: Pusher's clients retry a 5xx whole, and
        // a subscriber may then see those events twice, never none.
        error(res, 503, "The event could not be sent to the other nodes: the store is unreachable.");
        co_return;
      }
    }
  }
  accepted(res);
}

boost::asio::awaitable<void> HttpApi::terminate(const App& app, std::string_view user_id, http::Response& res) {
  if (!is_user_id(user_id)) {
    error(res, 400, "A user id is at most 148 characters of A-Z a-z 0-9 _ - = @ , . ;");
    co_return;
  }
  // Every socket signed in as the user, on every node, hears it (session.hpp's UserLine).
  const bool sent = co_await channels_.publish_acknowledged(
      channel_key(app, std::string(kTerminatePrefix) + std::string(user_id)), std::make_shared<const std::string>());
  if (!sent) {
    error(res, 503, "The termination could not be sent to the other nodes: the store is unreachable.");
    co_return;
  }
  accepted(res);
}

}  // namespace presenced::pusher
