#include "fanout/named_channels.hpp"

#include "fanout/census_message.hpp"
#include "runtime/check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

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

// A census the asker waits on. `timer` is the asker's, touched on its thread only; the
// rest under census_mutex_, since the answers come on the thread that listens for them.
struct NamedChannels::Census {
  explicit Census(const boost::asio::any_io_executor& asker) : timer(asker) {}
  boost::asio::steady_timer timer;
  std::size_t expected = SIZE_MAX;     // until the store says how many listeners it reached
  std::vector<std::uint32_t> answered;  // the nodes, each once
  ChannelCounts sums;
};

namespace {
// Every node listens on it (a transport's names begin with an app id, never '#').
constexpr std::string_view kCensusName = "#census";

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

NamedChannels::NamedChannels(runtime::EventThreads& threads, store::PresenceStore& store, std::uint32_t node,
                             std::chrono::milliseconds census_deadline)
    : threads_(threads),
      store_(store),
      node_(node),
      census_deadline_(census_deadline),
      census_reply_name_("#census-reply." + std::to_string(node)) {
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
  count(name, true);
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
  count(name, false);
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
    const std::optional<std::size_t> taken = co_await store_.publish_named(name, encode_named_message(node_, except, *text));
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
  if (name == kCensusName) return answer_census(payload);
  if (name == census_reply_name_) return take_census_answer(payload);
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

void NamedChannels::count(std::string_view name, bool added) {
  std::lock_guard lock(counts_mutex_);
  if (added) {
    // The name's string is made only when it is new here (a map of std::less<> finds by view).
    if (const auto it = counts_.find(name); it != counts_.end()) ++it->second;
    else counts_.emplace(std::string(name), 1);
    return;
  }
  const auto it = counts_.find(name);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

ChannelCounts NamedChannels::counts_here(std::string_view prefix) const {
  ChannelCounts out;
  std::lock_guard lock(counts_mutex_);
  for (auto it = counts_.lower_bound(prefix); it != counts_.end() && it->first.starts_with(prefix); ++it) {
    out.emplace_hint(out.end(), it->first, it->second);
  }
  return out;
}

void NamedChannels::start_census() {
  if (!store_.spans_nodes() || threads_.size() == 0) return;
  // The first thread hears the questions and the answers (listen_named: from a server thread).
  boost::asio::post(threads_[0].executor(), [this] {
    store_.listen_named(kCensusName);
    store_.listen_named(census_reply_name_);
  });
}

boost::asio::awaitable<std::optional<ChannelCounts>> NamedChannels::counts(std::string prefix) {
  ChannelCounts sums = counts_here(prefix);
  if (!store_.spans_nodes()) co_return sums;
  runtime::EventThread* here = runtime::EventThread::current();
  PRESENCED_CHECK(here, "a census is asked from a server thread");
  if (!here) co_return std::nullopt;
  const auto census = std::make_shared<Census>(here->executor());
  std::uint64_t id = 0;
  {
    std::lock_guard lock(census_mutex_);
    id = ++census_ids_;
    census_.emplace(id, census);
  }
  const auto forget = [&] {
    std::lock_guard lock(census_mutex_);
    census_.erase(id);
  };
  std::string question = encode_named_message(node_, {}, encode_census_question(id, prefix));
  const std::optional<std::size_t> reached = co_await store_.publish_named(std::string(kCensusName), std::move(question));
  bool complete = false;
  {
    std::lock_guard lock(census_mutex_);
    if (reached) census->expected = *reached;
    complete = !reached || census->answered.size() >= census->expected;
  }
  if (!complete) {
    // Cancelled by the last answer (take_census_answer), or it is the deadline.
    census->timer.expires_after(census_deadline_);
    boost::system::error_code ignored;
    co_await census->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  forget();
  std::lock_guard lock(census_mutex_);
  if (!reached || census->answered.size() < census->expected) co_return std::nullopt;
  for (const auto& [name, n] : census->sums) sums[name] += n;
  co_return sums;
}

void NamedChannels::answer_census(std::string_view payload) {
  const auto message = decode_named_message(payload);
  if (!message) return;
  const auto question = decode_census_question(message->text);
  if (!question) return;
  if (message->origin == node_) {
    // Our own question: this node is one of the listeners the store counted, and the
    // asker has its counts already.
    return take_census_answer(encode_named_message(node_, {}, begin_census_answer(question->id)));
  }
  std::string answer = begin_census_answer(question->id);
  for (const auto& [name, n] : counts_here(question->prefix)) {
    append_census_line(answer, name, static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX)));
  }
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here) return;
  boost::asio::co_spawn(here->executor(),
                        store_.publish_named("#census-reply." + std::to_string(message->origin),
                                             encode_named_message(node_, {}, answer)),
                        boost::asio::detached);
}

void NamedChannels::take_census_answer(std::string_view payload) {
  const auto message = decode_named_message(payload);
  if (!message) return;
  std::uint64_t id = 0;
  std::vector<CensusLine> lines;
  if (!decode_census_answer(message->text, id, lines)) return;
  std::lock_guard lock(census_mutex_);
  const auto it = census_.find(id);
  if (it == census_.end()) return;  // past its deadline, or never asked
  Census& census = *it->second;
  if (std::find(census.answered.begin(), census.answered.end(), message->origin) != census.answered.end()) return;
  census.answered.push_back(message->origin);
  for (const CensusLine& line : lines) census.sums[std::string(line.name)] += line.count;
  if (census.answered.size() == census.expected) {
    boost::asio::post(census.timer.get_executor(), [census = it->second] { census->timer.cancel(); });
  }
}

}  // namespace presenced::fanout
