#pragma once
// The Redis store: presence shared by every presenced node (and the host app) on Redis,
// in the host app's own layout (docs/redis.md):
//
//   key   tenant_{tenantId}_record_presence:{recordType}:{recordId}   a hash, TTL renewed
//   field the tab id
//   value {"user_id":42,"user_name":"Alice","mode":"edit","dirty":true,
//          "last_seen_at":"2026-01-21T19:30:15.123Z","joined_us":1768...}   (+"active_field")
//
// Each operation is one Lua script, one round trip, atomic: the tab-ownership check and
// the write cannot be separated by another node's request. Scripts that change presence
// publish what they changed on the record's channel, `presenced:{key}`, which every node
// watching the record (it has WebSocket subscribers there) hears through its Subscriber
// and keeps in the record's RoomMirror, on the thread that watches it: a change costs a
// node the change, not a read of the room. Each server thread has its own connection, so
// requests on a thread pipeline on it without locks.

#include "presence/clock.hpp"
#include "store/presence_store.hpp"
#include "store/redis/node_set.hpp"
#include "store/redis/room_mirror.hpp"
#include "store/redis/scripts.hpp"
#include "store/redis/subscriber.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace presenced::store::redis {

struct RedisStoreOptions {
  RedisEndpoint endpoint;
  std::int64_t ttl_ms = 90'000;
  std::chrono::milliseconds timeout{1000};  // per request, connecting included
  TabLimits limits;
  // A write (a heartbeat, a removal, a save) is acknowledged only once this many
  // replicas have it (WAIT on the connection that wrote it): what a forced failover can
  // otherwise lose. 0: Redis's own asynchronous replication.
  int wait_replicas = 0;
};

class RedisStore final : public PresenceStore, private NoticeSink {
 public:
  RedisStore(RedisStoreOptions options, const presence::Clock& clock);
  ~RedisStore() override;

  boost::asio::awaitable<HeartbeatResult> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                    presence::HeartbeatInput tab) override;
  boost::asio::awaitable<UnregisterResult> unregister(presence::RecordRef record, const presence::User& user,
                                                      std::string_view tab_id,
                                                      std::int64_t unless_seen_since_ms) override;
  boost::asio::awaitable<ViewersResult> viewers(presence::RecordRef record, const presence::User* caller,
                                                std::vector<presence::Viewer>& out, RecordState* state) override;
  boost::asio::awaitable<ViewersResult> room(presence::RecordRef record, std::vector<presence::Viewer>& out,
                                             RecordState& state) override;
  boost::asio::awaitable<ViewersResult> viewers_of(std::span<const presence::RecordRef> records,
                                                    std::vector<std::vector<presence::Viewer>>& out) override;
  boost::asio::awaitable<ViewersResult> tabs(presence::RecordRef record,
                                             std::vector<presence::TabDetail>& out) override;
  boost::asio::awaitable<std::optional<std::size_t>> remove_user(std::string_view tenant,
                                                                 std::string_view user_id) override;
  boost::asio::awaitable<SavedResult> saved(presence::RecordRef record, presence::UserPtr user,
                                            std::uint32_t lock_version) override;
  void watch(presence::RecordRef record) override;
  void unwatch(presence::RecordRef record) override;
  void start(runtime::EventThreads& threads) override;
  void stop() override;
  bool ready() const override;
  void set_observer(ChangeObserver* observer) override { observer_ = observer; }

 private:
  // A watched record's mirror, on the thread that watches it (touched there only).
  struct Watched {
    std::size_t watchers = 0;
    std::unique_ptr<RoomMirror> mirror;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using WatchedRecords = std::unordered_map<std::string, Watched, Hash, std::equal_to<>>;  // by key

  // NoticeSink: on the subscriber's thread; each is handed to the watching thread.
  void heard(std::size_t owner, std::string_view channel, std::string_view payload) override;
  void listening(std::size_t owner, std::string_view channel, bool on) override;
  // On the thread that watches `key`: its mirror, or null.
  RoomMirror* mirror_here(std::string_view key);
  // The same for a record's channel ("presenced:{<key>}"), and the record in `record`
  // (views into `channel`); null when the channel is not one or no longer watched.
  RoomMirror* mirror_of_channel(std::string_view channel, std::optional<presence::RecordRef>& record);
  // The connections of the server thread the caller runs on (by its index: no search).
  NodeSet* nodes_here();
  boost::asio::awaitable<bool> replicated(Connection* wrote);
  // Webhooks (occupancy_ set): the key of a record expired; tells the vacancy if this
  // node is the one that deletes its marker.
  boost::asio::awaitable<void> vacate_expired(std::string key);
  // Turns on the expiry notifications the above needs on the node behind `c`, keeping
  // whatever else its notify-keyspace-events already has.
  boost::asio::awaitable<void> enable_expiry_events(Connection& c);
  bool tracking() const { return occupancy_ != nullptr; }
  // A heartbeat's script answered "occupied", or "reoccupied" (the last occupancy's
  // vacancy went unheard: told first).
  void tell_occupied(presence::RecordRef record, bool after_unseen_vacancy);

  RedisStoreOptions options_;
  Scripts scripts_;  // the heartbeat's with options_.limits in its text
  const presence::Clock& clock_;
  runtime::EventThreads* threads_ = nullptr;     // start()'s
  std::vector<std::unique_ptr<NodeSet>> nodes_;  // one per server thread, by its index
  std::vector<std::unique_ptr<WatchedRecords>> watched_;  // one per server thread, by its index
  ChangeObserver* observer_ = nullptr;
  std::unique_ptr<Subscriber> subscriber_;  // changes from every node, for the observer
  bool warned_events_ = false;  // CONFIG SET notify-keyspace-events refused: logged once
};

}  // namespace presenced::store::redis
