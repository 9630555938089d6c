#pragma once
// The store seam. The HTTP and WebSocket layers talk to presence only through this
// interface; the embedded store and the Redis store implement it. Calls are awaitables so
// that a store doing network I/O never blocks a server thread; the embedded store simply
// completes at once.

#include "metrics/metrics.hpp"
#include "presence/aggregation.hpp"
#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "runtime/event_thread.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace presenced::store {

enum class HeartbeatResult {
  joined,       // a new tab (or one that had expired)
  updated,      // a known tab whose mode, dirty flag or field changed
  renewed,      // a known tab, nothing changed but its deadline
  not_owner,    // the tab id is live and belongs to another user: nothing changed
  record_full,  // a new tab, but the record has TabLimits::per_record live tabs: refused
  user_full,    // a new tab, but its user has TabLimits::per_user live tabs there: refused
  unavailable,  // the store could not be reached: nothing acknowledged
};

// How many live tabs a record may hold, in all and per user: what one client can make
// the store (and every viewers answer) carry. Only a new tab is refused, never a renewal.
// A user's tabs are bounded per record here; across records, by the user ledger
// (service/user_ledger.hpp).
struct TabLimits {
  std::size_t per_record = 20'000;  // docs/operations.md: why
  std::size_t per_user = 20;
};

enum class UnregisterResult {
  removed,
  absent,
  not_owner,
  kept,  // a conditional unregister found the tab heard from since: left alone
  unavailable,
};

enum class ViewersResult { ok, unavailable };

// The most records one bulk query may ask about.
inline constexpr std::size_t kMaxBulkRecords = 500;

enum class SavedResult { ok, unavailable };

// How long a record's latest saved version is kept after its last save, on every store,
// tabs or none: a tab left open over a weekend, or restored from an old page, and still
// on the old version is stale on Monday only if this is longer.
inline constexpr std::int64_t kSavedVersionKeepMs = 7LL * 24 * 3600 * 1000;

// What a viewers answer says besides the list.
struct RecordState {
  std::uint32_t saved_version = presence::kNoLockVersion;  // the latest saved lock_version
  std::int64_t next_expiry_ms = -1;  // until the first live tab expires unless renewed; -1: none
  presence::Totals totals;           // users and live tabs, the caller's included
};

// What changed, for observers (real-time push). Views are valid only during the call.
//   joined, updated, left, expired: a tab changed; `user` and `tab_id` say whose, when
//     the store knows (a change another node made, learned through Redis, has neither).
//   saved: `user` saved the record at `lock_version`.
enum class ChangeKind { joined, updated, left, expired, saved };

struct PresenceChange {
  presence::RecordRef record;
  std::string_view tab_id;
  const presence::User* user;
  ChangeKind kind;
  std::uint32_t lock_version = presence::kNoLockVersion;
};

class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  // Called after the change is committed, outside the store's locks, on whichever thread
  // made the change. Must not block.
  virtual void on_change(const PresenceChange& change) = 0;
};

// A record gained its first live tab (occupied) or lost its last (vacated): what the
// webhooks tell the host app. Each occupied is followed by one vacated of the same record
// (by unregister, user removal or expiry), as far as this store can see: see
// docs/webhooks.md for what each store detects.
enum class Occupancy { occupied, vacated };

class OccupancyObserver {
 public:
  virtual ~OccupancyObserver() = default;
  // On whichever thread made or noticed the change. The embedded store calls it under the
  // record's lock, so that one record's events come in the order they happened: it must
  // be quick, must not block and must not call the store.
  virtual void on_occupancy(presence::RecordRef record, Occupancy change) = 0;
};

// Messages on named channels (fanout/named_channels.hpp: the Pusher endpoint's channels
// that are not records) heard from the store, which carries them between nodes.
class NamedMessageObserver {
 public:
  virtual ~NamedMessageObserver() = default;
  // On the server thread that listens on `name` (listen_named()), once per listening
  // thread. `payload` is what some publish_named() sent, or anything at all: whoever can
  // publish on a shared Redis may send any bytes there.
  virtual void on_named_message(std::string_view name, std::string_view payload) = 0;
  // The messages of `name` reach this thread from now on (true: the store confirmed the
  // listening), or may not (false: its connection was lost; true again once back).
  virtual void on_named_listening(std::string_view name, bool on) = 0;
};

// Keeps entries [offset, offset + limit) of a whole list.
inline void cut_page(std::vector<presence::Viewer>& out, std::size_t offset, std::size_t limit) {
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(std::min(offset, out.size())));
  if (out.size() > limit) out.resize(limit);
}

class PresenceStore {
 public:
  virtual ~PresenceStore() = default;

