#pragma once
// The fan-out: who is subscribed to which record, and what to send them when it changes.
//
// Threads. Every subscriber (a transport's session: a WebSocket today) lives on one
// server thread, and the hub keeps, per thread, the subscribers of each record (touched
// only on that thread: no lock). Each record with subscribers has one channel, on a
// "home" thread chosen by the record's hash. A change, from whichever thread made it (or
// from Redis), is posted to the record's home; the channel asks the store for the
// record's viewers (room(): the Redis store answers from the changes it heard, without a
// read), compares them with what it sent last, serialises one diff (and one full list,
// only when a subscriber asked for that form), and posts it once to each thread that has
// subscribers, which hands it to its subscribers.
//
// Coalescing. The first change after a quiet period is sent at once; changes within the
// following window (--ws-coalesce, 75 ms) are sent together when it ends, so a burst
// costs at most two events per window and an isolated change waits for nothing. A change
// that alters nothing visible (a renewal) sends nothing. Expiry needs no one to report
// it: a channel looks again when the store says to (the first tab it knows of is due
// to expire, or what the store heard must be read again).

#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "fanout/events.hpp"
#include "runtime/event_thread.hpp"
#include "service/timers.hpp"
#include "store/presence_store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace presenced::fanout {

// A session, as the hub sees it. Called on the session's own thread; a push must not
// subscribe or unsubscribe (or end the session) before it returns: it may only queue.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual std::uint64_t subscriber_id() const = 0;  // unique for the process's life
  // `limit`: the subscription's (a list is cut to it, events.hpp).
  virtual void push_presence(std::shared_ptr<const PresenceEvent> event, std::uint32_t limit) = 0;
  virtual void push_text(std::shared_ptr<const std::string> text) = 0;
  // A record's notice (saved), `record_key` the record's (record_key()): a transport that
  // frames it per record overrides this; the text as it is otherwise.
  virtual void push_record_text(std::string_view /*record_key*/, std::shared_ptr<const std::string> text) {
    push_text(std::move(text));
  }
  // A named channel (named_channels.hpp) that subscribe() could not confirm at once is
  // heard now, on every node: messages published from now on reach this subscriber.
  virtual void named_ready(std::string_view /*name*/) {}
};

struct HubOptions {
  std::chrono::milliseconds coalesce{75};
};

// How long after a tab's deadline the hub reads the record again: the store counts a tab
// as gone only once its deadline has passed.
inline constexpr std::int64_t kExpirySlackMs = 20;

// The record as one key, "tenant:type:id" (store/layout.hpp; split_index_key splits it back).
std::string record_key(presence::RecordRef record);

class Hub final : public store::ChangeObserver {
 public:
  // `threads`: the server's; each has its share of the hub (its sessions by record, the
  // channels homed on it). `timers` times the coalescing windows and expiry checks
  // (simulated time in tests).
  Hub(store::PresenceStore& store, runtime::EventThreads& threads, HubOptions options, service::TimerSource& timers);
  ~Hub() override;

  // On `on`, the subscriber's thread (checked). The subscriber gets a snapshot, then every
  // change (diffs, or the full list), until it unsubscribes.
  void subscribe(runtime::EventThread& on, Subscriber& s, presence::RecordRef record, SubscribeOptions options = {});
  void unsubscribe(runtime::EventThread& on, Subscriber& s, presence::RecordRef record);

  // store::ChangeObserver: any thread.
  void on_change(const store::PresenceChange& change) override;

  // Releases timers and state; called once the server threads no longer run (checked),
  // before their io_contexts are destroyed.
  void stop();

  std::size_t subscriptions() const { return subscriptions_.load(std::memory_order_relaxed); }

 private:
  struct Local;
  struct Channel;

  Local& local_on(std::size_t thread);
  std::size_t home_of(const std::string& key) const;
  void home_subscribe(std::size_t home, std::string key, std::size_t thread, std::uint64_t id, SubscribeOptions options);
  void home_unsubscribe(std::size_t home, const std::string& key, std::size_t thread, SubscribeOptions options);
  std::shared_ptr<Channel> channel_at(std::size_t home, const std::string& key);
  void look_again(const std::shared_ptr<Channel>& channel);
  void recompute(std::shared_ptr<Channel> channel);
  void finish_window(std::shared_ptr<Channel> channel);
  void arm_expiry(const std::shared_ptr<Channel>& channel, std::int64_t in_ms);
  // To whoever awaits one; `now`: the room just read (none: from the snapshot made at the
  // last read when it holds enough, or else after a read).
  void send_snapshots(const std::shared_ptr<Channel>& channel, const std::vector<presence::Viewer>* now);
  template <typename Push>
  void fan_out(const Channel& channel, Push push);
  void broadcast(Channel& channel, std::shared_ptr<const PresenceEvent> diff, std::shared_ptr<const PresenceEvent> full);

  store::PresenceStore& store_;
  runtime::EventThreads& threads_;
  HubOptions options_;
  service::TimerSource& timers_;
  std::vector<std::unique_ptr<Local>> locals_;  // one per thread
  std::atomic<std::size_t> subscriptions_{0};   // none: changes are not even posted
};

}  // namespace presenced::fanout
