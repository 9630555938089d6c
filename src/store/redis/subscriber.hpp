#pragma once
// A node's ear on Redis, on the first server thread: connections in subscribe mode (to
// the one server, or on a cluster to each master, with sharded pub/sub: SSUBSCRIBE on the
// node that holds the channel's slot, the record's). It subscribes to the channels of
// the records this node watches (records with WebSocket subscribers here), hands each
// message to its sink with the thread that watches the channel, and subscribes again
// where a channel has gone: after a reconnection, or when its slot moved to another
// master (the old one says so with an unsolicited SUNSUBSCRIBE, or the slot map shows
// it). Messages sent while a channel was not heard are not replayed: the sink is told
// when a channel stops being heard and when it is heard again (the subscription
// confirmed), so that what was kept from the messages is read again.

#include "store/presence_store.hpp"
#include "store/redis/node_set.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace presenced::store::redis {

// Told on the subscriber's thread; `owner` is the thread that watches the channel.
class NoticeSink {
 public:
  virtual ~NoticeSink() = default;
  virtual void heard(std::size_t owner, std::string_view channel, std::string_view payload) = 0;
  // The channel is heard from now on (true), or may not be (false).
  virtual void listening(std::size_t owner, std::string_view channel, bool on) = 0;
};

class Subscriber {
 public:
  // On a cluster, the slot map is `map_source`'s (command connections on `context`):
  // see NodeSet::follow.
  Subscriber(boost::asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options, NoticeSink& sink,
             NodeSet& map_source);

  void start() { nodes_.start(); }
  void stop() { nodes_.stop(); }

  // Counted; any thread (the work is posted to the subscriber's thread). A channel may be
  // watched from several threads (its pushes' and its pages' on the Redis store): each
  // `owner` is told all it hears.
  void watch(std::string channel, std::size_t owner);
  void unwatch(std::string channel, std::size_t owner);

  // Set before start(): then every connection also subscribes to the keys that expire
  // (`__keyevent@<db>__:expired`, which Redis sends only once notify-keyspace-events has
  // Ex), and each expired key's name comes here, on the subscriber's thread.
  std::function<void(std::string_view key)> on_expired;

 private:
  struct Watch {
    std::vector<std::size_t> owners;  // one entry per watch: the watchers
    Connection* at = nullptr;         // where it is subscribed; null: nowhere now
    bool confirmed = false;           // the subscription at `at` is confirmed: heard
    // Calls `tell(owner)` once for each thread that watches.
    template <typename Tell>
    void each_owner(Tell tell) const {
      for (std::size_t i = 0; i < owners.size(); ++i) {
        if (std::find(owners.begin(), owners.begin() + static_cast<std::ptrdiff_t>(i), owners[i]) ==
            owners.begin() + static_cast<std::ptrdiff_t>(i)) {
          tell(owners[i]);
        }
      }
    }
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void subscribe(const std::string& channel, Watch& w);
  void lost(const std::string& channel, Watch& w);
  void unsubscribe(const std::string& channel, Connection& at);
  bool answers_ours(std::string_view channel, Connection& from);
  void resubscribe();
  void on_push(Connection& from, const redisReply& reply);

  boost::asio::io_context& context_;
  NodeSet nodes_;
  NoticeSink& sink_;
  const bool sharded_;
  const std::string expired_channel_;
  std::unordered_map<std::string, Watch, Hash, std::equal_to<>> watched_;
  // Our own SUNSUBSCRIBEs not yet answered, by channel: where each was sent. Their answer
  // is not the unasked one that says a slot moved, even when the channel is watched again.
  std::unordered_map<std::string, std::vector<Connection*>, Hash, std::equal_to<>> unsubscribing_;
};

}  // namespace presenced::store::redis
