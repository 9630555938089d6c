#include "fanout/hub.hpp"

#include "runtime/check.hpp"
#include "store/layout.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace presenced::fanout {
namespace asio = boost::asio;

std::string record_key(presence::RecordRef record) { return store::layout::index_key(record).str(); }

// One thread's share: its sessions by record, and the channels homed on it.
struct Hub::Local {
  struct Entry {
    Subscriber* subscriber;
    std::uint64_t id;
    SubscribeOptions options;
    bool ready;  // has had its snapshot: events before it would describe an older state
  };
  std::unordered_map<std::string, std::vector<Entry>> subscribers;
  std::unordered_map<std::string, std::shared_ptr<Channel>> channels;
};

// A record with subscribers on this node, on its home thread.
struct Hub::Channel {
  Channel(std::string k, const asio::any_io_executor& home, std::size_t threads, service::TimerSource& timers)
      : key(std::move(k)),
        record(store::layout::split_index_key(key)),
        per_thread(threads, 0),
        executor(home),
        window(timers.make(home)),
        expiry(timers.make(home)) {}

  std::string key;
  presence::RecordRef record;              // views into key
  std::vector<std::size_t> per_thread;     // subscribers on each thread
  std::size_t total = 0;
  std::size_t full = 0;                    // of them, wanting the full list on every change
  std::size_t members = 0;                 // of them, wanting members (Pusher presence channels)
  std::vector<SentEntry> current;          // everyone, as last sent: who, and a digest of their entry
  bool known = false;                      // `current` has been read
  std::uint64_t seq = 0;                   // the last change event's number
  // The room as a snapshot, made from a read with as many entries as its receivers'
  // limits need (a room of 10,000 watched with limit 20 keeps 21), until the next change;
  // a receiver who needs more waits for the next read.
  std::shared_ptr<const PresenceEvent> snapshot;
  struct Awaiting {
    std::size_t thread;
    std::uint64_t subscriber;
    std::uint32_t limit;
    bool members;
  };
  std::vector<Awaiting> awaiting;  // wanting a snapshot
  enum class Phase { idle, reading, window } phase = Phase::idle;
  bool pending = false;  // changed while reading or within the window
  bool closed = false;
  asio::any_io_executor executor;  // the home thread's
  std::unique_ptr<service::Timer> window;
  std::unique_ptr<service::Timer> expiry;
};

Hub::Hub(store::PresenceStore& store, runtime::EventThreads& threads, HubOptions options, service::TimerSource& timers)
    : store_(store), threads_(threads), options_(options), timers_(timers) {
  for (std::size_t i = 0; i < threads_.size(); ++i) locals_.push_back(std::make_unique<Local>());
}

// A thread's share is touched on that thread only: that is why it needs no lock.
Hub::Local& Hub::local_on(std::size_t thread) {
  PRESENCED_CHECK(threads_[thread].running_here(), "a thread's share of the hub is touched on its thread only");
  return *locals_[thread];
}

Hub::~Hub() = default;

void Hub::stop() {
  PRESENCED_CHECK(threads_.none_running(), "the hub stops once the server threads have");
  for (auto& local : locals_) {
    for (auto& [key, channel] : local->channels) {
      channel->closed = true;
      store_.unwatch(channel->record);
    }
    local->channels.clear();
    local->subscribers.clear();
  }
}

std::size_t Hub::home_of(const std::string& key) const { return std::hash<std::string>{}(key) % threads_.size(); }

void Hub::subscribe(runtime::EventThread& on, Subscriber& s, presence::RecordRef record, SubscribeOptions options) {
  const std::size_t thread = on.index();
  std::string key = record_key(record);
  local_on(thread).subscribers[key].push_back({&s, s.subscriber_id(), options, false});
  subscriptions_.fetch_add(1, std::memory_order_relaxed);
  const std::size_t home = home_of(key);
  asio::post(threads_[home].executor(), [this, home, key = std::move(key), thread, id = s.subscriber_id(), options]() mutable {
    home_subscribe(home, std::move(key), thread, id, options);
  });
}

