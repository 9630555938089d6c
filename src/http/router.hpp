#pragma once
// Which endpoint a request names. Path parameters are checked here ([A-Za-z0-9_-]{1,64}):
// a path that would not make a safe key is simply not a route (404).

#include <string>
#include <string_view>

namespace presenced::http {

enum class Method { get, head, post, put, patch, del, options, other };

enum class Route {
  not_found, healthz, readyz, heartbeat, viewers, unregister, saved, websocket, asset, dev_token, metrics,
  server_query, server_record, server_remove_user, pusher_websocket, pusher_api,
};

// Every route's name, indexed by Route: the `route` label of GET /metrics.
inline constexpr std::string_view kRouteNames[] = {"none",  "healthz",   "readyz",   "heartbeat",
                                                   "viewers", "unregister", "saved", "websocket",
                                                   "asset", "dev_token", "metrics", "server_query", "server_record",
                                                   "server_remove_user", "pusher_websocket", "pusher_api"};

struct RouteMatch {
  Route route = Route::not_found;
  bool method_allowed = false;
  std::string_view allow;        // the Allow header for 405
  std::string_view path;         // without the query string
  std::string_view query;        // after the '?', if any
  std::string_view record_type;  // presence routes only
  std::string_view record_id;
  std::string_view tenant;       // server routes: the tenant in the path
  std::string_view user_id;      // server_remove_user: percent-encoded, as in the path
  std::string_view asset;        // Route::asset: the file's name
  std::string_view app_key;      // Route::pusher_websocket: /app/{key}
};

// `dev_routes`: whether /api/v1/dev/* exists (only with --dev); `server_routes`: whether
// /api/v1/server/* does (only with --server-key); `pusher_routes`: whether the Pusher
// endpoints (/app/{key}, and the HTTP API under /apps/) do (only with --pusher-app; the key,
// the app id and the rest of an API path are checked by the endpoint).
RouteMatch match_route(Method method, std::string_view target, bool dev_routes, bool server_routes = false,
                       bool pusher_routes = false);

// A matched server_remove_user's user id, percent-decoded.
std::string decoded_user_id(std::string_view encoded);

Method parse_method(std::string_view verb);
std::string_view method_name(Method m);

}  // namespace presenced::http
