#include "app/config.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
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
  app.add_option("--store", s.store, "presence store: memory, or redis://[user:password@]host:port[/db]")
      ->envname("PRESENCED_STORE")
      ->capture_default_str();
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

  auto* token = app.add_subcommand("token", "print a signed token for a user (for scripts and curl)");
  token->add_option("--jwt-secret", t.jwt_secret, "HS256 key")->envname("PRESENCED_JWT_SECRET")->required();
  token->add_option("--user", t.user, "user id (digits make a JSON number)")->required();
  token->add_option("--name", t.name, "display name")->required();
  token->add_option("--tenant", t.tenant, "tenant id (digits make a JSON number)")->required();
  token->add_option("--ttl", t.ttl_s, "seconds until the token expires")->check(CLI::Range(1, 366 * 86400))
      ->capture_default_str();

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
  if (s.store != "memory") {
    std::string error;
    s.redis = store::redis::parse_redis_url(s.store, error);
    if (!s.redis) return fail("--store must be memory or redis://[user:password@]host:port[/db]: " + error);
  }
  if (s.threads == 0) s.threads = std::max(1u, std::thread::hardware_concurrency());
  return cl;
}

}  // namespace presenced::app
