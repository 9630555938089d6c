#pragma once
// Everything one server thread owns, in one place: its event loop (io_context, executor,
// metrics shard), its token cache, its HTTP part (acceptor, connection list, request ids)
// and its WebSocket part (keep-alive list, the context its sessions share). Made by the
// runtime, one per thread, in this order; reached by reference, never by searching. What
// a shared component keeps per thread (the hub's share, the Redis store's connections) it
// finds by the thread's index.

#include "auth/authenticator.hpp"
#include "http/server_thread.hpp"
#include "pusher/pusher_thread.hpp"
#include "realtime/websocket_thread.hpp"
#include "runtime/event_thread.hpp"

namespace presenced::app {

struct ThreadContext {
  ThreadContext(runtime::EventThread& t, const auth::JwtCodec& codec, const presence::Clock& clock,
                std::size_t token_cache, const realtime::WebSocketOptions& websocket_options, fanout::Hub& hub,
                service::PresenceService& service, service::TimerSource& timers,
                const pusher::PusherOptions& pusher_options, const pusher::Apps& apps, fanout::NamedChannels& channels,
                std::uint32_t node)
      : thread(t),
        authenticator(codec, clock, token_cache),
        http(t, authenticator),
        websocket(websocket_options, hub, service, clock, timers, t, authenticator) {
    http.websocket = &websocket;
    if (!apps.empty()) {
      pusher = std::make_unique<pusher::PusherThread>(pusher_options, apps, channels, timers, t, node, service, hub);
      http.pusher = pusher.get();
    }
  }

  runtime::EventThread& thread;
  auth::Authenticator authenticator;
  http::ServerThread http;
  realtime::WebSocketThread websocket;
  std::unique_ptr<pusher::PusherThread> pusher;  // with --pusher-app only
};

}  // namespace presenced::app
