#include "store/redis/redis_store.hpp"

#include "presence/aggregation.hpp"
#include "presence/iso8601.hpp"
#include "presence/json_text.hpp"
#include "presence/scratch.hpp"
#include "store/redis/entry_codec.hpp"
#include "store/layout.hpp"
#include "store/redis/notice.hpp"
#include "store/redis/script_call.hpp"
#include "store/redis/script_reply.hpp"
#include "store/redis/scripts.hpp"
#include "store/redis/cluster/key_slot.hpp"
#include "runtime/check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include <charconv>

namespace presenced::store::redis {
namespace asio = boost::asio;

namespace {

// A bulk query's keys: each record's and its saved version's.
constexpr std::size_t kMaxBulkKeys = 2 * kMaxBulkRecords;

// A script's saved-version element: the record's latest saved lock_version, or none.
std::uint32_t saved_version_of(const redisReply& element) {
  std::uint32_t version = 0;
  const std::string_view v = text(element);
  return !v.empty() && std::from_chars(v.data(), v.data() + v.size(), version).ec == std::errc()
             ? version
             : presence::kNoLockVersion;
}

// One answer of a viewers script ({saved version, ms to the first expiry, then joined,
// value, ...}) into `out` (without `caller`) and `state`.
// Returns whether the script saw the record become vacant (webhooks; -2 in place of the
// expiry, see scripts.cpp).
bool read_viewers(const redisReply& list, presence::RecordRef record, const presence::User* caller,
                  std::vector<presence::Viewer>& out, RecordState* state) {
  RecordState found;
  found.saved_version = saved_version_of(*list.element[0]);
  const redisReply& expiry = *list.element[1];
  if (expiry.type == REDIS_REPLY_INTEGER) {
    found.next_expiry_ms = expiry.integer;
  } else {
    std::from_chars(expiry.str, expiry.str + expiry.len, found.next_expiry_ms);
  }
  const bool vacated = found.next_expiry_ms == -2;
  if (vacated) found.next_expiry_ms = -1;
  if (state) *state = found;

  // Entries the host app wrote may be anything; what cannot be read is skipped.
  thread_local std::vector<presence::User> users;
  thread_local std::vector<std::string> fields;
  thread_local std::vector<presence::TabView> tabs;
  const std::size_t entries = (list.elements - 2) / 2;
  users.resize(std::max(users.size(), entries));
  fields.resize(std::max(fields.size(), entries));
  tabs.clear();
  for (std::size_t i = 2; i + 1 < list.elements; i += 2) {
    presence::TabView tab{};
    const std::size_t n = tabs.size();
    if (read_entry(text(*list.element[i]), text(*list.element[i + 1]), record.tenant, users[n], fields[n], tab)) {
      tab.user = &users[n];
      tabs.push_back(tab);
    }
  }
  presence::aggregate_viewers(tabs, caller, found.saved_version, out, state ? &state->totals : nullptr);
  presence::release_if_large(users);
  presence::release_if_large(fields);
  presence::release_if_large(tabs);
  return vacated;
}

using BulkCommand = BasicCommand<kMaxBulkKeys + 8>;
// The due-tabs check: its keys, now, TTL, cutoff and the tabs.
using DueCommand = BasicCommand<RoomMirror::kMaxDueChecked + 8>;

// Writes one group's script command (not in a coroutine: the command is large, and lives
// only until it is in the connection's buffer).
template <typename Args>
void submit_group(Connection& c, Connection::Pending& pending, const Script& script, const KeyList& keys, Args& args) {
  BulkCommand command;
  build_script_command(command, script, false, keys, args);
  c.submit(command, pending);
}

// Runs `script` once for each group of keys (of one slot each, on a cluster), every
// group in flight at once: one round trip per node. A group that does not get its answer
// at once (a redirection, a lost script, a node failing over) runs again on its own,
// through call_script. results[i] answers groups[i]; false when one could not be had.
template <typename Args>
asio::awaitable<bool> run_groups(NodeSet& nodes, const Script& script, std::span<const KeyList> groups, Args args,
                                 std::chrono::milliseconds timeout, std::vector<Reply>& results) {
  const std::size_t n = groups.size();
  results.clear();
  results.resize(n);
  std::unique_ptr<Connection::Pending[]> pending(new Connection::Pending[n]);
  std::vector<Connection*> via(n, nullptr);
  for (std::size_t i = 0; i < n; ++i) {
    via[i] = nodes.for_key(groups[i].route());
    if (via[i]) submit_group(*via[i], pending[i], script, groups[i], args);
  }
  bool all = true;
  for (std::size_t i = 0; i < n; ++i) {  // every submitted reply is waited for
    if (via[i]) {
      ExecResult r = co_await via[i]->wait(pending[i]);
      if (r.status == ExecStatus::ok && r.reply->type != REDIS_REPLY_ERROR) {
        results[i] = std::move(r.reply);
        continue;
      }
    }
    ExecResult again = co_await call_script<BulkCommand>(nodes, script, groups[i], args, timeout);
    if (again.status == ExecStatus::ok) results[i] = std::move(again.reply);
    else all = false;
  }
  co_return all;
}

// Splits `keys` (already in slot order on a cluster) into groups a script may take: runs
// of one slot on a cluster, `per` keys at a time on one Redis. `slot_of(i)` is the slot of
// keys[i], and keys come `per` to a record (a record's keys share its slot).
template <typename SlotOf>
std::vector<KeyList> group_keys(std::span<const std::string> keys, bool cluster, std::size_t per, SlotOf slot_of) {
  std::vector<KeyList> groups;
  for (std::size_t at = 0; at < keys.size();) {
    std::size_t end = std::min(keys.size(), at + kMaxBulkKeys / per * per);
    if (cluster) {
      end = at + per;
      while (end < keys.size() && end - at < kMaxBulkKeys && slot_of(end) == slot_of(at)) end += per;
    }
    groups.push_back(KeyList{keys.subspan(at, end - at)});
    at = end;
  }
  return groups;
}

}  // namespace

RedisStore::RedisStore(RedisStoreOptions options, const presence::Clock& clock)
    : options_(std::move(options)),
      scripts_(make_scripts(options_.limits.per_record, options_.limits.per_user, options_.endpoint.cluster)),
      clock_(clock) {}

RedisStore::~RedisStore() { stop(); }

void RedisStore::start(runtime::EventThreads& threads) {
  threads_ = &threads;
  ConnectionOptions co;
  co.request_timeout = options_.timeout;
  co.scripts = {scripts_.heartbeat.source, scripts_.viewers.source, scripts_.unregister.source,
                scripts_.viewers_many.source, scripts_.room.source, scripts_.due.source, scripts_.size.source};
  auto& first = threads.front().context();
  for (auto& thread : threads) {
    auto& context = thread->context();
    auto nodes = std::make_unique<NodeSet>(context, options_.endpoint, co);
    if (tracking() && nodes_.empty()) {
      // Webhooks: a record whose last tab expires is vacant when its key expires. The
      // first thread's connections turn expiry events on wherever they connect (a
      // failover's new master too: CONFIG SET is not replicated).
      nodes->on_node_state = [this, &first](Connection& c, bool up) {
        if (up) asio::co_spawn(first, enable_expiry_events(c), asio::detached);
      };
    }
    nodes->start();
    nodes_.push_back(std::move(nodes));
    watched_.push_back(std::make_unique<WatchedRecords>());
  }
  subscriber_ = std::make_unique<Subscriber>(first, options_.endpoint, co, static_cast<NoticeSink&>(*this), *nodes_.front());
  if (tracking()) {
    // The subscriber hears the expiries (on every master); the script settles which node
    // tells each.
    subscriber_->on_expired = [this, &first](std::string_view key) {
      if (layout::record_of_redis_key(key)) asio::co_spawn(first, vacate_expired(std::string(key)), asio::detached);
    };
  }
  subscriber_->start();
}

void RedisStore::stop() {
  PRESENCED_CHECK(!threads_ || threads_->none_running(), "the store stops once the server threads have");
  for (auto& n : nodes_) n->stop();
  if (subscriber_) subscriber_->stop();
  // stop() failed every request still waiting on Redis, and queued its wake-up on the
  // (stopped) io_context. Run those, so that each waiting coroutine ends (with 503)
  // instead of being left holding itself through its own handler. The server threads
  // are gone: this thread, the only one left, acts as each of them in turn (what it runs
  // is theirs, and checked as such).
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    auto& context = nodes_[i]->context();
    runtime::EventThread::Binding as_its_thread((*threads_)[i]);
    context.restart();
    for (int round = 0; round < 100 && context.poll() > 0; ++round) {
    }
  }
  nodes_.clear();
  watched_.clear();
  subscriber_.reset();  // while the io_contexts still exist (see presence_store.hpp)
}

