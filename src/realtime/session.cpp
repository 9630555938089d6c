#include "realtime/session.hpp"

#include "presence/json_text.hpp"
#include "realtime/client_message.hpp"
#include "store/layout.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <array>
#include <atomic>

namespace presenced::realtime {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

std::atomic<std::uint64_t> next_id{1};

// Time to send a first auth message when the URL had no token.
constexpr auto kAuthDeadline = std::chrono::seconds(10);
// Messages refused in a row (over the rate) after which the socket is closed.
constexpr std::size_t kRefusalsBeforeClose = 100;

// Closes the TCP connection under a session, plain or TLS, without a word.
void close_transport(presenced::websocket::PlainTcp& socket) {
  boost::system::error_code ignored;
  socket.close(ignored);
}
void close_transport(beast::tcp_stream& stream) { stream.close(); }

}  // namespace

template <class Socket>
BasicSession<Socket>::BasicSession(Socket socket, const SessionContext& context, presence::Identity identity, http::ConnectionSlot slot)
    : ws_(std::move(socket)),
      ctx_(context),
      identity_(std::move(identity)),
      id_(next_id.fetch_add(1, std::memory_order_relaxed)),
      opened_at_(ctx_.clock.unix_seconds()),
      last_heard_(ctx_.timers.now()),
      slot_(std::move(slot)),
      rate_(ctx_.options.messages_per_second, last_heard_) {
  metrics::add(metrics::Counter::ws_opened);
}

template <class Socket>
BasicSession<Socket>::~BasicSession() {
  if (keep_alive_) keep_alive_->remove(*this);
  metrics::add(metrics::Counter::ws_closed);
}

template <class Socket>
void BasicSession<Socket>::going_away() {
  // The tabs stay: the client reconnects (to another node, or to this one restarted) and
  // renews them; a leave now would flicker them out for everyone.
  server_closing_ = true;
  if (!ended_) close_soon(websocket::close_code::going_away, "server shutting down");
}

// Reading costs memory while it waits, and an idle socket waits all the time. So the
// loop is callbacks, not a coroutine (no frames held), and while idle it asks Beast for
// at most kIdleReadBytes of a message (Beast prepares that much of the buffer before it
// waits); once a message is under way the rest comes in larger steps, from bytes Beast
// already holds.
constexpr std::size_t kIdleReadBytes = 64;
constexpr std::size_t kMessageReadBytes = 4096;

template <class Socket>
void BasicSession<Socket>::start() {
  ws_.control_callback([this](websocket::frame_type, beast::string_view) {
    last_heard_ = ctx_.timers.now();
  });
  ctx_.keep_alive.add(*this);
  if (identity_.user) claim_socket();  // when refused, the socket closes: the read loop sees it end
  read_next();
}

template <class Socket>
void BasicSession<Socket>::keep_alive(std::chrono::steady_clock::time_point now) {
  if (ended_ || !check_deadline()) return;
  const auto silent = now - last_heard_;
  if (silent >= ctx_.options.idle_timeout) {
    close_transport(beast::get_lowest_layer(ws_));  // a dead peer: the read fails, and the session ends
    return;
  }
  if (silent >= ctx_.options.idle_timeout / 2 && !ping_pending_) {
    ping_pending_ = true;
    ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) { self->ping_pending_ = false; });
  }
}

