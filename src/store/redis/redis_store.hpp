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
#include <mutex>
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
  // A page of a large room this node watches is made from its mirror, on the thread that
  // watches it, at the page's cost; anything else is read whole and cut.
  boost::asio::awaitable<ViewersResult> viewers_page(presence::RecordRef record, const presence::User& caller,
                                                     std::size_t offset, std::size_t limit,
                                                     std::vector<presence::Viewer>& out,
                                                     presence::Totals& totals) override;
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
  // PUBLISH (SPUBLISH on a cluster, in the name's slot) on presenced_named:{<name>}.
  boost::asio::awaitable<std::optional<std::size_t>> publish_named(std::string name, std::string payload) override;
  void listen_named(std::string_view name) override;
  void unlisten_named(std::string_view name) override;
  bool spans_nodes() const override { return true; }

 private:
  // A watched record's mirror, on the thread that watches it (touched there only).
  struct Watched {
    std::size_t watchers = 0;
    std::unique_ptr<RoomMirror> mirror;
    // Watched for its pages too (one of the watchers): until then, unix ms, and further
    // with each page (page_watch_lasts_ms()).
    std::int64_t paged_until_ms = 0;
    bool for_pages = false;
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
  // Rooms of fewer tabs are paged from a read of the whole record (it costs about as
  // much as the hops to the mirror's thread and the size check).
  static constexpr std::size_t kPagedFromMirrorAt = 256;
  // A thread that watches `key` (any thread may ask), or none.
  std::optional<std::size_t> watcher_of(std::string_view key) const;
  // A large room that no thread here watches is watched from this thread for its pages
  // (HTTP clients that poll /viewers), for a TTL after its last page: its pages then come
  // from the mirror too. page_watch_ends() unwatches it once the pages stop.
  void watch_for_pages(presence::RecordRef record);
  boost::asio::awaitable<void> page_watch_ends(std::string tenant, std::string type, std::string id);
  std::int64_t page_watch_lasts_ms() const { return options_.ttl_ms; }
  // On the thread that watches `key`: the page from its mirror when the mirror can be
  // trusted and holds as many tabs as the record's hash (the host app's tabs publish
  // nothing: a count that differs means a read); false, nothing made, otherwise.
  boost::asio::awaitable<bool> page_from_mirror(presence::RecordRef record, std::string_view key,
                                                const presence::User& caller, std::size_t offset, std::size_t limit,
                                                std::vector<presence::Viewer>& out, presence::Totals& totals);
  // On the thread that watches `key`, whose mirror found only `due` in doubt: asks Redis
  // about those tabs (the due script). True when the mirror took the answer.
  boost::asio::awaitable<bool> check_due(presence::RecordRef record, std::string_view key, NodeSet& nodes,
                                         std::vector<std::string> due, std::int64_t now);
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
  mutable std::mutex watchers_mutex_;  // guards watchers_: the one map any thread reads
  std::unordered_map<std::string, std::vector<std::size_t>, Hash, std::equal_to<>> watchers_;  // key -> watching threads
  ChangeObserver* observer_ = nullptr;
  std::unique_ptr<Subscriber> subscriber_;  // changes from every node, for the observer
  bool warned_events_ = false;  // CONFIG SET notify-keyspace-events refused: logged once
};

}  // namespace presenced::store::redis