bool RedisStore::ready() const {
  if (nodes_.empty()) return false;
  for (const auto& n : nodes_) {
    if (!n->ready()) return false;
  }
  return true;
}

NodeSet* RedisStore::nodes_here() {
  runtime::EventThread* here = runtime::EventThread::current();
  PRESENCED_CHECK(here && here->index() < nodes_.size() && &nodes_[here->index()]->context() == &here->context(),
                  "store calls arrive on a server thread");
  if (!here || here->index() >= nodes_.size()) return nullptr;  // (not a server thread: no connection)
  return nodes_[here->index()].get();
}

asio::awaitable<void> RedisStore::vacate_expired(std::string key) {
  const layout::KeyText marker = layout::occupancy_key(key);
  ExecResult r = co_await call_script(*nodes_.front(), scripts_.expired, Keys{key, marker.view()},
                                      [](Command&) {}, options_.timeout);
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_INTEGER) {
    spdlog::warn("webhooks: could not settle the expiry of {}: its vacancy is told at its next join", key);
    co_return;
  }
  if (r.reply->integer == 1) {
    if (auto record = layout::record_of_redis_key(key)) occupancy_->on_occupancy(*record, Occupancy::vacated);
  }
}

asio::awaitable<void> RedisStore::enable_expiry_events(Connection& c) {
  Command get;
  get.arg("CONFIG").arg("GET").arg("notify-keyspace-events");
  ExecResult r = co_await c.execute(get);
  std::string flags;
  if (r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ARRAY && r.reply->elements == 2) {
    flags = text(*r.reply->element[1]);
  }
  // E: keyevent channels; x: expired events (A, "all", includes x).
  const bool has_e = flags.find('E') != std::string::npos;
  const bool has_x = flags.find('x') != std::string::npos || flags.find('A') != std::string::npos;
  if (r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ARRAY && has_e && has_x) co_return;
  if (!has_e) flags += 'E';
  if (!has_x) flags += 'x';
  Command set;
  set.arg("CONFIG").arg("SET").arg("notify-keyspace-events").arg(flags);
  ExecResult done = co_await c.execute(set);
  if (done.status == ExecStatus::ok && done.reply->type != REDIS_REPLY_ERROR) co_return;
  if (!std::exchange(warned_events_, true)) {
    spdlog::warn("webhooks: cannot turn on expiry events on redis {}:{} ({}): set notify-keyspace-events to "
                 "include Ex there, or record.vacated is sent for an expired record only at its next join",
                 c.endpoint().host, c.endpoint().port,
                 done.status == ExecStatus::ok ? std::string(text(*done.reply)) : std::string("no answer"));
  }
}

