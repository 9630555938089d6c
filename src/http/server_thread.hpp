#pragma once
// What one server thread owns of the HTTP server: its acceptor, its open HTTP connections
// (for the deadline sweep and the graceful stop), the ids it gives requests, its token
// cache and where its WebSocket upgrades go. Made with the rest of the thread's state in
// app/thread_context.hpp; touched on its own thread only (checked), so nothing here locks.

#include "auth/authenticator.hpp"
#include "http/websocket_upgrade.hpp"
#include "runtime/event_thread.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace presenced::http {

struct ConnectionEntry;  // server.cpp: one HTTP connection, in its thread's list

class ServerThread {
 public:
  ServerThread(runtime::EventThread& thread, auth::Authenticator& authenticator);
  // Connections still open when the context is destroyed (cut off by the shutdown
  // timeout) end inside ~io_context, after this: they must not touch the list then.
  ~ServerThread();
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  runtime::EventThread& thread;
  auth::Authenticator& authenticator;  // the thread's token cache
  WebSocketUpgrade* websocket = nullptr;  // the thread's real-time layer; none: 426
  WebSocketUpgrade* pusher = nullptr;     // the thread's Pusher endpoint; none: 426
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer sweep_timer;
  std::uint64_t requests = 0;  // for the ids of requests that bring none
  std::string id_prefix;       // of those ids
  bool draining = false;       // the graceful stop has begun: no more keep-alive

  void link(ConnectionEntry& e);
  void unlink(ConnectionEntry& e);
  // Cancels the read of every connection past its deadline.
  void sweep(std::chrono::steady_clock::time_point now);
  // The graceful stop: no more accepts; idle connections end now, busy ones after their answer.
  void drain();

 private:
  ConnectionEntry* connections_ = nullptr;  // this thread's HTTP connections (not WebSockets)
};

}  // namespace presenced::http
