#pragma once
// One Pusher Channels connection (protocol 7) on /app/{key}: pusher:connection_established,
// pusher:ping and pong, subscriptions to public and private channels (the app's signature
// checked), client events on private channels to the channel's other subscribers, and
// Pusher's error codes (docs/pusher.md). The connection is anonymous: a user appears with a
// presence channel's channel_data. A presence channel is a record's presence
// (record_channel.hpp): the socket is a tab of the record (kept alive while subscribed,
// leaving after the grace when the socket closes), and the hub's events tell it who joined
// and left.

#include "fanout/hub.hpp"
#include "fanout/named_channels.hpp"
#include "http/connection_limit.hpp"
#include "pusher/apps.hpp"
#include "pusher/frame.hpp"
#include "pusher/pusher_options.hpp"
#include "pusher/record_channel.hpp"
#include "service/presence_service.hpp"
#include "runtime/event_thread.hpp"
#include "service/timers.hpp"
#include "websocket/keep_alive.hpp"
#include "websocket/rate_limiter.hpp"
#include "websocket/streams.hpp"

#include <boost/beast/core/flat_buffer.hpp>

#include <memory>
#include <string>
#include <vector>

namespace presenced::pusher {

// What the connections of one thread share (pusher_thread.hpp keeps one per thread).
struct PusherContext {
  const PusherOptions& options;
  fanout::NamedChannels& channels;
  service::TimerSource& timers;
  runtime::EventThread& thread;
  websocket::KeepAlive& keep_alive;  // the thread's
  std::uint32_t node;                // the first part of every socket id (random per process)
  service::PresenceService& service; // presence channels' members are tabs of their records
  fanout::Hub& hub;                  // and hear of them from the hub
};

// The channel as the fan-out names it: the app's id, a colon, the channel (a channel name
// has no colon, so two apps never share one).
std::string channel_key(const App& app, std::string_view channel);

class SessionBase : public fanout::Subscriber, public websocket::KeptAlive {};

template <class Socket>
class BasicPusherSession final : public SessionBase, public std::enable_shared_from_this<BasicPusherSession<Socket>> {
 public:
  // `app` is null when the URL's key names no app: the client is told (4001) and closed.
  BasicPusherSession(Socket socket, const PusherContext& context, const App* app, http::ConnectionSlot slot);
  ~BasicPusherSession() override;

  // Says connection_established (or why not) and reads until the socket ends.
  // `origin` is the upgrade's Origin header (the app's allowed origins are checked).
  void start(std::string_view origin);

  std::uint64_t subscriber_id() const override { return id_; }
  void keep_alive(std::chrono::steady_clock::time_point now) override;
  void going_away() override;
  void push_presence(std::shared_ptr<const fanout::PresenceEvent>, std::uint32_t) override {}
  void push_text(std::shared_ptr<const std::string> text) override { enqueue(std::move(text)); }
  void named_ready(std::string_view name) override;

 private:
  void read_next();
  void on_read(boost::beast::error_code ec);
  void handle(std::string_view text);
  void on_signin(const ClientFrame& f);
  void on_subscribe(const ClientFrame& f);
  void on_unsubscribe(const ClientFrame& f);
  void on_client_event(const ClientFrame& f);
  void on_heartbeat(const ClientFrame& f);
  bool subscribed(std::string_view channel) const;
  bool ready(std::string_view channel) const;  // subscribed and told so

  // What the page said of its tab last (presenced:heartbeat), for the renewals.
  struct TabState {
    presence::Mode mode = presence::Mode::view;
    bool dirty = false;
    std::string field;
    presence::Activity activity = presence::Activity::active;
    std::uint32_t lock_version = presence::kNoLockVersion;
  };
  // A presence channel: the record it is, and this socket's tab in it.
  struct PresenceChannel {
    std::string channel;     // as named by the client
    std::string key;         // fanout::record_key()
    ChannelRecord record;
    presence::UserPtr user;  // from the signed channel_data
    fanout::Member me;       // the user as the channel's frames show them
    std::uint64_t generation = 0;  // tells a subscription from a later one of the same name
    bool in_hub = false;           // the tab is in: subscribed to the hub
    bool snapshot = false;         // subscription_succeeded written (sent, or in `pending`)
    std::vector<std::string> pending;  // frames from subscription_succeeded on, until the named channel is ready
    std::chrono::steady_clock::time_point renewed;
    TabState state;
  };
  void subscribe_presence(const ClientFrame& f);
  // `self` keeps the session alive until the tab is in (a parameter: the coroutine's own).
  boost::asio::awaitable<void> join_presence(std::shared_ptr<BasicPusherSession> self, std::string channel,
                                             std::uint64_t generation);
  void leave_presence(std::vector<PresenceChannel>::iterator it, bool at_once);
  PresenceChannel* presence_channel(std::string_view channel);
  void renew_presence(std::chrono::steady_clock::time_point now);
  void send_heartbeat(PresenceChannel& p, bool report);
  std::string tab_id() const { return "pusher:" + socket_id_; }