// WAIT on the connection that wrote the change: acknowledged once options_.wait_replicas
// replicas have it, within the request's timeout. Fewer: the request fails (the change
// stays on the master; the client's retry is harmless), never a success a failover can lose.
asio::awaitable<bool> RedisStore::replicated(Connection* wrote) {
  if (!wrote) co_return false;
  Command wait;
  wait.arg("WAIT").arg(options_.wait_replicas).arg(static_cast<std::int64_t>(options_.timeout.count()));
  ExecResult r = co_await wrote->execute(wait);
  co_return r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_INTEGER && r.reply->integer >= options_.wait_replicas;
}

asio::awaitable<HeartbeatResult> RedisStore::heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                       presence::HeartbeatInput tab) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return HeartbeatResult::unavailable;
  const std::int64_t now = clock_.unix_ms();
  const presence::Iso8601 stamp(now), cutoff(now - options_.ttl_ms);
  const layout::KeyText key = layout::redis_key(record);
  const layout::KeyText counts = layout::counts_key(key.view());
  const layout::KeyText marker = layout::occupancy_key(key.view(), tracking());
  Connection* wrote = nullptr;
  ExecResult r = co_await call_script(*nodes, scripts_.heartbeat,
                                      Keys{key.view(), counts.view(), marker.view()}, [&](Command& w) {
    // Built here, each time the command is written (there is a retry after NOSCRIPT):
    // the buffers are the thread's, and other requests use them while this one waits.
    thread_local std::string head, tail;
    value_head(head, *user, tab);
    value_tail(tail, tab);
    w.arg(tab.tab_id).arg(options_.ttl_ms);
    w.arg(head).arg(stamp.view()).arg(tail).arg(cutoff.view());
  }, options_.timeout, &wrote);
  // Joins and updates reach the observers through Redis (the script publishes them), on
  // this node as on every other: see subscriber.hpp.
  const ScriptReply reply = script_reply(r);
  const bool occupied = reply == ScriptReply::occupied, reoccupied = reply == ScriptReply::reoccupied;
  const bool written = reply == ScriptReply::renewed || reply == ScriptReply::joined ||
                       reply == ScriptReply::updated || occupied || reoccupied;
  if (written && options_.wait_replicas > 0) {
    const bool kept = co_await replicated(wrote);
    // Told all the same: the change is on the master, and is presence until it expires.
    if (!kept) {
      if (occupied || reoccupied) tell_occupied(record, reoccupied);
      co_return HeartbeatResult::unavailable;
    }
  }
  if (occupied || reoccupied) {
    tell_occupied(record, reoccupied);
    co_return HeartbeatResult::joined;
  }
  switch (reply) {
    case ScriptReply::renewed: co_return HeartbeatResult::renewed;
    case ScriptReply::joined: co_return HeartbeatResult::joined;
    case ScriptReply::updated: co_return HeartbeatResult::updated;
    case ScriptReply::not_owner: co_return HeartbeatResult::not_owner;
    case ScriptReply::record_full: co_return HeartbeatResult::record_full;
    case ScriptReply::user_full: co_return HeartbeatResult::user_full;
    default: co_return HeartbeatResult::unavailable;
  }
}

