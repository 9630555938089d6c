#pragma once
// A node's ear on Redis, on the first server thread: connections in subscribe mode (to
// the one server, or on a cluster to each master, with sharded pub/sub: SSUBSCRIBE on the
// node that holds the channel's slot, the record's). It subscribes to the channels of
// the records this node watches (records with WebSocket subscribers here), turns each
// message into a change for the store's observer, and subscribes again where a channel
// has gone: after a reconnection, or when its slot moved to another master (the old one
// says so with an unsolicited SUNSUBSCRIBE, or the slot map shows it). Changes made
// while a channel was not heard are not replayed: each such record is reported as
// changed, so observers look again.

#include "store/presence_store.hpp"
#include "store/redis/node_set.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <string>
#include <unordered_map>

namespace presenced::store::redis {

class Subscriber {
 public:
  Subscriber(boost::asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options,
             ChangeObserver* observer);

  void start() { nodes_.start(); }
  void stop() { nodes_.stop(); }

  // Counted; any thread (the work is posted to the subscriber's thread).
  void watch(std::string channel);
  void unwatch(std::string channel);

  // Set before start(): then every connection also subscribes to the keys that expire
  // (`__keyevent@<db>__:expired`, which Redis sends only once notify-keyspace-events has
  // Ex), and each expired key's name comes here, on the subscriber's thread.
  std::function<void(std::string_view key)> on_expired;

 private:
  struct Watch {
    std::size_t watchers = 0;
    Connection* at = nullptr;  // where it is subscribed; null: nowhere now
  };
  void subscribe(const std::string& channel, Watch& w);
  void resubscribe();
  void on_push(Connection& from, const redisReply& reply);
  void look_again(std::string_view channel);

  boost::asio::io_context& context_;
  NodeSet nodes_;
  ChangeObserver* observer_;
  const bool sharded_;
  const std::string expired_channel_;
  std::unordered_map<std::string, Watch> watched_;
};

}  // namespace presenced::store::redis
