#include "app/config.hpp"

#include "pusher/apps_file.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <fstream>
#include <thread>

namespace presenced::app {
namespace {

// "HOST:PORT" or "[V6]:PORT".
bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string_view p = std::string_view(listen).substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  return ec == std::errc() && end == p.data() + p.size() && !p.empty();
}

// The whole of a file of at most `limit` bytes.
bool read_small_file(const std::string& path, std::size_t limit, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  text.resize(limit + 1);  // one more, to see a longer file without reading all of it
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return false;
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text.size() <= limit;
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  ServeConfig& s = cl.serve;
  TokenConfig& t = cl.token;

  CLI::App app{"presenced: who has each record open, live. Serves the presence API."};
  app.set_version_flag("--version", std::string("presenced ") + PRESENCED_VERSION);
  app.add_option("--listen", s.listen, "HOST:PORT to listen on")->envname("PRESENCED_LISTEN")->capture_default_str();
  app.add_option("--jwt-secret", s.jwt_secret, "HS256 key shared with the host app (required unless --dev)")
      ->envname("PRESENCED_JWT_SECRET");
  app.add_flag("--dev", s.dev, "development mode: a fixed secret and POST /api/v1/dev/token")
      ->envname("PRESENCED_DEV");
  app.add_option("--presence-ttl", s.presence_ttl_s, "seconds after which a silent tab is gone")
      ->envname("PRESENCED_PRESENCE_TTL")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--rate-limit", s.rate_limit, "requests per minute per user; 0 turns it off")
      ->envname("PRESENCED_RATE_LIMIT")
      ->capture_default_str();
  app.add_option("--threads", s.threads, "server threads (default: the number of cores)")
      ->envname("PRESENCED_THREADS")
      ->check(CLI::Range(0, 256));
  app.add_option("--store", s.store, "presence store: memory, redis://[user:password@]host:port[/db], or a cluster: "
                 "redis-cluster://[user:password@]host:port[,host:port...]")
      ->envname("PRESENCED_STORE")
      ->capture_default_str();
  app.add_option("--store-wait-replicas", s.store_wait_replicas,
                 "Redis: acknowledge a change only once this many replicas have it (WAIT); 0: as Redis does, asynchronously")
      ->check(CLI::Range(0, 16));
  app.add_option("--store-timeout", s.store_timeout_s, "seconds a request may wait for the store (Redis)")
      ->envname("PRESENCED_STORE_TIMEOUT")
      ->check(CLI::Range(0.01, 60.0))
      ->capture_default_str();
  app.add_option("--leave-grace", s.leave_grace_s,
                 "seconds a closed socket's tabs (or a \"grace\" unregister) wait before they leave")
      ->envname("PRESENCED_LEAVE_GRACE")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  app.add_option("--ws-coalesce", s.ws_coalesce_ms, "milliseconds within which changes of a record are sent together")
      ->envname("PRESENCED_WS_COALESCE")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--ws-max-subscriptions", s.ws_max_subscriptions, "records (and tabs) per WebSocket")
      ->envname("PRESENCED_WS_MAX_SUBSCRIPTIONS")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--ws-max-message", s.ws_max_message, "bytes per WebSocket message")
      ->envname("PRESENCED_WS_MAX_MESSAGE")
      ->check(CLI::Range(256, 1 << 20))
      ->capture_default_str();
  app.add_option("--ws-rate", s.ws_rate, "messages per second per WebSocket (bursts of twice that)")
      ->envname("PRESENCED_WS_RATE")
      ->check(CLI::Range(0.1, 100000.0))
      ->capture_default_str();
  app.add_option("--ws-idle-timeout", s.ws_idle_timeout_s,
                 "seconds of silence after which a WebSocket is dropped (pinged at half)")
      ->envname("PRESENCED_WS_IDLE_TIMEOUT")
      ->check(CLI::Range(2, 3600))
      ->capture_default_str();
  app.add_option("--log-level", s.log_level, "trace, debug, info, warn, error")
      ->envname("PRESENCED_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", s.log_format, "text, or json (one object per line)")
      ->envname("PRESENCED_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--max-connections", s.max_connections,
                 "open sockets (HTTP and WebSocket) beyond which new ones get 503 and are closed; "
                 "0: the open-file limit less 128")
      ->envname("PRESENCED_MAX_CONNECTIONS")
      ->check(CLI::Range(0, 10'000'000))
      ->capture_default_str();
  app.add_option("--max-header-bytes", s.max_header_bytes, "bytes of request line and headers (431 beyond)")
      ->envname("PRESENCED_MAX_HEADER_BYTES")
      ->check(CLI::Range(1024, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-body-bytes", s.max_body_bytes, "bytes of request body (413 beyond)")
      ->envname("PRESENCED_MAX_BODY_BYTES")
      ->check(CLI::Range(1024, 16 << 20))
      ->capture_default_str();
  app.add_option("--read-timeout", s.read_timeout_s, "seconds within which a whole request must arrive (408 after)")
      ->envname("PRESENCED_READ_TIMEOUT")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--idle-timeout", s.idle_timeout_s, "seconds a keep-alive connection may wait for its next request")
      ->envname("PRESENCED_IDLE_TIMEOUT")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--token-cache", s.token_cache, "verified tokens remembered per thread")
      ->envname("PRESENCED_TOKEN_CACHE")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--max-tabs-per-record", s.max_tabs_per_record,
                 "live tabs on one record, all users (429 beyond); protects memory (docs/operations.md)")
      ->envname("PRESENCED_MAX_TABS_PER_RECORD")
      ->check(CLI::Range(1, 65000))
      ->capture_default_str();
  app.add_option("--max-tabs-per-user", s.max_tabs_per_user, "live tabs of one user on one record (429 beyond)")
      ->envname("PRESENCED_MAX_TABS_PER_USER")
      ->check(CLI::Range(1, 65000))
      ->capture_default_str();
  app.add_option("--max-user-tabs", s.max_user_tabs,
                 "live tabs of one user on all records, HTTP and WebSocket together, per node (429 beyond; 0: off)")
      ->envname("PRESENCED_MAX_USER_TABS")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  app.add_option("--max-sockets-per-user", s.max_sockets_per_user,
                 "WebSockets one user may hold open, native and Pusher, per node (beyond: refused; 0: off)")
      ->envname("PRESENCED_MAX_SOCKETS_PER_USER")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  app.add_option("--cors-origin", s.cors_origins,
                 "an origin allowed to call the API from a browser (repeatable), e.g. https://app.example.com")
      ->envname("PRESENCED_CORS_ORIGIN")
      ->delimiter(',');
  app.add_option("--server-key", s.server_key,
                 "bearer secret of the host app's server API (/api/v1/server/...); without it, no server API")
      ->envname("PRESENCED_SERVER_KEY");
  app.add_option("--pusher-app", s.pusher_app_texts,
                 "a Pusher app ID:KEY:SECRET (repeatable): serves the Pusher protocol at /app/KEY (docs/pusher.md)")
      ->envname("PRESENCED_PUSHER_APP")
      ->delimiter(',');
  app.add_option("--pusher-apps-file", s.pusher_apps_file,
                 "a JSON file of Pusher apps, each with its allowed origins and limits (docs/pusher.md, apps)")
      ->envname("PRESENCED_PUSHER_APPS_FILE");
  app.add_option("--pusher-activity-timeout", s.pusher_activity_timeout_s,
                 "seconds of silence after which a Pusher client is pinged, and as many again before it is closed")
      ->envname("PRESENCED_PUSHER_ACTIVITY_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--pusher-record-channel", s.pusher_record_channel,
                 "the presence channels that are records' presence, {tenant}, {type} and {id} in them; "
                 "\"\": none (docs/pusher.md)")
      ->envname("PRESENCED_PUSHER_RECORD_CHANNEL")
      ->capture_default_str();
  app.add_option("--webhook-url", s.webhook_url,
                 "http(s) URL to POST record.occupied / record.vacated events to (signed; docs/webhooks.md)")
      ->envname("PRESENCED_WEBHOOK_URL");
  app.add_option("--webhook-secret", s.webhook_secret, "HMAC-SHA256 key that signs each webhook (with --webhook-url)")
      ->envname("PRESENCED_WEBHOOK_SECRET");
  app.add_option("--webhook-queue", s.webhook_queue,
                 "webhook events kept while the receiver is slow or down; beyond, the oldest are dropped")
      ->envname("PRESENCED_WEBHOOK_QUEUE")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--shutdown-timeout", s.shutdown_timeout_s,
                 "seconds SIGTERM waits for requests in flight and sockets to close")
      ->envname("PRESENCED_SHUTDOWN_TIMEOUT")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--tls-cert", s.tls_cert, "PEM certificate chain: serve HTTPS and WSS (with --tls-key)")
      ->envname("PRESENCED_TLS_CERT");
  app.add_option("--tls-key", s.tls_key, "PEM private key of --tls-cert")->envname("PRESENCED_TLS_KEY");
  app.add_flag("--require-store", s.require_store, "exit at startup when the store (Redis) cannot be reached")
      ->envname("PRESENCED_REQUIRE_STORE");

  auto* token = app.add_subcommand("token", "print a signed token for a user (for scripts and curl)");
  token->add_option("--jwt-secret", t.jwt_secret, "HS256 key")->envname("PRESENCED_JWT_SECRET")->required();
  token->add_option("--user", t.user, "user id (digits make a JSON number)")->required();
  token->add_option("--name", t.name, "display name")->required();
  token->add_option("--tenant", t.tenant, "tenant id (digits make a JSON number)")->required();
  token->add_option("--ttl", t.ttl_s, "seconds until the token expires")->check(CLI::Range(1, 366 * 86400))
      ->capture_default_str();
  token->add_option("--scope", t.scope, "a record pattern the token may touch (flow:*, form:42); repeatable")
      ->take_all();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    cl.action = CommandLine::Action::exit;
    cl.exit_code = app.exit(e);
    return cl;
  }

  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "presenced: %s\n", message.c_str());
    cl.action = CommandLine::Action::exit;
    cl.exit_code = 2;
    return cl;
  };

  if (token->parsed()) {
    cl.action = CommandLine::Action::token;
    return cl;
  }
  if (!split_listen(s.listen, s.host, s.port)) return fail("--listen must be HOST:PORT, got '" + s.listen + "'");
  if (s.jwt_secret.empty() && !s.dev) return fail("--jwt-secret (or PRESENCED_JWT_SECRET) is required unless --dev");
  // --dev mints tokens for anyone: with the production secret they would pass everywhere.
  if (s.dev && !s.jwt_secret.empty() && s.jwt_secret != kDevSecret) {
    return fail("--dev signs with its own development secret and mints tokens for anyone: it refuses a real "
                "--jwt-secret (or PRESENCED_JWT_SECRET)");
  }
  // HS256 wants a key of at least its hash's 256 bits (RFC 7518 3.2).
  if (!s.dev && s.jwt_secret.size() < kMinJwtSecretBytes) {
    return fail("--jwt-secret must be at least " + std::to_string(kMinJwtSecretBytes) +
                " bytes (HS256 wants a 256-bit key), got " + std::to_string(s.jwt_secret.size()));
  }
  if (s.store != "memory") {
    std::string error;
    s.redis = store::redis::parse_redis_url(s.store, error);
    if (!s.redis) return fail("--store must be memory, redis://[user:password@]host:port[/db] or "
                       "redis-cluster://[user:password@]host:port[,host:port...]: " + error);
  }
  for (const std::string& origin : s.cors_origins) {
    if (!(origin.starts_with("https://") || origin.starts_with("http://")) || origin.back() == '/' ||
        origin.find_first_of(" \t\r\n,") != std::string::npos) {
      return fail("--cors-origin must be an origin like https://app.example.com, got '" + origin + "'");
    }
  }
  if (s.tls_cert.empty() != s.tls_key.empty()) return fail("--tls-cert and --tls-key go together");
  // A guessable key would open every tenant's presence to whoever guesses it.
  if (!s.server_key.empty() && s.server_key.size() < 16) return fail("--server-key must be at least 16 characters");
  if (!s.webhook_url.empty()) {
    std::string error;
    s.webhook = webhook::parse_webhook_url(s.webhook_url, error);
    if (!s.webhook) return fail("--webhook-url must be http(s)://host[:port]/path: " + error);
    // The receiver trusts what this key signs: as guessable as the server key would be.
    if (s.webhook_secret.size() < 16) return fail("--webhook-url needs --webhook-secret of at least 16 characters");
  } else if (!s.webhook_secret.empty()) {
    return fail("--webhook-secret goes with --webhook-url");
  }
  for (const std::string& text : s.pusher_app_texts) {
    pusher::App parsed;
    std::string error;
    if (!pusher::parse_app(text, parsed, error) || !s.pusher_apps.add(std::move(parsed), error)) {
      return fail("--pusher-app: " + error);
    }
  }
  if (!s.pusher_apps_file.empty()) {
    std::string text, error;
    std::vector<pusher::App> listed;
    if (!read_small_file(s.pusher_apps_file, pusher::kMaxAppsFileBytes, text)) {
      return fail("--pusher-apps-file: cannot read " + s.pusher_apps_file + " (or it is over 1 MiB)");
    }
    if (!pusher::parse_apps_file(text, listed, error)) return fail("--pusher-apps-file: " + error);
    for (pusher::App& listed_app : listed) {
      if (!s.pusher_apps.add(std::move(listed_app), error)) return fail("--pusher-apps-file: " + error);
    }
  }
  if (std::string error; !s.pusher_records.set_pattern(s.pusher_record_channel, error)) {
    return fail("--pusher-record-channel: " + error);
  }
  if (s.max_tabs_per_user > s.max_tabs_per_record) s.max_tabs_per_user = s.max_tabs_per_record;
  if (s.threads == 0) s.threads = std::max(1u, std::thread::hardware_concurrency());
  return cl;
}

}  // namespace presenced::app