asio::awaitable<UnregisterResult> RedisStore::unregister(presence::RecordRef record, const presence::User& user,
                                                         std::string_view tab_id, std::int64_t unless_seen_since_ms) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return UnregisterResult::unavailable;
  const layout::KeyText key = layout::redis_key(record);
  const layout::KeyText counts = layout::counts_key(key.view());
  const layout::KeyText marker = layout::occupancy_key(key.view(), tracking());
  Connection* wrote = nullptr;
  ExecResult r = co_await call_script(*nodes, scripts_.unregister,
                                      Keys{key.view(), counts.view(), marker.view()}, [&](Command& w) {
    w.arg(tab_id).arg(user.id).arg(clock_.unix_ms()).arg(options_.ttl_ms).arg(unless_seen_since_ms);
  }, options_.timeout, &wrote);
  const ScriptReply reply = script_reply(r);
  if (reply == ScriptReply::vacated) occupancy_->on_occupancy(record, Occupancy::vacated);
  switch (reply) {
    case ScriptReply::removed:
    case ScriptReply::vacated:
      if (options_.wait_replicas > 0) {
        const bool kept = co_await replicated(wrote);
        if (!kept) co_return UnregisterResult::unavailable;
      }
      co_return UnregisterResult::removed;
    case ScriptReply::absent: co_return UnregisterResult::absent;
    case ScriptReply::not_owner: co_return UnregisterResult::not_owner;
    case ScriptReply::kept: co_return UnregisterResult::kept;
    default: co_return UnregisterResult::unavailable;
  }
}

asio::awaitable<ViewersResult> RedisStore::viewers(presence::RecordRef record, const presence::User* caller,
                                                   std::vector<presence::Viewer>& out, RecordState* state) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return ViewersResult::unavailable;
  const layout::KeyText key = layout::redis_key(record);
  const layout::KeyText saved = layout::saved_key(record);
  const layout::KeyText marker = layout::occupancy_key(key.view(), tracking());
  // A command holds views of its arguments: the cutoff's text lives until the reply.
  const std::int64_t now = clock_.unix_ms();
  const presence::Iso8601 cutoff(now - options_.ttl_ms);
  ExecResult r = co_await call_script(
      *nodes, scripts_.viewers, Keys{key.view(), saved.view(), marker.view()},
      [&](Command& w) { w.arg(now).arg(options_.ttl_ms).arg(cutoff.view()); }, options_.timeout);
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY || r.reply->elements < 2) {
    co_return ViewersResult::unavailable;
  }

  if (read_viewers(*r.reply, record, caller, out, state)) occupancy_->on_occupancy(record, Occupancy::vacated);
  co_return ViewersResult::ok;
}

asio::awaitable<ViewersResult> RedisStore::room(presence::RecordRef record, std::vector<presence::Viewer>& out,
                                                RecordState& state) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return ViewersResult::unavailable;
  const layout::KeyText key = layout::redis_key(record);
  const std::int64_t now = clock_.unix_ms();
  RoomMirror* mirror = mirror_here(key.view());
  if (mirror) {
    std::vector<std::string> due;  // (empty unless tabs are due: no allocation)
    RoomMirror::Doubt doubt = mirror->doubt(now, &due);
    if (doubt == RoomMirror::Doubt::due && co_await check_due(record, key.view(), *nodes, std::move(due), now)) {
      mirror = mirror_here(key.view());
      doubt = mirror ? mirror->doubt(now) : RoomMirror::Doubt::all;
    }
    if (doubt == RoomMirror::Doubt::none) {
      mirror->roll_up(now, out, state);
      co_return ViewersResult::ok;
    }
  }

  // Read in full (room_mirror.hpp says when). Notices heard meanwhile go on top.
  const std::uint64_t read = mirror ? mirror->begin_read() : 0;
  const layout::KeyText saved = layout::saved_key(record);
  const layout::KeyText marker = layout::occupancy_key(key.view(), tracking());
  const presence::Iso8601 cutoff(now - options_.ttl_ms);  // viewed by the command: lives until the reply
  ExecResult r = co_await call_script(
      *nodes, scripts_.room, Keys{key.view(), saved.view(), marker.view()},
      [&](Command& w) { w.arg(now).arg(options_.ttl_ms).arg(cutoff.view()); }, options_.timeout);
  mirror = mirror_here(key.view());  // unwatched while waiting, perhaps
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY || r.reply->elements < 2) {
    if (mirror) mirror->abandon_read(read);
    co_return ViewersResult::unavailable;
  }
  const redisReply& list = *r.reply;
  const std::uint32_t saved_version = saved_version_of(*list.element[0]);
  const bool vacated = text(*list.element[1]) == "-2";
  thread_local std::vector<RoomMirror::ReadEntry> entries;
  entries.clear();
  for (std::size_t i = 2; i < list.elements; ++i) {
    // What cannot be unpacked is not presence (anyone may write to a shared Redis).
    if (auto e = RoomMirror::unpack(text(*list.element[i]))) entries.push_back(*e);
  }
  // Without the mirror it was read for (gone, or watched anew meanwhile), the answer is
  // rolled up all the same.
  std::optional<RoomMirror> alone;
  if (!mirror || !mirror->finish_read(read, entries, saved_version, now)) {
    mirror = &alone.emplace(std::string(record.tenant), options_.limits.per_record, options_.ttl_ms);
    mirror->finish_read(mirror->begin_read(), entries, saved_version, now);
  }
  mirror->roll_up(now, out, state);
  presence::release_if_large(entries);
  if (vacated) occupancy_->on_occupancy(record, Occupancy::vacated);
  co_return ViewersResult::ok;
}

std::optional<std::size_t> RedisStore::watcher_of(std::string_view key) const {
  std::lock_guard lock(watchers_mutex_);
  const auto it = watchers_.find(key);
  return it == watchers_.end() || it->second.empty() ? std::nullopt : std::optional<std::size_t>(it->second.front());
}

