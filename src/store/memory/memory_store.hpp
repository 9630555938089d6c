#pragma once
// The embedded store: presence in this process's memory, for a single node.
//
// Records are spread over shards by the hash of their key; each shard has its own mutex,
// index, expiry wheel and field names, so writers on different records rarely meet and a
// lock is held for the few hundred nanoseconds one record takes. A record is one block
// (record_block.hpp) holding its key and its tabs in join order: records have few tabs,
// so a scan beats a second hash table, and join order makes the viewers answer come out
// sorted. docs/architecture.md tells the whole layout and why.

#include "presence/clock.hpp"
#include "store/presence_store.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace presenced::store::memory {

struct PendingExpiry;

struct MemoryStoreOptions {
  std::int64_t ttl_ms = 90'000;
  std::size_t shards = 64;
  std::int64_t tick_ms = 100;  // expiry granularity of the wheel (reads are exact)
  TabLimits limits;
};

struct MemoryStoreStats {
  std::size_t records = 0;            // with at least one tab
  std::size_t allocated_records = 0;  // also those emptied, until the wheel frees them
  std::size_t tabs = 0;
};

class MemoryStore final : public PresenceStore {
 public:
  MemoryStore(MemoryStoreOptions options, const presence::Clock& clock);
  ~MemoryStore() override;

  // PresenceStore: these complete at once.
  boost::asio::awaitable<HeartbeatResult> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                    presence::HeartbeatInput tab) override;
  boost::asio::awaitable<UnregisterResult> unregister(presence::RecordRef record, const presence::User& user,
                                                      std::string_view tab_id,
                                                      std::int64_t unless_seen_since_ms) override;
  boost::asio::awaitable<ViewersResult> viewers(presence::RecordRef record, const presence::User* caller,
                                                std::vector<presence::Viewer>& out, RecordState* state) override;
  boost::asio::awaitable<ViewersResult> viewers_page(presence::RecordRef record, const presence::User& caller,
                                                     std::size_t offset, std::size_t limit,
                                                     std::vector<presence::Viewer>& out,
                                                     presence::Totals& totals) override;
  boost::asio::awaitable<ViewersResult> tabs(presence::RecordRef record,
                                             std::vector<presence::TabDetail>& out) override;
  boost::asio::awaitable<std::optional<std::size_t>> remove_user(std::string_view tenant,
                                                                 std::string_view user_id) override;
  boost::asio::awaitable<SavedResult> saved(presence::RecordRef record, presence::UserPtr user,
                                            std::uint32_t lock_version) override;
  void start(runtime::EventThreads& threads) override;
  void stop() override;
  bool ready() const override { return true; }
  std::optional<metrics::LiveCounts> live_counts() const override;
  void set_observer(ChangeObserver* observer) override { observer_ = observer; }

  // The same operations without a coroutine, for tests and tools.
  HeartbeatResult apply_heartbeat(presence::RecordRef record, const presence::UserPtr& user,
                                  const presence::HeartbeatInput& tab);
  UnregisterResult apply_unregister(presence::RecordRef record, const presence::User& user, std::string_view tab_id,
                                    std::int64_t unless_seen_since_ms = 0);
  void read_viewers(presence::RecordRef record, const presence::User* caller, std::vector<presence::Viewer>& out,
                    RecordState* state = nullptr);
  // A page of what `caller` sees, and the record's totals: for a large record, from its
  // tally and the tabs up to the page's end (large_record.hpp), not the whole room.
  void read_page(presence::RecordRef record, const presence::User& caller, std::size_t offset, std::size_t limit,
                 std::vector<presence::Viewer>& out, presence::Totals& totals);
  SavedResult apply_saved(presence::RecordRef record, const presence::UserPtr& user, std::uint32_t lock_version);

  // Drops every tab whose deadline has passed; returns how many. start() calls this every
  // tick; tests call it after moving a ManualClock.
  std::size_t expire_due();

  MemoryStoreStats stats() const;

 private:
  struct Shard;
  Shard& shard_for(std::string_view key);
  void read_viewers_locked(Shard& shard, std::string_view key, const presence::User* caller,
                           std::vector<presence::Viewer>& out, RecordState* state, std::int64_t now);
  void tell_expired(std::span<const PendingExpiry> pending);
  void schedule_tick();

  MemoryStoreOptions options_;
  const presence::Clock& clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  ChangeObserver* observer_ = nullptr;
  runtime::EventThreads* threads_ = nullptr;  // start()'s
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::atomic<bool> running_{false};
};

}  // namespace presenced::store::memory
