#pragma once
// The server as one object: owns the whole graph, in declaration order (what is declared
// first is made first and destroyed last), and runs it in explicit phases:
//
//   Runtime(config)  builds everything; nothing runs yet
//   start()          binds the port, starts the store, the webhooks and the signals
//   run()            runs every thread until they stop (blocks; the caller is thread 0)
//   drain()          (a signal) the graceful stop: no new connections, idle ones closed,
//                    WebSockets told 1001, then the threads stop once every socket is gone
//   stop()           after run(): the real-time layer, the hub, the store, the webhooks
//
// The order of the members is the lifetime rule: the connection limit and the threads'
// io_contexts come first, so that they outlive every socket, timer and coroutine frame
// made on them; the threads' own parts and the server last, since nothing refers to them.

#include "app/config.hpp"
#include "app/thread_context.hpp"
#include "auth/jwt.hpp"
#include "http/connection_limit.hpp"
#include "http/handlers.hpp"
#include "http/server.hpp"
#include "presence/clock.hpp"
#include "fanout/hub.hpp"
#include "fanout/named_channels.hpp"
#include "pusher/http_api.hpp"
#include "runtime/event_thread.hpp"
#include "service/presence_service.hpp"
#include "service/timers.hpp"
#include "service/user_ledger.hpp"
#include "store/presence_store.hpp"
#include "webhook/webhook_sender.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace presenced::app {

class Runtime {
 public:
  // `max_connections`: --max-connections as the open-file limit allows; `tls`: set for
  // HTTPS and WSS (it outlives the runtime).
  Runtime(const ServeConfig& config, std::size_t max_connections, boost::asio::ssl::context* tls);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Binds the port (throws std::system_error when it cannot) and starts what runs in the
  // background. Returns the bound port.
  std::uint16_t start();
  void run();
  // Any thread: the graceful stop, what the first SIGINT or SIGTERM starts (the second
  // stops the threads at once).
  void drain();
  void stop();

 private:
  enum class Phase { built, started, running, stopped };
  boost::asio::awaitable<void> drain_then_stop();
  void on_signal(int signal);
  void wait_for_signal();

  const ServeConfig& config_;
  Phase phase_ = Phase::built;
  presence::SystemClock clock_;
  http::ConnectionLimit connections_;
  runtime::EventThreads threads_;
  std::unique_ptr<store::PresenceStore> store_;
  service::UserLedger users_;  // what each user holds on this node, across transports
  service::SteadyTimers timers_;
  service::PresenceService service_;  // every transport's rules, in one place
  auth::JwtCodec codec_;
  fanout::Hub hub_;  // hears every change (the store's observer), pushes it to subscribers
  std::unique_ptr<webhook::WebhookSender> webhooks_;  // the store tells it of occupancy
  const realtime::WebSocketOptions websocket_options_;
  const std::uint32_t node_;  // the first part of this process's Pusher socket ids
  fanout::NamedChannels named_channels_;  // the Pusher endpoint's channels that are not records
  const pusher::PusherOptions pusher_options_;
  pusher::HttpApi pusher_api_;  // the Pusher HTTP API; mounted with --pusher-app only
  http::PresenceHandlers handlers_;  // the presence endpoints, and where /apps/ goes
  std::vector<std::unique_ptr<ThreadContext>> contexts_;  // one per thread
  http::Server server_;
  boost::asio::signal_set signals_;
  bool draining_ = false;  // a signal came: the next one stops at once
};

}  // namespace presenced::app