template <class Socket>
void BasicSession<Socket>::read_next() {
  const std::size_t limit = buffer_.size() == 0 ? kIdleReadBytes : kMessageReadBytes;
  ws_.async_read_some(buffer_, limit, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

template <class Socket>
void BasicSession<Socket>::on_read(beast::error_code ec) {
  if (ec) {  // closed, dropped as dead, too big, or reset: the socket is done
    release();
    return;
  }
  last_heard_ = ctx_.timers.now();
  if (!ws_.is_message_done()) {
    read_next();
    return;
  }
  metrics::add(metrics::Counter::ws_messages_received);
  if (!check_deadline()) {
    // answered and closing
  } else if (!ws_.got_text()) {
    send_error("bad_message", "Messages are JSON objects in text frames.");
  } else if (!rate_.allow(ctx_.timers.now())) {
    // The first refusal says why; the rest are dropped quietly until the client slows.
    metrics::add(metrics::Counter::throttled_ws);
    if (refused_in_a_row_++ == 0) send_error("rate_limited", "Too many messages. Slow down.");
    if (refused_in_a_row_ >= kRefusalsBeforeClose) close_soon(websocket::close_code::policy_error, "too many messages");
  } else {
    refused_in_a_row_ = 0;
    // One message at a time: the next read starts once this one is handled.
    const auto data = buffer_.cdata();
    asio::co_spawn(ws_.get_executor(), handle(std::string_view(static_cast<const char*>(data.data()), data.size())),
                   [self = this->shared_from_this()](std::exception_ptr) { self->message_done(); });
    return;
  }
  message_done();
}

template <class Socket>
void BasicSession<Socket>::message_done() {
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();  // an idle socket holds no message buffer
  if (!ended_) read_next();
}

template <class Socket>
void BasicSession<Socket>::release() {
  if (ended_) return;
  ended_ = true;
  // The socket is done: its place under --max-connections is free now, though a write
  // under way may keep the session a little longer.
  slot_.give_back();
  if (holds_user_place_) ctx_.service.close_socket(*identity_.user);
  if (keep_alive_) keep_alive_->remove(*this);
  if (close_timer_) close_timer_->cancel();
  for (const std::string& key : subscriptions_) ctx_.hub.unsubscribe(ctx_.thread, *this, store::layout::split_index_key(key));
  subscriptions_.clear();
  if (!server_closing_)
    for (const Tab& tab : tabs_) {
      ctx_.service.leave_later(ws_.get_executor(), store::layout::split_index_key(tab.key), identity_.user, tab.tab_id);
    }
  tabs_.clear();
}

template <class Socket>
bool BasicSession<Socket>::check_deadline() {
  if (closing_ || ended_) return false;
  const std::int64_t now = ctx_.clock.unix_seconds();
  if (!identity_.user && now - opened_at_ >= kAuthDeadline.count()) {
    send_error("unauthenticated", "Send an auth message with a token first.");
    close_soon(websocket::close_code::policy_error, "authentication required");
    return false;
  }
  if (identity_.user && auth::is_expired(now, identity_.expires_at)) {
    send_error("token_expired", "The token has expired. Send a fresh one with an auth message.");
    close_soon(websocket::close_code::policy_error, "token expired");
    return false;
  }
  return true;
}

// How long a closing handshake may take before the socket is simply dropped: a peer that
// does not read never lets the close frame out.
constexpr auto kCloseDeadline = std::chrono::seconds(5);

template <class Socket>
asio::awaitable<void> BasicSession<Socket>::handle(std::string_view text) {
  ClientMessage m;
  presence::ValidationErrors errors;
  const MessageStatus status = read_client_message(text, m, errors);
  if (status == MessageStatus::malformed) {
    send_error("bad_message", "Messages are JSON objects with a string \"type\".");
    co_return;
  }
  if (m.type == MessageType::unknown) {
    send_error("unknown_type", "Unknown message type \"" + std::string(presence::utf8_prefix(m.type_name, 64)) + "\".");
    co_return;
  }
  if (status == MessageStatus::invalid) {
    send_error("invalid", errors.summary());
    co_return;
  }
  if (m.type == MessageType::auth) {
    co_await on_auth(m.token);
    co_return;
  }
  if (!identity_.user) {
    send_error("unauthenticated", "Send an auth message with a token first.");
    co_return;
  }
  if ((m.type == MessageType::subscribe || m.type == MessageType::heartbeat) && !charge_user()) co_return;
  const presence::RecordRef record{identity_.user->tenant, m.record_type, m.record_id};
  if (m.type != MessageType::unsubscribe) {
    if (const service::Outcome admitted = ctx_.service.admit(*identity_.user, record);
        admitted != service::Outcome::ok) {
      send_refusal(admitted, record);
      co_return;
    }
  }
  switch (m.type) {
    case MessageType::subscribe: on_subscribe(record, m.options); break;
    case MessageType::unsubscribe: on_unsubscribe(record); break;
    case MessageType::heartbeat: co_await on_heartbeat(record, m.heartbeat); break;
    case MessageType::leave: co_await on_leave(record, m.heartbeat.tab_id); break;
    default: break;
  }
}

template <class Socket>
asio::awaitable<void> BasicSession<Socket>::on_auth(std::string_view token) {
  presence::Identity fresh;
  if (ctx_.authenticator.authenticate_token(token, fresh, auth::Authenticator::Remember::no) != auth::TokenError::none) {
    send_error("unauthenticated", "The token is invalid or has expired.");
    co_return;
  }
  // Subscriptions and tabs belong to the user the socket started with.
  if (identity_.user && !presence::same_user(*identity_.user, *fresh.user)) {
    send_error("identity_changed", "A socket keeps the user it started with; open a new one for another.");
    co_return;
  }
  const bool first = !identity_.user;
  identity_ = std::move(fresh);
  if (first && !claim_socket()) co_return;
  std::string reply = R"({"type":"authenticated","user":{"id":)" + fanout::json_id(*identity_.user) + R"(,"name":)";
  presence::append_json_string(reply, identity_.user->name);
  reply += R"(},"expires_at":)" + std::to_string(identity_.expires_at) + "}";
  enqueue({nullptr, std::make_shared<const std::string>(std::move(reply))});
  co_await drop_outside_scope();
}

template <class Socket>
asio::awaitable<void> BasicSession<Socket>::drop_outside_scope() {
  const presence::UserPtr user = identity_.user;
  if (!user->scope.restricted()) co_return;
  auto outside = [&](const std::string& key) {
    const presence::RecordRef record = store::layout::split_index_key(key);
    return !user->scope.allows(record.type, record.id);
  };
  auto what = [](const std::string& key) {
    const presence::RecordRef record = store::layout::split_index_key(key);
    return std::string(record.type) + " " + std::string(record.id);
  };
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    if (!outside(*it)) {
      ++it;
      continue;
    }
    ctx_.hub.unsubscribe(ctx_.thread, *this, store::layout::split_index_key(*it));
    send_error("forbidden", "The renewed token's scope does not cover " + what(*it) + ": unsubscribed.");
    it = subscriptions_.erase(it);
  }
  // Taken out of the list before the first await: the socket may end meanwhile.
  std::vector<Tab> gone;
  for (auto it = tabs_.begin(); it != tabs_.end();) {
    if (outside(it->key)) {
      gone.push_back(std::move(*it));
      it = tabs_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Tab& tab : gone) {
    send_error("forbidden", "The renewed token's scope does not cover " + what(tab.key) + ": its tab " +
                                tab.tab_id + " left.");
    const service::Outcome outcome =
        co_await ctx_.service.unregister(store::layout::split_index_key(tab.key), *user, tab.tab_id);
    if (outcome != service::Outcome::ok) send_refusal(outcome);
  }
}

template <class Socket>
bool BasicSession<Socket>::claim_socket() {
  const service::Outcome opened = ctx_.service.open_socket(*identity_.user);
  if (opened == service::Outcome::ok) {
    holds_user_place_ = true;
    return true;
  }
  send_refusal(opened);
  close_soon(websocket::close_code::policy_error, "too many sockets");
  return false;
}

template <class Socket>
bool BasicSession<Socket>::charge_user() {
  const service::Outcome charged = ctx_.service.charge(*identity_.user, service::Transport::websocket);
  if (charged == service::Outcome::ok) return true;
  send_refusal(charged);
  return false;
}

template <class Socket>
void BasicSession<Socket>::on_subscribe(presence::RecordRef record, fanout::SubscribeOptions options) {
  std::string key = fanout::record_key(record);
  if (std::find(subscriptions_.begin(), subscriptions_.end(), key) != subscriptions_.end()) {
    // Again: what a client does after a gap in `seq` (docs/protocol.md).
    ctx_.hub.unsubscribe(ctx_.thread, *this, record);
    ctx_.hub.subscribe(ctx_.thread, *this, record, options);
    return;
  }
  if (subscriptions_.size() >= ctx_.options.max_subscriptions) {
    send_error("too_many_subscriptions",
               "A socket may subscribe to at most " + std::to_string(ctx_.options.max_subscriptions) + " records.");
    return;
  }
  subscriptions_.push_back(std::move(key));
  ctx_.hub.subscribe(ctx_.thread, *this, record, options);
}

template <class Socket>
void BasicSession<Socket>::on_unsubscribe(presence::RecordRef record) {
  auto it = std::find(subscriptions_.begin(), subscriptions_.end(), fanout::record_key(record));
  if (it == subscriptions_.end()) return;
  subscriptions_.erase(it);
  ctx_.hub.unsubscribe(ctx_.thread, *this, record);
}

template <class Socket>
asio::awaitable<void> BasicSession<Socket>::on_heartbeat(presence::RecordRef record, const presence::HeartbeatInput& input) {
  std::string key = fanout::record_key(record);
  // Messages are handled one at a time, so only the socket's end (release) can change the
  // tabs during the await below.
  const bool known = std::any_of(tabs_.begin(), tabs_.end(),
                                 [&](const Tab& t) { return t.tab_id == input.tab_id && t.key == key; });
  if (!known && tabs_.size() >= ctx_.options.max_subscriptions) {
    send_error("too_many_tabs",
               "A socket may hold at most " + std::to_string(ctx_.options.max_subscriptions) + " tabs.");
    co_return;
  }
  const service::Outcome outcome = co_await ctx_.service.heartbeat(record, identity_.user, input);
  if (outcome != service::Outcome::ok) {
    send_refusal(outcome);
    co_return;
  }
  // Remembered, so that the tab leaves when the socket closes (after the grace).
  if (!known && !ended_) tabs_.push_back({std::move(key), std::string(input.tab_id)});
}

template <class Socket>
asio::awaitable<void> BasicSession<Socket>::on_leave(presence::RecordRef record, std::string_view tab_id) {
  std::string key = fanout::record_key(record);
  std::string tab(tab_id);  // the message's buffer is not ours across the await
  const service::Outcome outcome = co_await ctx_.service.unregister(record, *identity_.user, tab);
  if (outcome != service::Outcome::ok) {
    send_refusal(outcome);
    co_return;
  }
  std::erase_if(tabs_, [&](const Tab& t) { return t.tab_id == tab && t.key == key; });
}

template <class Socket>
void BasicSession<Socket>::send_refusal(service::Outcome refusal, presence::RecordRef record) {
  const service::OutcomeText t = service::text_of(refusal);
  if (refusal != service::Outcome::forbidden) return send_error(t.ws_code, t.ws_message);
  send_error(t.ws_code, std::string(t.ws_message) + " " + std::string(record.type) + " " + std::string(record.id) + ".");
}

template <class Socket>
void BasicSession<Socket>::send_error(std::string_view code, std::string_view message) {
  enqueue({nullptr, std::make_shared<const std::string>(make_error(code, message))});
}

template <class Socket>
void BasicSession<Socket>::push_presence(std::shared_ptr<const fanout::PresenceEvent> event, std::uint32_t limit) {
  if (!merge_presence(queue_, writing_ ? 1 : 0, event, limit)) enqueue({std::move(event), nullptr, limit});
}

template <class Socket>
void BasicSession<Socket>::push_text(std::shared_ptr<const std::string> text) { enqueue({nullptr, std::move(text)}); }

template <class Socket>
void BasicSession<Socket>::enqueue(Outgoing o) {
  if (ended_ || closing_) return;
  if (queue_.size() >= ctx_.options.max_queue) {
    close_soon(websocket::close_code::policy_error, "too slow to read", true);
    return;
  }
  queue_.push_back(std::move(o));
  start_writer();
}

template <class Socket>
void BasicSession<Socket>::start_writer() {
  if (writing_) return;
  writing_ = true;
  write_next();
}

// The write loop, as completion handlers rather than a coroutine: a room's change is a
// write on every socket at once, and a coroutine frame per socket in flight (about a
// kilobyte) was most of a large room's peak memory (docs/benchmarks.md, large rooms).
template <class Socket>
void BasicSession<Socket>::write_next() {
  if (queue_.empty() || ended_) {
    writing_ = false;
    // Most sockets wait far longer than they write: an empty queue keeps no storage (the
    // next event allocates it again, one small allocation per burst).
    if (queue_.empty()) queue_.shrink_to_fit();
    if (closing_ && !ended_ && ws_.is_open()) {
      // The read loop sees the end either way.
      ws_.async_close(websocket::close_reason(close_code_, close_text_),
                      [self = this->shared_from_this()](beast::error_code) {});
    }
    return;
  }
  auto written = [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); };
  const Outgoing& o = queue_.front();
  if (o.event) {
    const std::string& text = o.event->text;
    const auto cut = o.event->parts_for(identity_.user ? std::string_view(identity_.user->id) : "", o.limit);
    const auto part = [&](fanout::PresenceEvent::Part p) {
      return asio::buffer(text.data() + p.first, p.second - p.first);
    };
    ws_.async_write(std::array<asio::const_buffer, 3>{part(cut[0]), part(cut[1]), part(cut[2])}, std::move(written));
  } else {
    ws_.async_write(asio::buffer(*o.text), std::move(written));
  }
}

template <class Socket>
void BasicSession<Socket>::on_written(beast::error_code ec) {
  queue_.erase(queue_.begin());
  if (ec) {
    queue_.clear();
  } else {
    metrics::add(metrics::Counter::ws_messages_sent);
  }
  write_next();
}

template <class Socket>
void BasicSession<Socket>::close_soon(websocket::close_code code, const char* reason, bool discard_queue) {
  if (closing_) return;
  // After what is queued (the error that says why), unless the queue is the problem.
  // Nothing is queued from now on.
  closing_ = true;
  close_code_ = code;
  close_text_ = reason;
  if (discard_queue) queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
  close_timer_ = ctx_.timers.make(ws_.get_executor());
  close_timer_->start(kCloseDeadline, [weak = this->weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    close_transport(beast::get_lowest_layer(self->ws_));  // the read fails, and the session ends
  });
  start_writer();  // writes what is queued, then the close frame
}

template class BasicSession<PlainSocket>;
template class BasicSession<TlsSocket>;

}  // namespace presenced::realtime
