#pragma once
// The Pusher HTTP API (/apps/{id}/...) that the host app's backend calls: Laravel's
// `pusher` and `reverb` broadcasters, the `pusher` SDKs. Each request is signed with the
// app's secret (auth/pusher_api_signature.hpp) and checked before anything else; a
// trigger's events go to the app's channels on every node through fanout::NamedChannels,
// each frame made once, and are acknowledged once the store has taken them. Errors are Pusher's statuses with a JSON body {"error": ".."}.
// Served on every server thread at once: it holds nothing mutable of its own.

#include "fanout/named_channels.hpp"
#include "http/mounted_api.hpp"
#include "presence/clock.hpp"
#include "pusher/apps.hpp"
#include "pusher/pusher_options.hpp"
#include "pusher/record_channel.hpp"
#include "service/presence_service.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace presenced::pusher {

// Pusher's limit on one event's data.
inline constexpr std::size_t kMaxApiEventData = 10 * 1024;

class HttpApi final : public http::MountedApi {
 public:
  // `records` and `service`: a presence channel's members are its record's viewers.
  HttpApi(const Apps& apps, fanout::NamedChannels& channels, const presence::Clock& clock,
          const RecordChannels& records, service::PresenceService& service);

  std::size_t max_body_bytes() const override;
  boost::asio::awaitable<void> handle(http::Method method, std::string_view path, std::string_view query,
                                      std::string_view body, http::Response& res) override;

 private:
  boost::asio::awaitable<void> trigger(const App& app, std::string_view body, bool batch, http::Response& res);
  // POST /apps/{id}/users/{user}/terminate_connections: every socket signed in as the user.
  boost::asio::awaitable<void> terminate(const App& app, std::string_view user_id, http::Response& res);

  // GET /apps/{id}/channels/{name}[/users]: a channel's state, a presence channel's users,
  // counted across nodes.
  boost::asio::awaitable<void> channel_query(const App& app, std::string_view rest, std::string_view query,
                                             http::Response& res);
  // GET /apps/{id}/channels: the occupied channels whose names start with `prefix`.
  boost::asio::awaitable<void> channel_list(const App& app, std::string prefix, std::optional<std::string> info,
                                            http::Response& res);

  const Apps& apps_;
  fanout::NamedChannels& channels_;
  const presence::Clock& clock_;
  const RecordChannels& records_;
  service::PresenceService& service_;
};

}  // namespace presenced::pusher
