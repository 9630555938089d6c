#pragma once
// WebSocket sessions on /api/v1/presence/ws (docs/protocol.md): the handshake, then one
// session per socket on the thread that accepted it.

#include "http/websocket_upgrade.hpp"
#include "presence/clock.hpp"
#include "realtime/hub.hpp"
#include "realtime/keep_alive.hpp"
#include "service/presence_service.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

namespace presenced::realtime {

struct SessionContext;

struct WebSocketOptions {
  std::size_t max_subscriptions = 100;       // records per socket (and tabs per socket)
  std::size_t max_message_bytes = 16 * 1024;
  double messages_per_second = 20;           // per socket, with bursts of twice that
  std::chrono::seconds idle_timeout{40};     // pinged at half; dead peers gone by then
  std::size_t max_queue = 256;               // messages waiting to be sent to a slow reader
};

class WebSocketService final : public http::WebSocketUpgrade {
 public:
  // `executors`: the server threads', indexed as the `thread` of upgrade().
  // `service` is the one HTTP uses too: a user's sockets and requests share its limits.
  WebSocketService(WebSocketOptions options, Hub& hub, service::PresenceService& service,
                   const presence::Clock& clock, const std::vector<boost::asio::any_io_executor>& executors);
  ~WebSocketService() override;

  // The graceful stop, any thread: every socket closes with 1001 Going Away.
  void going_away();

  // Stops the keep-alive timers; called once the server threads no longer run.
  void stop();

  boost::asio::awaitable<void> upgrade(boost::asio::ip::tcp::socket socket, const http::Request& request,
                                       std::size_t thread, auth::Authenticator& authenticator,
                                       presence::Identity identity, http::ConnectionSlot slot) override;
  boost::asio::awaitable<void> upgrade_tls(http::TlsStream stream, const http::Request& request, std::size_t thread,
                                           auth::Authenticator& authenticator, presence::Identity identity,
                                           http::ConnectionSlot slot) override;


 private:
  // The thread's session context, made by its first upgrade (it brings the authenticator).
  const SessionContext& context_for(std::size_t thread, auth::Authenticator& authenticator,
                                    http::ConnectionLimit* connections);

  WebSocketOptions options_;
  Hub& hub_;
  service::PresenceService& service_;
  const presence::Clock& clock_;
  std::vector<boost::asio::any_io_executor> executors_;
  std::vector<std::unique_ptr<KeepAlive>> keep_alive_;  // one per thread
  // One per thread, made by the thread's first upgrade (it brings the authenticator).
  std::vector<std::unique_ptr<SessionContext>> contexts_;
};

}  // namespace presenced::realtime
