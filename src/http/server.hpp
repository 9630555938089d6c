#pragma once
// The HTTP/1.1 server: accepts connections and runs one coroutine per connection.
//
// Threading: one io_context per thread (runtime::EventThread, run by app/), each with its
// own acceptor on the same port (SO_REUSEPORT lets the kernel spread connections). A
// connection lives on one thread for its whole life, so its state needs no strand or lock;
// what threads share (store, user ledger) has its own striped locks. Measured 25-30%
// faster here than one io_context run by several threads.

#include "http/connection_limit.hpp"
#include "http/handlers.hpp"
#include "http/server_thread.hpp"
#include "http/tls.hpp"
#include "http/websocket_upgrade.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace presenced::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::chrono::milliseconds idle_timeout{75'000};     // keep-alive: a connection with no request
  std::chrono::milliseconds request_timeout{15'000};  // to receive a whole request / send a response
  std::size_t header_limit = 8 * 1024;
  boost::asio::ssl::context* tls = nullptr;   // set: every connection is TLS (HTTPS, WSS)
};

class Server {
 public:
  // `threads`: each server thread's part (app/thread_context.hpp); they and `connections`
  // (--max-connections, which sockets count on until they close) outlive the server.
  Server(ServerOptions options, PresenceHandlers& handlers, ConnectionLimit& connections,
         std::vector<ServerThread*> threads);

  // Binds every thread's acceptor. Throws std::system_error (e.g. the port is taken).
  // Returns the bound port (useful with port 0).
  std::uint16_t listen();

  // Starts accepting, and the deadline sweeps, on every thread (which then run them).
  void start();

  // The graceful stop, any thread: close the listening sockets, close idle keep-alive
  // connections, and let each busy one finish its request and close after the answer.
  // WebSocket sessions are the real-time layer's to close. Then wait for open() == 0.
  void drain();

  // Connections open now (HTTP and WebSocket), under --max-connections.
  std::size_t open_connections() const { return limit_.open(); }

 private:
  ServerOptions options_;
  PresenceHandlers& handlers_;
  ConnectionLimit& limit_;
  std::vector<ServerThread*> threads_;
};

}  // namespace presenced::http