void RedisStore::watch_for_pages(presence::RecordRef record) {
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here || !subscriber_ || here->index() >= watched_.size()) return;
  const layout::KeyText key = layout::redis_key(record);
  if (watched_[here->index()]->contains(key.view())) return;
  watch(record);
  Watched& w = watched_[here->index()]->find(key.view())->second;
  w.for_pages = true;
  w.paged_until_ms = clock_.unix_ms() + page_watch_lasts_ms();
  asio::co_spawn(here->executor(),
                 page_watch_ends(std::string(record.tenant), std::string(record.type), std::string(record.id)),
                 asio::detached);
}

asio::awaitable<void> RedisStore::page_watch_ends(std::string tenant, std::string type, std::string id) {
  const presence::RecordRef record{tenant, type, id};
  const layout::KeyText key = layout::redis_key(record);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto& records = *watched_[runtime::EventThread::current()->index()];
    auto it = records.find(key.view());
    if (it == records.end() || !it->second.for_pages) co_return;
    const std::int64_t left = it->second.paged_until_ms - clock_.unix_ms();
    if (left <= 0) {
      it->second.for_pages = false;
      unwatch(record);
      co_return;
    }
    timer.expires_after(std::chrono::milliseconds(left));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // stopped
  }
}

asio::awaitable<ViewersResult> RedisStore::viewers_page(presence::RecordRef record, const presence::User& caller,
                                                        std::size_t offset, std::size_t limit,
                                                        std::vector<presence::Viewer>& out,
                                                        presence::Totals& totals) {
  const layout::KeyText key = layout::redis_key(record);
  const auto owner = watcher_of(key.view());
  // Made where the mirror lives; this request waits, and goes on on its own thread.
  if (owner && threads_ && *owner < threads_->size() &&
      co_await asio::co_spawn((*threads_)[*owner].executor(),
                              page_from_mirror(record, key.view(), caller, offset, limit, out, totals),
                              asio::use_awaitable)) {
    co_return ViewersResult::ok;
  }
  const ViewersResult result = co_await PresenceStore::viewers_page(record, caller, offset, limit, out, totals);
  if (!owner && result == ViewersResult::ok && totals.tabs >= kPagedFromMirrorAt) watch_for_pages(record);
  co_return result;
}

asio::awaitable<bool> RedisStore::page_from_mirror(presence::RecordRef record, std::string_view key,
                                                   const presence::User& caller, std::size_t offset,
                                                   std::size_t limit, std::vector<presence::Viewer>& out,
                                                   presence::Totals& totals) {
  runtime::EventThread* here = runtime::EventThread::current();
  NodeSet* nodes = nodes_here();
  if (!here || !nodes || here->index() >= watched_.size()) co_return false;
  auto watched = watched_[here->index()]->find(key);
  if (watched == watched_[here->index()]->end() || !watched->second.mirror) co_return false;
  const std::int64_t now = clock_.unix_ms();
  if (watched->second.for_pages) watched->second.paged_until_ms = now + page_watch_lasts_ms();
  RoomMirror* mirror = watched->second.mirror.get();
  if (mirror->tabs() < kPagedFromMirrorAt && mirror->trusted()) co_return false;  // small: read whole
  if (mirror->doubt(now) == RoomMirror::Doubt::none) {
    // Entries no notice told of (the host app's) show in the hash's size.
    ExecResult size = co_await call_script(*nodes, scripts_.size, Keys{key}, [](Command&) {}, options_.timeout);
    mirror = mirror_here(key);
    if (!mirror || size.status != ExecStatus::ok || size.reply->type != REDIS_REPLY_INTEGER) co_return false;
    if (size.reply->integer != static_cast<long long>(mirror->tabs())) mirror->forget();  // read it now
  }
  if (mirror->doubt(now) != RoomMirror::Doubt::none) {
    // Due tabs checked, or the record read whole (then kept: the next page is the page's).
    std::vector<presence::Viewer> everyone;
    RecordState state;
    if (co_await room(record, everyone, state) != ViewersResult::ok) co_return false;
    mirror = mirror_here(key);
    if (!mirror || mirror->doubt(now) != RoomMirror::Doubt::none) {
      // Read but not yet to be kept (the subscription is not confirmed yet): this read's page.
      std::erase_if(everyone, [&](const presence::Viewer& v) { return v.id == caller.id; });
      cut_page(everyone, offset, limit);
      out = std::move(everyone);
      totals = state.totals;
      co_return true;
    }
  }
  mirror->page(caller, offset, limit, out, totals);
  co_return true;
}

