#pragma once
// A node's ear on Redis: one connection in subscribe mode, on the first server thread.
// It subscribes to the channels of the records this node watches (records with WebSocket
// subscribers here), turns each message into a change for the store's observer, and
// subscribes again after a reconnection. Changes made while it was disconnected are
// not replayed: a reconnection reports every watched record as changed, so observers
// look again.

#include "store/presence_store.hpp"
#include "store/redis/connection.hpp"

#include <boost/asio/io_context.hpp>

#include <string>
#include <unordered_map>

namespace presenced::store::redis {

class Subscriber {
 public:
  Subscriber(boost::asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options,
             ChangeObserver* observer);

  void start();
  void stop() { connection_.stop(); }

  // Counted; any thread (the work is posted to the subscriber's thread).
  void watch(std::string channel);
  void unwatch(std::string channel);

 private:
  void deliver(std::string_view channel, std::string_view payload);
  void resubscribe_all();

  boost::asio::io_context& context_;
  Connection connection_;
  ChangeObserver* observer_;
  std::unordered_map<std::string, std::size_t> watched_;  // channel -> watchers
};

}  // namespace presenced::store::redis
