#pragma once
// The seam between the HTTP server and the real-time layer: the server admits an upgrade
// request on /api/v1/presence/ws (route, token in the query if any) and hands the socket
// over; the server knows nothing of WebSocket sessions.

#include "http/connection_limit.hpp"
#include "http/request.hpp"
#include "http/tls.hpp"
#include "presence/identity.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace presenced::http {

class WebSocketUpgrade {
 public:
  virtual ~WebSocketUpgrade() = default;
  // Completes the handshake for `request` on `socket` and starts the session, on the
  // thread this upgrade serves (each thread has its own). `identity` is the token from
  // the URL, already verified, or empty (the client then sends an auth message). `slot`
  // is the connection's place under --max-connections, held until the socket closes.
  virtual boost::asio::awaitable<void> upgrade(boost::asio::ip::tcp::socket socket, const Request& request,
                                               presence::Identity identity, ConnectionSlot slot) = 0;
  // The same for a TLS connection, its handshake done.
  virtual boost::asio::awaitable<void> upgrade_tls(TlsStream stream, const Request& request,
                                                   presence::Identity identity, ConnectionSlot slot) = 0;
};

}  // namespace presenced::http
