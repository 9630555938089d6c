#include "fanout/named_channels.hpp"

#include "runtime/check.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <unordered_map>

namespace presenced::fanout {

struct NamedChannels::Local {
  // Touched on its thread only; `count` is read by publishers on any thread.
  std::unordered_map<std::string, std::vector<Subscriber*>> subscribers;
  std::atomic<std::size_t> count{0};
};

NamedChannels::NamedChannels(runtime::EventThreads& threads) : threads_(threads) {
  for (std::size_t i = 0; i < threads.size(); ++i) locals_.push_back(std::make_unique<Local>());
}

NamedChannels::~NamedChannels() = default;

void NamedChannels::subscribe(runtime::EventThread& on, Subscriber& s, std::string_view name) {
  PRESENCED_CHECK(on.running_here(), "a subscriber subscribes on its own thread");
  Local& local = *locals_[on.index()];
  auto& list = local.subscribers[std::string(name)];
  if (std::find(list.begin(), list.end(), &s) != list.end()) return;
  list.push_back(&s);
  local.count.fetch_add(1, std::memory_order_relaxed);
  subscriptions_.fetch_add(1, std::memory_order_relaxed);
}

void NamedChannels::unsubscribe(runtime::EventThread& on, Subscriber& s, std::string_view name) {
  PRESENCED_CHECK(on.running_here(), "a subscriber unsubscribes on its own thread");
  Local& local = *locals_[on.index()];
  const auto it = local.subscribers.find(std::string(name));
  if (it == local.subscribers.end()) return;
  auto& list = it->second;
  const auto found = std::find(list.begin(), list.end(), &s);
  if (found == list.end()) return;
  *found = list.back();  // order among subscribers means nothing
  list.pop_back();
  if (list.empty()) local.subscribers.erase(it);
  local.count.fetch_sub(1, std::memory_order_relaxed);
  subscriptions_.fetch_sub(1, std::memory_order_relaxed);
}

void NamedChannels::publish(std::string_view name, std::shared_ptr<const std::string> text, std::uint64_t except) {
  runtime::EventThread* here = runtime::EventThread::current();
  for (std::size_t i = 0; i < locals_.size(); ++i) {
    if (locals_[i]->count.load(std::memory_order_relaxed) == 0) continue;
    if (here && here->index() == i) {
      deliver(i, std::string(name), text, except);
      continue;
    }
    boost::asio::post(threads_[i].executor(), [this, i, name = std::string(name), text, except] {
      deliver(i, name, text, except);
    });
  }
}

void NamedChannels::deliver(std::size_t thread, const std::string& name, const std::shared_ptr<const std::string>& text,
                            std::uint64_t except) {
  const Local& local = *locals_[thread];
  const auto it = local.subscribers.find(name);
  if (it == local.subscribers.end()) return;
  // A push only queues (hub.hpp's Subscriber): the list does not change under the loop.
  for (Subscriber* s : it->second)
    if (s->subscriber_id() != except) s->push_text(text);
}

}  // namespace presenced::fanout