void Hub::unsubscribe(runtime::EventThread& on, Subscriber& s, presence::RecordRef record) {
  const std::size_t thread = on.index();
  std::string key = record_key(record);
  auto& subscribers = local_on(thread).subscribers;
  auto it = subscribers.find(key);
  if (it == subscribers.end()) return;
  auto& list = it->second;
  auto entry = std::find_if(list.begin(), list.end(), [&](const Local::Entry& e) { return e.id == s.subscriber_id(); });
  if (entry == list.end()) return;
  const SubscribeOptions options = entry->options;
  list.erase(entry);
  if (list.empty()) subscribers.erase(it);
  subscriptions_.fetch_sub(1, std::memory_order_relaxed);
  const std::size_t home = home_of(key);
  asio::post(threads_[home].executor(),
             [this, home, key = std::move(key), thread, options] { home_unsubscribe(home, key, thread, options); });
}

void Hub::home_subscribe(std::size_t home, std::string key, std::size_t thread, std::uint64_t id,
                         SubscribeOptions options) {
  auto& channels = local_on(home).channels;
  auto it = channels.find(key);
  if (it == channels.end()) {
    auto channel = std::make_shared<Channel>(key, threads_[home].executor(), threads_.size(), timers_);
    store_.watch(channel->record);
    it = channels.emplace(std::move(key), std::move(channel)).first;
  }
  Channel& channel = *it->second;
  ++channel.per_thread[thread];
  ++channel.total;
  if (options.full) ++channel.full;
  if (options.members) ++channel.members;
  channel.awaiting.push_back({thread, id, options.limit, options.members});
  if (channel.phase == Channel::Phase::reading) return;  // the read under way answers it
  send_snapshots(it->second, nullptr);
}

void Hub::home_unsubscribe(std::size_t home, const std::string& key, std::size_t thread, SubscribeOptions options) {
  auto& channels = local_on(home).channels;
  auto it = channels.find(key);
  if (it == channels.end()) return;
  Channel& channel = *it->second;
  --channel.per_thread[thread];
  if (options.full) --channel.full;
  if (options.members) --channel.members;
  if (--channel.total > 0) return;
  channel.closed = true;
  channel.window->cancel();
  channel.expiry->cancel();
  store_.unwatch(channel.record);
  channels.erase(it);
}

void Hub::on_change(const store::PresenceChange& change) {
  if (subscriptions() == 0) return;  // nobody listens on this node: not even a post
  std::string key = record_key(change.record);
  const std::size_t home = home_of(key);
  if (change.kind == store::ChangeKind::saved && change.user) {
    auto text = std::make_shared<const std::string>(make_saved_event(change.record, *change.user, change.lock_version));
    asio::post(threads_[home].executor(), [this, home, key = std::move(key), text = std::move(text)] {
      if (auto channel = channel_at(home, key)) {
        fan_out(*channel, [text, key](const Local::Entry& e) { e.subscriber->push_record_text(key, text); });
        look_again(channel);  // stale marks
      }
    });
    return;
  }
  asio::post(threads_[home].executor(), [this, home, key = std::move(key)] {
    if (auto channel = channel_at(home, key)) look_again(channel);
  });
}

std::shared_ptr<Hub::Channel> Hub::channel_at(std::size_t home, const std::string& key) {
  auto& channels = local_on(home).channels;
  auto it = channels.find(key);
  return it == channels.end() ? nullptr : it->second;
}

// Reads the record now, or when the window under way ends.
void Hub::look_again(const std::shared_ptr<Channel>& channel) {
  if (channel->phase == Channel::Phase::idle) recompute(channel);
  else channel->pending = true;
}