asio::awaitable<bool> RedisStore::check_due(presence::RecordRef record, std::string_view key, NodeSet& nodes,
                                            std::vector<std::string> due, std::int64_t now) {
  RoomMirror* mirror = mirror_here(key);
  const std::uint64_t check = mirror->begin_check();
  const layout::KeyText marker = layout::occupancy_key(key, tracking());
  const presence::Iso8601 cutoff(now - options_.ttl_ms);
  ExecResult r = co_await call_script<DueCommand>(
      nodes, scripts_.due, Keys{key, marker.view()},
      [&](DueCommand& w) {
        w.arg(now).arg(options_.ttl_ms).arg(cutoff.view());
        for (const std::string& tab : due) w.arg(tab);
      },
      options_.timeout);
  mirror = mirror_here(key);  // unwatched while waiting, perhaps
  const bool answered = r.status == ExecStatus::ok && r.reply->type == REDIS_REPLY_ARRAY &&
                        r.reply->elements == due.size() + 1;
  if (!answered) {
    if (mirror) mirror->abandon_check();
    co_return false;
  }
  std::vector<std::string_view> found;
  found.reserve(due.size());
  for (std::size_t i = 1; i < r.reply->elements; ++i) found.push_back(text(*r.reply->element[i]));
  if (text(*r.reply->element[0]) == "-2" && occupancy_) occupancy_->on_occupancy(record, Occupancy::vacated);
  co_return mirror && mirror->finish_check(check, due, found);
}

asio::awaitable<ViewersResult> RedisStore::viewers_of(std::span<const presence::RecordRef> records,
                                                      std::vector<std::vector<presence::Viewer>>& out) {
  out.resize(records.size());
  if (records.empty()) co_return ViewersResult::ok;
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return ViewersResult::unavailable;
  // On a cluster, the records by slot: a script per slot, all in flight at once.
  std::vector<std::size_t> order(records.size());
  std::vector<std::uint16_t> slots(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    order[i] = i;
    if (nodes->cluster()) slots[i] = cluster::key_slot(layout::redis_key(records[i]).view());
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return slots[a] < slots[b]; });
  const std::size_t per = tracking() ? 3 : 2;  // keys per record: with webhooks, its marker too
  std::vector<std::string> keys;
  keys.reserve(per * records.size());
  for (std::size_t i : order) {
    const layout::KeyText key = layout::redis_key(records[i]);
    keys.emplace_back(key.view());
    keys.emplace_back(layout::saved_key(records[i]).view());
    if (tracking()) keys.emplace_back(layout::occupancy_key(key.view()).view());
  }
  const auto groups = group_keys(keys, nodes->cluster(), per, [&](std::size_t k) { return slots[order[k / per]]; });
  std::vector<Reply> answers;
  const std::int64_t now = clock_.unix_ms();
  const presence::Iso8601 cutoff(now - options_.ttl_ms);  // viewed by the commands: lives until the replies
  const bool all = co_await run_groups(
      *nodes, scripts_.viewers_many, groups,
      [&](auto& w) { w.arg(now).arg(options_.ttl_ms).arg(static_cast<std::int64_t>(per)).arg(cutoff.view()); },
      options_.timeout, answers);
  if (!all) co_return ViewersResult::unavailable;
  std::size_t next = 0;  // position in `order`
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const redisReply& list = *answers[g];
    if (list.type != REDIS_REPLY_ARRAY || list.elements != groups[g].size() / per) co_return ViewersResult::unavailable;
    for (std::size_t e = 0; e < list.elements; ++e, ++next) {
      const redisReply& answer = *list.element[e];
      if (answer.type != REDIS_REPLY_ARRAY || answer.elements < 2) co_return ViewersResult::unavailable;
      if (read_viewers(answer, records[order[next]], nullptr, out[order[next]], nullptr)) {
        occupancy_->on_occupancy(records[order[next]], Occupancy::vacated);
      }
    }
  }
  co_return ViewersResult::ok;
}

asio::awaitable<ViewersResult> RedisStore::tabs(presence::RecordRef record, std::vector<presence::TabDetail>& out) {
  out.clear();
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return ViewersResult::unavailable;
  const layout::KeyText key = layout::redis_key(record);
  ExecResult r = co_await call_script(*nodes, scripts_.tabs, Keys{key.view(), {}},
                                      [&](Command& w) { w.arg(clock_.unix_ms()).arg(options_.ttl_ms); },
                                      options_.timeout);
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_ARRAY) co_return ViewersResult::unavailable;
  const redisReply& list = *r.reply;
  std::vector<std::pair<std::uint64_t, presence::TabDetail>> joined;
  for (std::size_t i = 0; i + 3 < list.elements; i += 4) {
    presence::User user;
    std::string field;
    presence::TabView tab{};
    // Entries the host app wrote may be anything; what cannot be read is skipped.
    if (!read_entry(text(*list.element[i + 3]), text(*list.element[i + 1]), record.tenant, user, field, tab)) continue;
    presence::TabDetail d{.tab_id = std::string(text(*list.element[i])),
                          .user_id = user.id,
                          .user_id_is_number = user.id_is_number,
                          .user_name = user.name,
                          .mode = tab.mode,
                          .dirty = tab.dirty,
                          .activity = tab.activity,
                          .field = std::string(tab.field),
                          .lock_version = tab.lock_version};
    const std::string_view seen = text(*list.element[i + 2]);
    std::from_chars(seen.data(), seen.data() + seen.size(), d.last_seen_ms);
    joined.emplace_back(tab.joined, std::move(d));
  }
  std::stable_sort(joined.begin(), joined.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, detail] : joined) out.push_back(std::move(detail));
  co_return ViewersResult::ok;
}

