#include "http/handlers.hpp"

#include "http/assets.hpp"
#include "http/envelope.hpp"
#include "http/server_api.hpp"
#include "presence/validation.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

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


void store_unavailable(Response& res) {
  metrics::add(metrics::Counter::store_errors);
  envelope::error(res, 503, "The presence store is unavailable. Try again.");
}

// The value of `name` in the query string of `target`, or empty. Tokens are base64url
// and dots, so they need no percent-decoding.
std::string_view query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
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
  ex.route = match_route(head.method, head.target, options_.dev, server_key_.configured());
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
  if (m.route == Route::websocket) {
    std::string_view token = query_param(head.target, "token");
    if (!token.empty() && authenticator.authenticate_token(token, ex.identity) != auth::TokenError::none) {
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
    if (throttle_.enabled()) {
      service::ThrottleDecision d = throttle_.hit(*ex.identity.user);
      res.add_header("X-RateLimit-Limit", static_cast<std::int64_t>(d.limit));
      res.add_header("X-RateLimit-Remaining", static_cast<std::int64_t>(d.remaining));
      if (!d.allowed) {
        metrics::add(metrics::Counter::throttled_http);
        envelope::error(res, 429, "Too Many Attempts.");
        res.add_header("Retry-After", d.retry_after_s);
        res.add_header("X-RateLimit-Reset", d.reset_unix);
        return false;
      }
    }
  }

  // The token's scope (if it has one) must cover the record; answered before the body is
  // read, like any refusal.
  if (needs_identity && !ex.identity.user->scope.allows(m.record_type, m.record_id)) {
    metrics::add(metrics::Counter::scope_refused);
    envelope::error(res, 403, "This action is unauthorized.");
    return false;
  }

  if (head.content_length && *head.content_length > options_.max_body_bytes) {
    envelope::body_too_large(res, options_.max_body_bytes);
    res.close = true;  // the body is not read, so the connection cannot carry another request
    return false;
  }
  return true;
}

boost::asio::awaitable<void> PresenceHandlers::handle(const Exchange& ex, std::string_view body,
                                                      RequestArena& arena, ConnectionScratch& scratch,
                                                      Response& res) {
  switch (ex.route.route) {
    case Route::healthz: envelope::health(res, true); break;  // liveness: the process answers
    case Route::readyz: envelope::health(res, store_.ready()); break;
    case Route::heartbeat: co_await heartbeat(ex, body, res); break;
    case Route::viewers: co_await viewers(ex, scratch, res); break;
    case Route::unregister: co_await unregister(ex, body, res); break;
    case Route::saved: co_await saved(ex, body, res); break;
    case Route::websocket:  // an upgrade never gets here (the server hands it over)
      envelope::error(res, 426, "This endpoint speaks WebSocket only: send an Upgrade request.");
      res.add_header("Upgrade", "websocket");
      break;
    case Route::dev_token: dev_token(body, arena, res); break;
    case Route::server_query: co_await server_query(body, arena, res); break;
    case Route::server_record: co_await server_record(ex, scratch, res); break;
    case Route::server_remove_user: co_await server_remove_user(ex, res); break;
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
      metrics::render(res.body, {.routes = kRouteNames, .token_errors = auth::kTokenErrorNames}, store_.live_counts());
      break;
    case Route::not_found: envelope::error(res, 404, "Not found."); break;
  }
}

boost::asio::awaitable<void> PresenceHandlers::heartbeat(const Exchange& ex, std::string_view body,
                                                         Response& res) {
  presence::HeartbeatBody heartbeat;  // in this frame: the input's views point into it
  presence::ValidationErrors errors;
  if (!accepted(presence::read_heartbeat(body, heartbeat, errors), errors, res)) co_return;
  // Results are bound to a local before they are tested: g++ 12 miscompiles co_await
  // inside a condition.
  const store::HeartbeatResult result = co_await store_.heartbeat(record_of(ex), ex.identity.user, heartbeat.input);
  switch (result) {
    case store::HeartbeatResult::joined:
    case store::HeartbeatResult::updated:
    case store::HeartbeatResult::renewed: envelope::success_registered(res); break;
    case store::HeartbeatResult::not_owner:
      errors.add("tab_id", "The tab id has already been taken.");
      envelope::validation_error(res, errors);
      break;
    case store::HeartbeatResult::record_full:
    case store::HeartbeatResult::user_full:
    case store::HeartbeatResult::user_tabs_full:
      metrics::add(metrics::Counter::tabs_refused);
      envelope::error(res, 429, store::tab_limit_message(result));
      break;
    case store::HeartbeatResult::unavailable: store_unavailable(res); break;
  }
}

