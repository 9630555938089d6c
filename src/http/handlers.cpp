#include "http/handlers.hpp"

#include "http/assets.hpp"
#include "http/envelope.hpp"
#include "http/server_api.hpp"
#include "presence/validation.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <optional>

namespace presenced::http {
namespace {

using presence::RecordRef;

RecordRef record_of(const Exchange& ex) {
  return {ex.identity.user->tenant, ex.route.record_type, ex.route.record_id};
}

void malformed_json(Response& res) { envelope::error(res, 400, "The request body is not valid JSON."); }

// Whether a body read as valid; otherwise `res` holds the 400 or the 422.
bool accepted(presence::BodyStatus status, const presence::ValidationErrors& errors, Response& res) {
  switch (status) {
    case presence::BodyStatus::malformed: malformed_json(res); return false;
    case presence::BodyStatus::invalid: envelope::validation_error(res, errors); return false;
    case presence::BodyStatus::valid: break;
  }
  return true;
}

// Parses `body` into a document in `out`'s storage (the request's arena), for the dev
// token endpoint; the presence endpoints read their bodies without a document
// (presence/json_fields.hpp). An empty body is an empty input, not malformed JSON.
bool parse_json(std::string_view body, boost::json::value& out, Response& res) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out.emplace_null();
    return true;
  }
  boost::system::error_code ec;
  out = boost::json::parse(body, ec, out.storage());  // same storage: a move, no copy
  if (ec) {
    malformed_json(res);
    return false;
  }
  return true;
}


// The value of `name` in a query string, or empty. Tokens are base64url and dots, and
// page numbers digits, so they need no percent-decoding.
std::string_view query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

bool PresenceHandlers::cors(std::string_view origin, Response& res) const {
  res.add_header("Vary", "Origin");  // answers differ by origin: caches must know
  for (const std::string& allowed : options_.cors_origins) {
    if (origin == allowed) {
      res.add_stable_header("Access-Control-Allow-Origin", allowed);
      res.add_stable_header("Access-Control-Expose-Headers",
                            "X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining");
      return true;
    }
  }
  return false;
}

bool PresenceHandlers::admit(const RequestHead& head, auth::Authenticator& authenticator, Exchange& ex,
                             Response& res) {
  ex.route = match_route(head.method, head.target, options_.dev, server_key_.configured(),
                         options_.pusher_api != nullptr);
  const RouteMatch& m = ex.route;
  if (m.route == Route::not_found) {
    envelope::error(res, 404, "Not found.");
    return false;
  }
  // Cross-origin browsers (--cors-origin): the listed origins get the headers, and a
  // preflight is answered here, before any token (browsers send none with it).
  if (!options_.cors_origins.empty()) {
    const bool allowed = cors(head.origin, res);
    if (head.method == Method::options && !head.preflight_method.empty()) {
      if (!allowed) {
        envelope::error(res, 403, "The origin is not allowed.");
        return false;
      }
      res.status = 204;
      res.add_stable_header("Access-Control-Allow-Methods", m.allow);
      res.add_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id");
      res.add_header("Access-Control-Max-Age", 600);
      return false;
    }
  }
  if (!m.method_allowed) {
    std::string msg = "The " + std::string(method_name(head.method)) + " method is not supported for route " +
                      std::string(m.path.substr(1)) + ". Supported methods: " + std::string(m.allow) + ".";
    envelope::error(res, 405, msg);
    res.add_header("Allow", m.allow);
    return false;
  }

  // A WebSocket may carry its token in the URL (browsers cannot set headers on one); a bad
  // one is refused here, before the upgrade. Without one, the socket authenticates with
  // its first message.
  // The Pusher endpoint's sockets are anonymous: its channels carry their own signatures.
  if (m.route == Route::pusher_websocket) return true;
  // The Pusher HTTP API checks its own signatures (which cover the body): only its size here.
  if (m.route == Route::pusher_api) {  // routed only when there is one
    if (head.content_length && *head.content_length > max_body_bytes(m.route)) {
      envelope::body_too_large(res, max_body_bytes(m.route));
      res.close = true;
      return false;
    }
    ex.method = head.method;
    return true;
  }
  if (m.route == Route::websocket) {
    std::string_view token = query_param(m.query, "token");
    if (!token.empty() && authenticator.authenticate_token(token, ex.identity, auth::Authenticator::Remember::no) !=
                              auth::TokenError::none) {
      envelope::error(res, 401, "Unauthenticated.");
      return false;
    }
    return true;
  }

  // The host app's own calls: the server key, not a user token, and no per-user limit.
  const bool server_route =
      m.route == Route::server_query || m.route == Route::server_record || m.route == Route::server_remove_user;
  if (server_route && !server_key_.admits(head.authorization)) {
    envelope::error(res, 401, "Unauthenticated.");
    res.add_header("WWW-Authenticate", "Bearer");
    return false;
  }

  const bool needs_identity = m.route == Route::heartbeat || m.route == Route::viewers ||
                              m.route == Route::unregister || m.route == Route::saved;
  if (needs_identity) {
    if (auth::TokenError e = authenticator.authenticate_header(head.authorization, ex.identity);
        e != auth::TokenError::none) {
      envelope::error(res, 401, "Unauthenticated.");
      res.add_header("WWW-Authenticate", "Bearer");
      return false;
    }
    if (service_.rate_limited()) {
      service::ThrottleDecision d;
      const service::Outcome charged = service_.charge(*ex.identity.user, service::Transport::http, &d);
      res.add_header("X-RateLimit-Limit", static_cast<std::int64_t>(d.limit));
      res.add_header("X-RateLimit-Remaining", static_cast<std::int64_t>(d.remaining));
      if (charged != service::Outcome::ok) {
        envelope::outcome(res, charged);
        res.add_header("Retry-After", d.retry_after_s);
        res.add_header("X-RateLimit-Reset", d.reset_unix);
        return false;
      }
    }
    // The token's scope (if it has one) must cover the record; answered before the body
    // is read, like any refusal.
    if (const service::Outcome admitted = service_.admit(*ex.identity.user, record_of(ex));
        admitted != service::Outcome::ok) {
      envelope::outcome(res, admitted);
      return false;
    }
  }

  if (head.content_length && *head.content_length > options_.max_body_bytes) {
    envelope::body_too_large(res, options_.max_body_bytes);
    res.close = true;  // the body is not read, so the connection cannot carry another request
    return false;
  }
  return true;
}