void Hub::recompute(std::shared_ptr<Channel> channel) {
  channel->phase = Channel::Phase::reading;
  channel->pending = false;
  asio::co_spawn(
      channel->executor,
      [this, channel]() -> asio::awaitable<void> {
        std::vector<presence::Viewer> now;
        store::RecordState state;
        const store::ViewersResult result = co_await store_.room(channel->record, now, state);
        if (channel->closed) co_return;
        if (result == store::ViewersResult::ok) {
          if (channel->known) {
            const Transitions t = diff_viewers(channel->current, now);
            if (!t.empty()) {
              // Each form is written once, and only when someone wants it.
              const std::uint64_t seq = ++channel->seq;
              std::shared_ptr<const PresenceEvent> diff, full;
              if (channel->total > channel->full) {
                auto d = make_diff_event(channel->key, channel->record, seq, now, t);
                if (channel->members > 0) add_members(*d, now, t);
                diff = std::move(d);
              }
              if (channel->full > 0) full = make_full_event(channel->key, channel->record, seq, now, t);
              broadcast(*channel, std::move(diff), std::move(full));
              channel->snapshot.reset();
            }
          }
          remember_sent(now, channel->current);
          channel->known = true;
          send_snapshots(channel, &now);
          arm_expiry(channel, state.next_expiry_ms);
        } else if (!channel->awaiting.empty()) {
          // The store is down: look again after a window; subscribers wait for their snapshot
          // (until the first read, every subscriber does).
          channel->pending = true;
        }
        channel->phase = Channel::Phase::window;
        channel->window->start(options_.coalesce, [this, channel] {
          if (!channel->closed) finish_window(channel);
        });
      },
      asio::detached);
}

void Hub::finish_window(std::shared_ptr<Channel> channel) {
  if (channel->pending) {
    recompute(std::move(channel));
  } else {
    channel->phase = Channel::Phase::idle;
  }
}

void Hub::arm_expiry(const std::shared_ptr<Channel>& channel, std::int64_t in_ms) {
  channel->expiry->cancel();
  if (in_ms < 0) return;
  // A little after the deadline: the store counts a tab as gone only once it has passed.
  channel->expiry->start(std::chrono::milliseconds(in_ms + kExpirySlackMs), [this, weak = std::weak_ptr<Channel>(channel)] {
    auto channel = weak.lock();
    if (channel && !channel->closed) look_again(channel);
  });
}

void Hub::send_snapshots(const std::shared_ptr<Channel>& from, const std::vector<presence::Viewer>* now) {
  Channel& channel = *from;
  if (channel.awaiting.empty()) return;
  std::size_t needed = 0;
  bool members = false;
  for (const auto& a : channel.awaiting) {
    needed = std::max(needed, entries_for(a.limit));
    members |= a.members;
  }
  needed = std::min(needed, channel.current.size());
  if (!channel.snapshot || channel.snapshot->entries.size() < needed ||
      (members && !channel.snapshot->has_members)) {  // none before the first read
    if (!now) {
      look_again(from);  // its read sends them
      return;
    }
    auto snapshot = make_snapshot_event(channel.key, channel.record, channel.seq, *now, needed);
    if (members) add_members(*snapshot, *now);
    channel.snapshot = std::move(snapshot);
  }
  for (const Channel::Awaiting& a : channel.awaiting) {
    asio::post(threads_[a.thread].executor(), [this, thread = a.thread, id = a.subscriber, key = channel.key,
                                               snapshot = channel.snapshot] {
      auto& subscribers = local_on(thread).subscribers;
      auto it = subscribers.find(key);
      if (it == subscribers.end()) return;
      for (auto& e : it->second) {
        if (e.id != id || e.ready) continue;
        e.ready = true;
        e.subscriber->push_presence(snapshot, e.options.limit);
      }
    });
  }
  channel.awaiting.clear();
}

// `push(entry)` for every ready subscriber of the channel: one post per thread that
// has some, each walking its own table.
template <typename Push>
void Hub::fan_out(const Channel& channel, Push push) {
  for (std::size_t thread = 0; thread < channel.per_thread.size(); ++thread) {
    if (channel.per_thread[thread] == 0) continue;
    asio::post(threads_[thread].executor(), [this, thread, key = channel.key, push] {
      auto& subscribers = local_on(thread).subscribers;
      auto it = subscribers.find(key);
      if (it == subscribers.end()) return;
      std::uint64_t sent = 0;
      for (auto& e : it->second) {
        if (!e.ready) continue;
        push(e);
        ++sent;
      }
      metrics::add(metrics::Counter::events_sent, sent);
    });
  }
}

void Hub::broadcast(Channel& channel, std::shared_ptr<const PresenceEvent> diff, std::shared_ptr<const PresenceEvent> full) {
  fan_out(channel, [diff = std::move(diff), full = std::move(full)](const Local::Entry& e) {
    const auto& event = e.options.full ? full : diff;
    if (event) e.subscriber->push_presence(event, e.options.limit);
  });
}

}  // namespace presenced::fanout
