#pragma once
// The HTTP/1.1 server: accepts connections and runs one coroutine per connection.
//
// Threading: one io_context per thread, each with its own acceptor on the same port
// (SO_REUSEPORT lets the kernel spread connections). A connection lives on one thread for
// its whole life, so its state needs no strand or lock; what threads share (store,
// throttle) has its own striped locks. Measured 25-30% faster here than one io_context
// run by several threads.

#include "http/connection_limit.hpp"
#include "http/handlers.hpp"
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
  unsigned threads = 1;
  std::chrono::milliseconds idle_timeout{75'000};     // keep-alive: a connection with no request
  std::chrono::milliseconds request_timeout{15'000};  // to receive a whole request / send a response
  std::size_t header_limit = 8 * 1024;
  std::size_t token_cache_capacity = 10'000;  // per thread
  std::size_t max_connections = 50'000;       // HTTP and WebSocket sockets together
  boost::asio::ssl::context* tls = nullptr;   // set: every connection is TLS (HTTPS, WSS)
};

class Server {
 public:
  Server(ServerOptions options, PresenceHandlers& handlers, const auth::JwtCodec& codec,
         const presence::Clock& clock);
  ~Server();

  // Binds every thread's acceptor. Throws std::system_error (e.g. the port is taken).
  // Returns the bound port (useful with port 0).
  std::uint16_t listen();

  // The first thread's context: signals run there.
  boost::asio::io_context& primary_context();

  // Every thread's executor, the first thread's first: for the store.
  std::vector<boost::asio::any_io_executor> executors();

  // Where upgrades on /api/v1/presence/ws go; set before run(). None: 426 for them.
  void set_websocket(WebSocketUpgrade* upgrade) { websocket_ = upgrade; }

  // Runs every thread until stop(); blocks the caller, which serves as the first thread.
  void run();
  void stop();

  // The graceful stop, any thread: close the listening sockets, close idle keep-alive
  // connections, and let each busy one finish its request and close after the answer.
  // WebSocket sessions are the real-time layer's to close. Then wait for open() == 0.
  void drain();

  // Connections open now (HTTP and WebSocket).
  std::size_t open_connections() const { return limit_.open(); }

  struct Worker;  // one thread's context, acceptor and token cache (server.cpp)

 private:
  ServerOptions options_;
  PresenceHandlers& handlers_;
  WebSocketUpgrade* websocket_ = nullptr;
  ConnectionLimit limit_;  // before the workers: what their contexts still hold counts on it
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace presenced::http