boost::asio::awaitable<void> PresenceHandlers::unregister(const Exchange& ex, std::string_view body,
                                                          Response& res) {
  presence::UnregisterBody unregister;
  presence::ValidationErrors errors;
  if (!accepted(presence::read_unregister(body, unregister, errors), errors, res)) co_return;
  // A page going away (pagehide) that may come back (a reload) asks for the grace: its
  // tab leaves later unless it is heard from again meanwhile.
  if (unregister.grace && grace_) {
    const auto executor = co_await boost::asio::this_coro::executor;
    grace_->schedule(executor, record_of(ex), ex.identity.user, unregister.tab_id);
    envelope::success_unregistered(res);
    co_return;
  }
  // Another user's tab is left alone, and the answer is the same as for a tab that is
  // gone: from the caller's side, no tab of theirs has that id.
  const store::UnregisterResult result =
      co_await store_.unregister(record_of(ex), *ex.identity.user, unregister.tab_id, 0);
  if (result == store::UnregisterResult::unavailable) {
    store_unavailable(res);
  } else {
    envelope::success_unregistered(res);
  }
}

boost::asio::awaitable<void> PresenceHandlers::viewers(const Exchange& ex, ConnectionScratch& scratch,
                                                       Response& res) {
  const store::ViewersResult result =
      co_await store_.viewers(record_of(ex), ex.identity.user.get(), scratch.viewers, nullptr);
  if (result == store::ViewersResult::unavailable) {
    store_unavailable(res);
  } else {
    envelope::success_viewers(res, scratch.viewers);
  }
}

boost::asio::awaitable<void> PresenceHandlers::saved(const Exchange& ex, std::string_view body, Response& res) {
  presence::SavedBody saved;
  presence::ValidationErrors errors;
  if (!accepted(presence::read_saved(body, saved, errors), errors, res)) co_return;
  const store::SavedResult result = co_await store_.saved(record_of(ex), ex.identity.user, saved.lock_version);
  if (result == store::SavedResult::unavailable) {
    store_unavailable(res);
  } else {
    envelope::success_saved(res);
  }
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
  const store::ViewersResult result = co_await store_.viewers_of(records, viewers);
  if (result != store::ViewersResult::ok) {
    store_unavailable(res);
    co_return;
  }
  envelope::success_bulk_viewers(res, query.records, viewers);
}

boost::asio::awaitable<void> PresenceHandlers::server_record(const Exchange& ex, ConnectionScratch& scratch,
                                                             Response& res) {
  const presence::RecordRef record{ex.route.tenant, ex.route.record_type, ex.route.record_id};
  std::vector<presence::TabDetail> tabs;
  const store::ViewersResult listed = co_await store_.viewers(record, nullptr, scratch.viewers, nullptr);
  if (listed != store::ViewersResult::ok) {
    store_unavailable(res);
    co_return;
  }
  const store::ViewersResult detailed = co_await store_.tabs(record, tabs);
  if (detailed != store::ViewersResult::ok) {
    store_unavailable(res);
    co_return;
  }
  envelope::success_record_detail(res, scratch.viewers, tabs);
}

boost::asio::awaitable<void> PresenceHandlers::server_remove_user(const Exchange& ex, Response& res) {
  const std::optional<std::size_t> removed = co_await store_.remove_user(ex.route.tenant, decoded_user_id(ex.route.user_id));
  if (!removed) {
    store_unavailable(res);
    co_return;
  }
  envelope::success_removed(res, *removed);
}

}  // namespace presenced::http
