#include "app/runtime.hpp"

#include "store/memory/memory_store.hpp"
#include "store/redis/redis_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <random>
#include <thread>

namespace presenced::app {
namespace {

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// The one place that chooses the store.
std::unique_ptr<store::PresenceStore> make_store(const ServeConfig& config, const presence::Clock& clock) {
  const std::int64_t ttl_ms = config.presence_ttl_s * 1000;
  const store::TabLimits limits{.per_record = config.max_tabs_per_record, .per_user = config.max_tabs_per_user};
  if (config.redis) {
    return std::make_unique<store::redis::RedisStore>(
        store::redis::RedisStoreOptions{.endpoint = *config.redis,
                                        .ttl_ms = ttl_ms,
                                        .timeout = ms(config.store_timeout_s),
                                        .limits = limits,
                                        .wait_replicas = config.store_wait_replicas},
        clock);
  }
  return std::make_unique<store::memory::MemoryStore>(
      store::memory::MemoryStoreOptions{.ttl_ms = ttl_ms, .limits = limits}, clock);
}

std::unique_ptr<webhook::WebhookSender> make_webhooks(const ServeConfig& config, const presence::Clock& clock) {
  if (!config.webhook) return nullptr;
  return std::make_unique<webhook::WebhookSender>(
      webhook::WebhookOptions{
          .target = *config.webhook, .secret = config.webhook_secret, .queue_limit = config.webhook_queue},
      clock);
}

std::vector<http::ServerThread*> http_parts(const std::vector<std::unique_ptr<ThreadContext>>& contexts) {
  std::vector<http::ServerThread*> parts;
  for (const auto& c : contexts) parts.push_back(&c->http);
  return parts;
}

}  // namespace

Runtime::Runtime(const ServeConfig& config, std::size_t max_connections, boost::asio::ssl::context* tls)
    : config_(config),
      connections_(max_connections),
      threads_(config.threads),
      store_(make_store(config, clock_)),
      users_({.requests_per_minute = config.rate_limit,
              .sockets_per_user = config.max_sockets_per_user,
              .tabs_per_user = config.max_user_tabs,
              .ttl_ms = config.presence_ttl_s * 1000},
             clock_),
      service_(*store_, users_, clock_, timers_, ms(config.leave_grace_s)),
      codec_(config.dev ? kDevSecret : config.jwt_secret),
      hub_(*store_, threads_, {.coalesce = std::chrono::milliseconds(config.ws_coalesce_ms)}, timers_),
      webhooks_(make_webhooks(config, clock_)),
      websocket_options_{.max_subscriptions = config.ws_max_subscriptions,
                         .max_message_bytes = config.ws_max_message,
                         .messages_per_second = config.ws_rate,
                         .idle_timeout = std::chrono::seconds(config.ws_idle_timeout_s)},
      // Random: another node's socket ids are others.
      node_(std::random_device{}() % 1'000'000'000u + 1),
      // A census waits for the question to reach the store and each answer to come back.
      named_channels_(threads_, *store_, node_, 2 * ms(config.store_timeout_s)),
      pusher_options_{.max_channels = config.ws_max_subscriptions,
                      .max_message_bytes = config.ws_max_message,
                      .activity_timeout = std::chrono::seconds(config.pusher_activity_timeout_s),
                      .pong_timeout = std::chrono::seconds(config.pusher_activity_timeout_s),
                      .records = config.pusher_records,
                      .renew_every = std::chrono::milliseconds(config.presence_ttl_s * 1000 / 3)},
      pusher_api_(config.pusher_apps, named_channels_, clock_, pusher_options_.records, service_),
      handlers_({.dev = config.dev,
                 .max_body_bytes = config.max_body_bytes,
                 .cors_origins = config.cors_origins,
                 .server_key = config.server_key,
                 .pusher_api = config.pusher_apps.empty() ? nullptr : &pusher_api_},
                service_, codec_, clock_),
      contexts_([&] {
        std::vector<std::unique_ptr<ThreadContext>> contexts;
        for (auto& thread : threads_) {
          contexts.push_back(std::make_unique<ThreadContext>(*thread, codec_, clock_, config.token_cache,
                                                             websocket_options_, hub_, service_, timers_,
                                                             pusher_options_, config.pusher_apps, named_channels_,
                                                             node_));
        }
        return contexts;
      }()),
      server_({.host = config.host,
               .port = config.port,
               .idle_timeout = ms(config.idle_timeout_s),
               .request_timeout = ms(config.read_timeout_s),
               .header_limit = config.max_header_bytes,
               .tls = tls},
              handlers_, connections_, http_parts(contexts_)),
      signals_(threads_.front().context(), SIGINT, SIGTERM) {
  store_->set_observer(&hub_);
  if (webhooks_) store_->set_occupancy_observer(webhooks_.get());
}

Runtime::~Runtime() { stop(); }

std::uint16_t Runtime::start() {
  const std::uint16_t port = server_.listen();
  if (webhooks_) webhooks_->start();
  store_->start(threads_);
  if (!config_.pusher_apps.empty()) named_channels_.start_census();
  server_.start();
  wait_for_signal();
  phase_ = Phase::started;
  return port;
}

void Runtime::run() {
  if (phase_ != Phase::started) return;
  phase_ = Phase::running;
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < threads_.size(); ++i) others.emplace_back([t = &threads_[i]] { t->run(); });
  threads_.front().run();
  for (auto& t : others) t.join();
}

void Runtime::wait_for_signal() {
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (!ec) on_signal(signal);
  });
}

void Runtime::on_signal(int signal) {
  if (std::exchange(draining_, true)) {
    spdlog::warn("signal {} again: stopping now", signal);
    for (auto& t : threads_) t->stop();
    return;
  }
  spdlog::info("signal {}: draining (at most {}s)", signal, config_.shutdown_timeout_s);
  drain();
  wait_for_signal();
}

void Runtime::drain() {
  boost::asio::co_spawn(threads_.front().context(), drain_then_stop(), boost::asio::detached);
}

// The graceful stop (SIGTERM, SIGINT): no new connections; idle ones closed, busy ones
// closed after their answer; WebSockets closed with 1001 Going Away. The threads stop
// once every socket is gone or the timeout has passed; a second signal stops them at once.
boost::asio::awaitable<void> Runtime::drain_then_stop() {
  server_.drain();
  for (auto& c : contexts_) {
    boost::asio::post(c->thread.context(), [c = c.get()] {
      c->websocket.going_away();
      if (c->pusher) c->pusher->going_away();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + ms(config_.shutdown_timeout_s);
  boost::asio::steady_timer poll(threads_.front().context());
  while (connections_.open() > 0 && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(std::chrono::milliseconds(10));
    co_await poll.async_wait(boost::asio::use_awaitable);
  }
  if (connections_.open() > 0) {
    spdlog::warn("shutdown timeout: closing {} connections still open", connections_.open());
  }
  for (auto& t : threads_) t->stop();
}

void Runtime::stop() {
  if (phase_ == Phase::stopped) return;
  const bool started = phase_ != Phase::built;
  phase_ = Phase::stopped;
  for (auto& c : contexts_) {
    c->websocket.stop();
    if (c->pusher) c->pusher->stop();
  }
  hub_.stop();
  if (started) store_->stop();
  // What is still queued gets one more try, within what is left of the shutdown's time.
  if (webhooks_) webhooks_->stop(std::min(ms(config_.shutdown_timeout_s), std::chrono::milliseconds(5000)));
}

}  // namespace presenced::app
