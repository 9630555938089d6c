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
// the channel), compared exactly; names that begin with '#' are this class's own.
//
// The census (counts()): how many subscriptions each name under a prefix has on every
// node. The asker publishes the question on a name every node listens on; the store's
// publish answers how many listeners it reached (the asker's own among them), and the
// asker waits for exactly that many answers, each a node's own counts, under a deadline.
// Nothing is kept per node in the store, so a node that crashed counts for nothing at
// once; a listener that is not a node (someone subscribed on a shared Redis) makes the
// census fail at its deadline rather than answer short.

#include "fanout/hub.hpp"
#include "fanout/named_message.hpp"
#include "runtime/event_thread.hpp"
#include "store/presence_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::fanout {

// A census: each name's subscriptions, in name order.
using ChannelCounts = std::map<std::string, std::size_t, std::less<>>;

class NamedChannels final : private store::NamedMessageObserver {
 public:
  // `node`: this process's id in socket ids and messages (random per process).
  // `census_deadline`: how long counts() waits for the other nodes' answers.
  NamedChannels(runtime::EventThreads& threads, store::PresenceStore& store, std::uint32_t node,
                std::chrono::milliseconds census_deadline);
  ~NamedChannels() override;

  // Once the store has started: this node answers the other nodes' census from now on (a
  // store of one node has none).
  void start_census();

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

  // The subscriptions of this node (for /metrics).
  std::size_t subscriptions() const { return subscriptions_.load(std::memory_order_relaxed); }

  // On a server thread: the subscriptions of every name that starts with `prefix`, summed
  // over every node, names without subscribers left out. nullopt: the store could not
  // ask, or not every listener answered within the deadline.
  boost::asio::awaitable<std::optional<ChannelCounts>> counts(std::string prefix);

 private:
  struct Local;
  struct Census;

  void count(std::string_view name, bool added);
  ChannelCounts counts_here(std::string_view prefix) const;
  void answer_census(std::string_view payload);
  void take_census_answer(std::string_view payload);

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

  // This node's subscriptions per name, every thread's: what it answers a census with.
  // Under a lock, taken only when a name gains or loses a subscriber and by the census,
  // never by a publish.
  mutable std::mutex counts_mutex_;
  ChannelCounts counts_;

  const std::chrono::milliseconds census_deadline_;
  const std::string census_reply_name_;  // where this node's questions are answered
  std::mutex census_mutex_;
  std::uint64_t census_ids_ = 0;
  std::map<std::uint64_t, std::shared_ptr<Census>> census_;  // asked, not yet answered
};

}  // namespace presenced::fanout
