#pragma once
// The Pusher endpoint (/app/{key}) for one server thread: the handshake of each upgrade the
// thread's HTTP connections hand over, then one session per socket, on this thread for its
// whole life (app/thread_context.hpp keeps one per thread).

#include "http/websocket_upgrade.hpp"
#include "pusher/session.hpp"

namespace presenced::pusher {

class PusherThread final : public http::WebSocketUpgrade {
 public:
  PusherThread(const PusherOptions& options, const Apps& apps, fanout::NamedChannels& channels,
               service::TimerSource& timers, runtime::EventThread& thread, std::uint32_t node,
               service::PresenceService& service, fanout::Hub& hub);
  ~PusherThread() override;

  void going_away();
  // Stops the keep-alive timer; called once the server threads no longer run (checked).
  void stop();

  boost::asio::awaitable<void> upgrade(boost::asio::ip::tcp::socket socket, const http::Request& request,
                                       presence::Identity identity, http::ConnectionSlot slot) override;
  boost::asio::awaitable<void> upgrade_tls(http::TlsStream stream, const http::Request& request,
                                           presence::Identity identity, http::ConnectionSlot slot) override;

  std::size_t sessions() const { return keep_alive_.size(); }

 private:
  // The app the URL's key names (/app/{key}?...); null when none.
  const App* app_of(const http::Request& request) const;

  const PusherOptions& options_;
  const Apps& apps_;
  runtime::EventThread& thread_;
  websocket::KeepAlive keep_alive_;
  const PusherContext context_;  // after what it refers to
};

}  // namespace presenced::pusher
