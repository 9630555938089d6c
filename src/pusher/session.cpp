#include "pusher/session.hpp"

#include "auth/pusher_signature.hpp"
#include "metrics/metrics.hpp"
#include "presence/json_text.hpp"
#include "pusher/channel.hpp"
#include "pusher/presence_member.hpp"
#include "presence/validation.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>

namespace presenced::pusher {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = boost::beast::websocket;

namespace {

std::atomic<std::uint64_t> next_id{1};

// A presence channel's tab as a heartbeat says it: viewing until the page says otherwise
// (presenced:heartbeat), with what it said last.
template <class State>
presence::HeartbeatInput tab_of(std::string_view tab_id, const State& state) {
  presence::HeartbeatInput in;
  in.tab_id = tab_id;
  in.mode = state.mode;
  in.dirty = state.dirty;
  in.active_field = state.field;
  in.activity = state.activity;
  in.lock_version = state.lock_version;
  return in;
}

// Messages refused in a row (over the rate) after which the socket is closed.
constexpr std::uint32_t kRefusalsBeforeClose = 100;
// Pusher's limit on a client event's data.
constexpr std::size_t kMaxClientEventBytes = 10 * 1024;
constexpr auto kCloseDeadline = std::chrono::seconds(5);
// Read sizes, as the native session's (realtime/session.cpp: an idle socket holds no buffer).
constexpr std::size_t kIdleReadBytes = 64;
constexpr std::size_t kMessageReadBytes = 4096;

void close_transport(websocket::PlainTcp& socket) {
  boost::system::error_code ignored;
  socket.close(ignored);
}
void close_transport(beast::tcp_stream& stream) { stream.close(); }

}  // namespace

std::string channel_key(const App& app, std::string_view channel) {
  std::string key;
  key.reserve(app.id.size() + 1 + channel.size());
  key.append(app.id).append(1, ':').append(channel);
  return key;
}

template <class Socket>
BasicPusherSession<Socket>::BasicPusherSession(Socket socket, const PusherContext& context, const App* app,
                                               http::ConnectionSlot slot)
    : ws_(std::move(socket)),
      ctx_(context),
      app_(app),
      id_(next_id.fetch_add(1, std::memory_order_relaxed)),
      socket_id_(std::to_string(context.node) + "." + std::to_string(id_)),
      last_heard_(ctx_.timers.now()),
      slot_(std::move(slot)),
      rate_(ctx_.options.messages_per_second, last_heard_),
      client_events_(ctx_.options.client_events_per_second, last_heard_) {
  metrics::add(metrics::Counter::ws_opened);
}

template <class Socket>
BasicPusherSession<Socket>::~BasicPusherSession() {
  if (keep_alive_) keep_alive_->remove(*this);
  if (counted_) app_->connections->fetch_sub(1, std::memory_order_relaxed);
  metrics::add(metrics::Counter::ws_closed);
}

template <class Socket>
void BasicPusherSession<Socket>::start(std::string_view origin) {
  ws_.control_callback([this](ws::frame_type, beast::string_view) { last_heard_ = ctx_.timers.now(); });
  ctx_.keep_alive.add(*this);
  // Refusals as Pusher (and Reverb) give them, in codes pusher-js does not retry (4000-4099).
  const auto refuse = [this](std::uint16_t code, const char* message, const char* reason) {
    send(error_frame(code, message));
    close_soon(code, reason);
  };
  if (!app_) {
    refuse(4001, "App key not in this cluster.", "unknown app key");
  } else if (!origin_allowed(*app_, origin)) {
    refuse(4009, "Origin not allowed", "origin not allowed");
  } else if (const std::size_t open = app_->connections->fetch_add(1, std::memory_order_relaxed) + 1;
             app_->max_connections != 0 && open > app_->max_connections) {
    app_->connections->fetch_sub(1, std::memory_order_relaxed);  // a refused one takes no place
    refuse(4004, "Application is over connection quota", "over connection quota");
  } else {
    counted_ = true;
    send(event_frame("pusher:connection_established", "",
                     R"({"socket_id":")" + socket_id_ + R"(","activity_timeout":)" +
                         std::to_string(ctx_.options.activity_timeout.count()) + "}"));
  }
  read_next();
}

template <class Socket>
void BasicPusherSession<Socket>::keep_alive(std::chrono::steady_clock::time_point now) {
  if (ended_ || closing_) return;
  const auto silent = now - last_heard_;
  if (silent >= ctx_.options.activity_timeout + ctx_.options.pong_timeout) {
    close_soon(4201, "pong reply not received", true);  // pusher-js reconnects at once
    return;
  }
  if (silent >= ctx_.options.activity_timeout && !ping_sent_) {
    ping_sent_ = true;
    send(R"({"event":"pusher:ping","data":"{}"})");
  }
  if (!presence_.empty()) renew_presence(now);
}

template <class Socket>
void BasicPusherSession<Socket>::going_away() {
  // pusher-js reconnects at once on 4200 (to another node, or this one restarted).
  server_closing_ = true;
  if (!ended_) close_soon(4200, "server shutting down");
}

template <class Socket>
void BasicPusherSession<Socket>::read_next() {
  const std::size_t limit = buffer_.size() == 0 ? kIdleReadBytes : kMessageReadBytes;
  ws_.async_read_some(buffer_, limit, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

template <class Socket>
void BasicPusherSession<Socket>::on_read(beast::error_code ec) {
  if (ec) {  // closed, dropped as dead, over --ws-max-message (1009), or reset
    release();
    return;
  }
  last_heard_ = ctx_.timers.now();
  ping_sent_ = false;
  if (!ws_.is_message_done()) {
    read_next();
    return;
  }
  metrics::add(metrics::Counter::ws_messages_received);
  if (closing_) {
    // answered and closing: nothing more is read into work
  } else if (!rate_.allow(ctx_.timers.now())) {
    metrics::add(metrics::Counter::throttled_ws);
    if (refused_in_a_row_++ == 0) send(error_frame(4301, "Too many messages. Slow down."));
    if (refused_in_a_row_ >= kRefusalsBeforeClose) close_soon(4301, "too many messages");
  } else {
    refused_in_a_row_ = 0;
    const auto data = buffer_.cdata();
    handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();
  if (!ended_) read_next();
}

template <class Socket>
void BasicPusherSession<Socket>::handle(std::string_view text) {
  if (!app_) return;
  ClientFrame f;
  std::string error;
  const FrameStatus status = ws_.got_text() ? read_frame(text, f, error) : FrameStatus::malformed;
  if (status == FrameStatus::malformed) {
    send(error_frame(0, "Frames are JSON objects with a string \"event\", in text frames."));
    return;
  }
  if (status == FrameStatus::invalid) {
    send(error_frame(0, error));
    return;
  }
  switch (f.event) {
    case FrameEvent::ping: send(R"({"event":"pusher:pong","data":"{}"})"); break;
    case FrameEvent::pong: break;  // heard: last_heard_ is set
    case FrameEvent::subscribe: on_subscribe(f); break;
    case FrameEvent::unsubscribe: on_unsubscribe(f); break;
    case FrameEvent::client_event: on_client_event(f); break;
    case FrameEvent::signin: on_signin(f); break;
    case FrameEvent::heartbeat: on_heartbeat(f); break;
    case FrameEvent::unknown:
      send(error_frame(0, "Unknown event \"" + std::string(presence::utf8_prefix(f.name, 64)) + "\"."));
      break;
  }
}

template <class Socket>
void BasicPusherSession<Socket>::on_signin(const ClientFrame& f) {
  if (!user_id_.empty()) return send(error_frame(4009, "This connection is signed in already."));
  // f.channel_data holds user_data, signed as the backend serialized it.
  if (!auth::pusher_user_auth_valid(app_->key, app_->secret, f.auth, socket_id_, f.channel_data)) {
    return send(error_frame(4009, "Invalid signature: the auth does not sign this socket and user_data."));
  }
  auto id = signin_user_id(f.channel_data);
  if (!id) {
    return send(error_frame(4009, "The user_data is a JSON object with a string id of at most 148 characters "
                                  "of A-Z a-z 0-9 _ - = @ , . ;"));
  }
  user_id_ = std::move(*id);
  ctx_.channels.subscribe(ctx_.thread, user_line_, terminate_key());
  std::string data = R"({"user_data":)";
  presence::append_json_string(data, f.channel_data);
  data.push_back('}');
  send(event_frame("pusher:signin_success", "", data));
}

template <class Socket>
std::string BasicPusherSession<Socket>::terminate_key() const {
  return channel_key(*app_, std::string(kTerminatePrefix) + user_id_);
}

template <class Socket>
void BasicPusherSession<Socket>::terminated() {
  if (ended_ || closing_) return;
  // 4009: pusher-js does not reconnect (the user was signed out by the app).
  send(error_frame(4009, "The app terminated this user's connections."));
  close_soon(4009, "terminated by the app");
}

template <class Socket>
bool BasicPusherSession<Socket>::subscribed(std::string_view channel) const {
  return std::find(channels_.begin(), channels_.end(), channel) != channels_.end();
}

template <class Socket>
void BasicPusherSession<Socket>::on_subscribe(const ClientFrame& f) {
  const ChannelKind kind = channel_kind(f.channel);
  const auto refuse = [&](std::string_view type, std::string_view why, int status) {
    send(subscription_error_frame(f.channel, type, why, status));
  };
  if (kind == ChannelKind::invalid) {
    return send(error_frame(0, "Invalid channel name: at most 164 characters of A-Z a-z 0-9 _ - = @ , . ;"));
  }
  if (kind == ChannelKind::encrypted) return refuse("UnsupportedChannel", "Encrypted channels are not offered.", 400);
  if (kind == ChannelKind::presence) return subscribe_presence(f);
  if (kind == ChannelKind::user &&
      (user_id_.empty() || std::string_view(f.channel).substr(kUserChannelPrefix.size()) != user_id_)) {
    return refuse("AuthError", "A user's channel is for that user's connections, once signed in (pusher:signin).",
                  403);
  }
  if (kind == ChannelKind::private_ &&
      !auth::pusher_channel_auth_valid(app_->key, app_->secret, f.auth, socket_id_, f.channel)) {
    return refuse("AuthError", "Invalid signature: the auth does not sign this socket and channel.", 401);
  }
  if (!subscribed(f.channel)) {
    if (channels_.size() >= ctx_.options.max_channels) {
      return refuse("LimitReached",
                    "A connection may subscribe to at most " + std::to_string(ctx_.options.max_channels) + " channels.",
                    429);
    }
    channels_.push_back(f.channel);
    // Told once every node's messages reach it (named_ready), when not at once.
    if (!ctx_.channels.subscribe(ctx_.thread, *this, channel_key(*app_, f.channel))) {
      waiting_.push_back(f.channel);
      return;
    }
  } else if (!ready(f.channel)) {
    return;  // still waiting: told once, when it holds
  }
  send(event_frame("pusher_internal:subscription_succeeded", f.channel, "{}"));
}

template <class Socket>
bool BasicPusherSession<Socket>::ready(std::string_view channel) const {
  return std::find(waiting_.begin(), waiting_.end(), channel) == waiting_.end();
}

template <class Socket>
void BasicPusherSession<Socket>::named_ready(std::string_view name) {
  // name is "<app id>:<channel>" (channel_key)
  const std::string_view channel = name.substr(std::min(name.size(), app_->id.size() + 1));
  const auto it = std::find(waiting_.begin(), waiting_.end(), channel);
  if (it == waiting_.end()) return;
  waiting_.erase(it);
  if (PresenceChannel* p = presence_channel(channel)) {
    // Told with the members once the hub's snapshot is in too.
    for (std::string& frame : std::exchange(p->pending, {})) send(std::move(frame));
    return;
  }
  send(event_frame("pusher_internal:subscription_succeeded", channel, "{}"));
}

template <class Socket>
void BasicPusherSession<Socket>::on_unsubscribe(const ClientFrame& f) {
  const auto it = std::find(channels_.begin(), channels_.end(), f.channel);
  if (it == channels_.end()) return;  // Pusher says nothing either
  channels_.erase(it);
  std::erase(waiting_, f.channel);
  ctx_.channels.unsubscribe(ctx_.thread, *this, channel_key(*app_, f.channel));
  const auto p = std::find_if(presence_.begin(), presence_.end(),
                              [&](const PresenceChannel& c) { return c.channel == f.channel; });
  if (p != presence_.end()) leave_presence(p, true);
}

template <class Socket>
void BasicPusherSession<Socket>::on_client_event(const ClientFrame& f) {
  if (!allows_client_events(channel_kind(f.channel))) {
    return send(error_frame(0, "Client events are only for private and presence channels."));
  }
  if (!subscribed(f.channel)) return send(error_frame(0, "Client events need a subscription to the channel."));
  if (f.data.size() > kMaxClientEventBytes) return send(error_frame(0, "A client event's data is at most 10 KB."));
  if (!client_events_.allow(ctx_.timers.now())) {
    return send(error_frame(4301, "Client event rejected due to rate limit: at most " +
                                      std::to_string(static_cast<int>(ctx_.options.client_events_per_second)) +
                                      " a second."));
  }
  // To everyone else on the channel, never back to the sender (named, on a presence channel).
  const PresenceChannel* member = presence_channel(f.channel);
  const std::string_view sender = member ? std::string_view(member->user->id) : std::string_view();
  ctx_.channels.publish(channel_key(*app_, f.channel),
                        std::make_shared<const std::string>(client_event_frame(f.name, f.channel, f.data, sender)),
                        fanout::SocketRef{ctx_.node, id_});
}

template <class Socket>
void BasicPusherSession<Socket>::enqueue(std::shared_ptr<const std::string> text) {
  if (ended_ || closing_) return;
  if (queue_.size() >= ctx_.options.max_queue) {
    close_soon(4100, "too slow to read", true);  // Pusher's "over capacity": retried with a backoff
    return;
  }
  queue_.push_back(std::move(text));
  if (writing_) return;
  writing_ = true;
  write_next();
}

template <class Socket>
void BasicPusherSession<Socket>::write_next() {
  if (queue_.empty() || ended_) {
    writing_ = false;
    if (queue_.empty()) queue_.shrink_to_fit();
    if (closing_ && !ended_ && ws_.is_open()) {
      ws_.async_close(ws::close_reason(static_cast<ws::close_code>(close_code_), close_text_), [self = this->shared_from_this()](beast::error_code) {});
    }
    return;
  }
  ws_.async_write(asio::buffer(*queue_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->queue_.erase(self->queue_.begin());
    if (ec) self->queue_.clear();
    else metrics::add(metrics::Counter::ws_messages_sent);
    self->write_next();
  });
}

template <class Socket>
void BasicPusherSession<Socket>::close_soon(std::uint16_t code, const char* reason, bool discard_queue) {
  if (closing_) return;
  closing_ = true;
  close_code_ = code;
  close_text_ = reason;
  if (discard_queue) queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
  close_timer_ = ctx_.timers.make(ws_.get_executor());
  close_timer_->start(kCloseDeadline, [weak = this->weak_from_this()] {
    if (auto self = weak.lock()) close_transport(beast::get_lowest_layer(self->ws_));
  });
  if (!writing_) {
    writing_ = true;
    write_next();
  }
}

template <class Socket>
void BasicPusherSession<Socket>::release() {
  if (ended_) return;
  ended_ = true;
  slot_.give_back();
  if (keep_alive_) keep_alive_->remove(*this);
  if (close_timer_) close_timer_->cancel();
  for (const std::string& channel : channels_) ctx_.channels.unsubscribe(ctx_.thread, *this, channel_key(*app_, channel));
  channels_.clear();
  waiting_.clear();
  // The tabs leave after the grace (a reload comes back within it), unless the server is
  // going away: the clients then come back to another node and the tabs stay meanwhile.
  while (!presence_.empty()) leave_presence(presence_.end() - 1, false);
  for (const presence::UserPtr& user : socket_users_) ctx_.service.close_socket(*user);
  socket_users_.clear();
  if (!user_id_.empty()) {
    ctx_.channels.unsubscribe(ctx_.thread, user_line_, terminate_key());
  }
}

// A presence channel (docs/pusher.md, presence channels): the app signed channel_data with
// the socket and the channel; its user becomes a tab of the channel's record, and the
// socket hears the record's members through the hub.
template <class Socket>
void BasicPusherSession<Socket>::subscribe_presence(const ClientFrame& f) {
  const auto refuse = [&](std::string_view type, std::string_view why, int status) {
    send(subscription_error_frame(f.channel, type, why, status));
  };
  if (!auth::pusher_channel_auth_valid(app_->key, app_->secret, f.auth, socket_id_, f.channel, f.channel_data)) {
    return refuse("AuthError", "Invalid signature: the auth does not sign this socket, channel and channel_data.", 401);
  }
  if (subscribed(f.channel)) return;  // told once, when it holds (or already told)
  if (channels_.size() >= ctx_.options.max_channels) {
    return refuse("LimitReached",
                  "A connection may subscribe to at most " + std::to_string(ctx_.options.max_channels) + " channels.",
                  429);
  }
  ChannelRecord record = ctx_.options.records.record_of(*app_, f.channel);
  std::string error;
  auto user = read_member(f.channel_data, record.tenant, error);
  if (!user) return refuse("InvalidChannelData", error, 400);
  std::string key = fanout::record_key(record.ref());
  if (std::any_of(presence_.begin(), presence_.end(), [&](const PresenceChannel& c) { return c.key == key; })) {
    return refuse("InvalidChannel", "This connection is subscribed to another channel of the same record.", 400);
  }
  const presence::UserPtr owner(new presence::User(std::move(*user)));
  // One request of the user's rate, whichever transport: the HTTP and native limits hold.
  if (const service::Outcome charged = ctx_.service.charge(*owner, service::Transport::websocket);
      charged != service::Outcome::ok) {
    return refuse("LimitReached", service::text_of(charged).ws_message, 429);
  }
  // The socket is one of its user's connections under --max-sockets-per-user, with the
  // native ones, from the first presence channel it joins as them until it closes.
  const bool counted = std::any_of(socket_users_.begin(), socket_users_.end(),
                                   [&](const presence::UserPtr& u) { return presence::same_user(*u, *owner); });
  if (!counted) {
    if (const service::Outcome opened = ctx_.service.open_socket(*owner); opened != service::Outcome::ok) {
      return refuse("LimitReached", service::text_of(opened).ws_message, 429);
    }
    socket_users_.push_back(owner);
  }
  channels_.push_back(f.channel);
  if (!ctx_.channels.subscribe(ctx_.thread, *this, channel_key(*app_, f.channel))) waiting_.push_back(f.channel);
  const std::uint64_t generation = ++generations_;
  PresenceChannel& p = presence_.emplace_back();
  p.channel = f.channel;
  p.key = std::move(key);
  p.record = std::move(record);
  p.user = owner;
  p.me = fanout::member_of(*owner);  // as the hub's members show the user
  p.generation = generation;
  p.renewed = ctx_.timers.now();
  asio::co_spawn(ws_.get_executor(), join_presence(this->shared_from_this(), f.channel, generation), asio::detached);
}

template <class Socket>
typename BasicPusherSession<Socket>::PresenceChannel* BasicPusherSession<Socket>::presence_channel(
    std::string_view channel) {
  const auto it = std::find_if(presence_.begin(), presence_.end(),
                               [&](const PresenceChannel& c) { return c.channel == channel; });
  return it == presence_.end() ? nullptr : &*it;
}

template <class Socket>
asio::awaitable<void> BasicPusherSession<Socket>::join_presence(std::shared_ptr<BasicPusherSession> self,
                                                               std::string channel, std::uint64_t generation) {
  (void)self;  // held by the frame
  PresenceChannel* p = presence_channel(channel);
  if (!p) co_return;
  // Copies: the list may change during the await.
  const ChannelRecord record = p->record;
  const presence::UserPtr user = p->user;
  const std::string tab = tab_id();
  const TabState initial;  // a named object: g++ 12 mishandles temporaries around co_await
  const presence::HeartbeatInput input = tab_of(tab, initial);
  const service::Outcome outcome = co_await ctx_.service.heartbeat(record.ref(), user, input);
  p = presence_channel(channel);
  const bool still = p && p->generation == generation && !ended_;
  if (outcome != service::Outcome::ok) {
    if (!still) co_return;
    const service::OutcomeText t = service::text_of(outcome);
    send(subscription_error_frame(channel, t.http_status == 503 ? "StoreUnavailable" : "LimitReached", t.ws_message,
                                  static_cast<int>(t.http_status)));
    std::erase(channels_, channel);
    std::erase(waiting_, channel);
    ctx_.channels.unsubscribe(ctx_.thread, *this, channel_key(*app_, channel));
    std::erase_if(presence_, [&](const PresenceChannel& c) { return c.generation == generation; });
    co_return;
  }
  if (!still) {
    // Unsubscribed, or the socket ended, while the tab was being added: it goes again.
    // (Not when a later subscription to the channel holds the tab now.)
    if (ended_ && !server_closing_) ctx_.service.leave_later(ws_.get_executor(), record.ref(), user, tab);
    else if (!ended_ && !p) co_await ctx_.service.unregister(record.ref(), *user, tab);
    co_return;
  }
  p->in_hub = true;
  ctx_.hub.subscribe(ctx_.thread, record_line_, record.ref(), {.members = true});
}

template <class Socket>
void BasicPusherSession<Socket>::leave_presence(typename std::vector<PresenceChannel>::iterator it, bool at_once) {
  PresenceChannel c = std::move(*it);
  presence_.erase(it);
  if (!c.in_hub) return;  // join_presence takes the tab out when its heartbeat returns
  ctx_.hub.unsubscribe(ctx_.thread, record_line_, c.record.ref());
  if (server_closing_) return;
  if (!at_once) {
    ctx_.service.leave_later(ws_.get_executor(), c.record.ref(), c.user, tab_id());
    return;
  }
  asio::co_spawn(
      ws_.get_executor(),
      [](PresenceChannel c, std::string tab, service::PresenceService& service) -> asio::awaitable<void> {
        co_await service.unregister(c.record.ref(), *c.user, tab);
      }(std::move(c), tab_id(), ctx_.service),
      asio::detached);
}

// The tabs of the socket's presence channels are heard from as a heartbeat would (the
// socket is the tab): a third of the TTL apart, so a renewal may fail twice before it expires.
template <class Socket>
void BasicPusherSession<Socket>::renew_presence(std::chrono::steady_clock::time_point now) {
  for (PresenceChannel& p : presence_) {
    if (p.in_hub && now - p.renewed >= ctx_.options.renew_every) send_heartbeat(p, false);
  }
}

// presenced:heartbeat on a record's channel: the tab's state, validated as a native
// heartbeat's is (the tab is the socket), one request of the user's rate, kept for the
// renewals, and written at once.
template <class Socket>
void BasicPusherSession<Socket>::on_heartbeat(const ClientFrame& f) {
  PresenceChannel* p = presence_channel(f.channel);
  if (!p || !p->in_hub || !p->record.is_record) {
    return send(error_frame(0, "presenced:heartbeat needs a subscription to a record's presence channel."));
  }
  presence::JsonFields fields{PRESENCED_TAB_STATE_MEMBERS};
  if (fields.read(f.data) != presence::JsonFields::Status::object) {
    return send(error_frame(0, "presenced:heartbeat's data is an object."));
  }
  presence::HeartbeatInput in;  // the tab is the socket: only its state is read
  presence::ValidationErrors errors;
  presence::check_tab_state(fields.slice(0, presence::kTabStateMembers), in, errors);
  if (!errors.empty()) return send(error_frame(0, "presenced:heartbeat: " + errors.summary()));
  if (const service::Outcome charged = ctx_.service.charge(*p->user, service::Transport::websocket);
      charged != service::Outcome::ok) {
    return send(error_frame(4301, service::text_of(charged).ws_message));
  }
  p->state = {in.mode, in.dirty, std::string(in.active_field), in.activity, in.lock_version};
  send_heartbeat(*p, true);
}

// The channel's tab, heard from with its state; a refusal told to the socket when `report`.
template <class Socket>
void BasicPusherSession<Socket>::send_heartbeat(PresenceChannel& p, bool report) {
  p.renewed = ctx_.timers.now();
  asio::co_spawn(
      ws_.get_executor(),
      [](std::shared_ptr<BasicPusherSession> self, ChannelRecord record, presence::UserPtr user, std::string tab,
         TabState state, std::string channel, bool report) -> asio::awaitable<void> {
        const presence::HeartbeatInput input = tab_of(tab, state);  // named: see join_presence
        const service::Outcome outcome = co_await self->ctx_.service.heartbeat(record.ref(), user, input);
        if (report && outcome != service::Outcome::ok && !self->ended_) {
          const service::OutcomeText t = service::text_of(outcome);
          self->send(error_frame(0, std::string(t.ws_message) + " (" + channel + ")"));
        }
      }(this->shared_from_this(), p.record, p.user, tab_id(), p.state, p.channel, report),
      asio::detached);
}

template <class Socket>
void BasicPusherSession<Socket>::send_on(PresenceChannel& p, std::string frame) {
  if (ready(p.channel)) send(std::move(frame));
  else p.pending.push_back(std::move(frame));
}

template <class Socket>
void BasicPusherSession<Socket>::record_changed(const fanout::PresenceEvent& event) {
  if (!event.has_members) return;
  const auto it = std::find_if(presence_.begin(), presence_.end(),
                               [&](const PresenceChannel& c) { return c.key == event.record_key; });
  if (it == presence_.end()) return;
  PresenceChannel& p = *it;
  const bool snapshot = event.kind == fanout::PresenceEvent::Kind::snapshot;
  if (snapshot == p.snapshot) return;  // a snapshot once, then the changes after it
  if (snapshot) {
    p.snapshot = true;
    send_on(p, subscription_succeeded_frame(p.channel, event.members, p.me));
  } else {
    // The user is a member from this socket's point of view for as long as it is
    // subscribed: their own arrival (another tab of theirs) and departure are not news to it.
    for (const fanout::Member& m : event.members) {
      if (m.id != p.me.id) send_on(p, member_added_frame(p.channel, m));
    }
    for (const std::string& id : event.members_left) {
      if (id != p.me.id) send_on(p, member_removed_frame(p.channel, id));
    }
  }
  // A record's channel also carries presenced's own view (modes, unsaved changes, fields):
  // the native event, as the event's data (docs/pusher.md, record presence).
  if (p.record.is_record) {
    send_on(p, escaped_data_frame(snapshot ? kRecordSnapshotEvent : kRecordDiffEvent, p.channel, event.escaped_text));
  }
}

template <class Socket>
void BasicPusherSession<Socket>::record_saved(std::string_view record_key, std::string_view saved_json) {
  // A saved notice, {"type":"saved","record_type","record_id","by","lock_version"}.
  for (PresenceChannel& p : presence_) {
    if (!p.record.is_record || !p.snapshot || p.key != record_key) continue;
    std::string escaped;
    presence::append_json_string(escaped, saved_json);
    send_on(p, escaped_data_frame(kRecordSavedEvent, p.channel, escaped));
  }
}

template class BasicPusherSession<websocket::PlainSocket>;
template class BasicPusherSession<websocket::TlsSocket>;

}  // namespace presenced::pusher