asio::awaitable<std::optional<std::size_t>> RedisStore::remove_user(std::string_view tenant,
                                                                  std::string_view user_id) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return std::nullopt;
  // The tenant's records, a page of SCAN at a time on each master (a node scans only its
  // own keys), each page cleaned by one script per slot, all in flight at once.
  std::string pattern;
  pattern.append(layout::kKeyPrefix).append(tenant).append(layout::kKeyMiddle).append("*");
  std::size_t removed = 0;
  for (Connection* master : nodes->masters()) {
    std::string cursor = "0";
    do {
      Command scan;
      scan.arg("SCAN").arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(kMaxBulkRecords);
      ExecResult page = co_await master->execute(scan);
      if (page.status != ExecStatus::ok || page.reply->type != REDIS_REPLY_ARRAY || page.reply->elements != 2 ||
          page.reply->element[1]->type != REDIS_REPLY_ARRAY) {
        co_return std::nullopt;
      }
      cursor = text(*page.reply->element[0]);
      const redisReply& found = *page.reply->element[1];
      // The keys SCAN found are untrusted (anyone with access to the shared Redis may
      // write one that matches the pattern): only those that parse as a record's key of
      // ours are touched. On a cluster, by slot (each key's slot computed once): a script
      // per slot.
      std::vector<std::string_view> ours;
      for (std::size_t i = 0; i < found.elements; ++i) {
        if (found.element[i]->type != REDIS_REPLY_STRING) continue;
        const std::string_view key = text(*found.element[i]);
        if (auto record = layout::record_of_redis_key(key); record && record->tenant == tenant) ours.push_back(key);
      }
      if (ours.empty()) continue;
      std::vector<std::size_t> order(ours.size());
      std::vector<std::uint16_t> slots(ours.size());
      for (std::size_t i = 0; i < ours.size(); ++i) {
        order[i] = i;
        if (nodes->cluster()) slots[i] = cluster::key_slot(ours[i]);
      }
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return slots[a] < slots[b]; });
      const std::size_t per = tracking() ? 2 : 1;  // keys per record: with webhooks, its marker too
      std::vector<std::string> keys;
      keys.reserve(per * ours.size());
      for (std::size_t i : order) {
        keys.emplace_back(ours[i]);
        if (tracking()) keys.emplace_back(layout::occupancy_key(ours[i]).view());
      }
      const auto groups =
          group_keys(keys, nodes->cluster(), per, [&](std::size_t k) { return slots[order[k / per]]; });
      std::vector<Reply> answers;
      const bool all = co_await run_groups(
          *nodes, scripts_.remove_user, groups,
          [&](auto& w) {
            w.arg(user_id).arg(clock_.unix_ms()).arg(options_.ttl_ms).arg(static_cast<std::int64_t>(per));
          },
          options_.timeout, answers);
      if (!all) co_return std::nullopt;
      for (const Reply& answer : answers) {
        // {removed, then the keys of records this left vacant}
        if (answer->type != REDIS_REPLY_ARRAY || answer->elements < 1 ||
            answer->element[0]->type != REDIS_REPLY_INTEGER) {
          co_return std::nullopt;
        }
        removed += static_cast<std::size_t>(answer->element[0]->integer);
        for (std::size_t v = 1; v < answer->elements; ++v) {
          if (auto record = layout::record_of_redis_key(text(*answer->element[v]))) {
            occupancy_->on_occupancy(*record, Occupancy::vacated);
          }
        }
      }
    } while (cursor != "0");
  }
  co_return removed;
}

void RedisStore::tell_occupied(presence::RecordRef record, bool after_unseen_vacancy) {
  if (after_unseen_vacancy) occupancy_->on_occupancy(record, Occupancy::vacated);
  occupancy_->on_occupancy(record, Occupancy::occupied);
}

asio::awaitable<SavedResult> RedisStore::saved(presence::RecordRef record, presence::UserPtr user,
                                               std::uint32_t lock_version) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return SavedResult::unavailable;
  const layout::KeyText key = layout::redis_key(record);
  const layout::KeyText saved = layout::saved_key(record);
  std::string notice = encode_saved_notice(*user, lock_version);
  Connection* wrote = nullptr;
  ExecResult r = co_await call_script(*nodes, scripts_.saved, Keys{key.view(), saved.view()}, [&](Command& w) {
    w.arg(static_cast<std::int64_t>(lock_version)).arg(notice).arg(kSavedVersionKeepMs);
  }, options_.timeout, &wrote);
  if (script_reply(r) != ScriptReply::ok) co_return SavedResult::unavailable;
  if (options_.wait_replicas > 0) {
    const bool kept = co_await replicated(wrote);
    if (!kept) co_return SavedResult::unavailable;
  }
  co_return SavedResult::ok;
}

RoomMirror* RedisStore::mirror_here(std::string_view key) {
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here || here->index() >= watched_.size()) return nullptr;
  auto& records = *watched_[here->index()];
  auto it = records.find(key);
  return it == records.end() ? nullptr : it->second.mirror.get();
}

