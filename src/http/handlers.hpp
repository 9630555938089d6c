#pragma once
// The presence endpoints, between the HTTP session (bytes, Beast) and the presence service
// (rules): each parses, calls the service, and writes what it answers.
// A request passes through admit() before its body is read and handle() after, so the
// checks run in the host app's (Laravel's) order: route 404, method 405, token 401,
// rate limit 429, body size 413, JSON 400, validation 422. A refused request changes nothing.

#include "auth/authenticator.hpp"
#include "auth/server_key.hpp"
#include "http/mounted_api.hpp"
#include "http/request_arena.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "presence/clock.hpp"
#include "presence/scratch.hpp"
#include "service/presence_service.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace presenced::http {

// What admit() needs of a request head.
struct RequestHead {
  Method method = Method::other;
  std::string_view target;
  std::string_view authorization;
  std::optional<std::uint64_t> content_length;
  std::string_view origin;            // for CORS
  std::string_view preflight_method;  // Access-Control-Request-Method: a CORS preflight
};

// One request's state between admit() and handle().
struct Exchange {
  RouteMatch route;
  Method method = Method::other;  // kept for the routes that answer several (the Pusher API)
  presence::Identity identity;  // owned: valid across the awaits of this request
};

// What a connection keeps across its requests, so a steady stream of requests allocates
// nothing once the first few have sized it.
struct ConnectionScratch {
  std::vector<presence::Viewer> viewers;
  // After each request: a large room's list (past presence::kScratchKept entries) is given
  // back once its answer is written, not kept for the connection's life.
  void trim() { presence::release_if_large(viewers); }
};

// GET /viewers?limit=N&offset=M: the largest page, and the furthest start.
inline constexpr std::size_t kMaxViewerPage = presence::kMaxListed;
inline constexpr std::size_t kMaxViewerOffset = 1'000'000;

struct HandlerOptions {
  bool dev = false;
  std::int64_t dev_token_ttl_s = 12 * 3600;
  std::size_t max_body_bytes = 64 * 1024;
  std::vector<std::string> cors_origins;  // exact origins ("https://app.example.com"); empty: no CORS
  std::string server_key;  // the bearer secret of /api/v1/server/*; empty: no server API
  // With --pusher-app: the Pusher HTTP API (/apps/...); the Pusher WebSocket (/app/{key})
  // is routed when it is set.
  MountedApi* pusher_api = nullptr;
};

class PresenceHandlers {
 public:
  PresenceHandlers(HandlerOptions options, service::PresenceService& service, const auth::JwtCodec& codec,
                   const presence::Clock& clock)
      : options_(std::move(options)),
        server_key_(std::exchange(options_.server_key, {})),
        service_(service),
        codec_(codec),
        clock_(clock) {}

  // Route, method, token, rate limit, declared body size. Returns false when `res` already
  // holds the answer (the body is then not read).
  bool admit(const RequestHead& head, auth::Authenticator& authenticator, Exchange& ex, Response& res);

  std::size_t max_body_bytes() const { return options_.max_body_bytes; }
  // A route's own limit (the Pusher API's batches are larger than presence bodies).
  std::size_t max_body_bytes(Route route) const {
    return route == Route::pusher_api ? options_.pusher_api->max_body_bytes() : options_.max_body_bytes;
  }

  // Runs the endpoint on the body.
  boost::asio::awaitable<void> handle(const Exchange& ex, std::string_view body, RequestArena& arena,
                                      ConnectionScratch& scratch, Response& res);

 private:
  // The routes that answer without the store.
  boost::asio::awaitable<void> answer_at_once(const Exchange& ex, std::string_view body, RequestArena& arena,
                                              Response& res);
  boost::asio::awaitable<void> heartbeat(const Exchange& ex, std::string_view body, RequestArena& arena,
                                         Response& res);
  boost::asio::awaitable<void> unregister(const Exchange& ex, std::string_view body, RequestArena& arena,
                                          Response& res);
  boost::asio::awaitable<void> viewers(const Exchange& ex, ConnectionScratch& scratch, Response& res);
  boost::asio::awaitable<void> saved(const Exchange& ex, std::string_view body, RequestArena& arena, Response& res);
  void dev_token(std::string_view body, RequestArena& arena, Response& res);
  boost::asio::awaitable<void> server_query(std::string_view body, RequestArena& arena, Response& res);
  boost::asio::awaitable<void> server_record(const Exchange& ex, ConnectionScratch& scratch, Response& res);
  boost::asio::awaitable<void> server_remove_user(const Exchange& ex, Response& res);
  // Adds the CORS headers for `origin`; false for an origin not listed.
  bool cors(std::string_view origin, Response& res) const;

  HandlerOptions options_;
  auth::ServerKey server_key_;  // only its digest: the key itself is not kept
  service::PresenceService& service_;
  const auth::JwtCodec& codec_;
  const presence::Clock& clock_;
};

}  // namespace presenced::http
