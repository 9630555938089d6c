#pragma once
// One WebSocket client: reads its messages one at a time, answers errors without
// dropping the socket where the socket is still good, and sends what the hub pushes
// through a queue that keeps only the newest presence event per record for a slow
// reader. When the socket ends, its subscriptions end and its tabs leave after the
// grace (leave_grace.hpp).

#include "auth/authenticator.hpp"
#include "http/connection_limit.hpp"
#include "http/tls.hpp"
#include "presence/identity.hpp"
#include "fanout/hub.hpp"
#include "realtime/outgoing.hpp"
#include "websocket/rate_limiter.hpp"
#include "realtime/websocket_options.hpp"
#include "websocket/keep_alive.hpp"
#include "websocket/streams.hpp"
#include "runtime/event_thread.hpp"
#include "service/presence_service.hpp"
#include "service/timers.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <memory>
#include <string>
#include <vector>

namespace presenced::realtime {

// What the sessions of one thread share (websocket_thread.hpp keeps one per thread).
struct SessionContext {
  const WebSocketOptions& options;
  fanout::Hub& hub;
  service::PresenceService& service;  // every rule: scope, limits, operations, the grace
  const presence::Clock& clock;       // token expiry (wall time)
  service::TimerSource& timers;       // keep-alive and close deadlines (monotonic, injectable)
  auth::Authenticator& authenticator;  // the thread's
  runtime::EventThread& thread;
  websocket::KeepAlive& keep_alive;  // the thread's
};

// A session, as the hub and the thread's keep-alive list see it.
class SessionBase : public fanout::Subscriber, public websocket::KeptAlive {};

using websocket::PlainSocket;
using websocket::TlsSocket;

// One class for both transports (session.cpp instantiates the two).
template <class Socket>
class BasicSession final : public SessionBase, public std::enable_shared_from_this<BasicSession<Socket>> {
 public:
  // `context` outlives the session (its thread's WebSocketThread keeps it).
  BasicSession(Socket socket, const SessionContext& context, presence::Identity identity, http::ConnectionSlot slot);
  ~BasicSession() override;

  // Reads until the socket ends, then lets go of everything the socket held.
  void start();

  std::uint64_t subscriber_id() const override { return id_; }

  void keep_alive(std::chrono::steady_clock::time_point now) override;
  void going_away() override;
  void push_presence(std::shared_ptr<const fanout::PresenceEvent> event, std::uint32_t limit) override;
  void push_text(std::shared_ptr<const std::string> text) override;

 private:
  struct Tab {
    std::string key;  // fanout::record_key()
    std::string tab_id;
  };

  void read_next();
  void on_read(boost::beast::error_code ec);
  void message_done();
  boost::asio::awaitable<void> handle(std::string_view text);
  boost::asio::awaitable<void> on_heartbeat(presence::RecordRef record, const presence::HeartbeatInput& input);
  boost::asio::awaitable<void> on_leave(presence::RecordRef record, std::string_view tab_id);
  boost::asio::awaitable<void> on_auth(std::string_view token);
  // After a renewal: ends the subscriptions and tabs the token's scope no longer covers.
  boost::asio::awaitable<void> drop_outside_scope();
  // Subscribing again to a subscribed record starts over: a fresh snapshot, the new options.
  void on_subscribe(presence::RecordRef record, fanout::SubscribeOptions options);
  // The user's first claim on this socket (a place under --max-sockets-per-user); false,
  // with the socket told and closing, when there is none.
  bool claim_socket();
  // A heartbeat or subscribe draws on the user's rate limit, as an HTTP request does;
  // false, with the error sent, when the user is over it.
  bool charge_user();
  void on_unsubscribe(presence::RecordRef record);

  void send_error(std::string_view code, std::string_view message);
  // Tells the client why the service refused (its code and message).
  void send_refusal(service::Outcome refusal, presence::RecordRef record = {});
  void enqueue(Outgoing o);
  void start_writer();  // the write loop, unless it runs already
  void write_next();    // the queue's first message, or the end of the loop
  void on_written(boost::beast::error_code ec);
  void close_soon(boost::beast::websocket::close_code code, const char* reason, bool discard_queue = false);
  // Ends a socket whose token has expired, or that never authenticated: checked on each
  // message and on each keep-alive tick.
  bool check_deadline();
  void release();

  Socket ws_;
  boost::beast::flat_buffer buffer_;  // the message being read
  const SessionContext& ctx_;
  presence::Identity identity_;  // no user until authenticated
  std::uint64_t id_;
  std::int64_t opened_at_;  // unix seconds, for the authentication deadline
  std::chrono::steady_clock::time_point last_heard_;  // anything from the peer, pongs too
  http::ConnectionSlot slot_;  // the socket's place under --max-connections, given back at release()
  std::unique_ptr<service::Timer> close_timer_;  // only while closing
  websocket::RateLimiter rate_;
  std::vector<std::string> subscriptions_;  // record keys
  std::vector<Tab> tabs_;                   // registered through this socket
  std::vector<Outgoing> queue_;  // (not a deque: an empty one already holds 576 bytes)
  // The small members together, after the large ones: an idle session's size decides its
  // allocation's size class (docs/benchmarks.md, idle sockets).
  std::uint32_t refused_in_a_row_ = 0;
  bool ping_pending_ = false;
  bool writing_ = false;
  bool closing_ = false;  // a close frame is due once the queue is written
  bool ended_ = false;
  bool server_closing_ = false;  // going_away(): the tabs are left to expire or be renewed
  bool holds_user_place_ = false;  // counted under --max-sockets-per-user (claim_socket)
  boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::normal;
  const char* close_text_ = "";  // a literal
};

using Session = BasicSession<PlainSocket>;
using TlsSession = BasicSession<TlsSocket>;
extern template class BasicSession<PlainSocket>;
extern template class BasicSession<TlsSocket>;

}  // namespace presenced::realtime
