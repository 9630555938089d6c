#include "app/application.hpp"

#include "http/auth/jwt.hpp"
#include "http/handlers.hpp"
#include "http/server.hpp"
#include "http/throttle.hpp"
#include "presence/clock.hpp"
#include "realtime/hub.hpp"
#include "realtime/leave_grace.hpp"
#include "realtime/websocket_service.hpp"
#include "store/memory/memory_store.hpp"
#include "store/redis/redis_store.hpp"

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cstdio>

namespace presenced::app {
namespace {

// The one place that chooses the store.
std::unique_ptr<store::PresenceStore> make_store(const ServeConfig& config, const presence::Clock& clock) {
  const std::int64_t ttl_ms = config.presence_ttl_s * 1000;
  if (config.redis) {
    return std::make_unique<store::redis::RedisStore>(
        store::redis::RedisStoreOptions{
            .endpoint = *config.redis,
            .ttl_ms = ttl_ms,
            .timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.store_timeout_s * 1000))},
        clock);
  }
  return std::make_unique<store::memory::MemoryStore>(store::memory::MemoryStoreOptions{.ttl_ms = ttl_ms}, clock);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

// Every socket is a file: take the hard limit as the soft one, as servers that hold many
// idle connections do (the default soft limit, 1024, would cap WebSockets there).
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("cannot raise the open-file limit");
  }
}

}  // namespace

int serve(const ServeConfig& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  raise_file_limit();
  std::string secret = config.jwt_secret;
  if (config.dev) {
    if (secret.empty()) secret = kDevSecret;
    spdlog::warn("DEVELOPMENT MODE: POST /api/v1/dev/token mints tokens for anyone{}. Never use --dev in production.",
                 config.jwt_secret.empty() ? ", signed with the fixed development secret" : "");
  }

  presence::SystemClock clock;
  std::unique_ptr<store::PresenceStore> store_ptr = make_store(config, clock);
  store::PresenceStore& store = *store_ptr;
  http::Throttle throttle(config.rate_limit, clock);
  http::auth::JwtCodec codec(secret);
  http::PresenceHandlers handlers({.dev = config.dev}, store, throttle, codec, clock);
  http::Server server({.host = config.host, .port = config.port, .threads = config.threads}, handlers, codec, clock);

  // Real time: the hub hears every change (it is the store's observer) and pushes it to
  // WebSocket subscribers; closed sockets' tabs leave after the grace.
  realtime::Hub hub(store, server.executors(), {.coalesce = std::chrono::milliseconds(config.ws_coalesce_ms)});
  store.set_observer(&hub);
  realtime::LeaveGrace grace(store, clock,
                             std::chrono::milliseconds(static_cast<std::int64_t>(config.leave_grace_s * 1000)));
  handlers.set_leave_grace(&grace);
  realtime::WebSocketService websocket({.max_subscriptions = config.ws_max_subscriptions,
                                        .max_message_bytes = config.ws_max_message,
                                        .messages_per_second = config.ws_rate,
                                        .idle_timeout = std::chrono::seconds(config.ws_idle_timeout_s)},
                                       hub, store, grace, clock, server.executors());
  server.set_websocket(&websocket);

  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
    return 1;
  }

  store.start(server.executors());
  boost::asio::signal_set signals(server.primary_context(), SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping", signal);
    server.stop();
  });

  // Tests and scripts read this line to learn the port (with --listen HOST:0).
  std::printf("presenced listening on %s:%u\n", config.host.c_str(), port);
  std::fflush(stdout);
  spdlog::info("store={} ttl={}s rate-limit={}/min threads={}",
               config.redis ? "redis://" + config.redis->host + ":" + std::to_string(config.redis->port) : config.store,
               config.presence_ttl_s, config.rate_limit, config.threads);

  server.run();
  websocket.stop();
  hub.stop();
  store.stop();
  spdlog::info("stopped");
  return 0;
}

int print_token(const TokenConfig& config) {
  http::auth::TokenClaims claims;
  claims.user_id = config.user;
  claims.user_id_is_number = all_digits(config.user);
  claims.name = config.name;
  claims.tenant = config.tenant;
  claims.tenant_is_number = all_digits(config.tenant);
  claims.issued_at = presence::SystemClock().unix_seconds();
  claims.expires_at = claims.issued_at + config.ttl_s;
  std::printf("%s\n", http::auth::JwtCodec(config.jwt_secret).sign(claims).c_str());
  return 0;
}

}  // namespace presenced::app