  void send(std::string frame) { enqueue(std::make_shared<const std::string>(std::move(frame))); }
  void enqueue(std::shared_ptr<const std::string> text);
  void write_next();
  // A close frame with `code` (Pusher's 4000-4399) once the queue is written.
  void close_soon(std::uint16_t code, const char* reason, bool discard_queue = false);
  void release();

  // The signed-in user's line to terminate_connections (a subscriber of its own, so that
  // its message cannot be taken for a channel's).
  struct UserLine final : fanout::Subscriber {
    explicit UserLine(BasicPusherSession& s) : session(s) {}
    std::uint64_t subscriber_id() const override { return session.id_; }
    void push_presence(std::shared_ptr<const fanout::PresenceEvent>, std::uint32_t) override {}
    void push_text(std::shared_ptr<const std::string>) override { session.terminated(); }
    BasicPusherSession& session;
  };
  void terminated();
  std::string terminate_key() const;  // where the signed-in user's line listens

  // The hub's line to the presence channels' records (a subscriber of its own, so that
  // the hub's saved notices are not taken for a named channel's frames).
  struct RecordLine final : fanout::Subscriber {
    explicit RecordLine(BasicPusherSession& s) : session(s) {}
    std::uint64_t subscriber_id() const override { return session.id_; }
    void push_presence(std::shared_ptr<const fanout::PresenceEvent> event, std::uint32_t) override {
      session.record_changed(*event);
    }
    void push_text(std::shared_ptr<const std::string>) override {}
    void push_record_text(std::string_view key, std::shared_ptr<const std::string> text) override {
      session.record_saved(key, *text);
    }
    BasicPusherSession& session;
  };
  void record_changed(const fanout::PresenceEvent& event);
  void record_saved(std::string_view record_key, std::string_view saved_json);
  // To the channel's socket once it is told it is subscribed; kept until then.
  void send_on(PresenceChannel& p, std::string frame);

  Socket ws_;
  boost::beast::flat_buffer buffer_;
  const PusherContext& ctx_;
  const App* app_;
  std::uint64_t id_;
  std::string socket_id_;  // "<node>.<id>"
  std::string user_id_;    // once signed in (pusher:signin)
  UserLine user_line_{*this};
  RecordLine record_line_{*this};
  std::chrono::steady_clock::time_point last_heard_;
  http::ConnectionSlot slot_;
  std::unique_ptr<service::Timer> close_timer_;
  websocket::RateLimiter rate_;
  websocket::RateLimiter client_events_;
  std::vector<std::string> channels_;  // subscribed, as named by the client
  std::vector<std::string> waiting_;   // of those, not yet heard from every node (not told)
  std::vector<PresenceChannel> presence_;  // of those, the presence channels
  std::vector<presence::UserPtr> socket_users_;  // whose --max-sockets-per-user it counts in
  std::uint64_t generations_ = 0;
  bool server_closing_ = false;        // tabs are not taken out: the clients come back elsewhere
  std::vector<std::shared_ptr<const std::string>> queue_;
  std::uint32_t refused_in_a_row_ = 0;
  std::uint16_t close_code_ = 1000;
  const char* close_text_ = "";
  bool ping_sent_ = false;  // a pusher:ping is out, unanswered
  bool writing_ = false;
  bool closing_ = false;
  bool ended_ = false;
  bool counted_ = false;  // one of app_'s connections (App::connections) until destroyed
};

using PusherSession = BasicPusherSession<websocket::PlainSocket>;
using TlsPusherSession = BasicPusherSession<websocket::TlsSocket>;
extern template class BasicPusherSession<websocket::PlainSocket>;
extern template class BasicPusherSession<websocket::TlsSocket>;

}  // namespace presenced::pusher
