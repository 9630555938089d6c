#include "app/application.hpp"

#include "app/allocator.hpp"
#include "app/logging.hpp"
#include "app/runtime.hpp"
#include "auth/jwt.hpp"
#include "http/tls.hpp"
#include "presence/clock.hpp"
#include "store/redis/probe.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cstdio>

namespace presenced::app {
namespace {

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

}  // namespace

int serve(const ServeConfig& config) {
  configure_logging(config.log_level, config.log_format);
  if (!keep_large_blocks_out_of_the_heap()) spdlog::debug("the allocator keeps its own threshold for large blocks");
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

  Runtime runtime(config, max_connections, tls.get());
  std::uint16_t port = 0;
  try {
    port = runtime.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
    return 1;
  }
  // Tests and scripts read this line to learn the port (with --listen HOST:0).
  std::printf("presenced listening on %s:%u%s\n", config.host.c_str(), port, tls ? " (TLS)" : "");
  std::fflush(stdout);
  spdlog::info("store={} ttl={}s rate-limit={}/min threads={}{}",
               config.redis ? config.redis->url() : config.store,
               config.presence_ttl_s, config.rate_limit, config.threads,
               config.webhook ? " webhooks=" + config.webhook->host_header + config.webhook->target : std::string());

  runtime.run();
  runtime.stop();
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