// Not a coroutine itself: it hands back the route's own, so a request pays for one frame
// (the endpoint's), not two.
boost::asio::awaitable<void> PresenceHandlers::handle(const Exchange& ex, std::string_view body,
                                                      RequestArena& arena, ConnectionScratch& scratch,
                                                      Response& res) {
  switch (ex.route.route) {
    case Route::heartbeat: return heartbeat(ex, body, arena, res);
    case Route::viewers: return viewers(ex, scratch, res);
    case Route::unregister: return unregister(ex, body, arena, res);
    case Route::saved: return saved(ex, body, arena, res);
    case Route::server_query: return server_query(body, arena, res);
    case Route::server_record: return server_record(ex, scratch, res);
    case Route::server_remove_user: return server_remove_user(ex, res);
    case Route::pusher_api: return options_.pusher_api->handle(ex.method, ex.route.path, ex.route.query, body, res);
    default: return answer_at_once(ex, body, arena, res);
  }
}

boost::asio::awaitable<void> PresenceHandlers::answer_at_once(const Exchange& ex, std::string_view body,
                                                              RequestArena& arena, Response& res) {
  switch (ex.route.route) {
    case Route::healthz: envelope::health(res, true); break;  // liveness: the process answers
    case Route::readyz: envelope::health(res, service_.store().ready()); break;
    case Route::websocket:  // an upgrade never gets here (the server hands it over)
    case Route::pusher_websocket:
      envelope::error(res, 426, "This endpoint speaks WebSocket only: send an Upgrade request.");
      res.add_header("Upgrade", "websocket");
      break;
    case Route::dev_token: dev_token(body, arena, res); break;
    case Route::asset:
      if (const Asset* asset = find_asset(ex.route.asset)) {
        res.status = 200;
        res.content_type = asset->content_type;
        res.body.assign(asset->bytes);
        res.add_header("Cache-Control", "no-cache");
      } else {
        envelope::error(res, 404, "Not found.");
      }
      break;
    case Route::metrics:
      res.status = 200;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      metrics::render(res.body, {.routes = kRouteNames, .token_errors = auth::kTokenErrorNames},
                      service_.store().live_counts());
      break;
    default: envelope::error(res, 404, "Not found."); break;
  }
  co_return;
}

