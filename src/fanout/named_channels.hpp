#pragma once
// Channels that are not records (the Pusher endpoint's public and private channels): the
// subscribers of each name on each thread, and a publish that reaches them all. A message
// is made once and shared: each thread with subscribers gets one post, each subscriber a
// reference to the same text.
//
// Across nodes through the store (publish_named): a thread with subscribers of a name
// listens on it there, a publish is sent there too, and what other nodes published is
// delivered here as their own (named_message.hpp). On a store of one node, this node only.
// A name is whatever the transport chooses (the Pusher endpoint: its app's id, a colon,
// the channel), compared exactly.

#include "fanout/hub.hpp"
#include "fanout/named_message.hpp"
#include "runtime/event_thread.hpp"
#include "store/presence_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::fanout {

class NamedChannels final : private store::NamedMessageObserver {
 public:
  // `node`: this process's id in socket ids and messages (random per process).
  NamedChannels(runtime::EventThreads& threads, store::PresenceStore& store, std::uint32_t node);
  ~NamedChannels() override;

  // On `on`, the subscriber's thread (checked). A subscriber subscribed twice gets each
  // message once. True when the subscription holds at once; false when the store must
  // first confirm that this thread hears the name from other nodes: the subscriber gets
  // nothing until its named_ready(), so that what it is told it is subscribed to it
  // receives whole (a Pusher subscription_succeeded waits for it).
  bool subscribe(runtime::EventThread& on, Subscriber& s, std::string_view name);
  void unsubscribe(runtime::EventThread& on, Subscriber& s, std::string_view name);

  // On a server thread: `text` to every subscriber of `name` but the socket `except`, on
  // this node at once and on the others through the store, not waited for (a client
  // event: nothing is acknowledged to its sender).
  void publish(std::string_view name, std::shared_ptr<const std::string> text, SocketRef except = {});
  // The same, answered once the store has taken it for the other nodes (false: it could
  // not, and nobody was sent it): what an HTTP API trigger acknowledges.
  boost::asio::awaitable<bool> publish_acknowledged(std::string name, std::shared_ptr<const std::string> text,
                                                    SocketRef except = {});

  // The subscriptions of this node (for /metrics and the channel info of the HTTP API).
  std::size_t subscriptions() const { return subscriptions_.load(std::memory_order_relaxed); }

 private:
  struct Local;

  // This node's subscribers on every thread.
  void publish_here(std::string_view name, const std::shared_ptr<const std::string>& text, SocketRef except);
  void deliver(std::size_t thread, const std::string& name, const std::shared_ptr<const std::string>& text,
               std::uint64_t except);
  void on_named_message(std::string_view name, std::string_view payload) override;
  void on_named_listening(std::string_view name, bool on) override;

  runtime::EventThreads& threads_;
  store::PresenceStore& store_;
  const std::uint32_t node_;
  std::vector<std::unique_ptr<Local>> locals_;  // one per thread
  std::atomic<std::size_t> subscriptions_{0};
};

}  // namespace presenced::fanout
