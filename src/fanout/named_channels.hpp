#pragma once
// Channels that are not records (the Pusher endpoint's public and private channels): the
// subscribers of each name on each thread, and a publish that reaches them all. A message
// is made once and shared: each thread with subscribers gets one post, each subscriber a
// reference to the same text.
//
// On this node. A name is whatever the transport chooses (the Pusher endpoint: its app's id,
// a colon, the channel), compared exactly.

#include "fanout/hub.hpp"
#include "runtime/event_thread.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace presenced::fanout {

class NamedChannels {
 public:
  explicit NamedChannels(runtime::EventThreads& threads);
  ~NamedChannels();

  // On `on`, the subscriber's thread (checked). A subscriber subscribed twice gets each
  // message once.
  void subscribe(runtime::EventThread& on, Subscriber& s, std::string_view name);
  void unsubscribe(runtime::EventThread& on, Subscriber& s, std::string_view name);

  // Any thread: `text` to every subscriber of `name` but the one whose subscriber_id() is
  // `except` (0: none), on their own threads. Threads with no subscriber at all get nothing.
  void publish(std::string_view name, std::shared_ptr<const std::string> text, std::uint64_t except = 0);

  // The subscriptions of this node (for /metrics and the channel info of the HTTP API).
  std::size_t subscriptions() const { return subscriptions_.load(std::memory_order_relaxed); }

 private:
  struct Local;

  void deliver(std::size_t thread, const std::string& name, const std::shared_ptr<const std::string>& text,
               std::uint64_t except);

  runtime::EventThreads& threads_;
  std::vector<std::unique_ptr<Local>> locals_;  // one per thread
  std::atomic<std::size_t> subscriptions_{0};
};

}  // namespace presenced::fanout