  // Registers or renews `tab` of `user` on `record` (record.tenant is the user's tenant).
  virtual boost::asio::awaitable<HeartbeatResult> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                            presence::HeartbeatInput tab) = 0;

  // Removes `user`'s tab. With `unless_seen_since_ms` (unix ms, 0: unconditionally), a
  // tab heard from at or after that time is kept: the leave grace of a closed socket,
  // which must not remove a tab that a reloaded page, on any node, has renewed.
  virtual boost::asio::awaitable<UnregisterResult> unregister(presence::RecordRef record,
                                                              const presence::User& user, std::string_view tab_id,
                                                              std::int64_t unless_seen_since_ms) = 0;

  // Replaces `out` with the viewers of `record` other than `caller` (everyone when
  // null); `state`, when given, receives the rest of what the record says.
  virtual boost::asio::awaitable<ViewersResult> viewers(presence::RecordRef record, const presence::User* caller,
                                                        std::vector<presence::Viewer>& out,
                                                        RecordState* state) = 0;

  // A page of what `caller` sees of `record` (everyone else, in join order: `offset` users
  // skipped, at most `limit` kept) and the record's totals, everyone counted, the caller
  // too. A store that keeps a large room's tally answers at the page's cost; this one
  // reads the record whole and cuts it.
  virtual boost::asio::awaitable<ViewersResult> viewers_page(presence::RecordRef record, const presence::User& caller,
                                                             std::size_t offset, std::size_t limit,
                                                             std::vector<presence::Viewer>& out,
                                                             presence::Totals& totals) {
    RecordState state;
    const ViewersResult result = co_await viewers(record, &caller, out, &state);
    if (result == ViewersResult::ok) {
      totals = state.totals;
      cut_page(out, offset, limit);
    }
    co_return result;
  }
  // The viewers (everyone) of a record this node watches (watch()), for its pushes: a
  // store that hears every change may answer from what it heard instead of reading the
  // record (the Redis store: room_mirror.hpp). `state.next_expiry_ms` is then how long
  // until the record must be looked at again though nothing was heard. Called on the
  // thread that watches the record.
  virtual boost::asio::awaitable<ViewersResult> room(presence::RecordRef record, std::vector<presence::Viewer>& out,
                                                     RecordState& state) {
    co_return co_await viewers(record, nullptr, out, &state);
  }
  // The viewers (everyone) of each record, out[i] for records[i], in one round trip to
  // the store: the server API's bulk query (at most kMaxBulkRecords). The embedded store
  // has no round trip to save and asks viewers() for each in turn.
  virtual boost::asio::awaitable<ViewersResult> viewers_of(std::span<const presence::RecordRef> records,
                                                            std::vector<std::vector<presence::Viewer>>& out) {
    out.resize(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const ViewersResult result = co_await viewers(records[i], nullptr, out[i], nullptr);
      if (result != ViewersResult::ok) co_return ViewersResult::unavailable;
    }
    co_return ViewersResult::ok;
  }
  // Replaces `out` with the live tabs of `record`, in join order: the server API's
  // record detail, for support tooling.
  virtual boost::asio::awaitable<ViewersResult> tabs(presence::RecordRef record,
                                                     std::vector<presence::TabDetail>& out) = 0;
  // Removes every live tab of user `user_id` in `tenant`, on every record (logout,
  // deactivation), and tells the observers of each record; the number removed, or none
  // when the store could not be reached. Walks the tenant's records: an operation for
  // the host app's server, not for a request path.
  virtual boost::asio::awaitable<std::optional<std::size_t>> remove_user(std::string_view tenant,
                                                                         std::string_view user_id) = 0;
  // Records that `user` saved `record` at `lock_version` (the latest is kept) and tells
  // the observers (on every node).
  virtual boost::asio::awaitable<SavedResult> saved(presence::RecordRef record, presence::UserPtr user,
                                                    std::uint32_t lock_version) = 0;

  // `threads` are the server's: background work (expiry, reconnection) runs there, and
  // the calls above arrive on them. stop() is called once those threads no longer run,
  // and before their io_contexts are destroyed (checked): it releases the timers and
  // sockets the store holds on them.
  virtual void start(runtime::EventThreads& threads) = 0;
  virtual void stop() = 0;

  // Whether the store can serve requests now (GET /readyz).
  virtual bool ready() const = 0;

  // Live tabs, records and users, for GET /metrics; none when the store cannot tell
  // cheaply (a Redis node would have to scan the whole keyspace). Any thread; may walk
  // the store, so it is for scrapes, not requests.
  virtual std::optional<metrics::LiveCounts> live_counts() const { return std::nullopt; }

  // At most one observer; set before start().
  virtual void set_observer(ChangeObserver* observer) = 0;
  // At most one; set before start(). Without one, a store does no occupancy work (the
  // Redis store then does not ask for expiry notifications).
  void set_occupancy_observer(OccupancyObserver* observer) { occupancy_ = observer; }

  // Changes of `record` made on other nodes are wanted (someone here subscribed). Counted:
  // every watch() is followed by one unwatch(), on the same server thread, which is the
  // one room() is called on. A store that is the only source of changes (the embedded
  // store) has nothing to do.
  virtual void watch(presence::RecordRef) {}
  virtual void unwatch(presence::RecordRef) {}

  // Named channels between nodes. The node that publishes delivers to its own listeners
  // itself; a store that spans nodes (Redis) sends `payload` to every node that listens on
  // `name`, the publisher's included (its observer tells its own apart), and answers once
  // the store has taken it with how many listeners (nodes) it reached (nullopt: not sent).
  // A store of one node has nothing to carry.
  virtual boost::asio::awaitable<std::optional<std::size_t>> publish_named(std::string /*name*/,
                                                                           std::string /*payload*/) {
    co_return 0;
  }
  // Counted, as watch(): from the server thread that wants the name's messages.
  virtual void listen_named(std::string_view) {}
  virtual void unlisten_named(std::string_view) {}
  // Whether publish_named() reaches other nodes (the Redis stores).
  virtual bool spans_nodes() const { return false; }
  // At most one; set before start().
  void set_named_observer(NamedMessageObserver* observer) { named_ = observer; }

 protected:
  OccupancyObserver* occupancy_ = nullptr;
  NamedMessageObserver* named_ = nullptr;
};

}  // namespace presenced::store
