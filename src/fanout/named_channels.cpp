#include "fanout/named_channels.hpp"

#include "runtime/check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <unordered_map>

namespace presenced::fanout {

struct NamedChannels::Local {
  struct Channel {
    std::vector<Subscriber*> ready;    // delivered to
    std::vector<Subscriber*> waiting;  // until the store confirms the listening
    bool heard = false;                // the store confirmed it (always, on one node)
  };
  // Touched on its thread only; `count` is read by publishers on any thread.
  std::unordered_map<std::string, Channel> channels;
  std::atomic<std::size_t> count{0};
};

namespace {
bool remove_from(std::vector<Subscriber*>& list, Subscriber& s) {
  const auto found = std::find(list.begin(), list.end(), &s);
  if (found == list.end()) return false;
  *found = list.back();  // order among subscribers means nothing
  list.pop_back();
  return true;
}
bool contains(const std::vector<Subscriber*>& list, const Subscriber& s) {
  return std::find(list.begin(), list.end(), &s) != list.end();
}
}  // namespace

NamedChannels::NamedChannels(runtime::EventThreads& threads, store::PresenceStore& store, std::uint32_t node)
    : threads_(threads), store_(store), node_(node) {
  for (std::size_t i = 0; i < threads.size(); ++i) locals_.push_back(std::make_unique<Local>());
  store_.set_named_observer(this);
}

NamedChannels::~NamedChannels() = default;

bool NamedChannels::subscribe(runtime::EventThread& on, Subscriber& s, std::string_view name) {
  PRESENCED_CHECK(on.running_here(), "a subscriber subscribes on its own thread");
  Local& local = *locals_[on.index()];
  auto [it, added] = local.channels.try_emplace(std::string(name));
  Local::Channel& channel = it->second;
  if (contains(channel.ready, s)) return true;
  if (contains(channel.waiting, s)) return false;
  if (added) {  // the thread's first subscriber of the name
    channel.heard = !store_.spans_nodes();
    store_.listen_named(name);
  }
  (channel.heard ? channel.ready : channel.waiting).push_back(&s);
  local.count.fetch_add(1, std::memory_order_relaxed);
  subscriptions_.fetch_add(1, std::memory_order_relaxed);
  return channel.heard;
}

void NamedChannels::unsubscribe(runtime::EventThread& on, Subscriber& s, std::string_view name) {
  PRESENCED_CHECK(on.running_here(), "a subscriber unsubscribes on its own thread");
  Local& local = *locals_[on.index()];
  const auto it = local.channels.find(std::string(name));
  if (it == local.channels.end()) return;
  Local::Channel& channel = it->second;
  if (!remove_from(channel.ready, s) && !remove_from(channel.waiting, s)) return;
  if (channel.ready.empty() && channel.waiting.empty()) {
    local.channels.erase(it);
    store_.unlisten_named(name);
  }
  local.count.fetch_sub(1, std::memory_order_relaxed);
  subscriptions_.fetch_sub(1, std::memory_order_relaxed);
}

void NamedChannels::on_named_listening(std::string_view name, bool on) {
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here || here->index() >= locals_.size()) return;
  Local& local = *locals_[here->index()];
  const auto it = local.channels.find(std::string(name));
  if (it == local.channels.end()) return;  // unsubscribed meanwhile
  Local::Channel& channel = it->second;
  channel.heard = on;
  if (!on) return;  // those told keep their subscription; newcomers wait for the next confirmation
  std::vector<Subscriber*> now_ready;
  now_ready.swap(channel.waiting);
  channel.ready.insert(channel.ready.end(), now_ready.begin(), now_ready.end());
  // Each only queues its answer (hub.hpp's Subscriber): the lists do not change under the loop.
  for (Subscriber* s : now_ready) s->named_ready(name);
}

void NamedChannels::publish(std::string_view name, std::shared_ptr<const std::string> text, SocketRef except) {
  publish_here(name, text, except);
  if (!store_.spans_nodes()) return;
  runtime::EventThread* here = runtime::EventThread::current();
  PRESENCED_CHECK(here, "a named channel is published to from a server thread");
  if (!here) return;
  boost::asio::co_spawn(here->executor(),
                        store_.publish_named(std::string(name), encode_named_message(node_, except, *text)),
                        boost::asio::detached);
}

boost::asio::awaitable<bool> NamedChannels::publish_acknowledged(std::string name,
                                                                 std::shared_ptr<const std::string> text,
                                                                 SocketRef except) {
  // The other nodes first: when the store cannot take it, nobody has it, and the caller
  // may send it again without anyone here receiving it twice.
  // (Not inside a condition: g++ 12 miscompiles a co_await under && into a trap.)
  if (store_.spans_nodes()) {
    const bool taken = co_await store_.publish_named(name, encode_named_message(node_, except, *text));
    if (!taken) co_return false;
  }
  publish_here(name, text, except);
  co_return true;
}

void NamedChannels::publish_here(std::string_view name, const std::shared_ptr<const std::string>& text,
                                 SocketRef except) {
  const std::uint64_t except_here = except.node == node_ ? except.id : 0;
  runtime::EventThread* here = runtime::EventThread::current();
  for (std::size_t i = 0; i < locals_.size(); ++i) {
    if (locals_[i]->count.load(std::memory_order_relaxed) == 0) continue;
    if (here && here->index() == i) {
      deliver(i, std::string(name), text, except_here);
      continue;
    }
    boost::asio::post(threads_[i].executor(), [this, i, name = std::string(name), text, except_here] {
      deliver(i, name, text, except_here);
    });
  }
}

void NamedChannels::on_named_message(std::string_view name, std::string_view payload) {
  const auto message = decode_named_message(payload);
  if (!message || message->origin == node_) return;  // not ours to read, or delivered when sent
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here || here->index() >= locals_.size()) return;
  const std::uint64_t except_here = message->except.node == node_ ? message->except.id : 0;
  deliver(here->index(), std::string(name), std::make_shared<const std::string>(message->text), except_here);
}

void NamedChannels::deliver(std::size_t thread, const std::string& name, const std::shared_ptr<const std::string>& text,
                            std::uint64_t except) {
  const Local& local = *locals_[thread];
  const auto it = local.channels.find(name);
  if (it == local.channels.end()) return;
  // A push only queues (hub.hpp's Subscriber): the list does not change under the loop.
  for (Subscriber* s : it->second.ready)
    if (except == 0 || s->subscriber_id() != except) s->push_text(text);
}

}  // namespace presenced::fanout
