#include "http/router.hpp"

#include "presence/identity.hpp"
#include "presence/validation.hpp"

#include <boost/url/pct_string_view.hpp>

namespace presenced::http {
namespace {

constexpr std::string_view kPresencePrefix = "/api/v1/presence/";
constexpr std::string_view kServerPresencePrefix = "/api/v1/server/presence/";

RouteMatch allow_only(RouteMatch m, Method method, std::string_view allow, Method a, Method b = Method::other) {
  m.allow = allow;
  m.method_allowed = method == a || (b != Method::other && method == b);
  return m;
}

}  // namespace

std::string decoded_user_id(std::string_view encoded) {
  const auto pct = boost::urls::make_pct_string_view(encoded);
  return pct ? pct->decode() : std::string();
}

Method parse_method(std::string_view v) {
  if (v == "GET") return Method::get;
  if (v == "POST") return Method::post;
  if (v == "DELETE") return Method::del;
  if (v == "HEAD") return Method::head;
  if (v == "PUT") return Method::put;
  if (v == "PATCH") return Method::patch;
  if (v == "OPTIONS") return Method::options;
  return Method::other;
}

std::string_view method_name(Method m) {
  switch (m) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::other: break;
  }
  return "UNKNOWN";
}

RouteMatch match_route(Method method, std::string_view target, bool dev_routes, bool server_routes,
                       bool pusher_routes) {
  RouteMatch m;
  const std::size_t question = target.find('?');
  m.path = target.substr(0, question);
  if (question != std::string_view::npos) m.query = target.substr(question + 1);
  std::string_view path = m.path;

  if (path == "/metrics") {
    m.route = Route::metrics;
    return allow_only(m, method, "GET", Method::get);
  }
  if (path == "/healthz" || path == "/readyz") {
    m.route = path == "/healthz" ? Route::healthz : Route::readyz;
    return allow_only(m, method, "GET", Method::get);
  }
  // The browser library, and with --dev the demo page.
  if (path.starts_with("/presence/") && path.size() > 10 && path.find('/', 10) == std::string_view::npos) {
    m.route = Route::asset;
    m.asset = path.substr(10);
    return allow_only(m, method, "GET", Method::get);
  }
  if (dev_routes && path == "/") {
    m.route = Route::asset;
    m.asset = "demo.html";
    return allow_only(m, method, "GET", Method::get);
  }
  if (server_routes && path.starts_with(kServerPresencePrefix)) {
    std::string_view rest = path.substr(kServerPresencePrefix.size());
    if (rest == "query") {
      m.route = Route::server_query;
      return allow_only(m, method, "POST", Method::post);
    }
    // users/{tenant}/{user}: any user id a token can carry (a string of 1 to 128 bytes,
    // or a number), percent-encoded in the path: `+`, spaces, `/` (as %2F) and non-ASCII
    // ids can all be logged out. The handler decodes it (decoded_user_id).
    if (rest.starts_with("users/")) {
      rest.remove_prefix(6);
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos) return m;
      const std::string_view tenant = rest.substr(0, slash), user = rest.substr(slash + 1);
      const auto encoded = boost::urls::make_pct_string_view(user);
      const bool user_ok = encoded && user.find('/') == std::string_view::npos && encoded->decoded_size() >= 1 &&
                           encoded->decoded_size() <= presence::kMaxUserIdBytes;
      if (!presence::is_valid_segment(tenant) || !user_ok) return m;
      m.route = Route::server_remove_user;
      m.tenant = tenant;
      m.user_id = user;
      return allow_only(m, method, "DELETE", Method::del);
    }
    // {tenant}/{type}/{id}
    const auto s1 = rest.find('/');
    const auto s2 = s1 == std::string_view::npos ? s1 : rest.find('/', s1 + 1);
    if (s2 == std::string_view::npos) return m;
    const std::string_view tenant = rest.substr(0, s1), type = rest.substr(s1 + 1, s2 - s1 - 1), id = rest.substr(s2 + 1);
    if (!presence::is_valid_segment(tenant) || !presence::is_valid_segment(type) || !presence::is_valid_segment(id)) {
      return m;
    }
    m.route = Route::server_record;
    m.tenant = tenant;
    m.record_type = type;
    m.record_id = id;
    return allow_only(m, method, "GET", Method::get);
  }
  if (pusher_routes && path.starts_with("/app/")) {
    const std::string_view key = path.substr(5);
    if (!presence::is_valid_segment(key)) return m;
    m.route = Route::pusher_websocket;
    m.app_key = key;
    return allow_only(m, method, "GET", Method::get);
  }
  // The Pusher HTTP API: its paths, methods and errors are the API's own.
  if (pusher_routes && path.starts_with("/apps/")) {
    m.route = Route::pusher_api;
    return allow_only(m, method, "GET, POST", Method::get, Method::post);
  }
  if (dev_routes && path == "/api/v1/dev/token") {
    m.route = Route::dev_token;
    return allow_only(m, method, "POST", Method::post);
  }
  if (!path.starts_with(kPresencePrefix)) return m;
  if (path == "/api/v1/presence/ws") {
    m.route = Route::websocket;
    return allow_only(m, method, "GET", Method::get);
  }

  // {type}/{id}/{action}
  std::string_view rest = path.substr(kPresencePrefix.size());
  auto s1 = rest.find('/');
  if (s1 == std::string_view::npos) return m;
  auto s2 = rest.find('/', s1 + 1);
  if (s2 == std::string_view::npos) return m;
  std::string_view type = rest.substr(0, s1);
  std::string_view id = rest.substr(s1 + 1, s2 - s1 - 1);
  std::string_view action = rest.substr(s2 + 1);
  if (!presence::is_valid_segment(type) || !presence::is_valid_segment(id)) return m;
  m.record_type = type;
  m.record_id = id;

  if (action == "heartbeat") {
    m.route = Route::heartbeat;
    return allow_only(m, method, "POST", Method::post);
  }
  if (action == "viewers") {
    m.route = Route::viewers;
    return allow_only(m, method, "GET", Method::get);
  }
  if (action == "unregister") {
    // POST too: navigator.sendBeacon can only POST.
    m.route = Route::unregister;
    return allow_only(m, method, "DELETE, POST", Method::del, Method::post);
  }
  if (action == "saved") {
    m.route = Route::saved;
    return allow_only(m, method, "POST", Method::post);
  }
  m.record_type = m.record_id = {};
  return m;
}

}  // namespace presenced::http