RoomMirror* RedisStore::mirror_of_channel(std::string_view channel, std::optional<presence::RecordRef>& record) {
  const std::string_view key = layout::key_of_channel(channel);
  record = layout::record_of_redis_key(key);
  return record ? mirror_here(key) : nullptr;
}

void RedisStore::watch(presence::RecordRef record) {
  runtime::EventThread* here = runtime::EventThread::current();
  PRESENCED_CHECK(here && here->index() < watched_.size(), "a record is watched from a server thread");
  if (!here || !subscriber_ || here->index() >= watched_.size()) return;
  const layout::KeyText key = layout::redis_key(record);
  auto [it, added] = watched_[here->index()]->try_emplace(key.str());
  if (it->second.watchers++ == 0) {
    it->second.mirror = std::make_unique<RoomMirror>(std::string(record.tenant), options_.limits.per_record,
                                                     options_.ttl_ms);
    std::lock_guard lock(watchers_mutex_);
    watchers_[key.str()].push_back(here->index());
  }
  subscriber_->watch(layout::channel_of(key.view()), here->index());
}

void RedisStore::unwatch(presence::RecordRef record) {
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here || !subscriber_ || here->index() >= watched_.size()) return;
  const layout::KeyText key = layout::redis_key(record);
  auto& records = *watched_[here->index()];
  if (auto it = records.find(key.view()); it != records.end() && --it->second.watchers == 0) {
    records.erase(it);
    std::lock_guard lock(watchers_mutex_);
    if (auto w = watchers_.find(key.view()); w != watchers_.end()) {
      std::erase(w->second, here->index());
      if (w->second.empty()) watchers_.erase(w);
    }
  }
  subscriber_->unwatch(layout::channel_of(key.view()), here->index());
}

asio::awaitable<std::optional<std::size_t>> RedisStore::publish_named(std::string name, std::string payload) {
  NodeSet* nodes = nodes_here();
  if (!nodes) co_return std::nullopt;
  const std::string channel = layout::named_channel_of(name);
  ExecResult r = co_await call_script(*nodes, scripts_.publish_named, Keys{channel},
                                      [&](Command& w) { w.arg(payload); }, options_.timeout);
  // The script answers PUBLISH's (SPUBLISH's) count of the subscribers it reached.
  if (r.status != ExecStatus::ok || r.reply->type != REDIS_REPLY_INTEGER || r.reply->integer < 0) co_return std::nullopt;
  co_return static_cast<std::size_t>(r.reply->integer);
}

void RedisStore::listen_named(std::string_view name) {
  runtime::EventThread* here = runtime::EventThread::current();
  PRESENCED_CHECK(here && here->index() < watched_.size(), "a named channel is listened to from a server thread");
  if (!here || !subscriber_) return;
  subscriber_->watch(layout::named_channel_of(name), here->index());
}

void RedisStore::unlisten_named(std::string_view name) {
  runtime::EventThread* here = runtime::EventThread::current();
  if (!here || !subscriber_) return;
  subscriber_->unwatch(layout::named_channel_of(name), here->index());
}

void RedisStore::heard(std::size_t owner, std::string_view channel, std::string_view payload) {
  if (!threads_ || owner >= threads_->size()) return;
  if (const std::string_view name = layout::name_of_named_channel(channel); !name.empty()) {
    // Not a record's: the named channel's listener (fanout::NamedChannels) reads it.
    asio::post((*threads_)[owner].executor(), [this, name = std::string(name), payload = std::string(payload)] {
      if (named_) named_->on_named_message(name, payload);
    });
    return;
  }
  asio::post((*threads_)[owner].executor(), [this, channel = std::string(channel), payload = std::string(payload)] {
    std::optional<presence::RecordRef> record;
    RoomMirror* mirror = mirror_of_channel(channel, record);
    if (!mirror) return;  // no longer watched
    if (payload.starts_with('{')) {
      auto notice = decode_saved_notice(payload);
      if (!notice) return;
      mirror->saved(notice->lock_version);
      notice->by.tenant = std::string(record->tenant);
      if (observer_) observer_->on_change({*record, {}, &notice->by, ChangeKind::saved, notice->lock_version});
      return;
    }
    mirror->heard(payload);
    if (observer_) observer_->on_change({*record, {}, nullptr, ChangeKind::updated});
  });
}

void RedisStore::listening(std::size_t owner, std::string_view channel, bool on) {
  if (!threads_ || owner >= threads_->size()) return;
  if (const std::string_view name = layout::name_of_named_channel(channel); !name.empty()) {
    asio::post((*threads_)[owner].executor(), [this, name = std::string(name), on] {
      if (named_) named_->on_named_listening(name, on);
    });
    return;
  }
  asio::post((*threads_)[owner].executor(), [this, channel = std::string(channel), on] {
    std::optional<presence::RecordRef> record;
    RoomMirror* mirror = mirror_of_channel(channel, record);
    if (!mirror) return;
    mirror->listening(on);
    // Heard again: what went unheard is read now.
    if (on && observer_) observer_->on_change({*record, {}, nullptr, ChangeKind::updated});
  });
}

}  // namespace presenced::store::redis
