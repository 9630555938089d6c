#pragma once
// WebSocket sessions on /api/v1/presence/ws (docs/protocol.md), for one server thread: the
// handshake of each upgrade the thread's HTTP connections hand over, then one session per
// socket, on this thread for its whole life. Each thread has its own (app/thread_context.hpp),
// with the keep-alive list and the context its sessions share.

#include "http/websocket_upgrade.hpp"
#include "realtime/session.hpp"
#include "realtime/websocket_options.hpp"
#include "websocket/keep_alive.hpp"

namespace presenced::realtime {

class WebSocketThread final : public http::WebSocketUpgrade {
 public:
  // `service` is the one HTTP uses too: a user's sockets and requests share its limits.
  WebSocketThread(const WebSocketOptions& options, fanout::Hub& hub, service::PresenceService& service,
                  const presence::Clock& clock, service::TimerSource& timers, runtime::EventThread& thread,
                  auth::Authenticator& authenticator);
  ~WebSocketThread() override;

  // The graceful stop, on this thread: every socket closes with 1001 Going Away.
  void going_away();
  // Stops the keep-alive timer; called once the server threads no longer run (checked).
  void stop();

  boost::asio::awaitable<void> upgrade(boost::asio::ip::tcp::socket socket, const http::Request& request,
                                       presence::Identity identity, http::ConnectionSlot slot) override;
  boost::asio::awaitable<void> upgrade_tls(http::TlsStream stream, const http::Request& request,
                                           presence::Identity identity, http::ConnectionSlot slot) override;

  std::size_t sessions() const { return keep_alive_.size(); }

 private:
  runtime::EventThread& thread_;
  websocket::KeepAlive keep_alive_;
  const SessionContext context_;  // after what it refers to
};

}  // namespace presenced::realtime
