#include "app/application.hpp"

#include "app/logging.hpp"
#include "auth/jwt.hpp"
#include "http/handlers.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"
#include "service/presence_service.hpp"
#include "presence/clock.hpp"
#include "realtime/hub.hpp"
#include "service/leave_grace.hpp"
#include "realtime/websocket_service.hpp"
#include "store/memory/memory_store.hpp"
#include "store/redis/probe.hpp"
#include "store/redis/redis_store.hpp"
#include "webhook/webhook_sender.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cstdio>
#include <functional>

namespace presenced::app {
namespace {

// The one place that chooses the store.
std::unique_ptr<store::PresenceStore> make_store(const ServeConfig& config, const presence::Clock& clock) {
  const std::int64_t ttl_ms = config.presence_ttl_s * 1000;
  const store::TabLimits limits{.per_record = config.max_tabs_per_record, .per_user = config.max_tabs_per_user};
  if (config.redis) {
    return std::make_unique<store::redis::RedisStore>(
        store::redis::RedisStoreOptions{
            .endpoint = *config.redis,
            .ttl_ms = ttl_ms,
            .timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.store_timeout_s * 1000)),
            .limits = limits,
            .wait_replicas = config.store_wait_replicas},
        clock);
  }
  return std::make_unique<store::memory::MemoryStore>(
      store::memory::MemoryStoreOptions{.ttl_ms = ttl_ms, .limits = limits}, clock);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

// Every socket is a file: take the hard limit as the soft one, as servers that hold many
// idle connections do (the default soft limit, 1024, would cap WebSockets there).
// Returns the limit now in force.
std::size_t raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return SIZE_MAX;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t wanted = limit.rlim_max;
    rlimit raised{.rlim_cur = wanted, .rlim_max = limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit.rlim_cur = wanted;
    else spdlog::warn("cannot raise the open-file limit");
  }
  return limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limit.rlim_cur);
}

// The graceful stop (SIGTERM, SIGINT): no new connections; idle ones closed, busy ones
// closed after their answer; WebSockets closed with 1001 Going Away. The threads stop
// once every socket is gone or the timeout has passed; a second signal stops them at once.
boost::asio::awaitable<void> drain(http::Server& server, realtime::WebSocketService& websocket,
                                   std::chrono::milliseconds timeout) {
  server.drain();
  websocket.going_away();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  boost::asio::steady_timer poll(server.primary_context());
  while (server.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(std::chrono::milliseconds(10));
    co_await poll.async_wait(boost::asio::use_awaitable);
  }
  if (server.open_connections() > 0) {
    spdlog::warn("shutdown timeout: closing {} connections still open", server.open_connections());
  }
  server.stop();
}

}  // namespace