namespace {
// A presence endpoint's answer: success as `ok` writes it, or the service's refusal.
template <class Ok>
void answer(Response& res, service::Outcome outcome, Ok ok) {
  if (outcome == service::Outcome::ok) ok();
  else envelope::outcome(res, outcome);
}
}  // namespace

boost::asio::awaitable<void> PresenceHandlers::heartbeat(const Exchange& ex, std::string_view body,
                                                         RequestArena& arena, Response& res) {
  presence::HeartbeatBody& heartbeat = arena.make_body<presence::HeartbeatBody>();  // the input's views point into it
  presence::ValidationErrors errors;
  if (!accepted(presence::read_heartbeat(body, heartbeat, errors), errors, res)) co_return;
  // Results are bound to a local before they are tested: g++ 12 miscompiles co_await
  // inside a condition.
  const service::Outcome outcome = co_await service_.heartbeat(record_of(ex), ex.identity.user, heartbeat.input);
  answer(res, outcome, [&] { envelope::success_registered(res); });
}

boost::asio::awaitable<void> PresenceHandlers::unregister(const Exchange& ex, std::string_view body,
                                                          RequestArena& arena, Response& res) {
  presence::UnregisterBody& unregister = arena.make_body<presence::UnregisterBody>();
  presence::ValidationErrors errors;
  if (!accepted(presence::read_unregister(body, unregister, errors), errors, res)) co_return;
  // A page going away (pagehide) that may come back (a reload) asks for the grace: its
  // tab leaves later unless it is heard from again meanwhile.
  if (unregister.grace) {
    service_.leave_later(co_await boost::asio::this_coro::executor, record_of(ex), ex.identity.user, unregister.tab_id);
    envelope::success_unregistered(res);
    co_return;
  }
  const service::Outcome outcome = co_await service_.unregister(record_of(ex), *ex.identity.user, unregister.tab_id);
  answer(res, outcome, [&] { envelope::success_unregistered(res); });
}

namespace {
// A whole number within [least, most], digits only, or nothing.
std::optional<std::size_t> read_count(std::string_view text, std::size_t least, std::size_t most) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < least || value > most) return std::nullopt;
  return value;
}

// ?limit=N&offset=M, both optional (without them: the whole list).
bool read_page(std::string_view query, service::ViewerPage& page, presence::ValidationErrors& errors) {
  if (std::string_view limit = query_param(query, "limit"); !limit.empty()) {
    if (auto n = read_count(limit, 1, kMaxViewerPage)) page.limit = *n;
    else errors.add("limit", "The limit field must be an integer between 1 and " + std::to_string(kMaxViewerPage) + ".");
  }
  if (std::string_view offset = query_param(query, "offset"); !offset.empty()) {
    if (auto n = read_count(offset, 0, kMaxViewerOffset)) page.offset = *n;
    else errors.add("offset", "The offset field must be an integer between 0 and " + std::to_string(kMaxViewerOffset) + ".");
  }
  return errors.empty();
}
}  // namespace

boost::asio::awaitable<void> PresenceHandlers::viewers(const Exchange& ex, ConnectionScratch& scratch,
                                                       Response& res) {
  service::ViewerPage page;
  if (!ex.route.query.empty()) {
    presence::ValidationErrors errors;
    if (!read_page(ex.route.query, page, errors)) {
      envelope::validation_error(res, errors);
      co_return;
    }
  }
  presence::Totals totals;
  const service::Outcome outcome =
      co_await service_.viewers_page(record_of(ex), *ex.identity.user, page, scratch.viewers, totals);
  answer(res, outcome, [&] { envelope::success_viewers(res, scratch.viewers, totals); });
}

boost::asio::awaitable<void> PresenceHandlers::saved(const Exchange& ex, std::string_view body, RequestArena& arena,
                                                     Response& res) {
  presence::SavedBody& saved = arena.make_body<presence::SavedBody>();
  presence::ValidationErrors errors;
  if (!accepted(presence::read_saved(body, saved, errors), errors, res)) co_return;
  const service::Outcome outcome = co_await service_.saved(record_of(ex), ex.identity.user, saved.lock_version);
  answer(res, outcome, [&] { envelope::success_saved(res); });
}