int serve(const ServeConfig& config) {
  configure_logging(config.log_level, config.log_format);
  // Each connection is a file: keep a reserve for Redis, the listeners and the logs, so
  // that a full house is refused with 503 rather than failing to accept.
  const std::size_t files = raise_file_limit();
  const std::size_t room = files == SIZE_MAX ? 1'000'000 : files > 256 ? files - 128 : files / 2;
  std::size_t max_connections = config.max_connections == 0 ? room : config.max_connections;
  if (max_connections > room) {
    spdlog::warn("--max-connections {} is above what the open-file limit ({}) allows; using {}",
                 config.max_connections, files, room);
    max_connections = room;
  }
  if (config.redis && config.require_store) {
    const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.store_timeout_s * 1000));
    if (std::string why = store::redis::probe(*config.redis, timeout); !why.empty()) {
      spdlog::critical("cannot reach the store {}: {}", config.redis->url(), why);
      return 1;
    }
  }
  const std::string secret = config.dev ? kDevSecret : config.jwt_secret;
  if (config.dev) {
    spdlog::warn("DEVELOPMENT MODE: POST /api/v1/dev/token mints tokens for anyone, signed with the fixed "
                 "development secret. Never use --dev in production.");
  }

  std::unique_ptr<boost::asio::ssl::context> tls;
  if (!config.tls_cert.empty()) {
    try {
      tls = http::make_tls_context(config.tls_cert, config.tls_key);
    } catch (const std::exception& e) {
      spdlog::critical("cannot use TLS: {}", e.what());
      return 1;
    }
  }

  presence::SystemClock clock;
  std::unique_ptr<store::PresenceStore> store_ptr = make_store(config, clock);
  store::PresenceStore& store = *store_ptr;
  // What each user holds on this node, across transports: rate, sockets, tabs.
  service::UserLedger users({.requests_per_minute = config.rate_limit,
                             .sockets_per_user = config.max_sockets_per_user,
                             .tabs_per_user = config.max_user_tabs,
                             .ttl_ms = config.presence_ttl_s * 1000},
                            clock);
  service::SteadyTimers timers;
  // The presence service: every transport's rules, in one place. Closed sockets' tabs,
  // and "grace" unregisters, leave after the grace.
  service::PresenceService presence_service(
      store, users, clock, timers,
      std::chrono::milliseconds(static_cast<std::int64_t>(config.leave_grace_s * 1000)));
  auth::JwtCodec codec(secret);
  http::PresenceHandlers handlers(
      {.dev = config.dev,
       .max_body_bytes = config.max_body_bytes,
       .cors_origins = config.cors_origins,
       .server_key = config.server_key},
      presence_service, codec, clock);
  auto ms = [](double seconds) { return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)); };
  http::Server server({.host = config.host,
                       .port = config.port,
                       .threads = config.threads,
                       .idle_timeout = ms(config.idle_timeout_s),
                       .request_timeout = ms(config.read_timeout_s),
                       .header_limit = config.max_header_bytes,
                       .token_cache_capacity = config.token_cache,
                       .max_connections = max_connections,
                       .tls = tls.get()},
                      handlers, codec, clock);

  // Real time: the hub hears every change (it is the store's observer) and pushes it to
  // WebSocket subscribers.
  realtime::Hub hub(store, server.executors(), {.coalesce = std::chrono::milliseconds(config.ws_coalesce_ms)}, timers);
  store.set_observer(&hub);
  // Webhooks: the store tells the sender when a record gains its first tab or loses its last.
  std::unique_ptr<webhook::WebhookSender> webhooks;
  if (config.webhook) {
    webhooks = std::make_unique<webhook::WebhookSender>(
        webhook::WebhookOptions{
            .target = *config.webhook, .secret = config.webhook_secret, .queue_limit = config.webhook_queue}, clock);
    store.set_occupancy_observer(webhooks.get());
  }
  realtime::WebSocketService websocket({.max_subscriptions = config.ws_max_subscriptions,
                                        .max_message_bytes = config.ws_max_message,
                                        .messages_per_second = config.ws_rate,
                                        .idle_timeout = std::chrono::seconds(config.ws_idle_timeout_s)},
                                       hub, presence_service, clock, server.executors());
  server.set_websocket(&websocket);

  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
    return 1;
  }

  if (webhooks) webhooks->start();
  store.start(server.executors());
  boost::asio::signal_set signals(server.primary_context(), SIGINT, SIGTERM);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int signal) {
    if (ec) return;
    static bool draining = false;
    if (std::exchange(draining, true)) {
      spdlog::warn("signal {} again: stopping now", signal);
      server.stop();
      return;
    }
    spdlog::info("signal {}: draining (at most {}s)", signal, config.shutdown_timeout_s);
    boost::asio::co_spawn(server.primary_context(), drain(server, websocket, ms(config.shutdown_timeout_s)),
                          boost::asio::detached);
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // Tests and scripts read this line to learn the port (with --listen HOST:0).
  std::printf("presenced listening on %s:%u%s\n", config.host.c_str(), port, tls ? " (TLS)" : "");
  std::fflush(stdout);
  spdlog::info("store={} ttl={}s rate-limit={}/min threads={}{}",
               config.redis ? config.redis->url() : config.store,
               config.presence_ttl_s, config.rate_limit, config.threads,
               config.webhook ? " webhooks=" + config.webhook->host_header + config.webhook->target : std::string());

  server.run();
  websocket.stop();
  hub.stop();
  store.stop();
  // What is still queued gets one more try, within what is left of the shutdown's time.
  if (webhooks) webhooks->stop(std::min(ms(config.shutdown_timeout_s), std::chrono::milliseconds(5000)));
  spdlog::info("stopped");
  return 0;
}

int print_token(const TokenConfig& config) {
  auth::TokenClaims claims;
  claims.user_id = config.user;
  claims.user_id_is_number = all_digits(config.user);
  claims.name = config.name;
  claims.tenant = config.tenant;
  claims.tenant_is_number = all_digits(config.tenant);
  claims.issued_at = presence::SystemClock().unix_seconds();
  claims.expires_at = claims.issued_at + config.ttl_s;
  if (!config.scope.empty()) claims.scope = config.scope;
  std::printf("%s\n", auth::JwtCodec(config.jwt_secret).sign(claims).c_str());
  return 0;
}

}  // namespace presenced::app