void PresenceHandlers::dev_token(std::string_view body, RequestArena& arena, Response& res) {
  boost::json::monotonic_resource json_memory(arena.json_buffer(), arena.json_size());
  boost::json::value json(&json_memory);
  if (!parse_json(body, json, res)) return;
  const auto* obj = json.if_object();
  auto field = [&](std::string_view name) -> const boost::json::value* {
    const auto* v = obj ? obj->if_contains(name) : nullptr;
    return v && !v->is_null() ? v : nullptr;
  };

  presence::ValidationErrors errors;
  auth::TokenClaims claims;
  const auto* user_id = field("user_id");
  if (!user_id) {
    errors.add("user_id", "The user id field is required.");
  } else if (user_id->is_int64() || user_id->is_uint64()) {
    claims.user_id = user_id->is_int64() ? std::to_string(user_id->get_int64()) : std::to_string(user_id->get_uint64());
    claims.user_id_is_number = true;
  } else if (user_id->is_string() && !user_id->get_string().empty() && user_id->get_string().size() <= 128) {
    claims.user_id.assign(user_id->get_string());
  } else {
    errors.add("user_id", "The user id field must be an integer or a string of 1 to 128 characters.");
  }

  const auto* name = field("name");
  if (!name || (name->is_string() && name->get_string().empty())) {
    errors.add("name", "The name field is required.");
  } else if (!name->is_string() || name->get_string().size() > 255) {
    errors.add("name", "The name field must be a string of at most 255 characters.");
  } else {
    claims.name.assign(name->get_string());
  }

  if (const auto* avatar = field("avatar_url")) {
    if (!avatar->is_string() || !presence::is_usable_avatar_url(avatar->get_string())) {
      errors.add("avatar_url", "The avatar url field must be an http(s) URL, a path or a data:image URL of at most 1024 characters.");
    } else {
      claims.avatar_url.assign(avatar->get_string());
    }
  }

  read_tenant_id(field("tenant_id"), claims.tenant, claims.tenant_is_number, errors);

  if (!errors.empty()) {
    envelope::validation_error(res, errors);
    return;
  }
  claims.issued_at = clock_.unix_seconds();
  claims.expires_at = claims.issued_at + options_.dev_token_ttl_s;
  envelope::success_token(res, codec_.sign(claims));
}

boost::asio::awaitable<void> PresenceHandlers::server_query(std::string_view body, RequestArena& arena,
                                                            Response& res) {
  boost::json::monotonic_resource json_memory(arena.json_buffer(), arena.json_size());
  boost::json::value json(&json_memory);
  if (!parse_json(body, json, res)) co_return;
  BulkQuery query;
  presence::ValidationErrors errors;
  read_bulk_query(json, query, errors);
  if (!errors.empty()) {
    envelope::validation_error(res, errors);
    co_return;
  }
  std::vector<presence::RecordRef> records;
  records.reserve(query.records.size());
  for (const auto& [type, id] : query.records) records.push_back({query.tenant, type, id});
  std::vector<std::vector<presence::Viewer>> viewers;
  const service::Outcome outcome = co_await service_.viewers_of(records, viewers);
  answer(res, outcome, [&] { envelope::success_bulk_viewers(res, query.records, viewers); });
}

boost::asio::awaitable<void> PresenceHandlers::server_record(const Exchange& ex, ConnectionScratch& scratch,
                                                             Response& res) {
  const presence::RecordRef record{ex.route.tenant, ex.route.record_type, ex.route.record_id};
  std::vector<presence::TabDetail> tabs;
  const service::Outcome listed = co_await service_.viewers(record, nullptr, scratch.viewers);
  if (listed != service::Outcome::ok) {
    envelope::outcome(res, listed);
    co_return;
  }
  const service::Outcome detailed = co_await service_.tabs(record, tabs);
  answer(res, detailed, [&] { envelope::success_record_detail(res, scratch.viewers, tabs); });
}

boost::asio::awaitable<void> PresenceHandlers::server_remove_user(const Exchange& ex, Response& res) {
  std::size_t removed = 0;
  const service::Outcome outcome =
      co_await service_.remove_user(ex.route.tenant, decoded_user_id(ex.route.user_id), removed);
  answer(res, outcome, [&] { envelope::success_removed(res, removed); });
}

}  // namespace presenced::http
