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
// the write cannot be separated by another node's request. Each server thread has its
// own connection, so requests on a thread pipeline on it without locks.

#include "presence/clock.hpp"
#include "store/presence_store.hpp"
#include "store/redis/connection.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace presenced::store::redis {

struct RedisStoreOptions {
  RedisEndpoint endpoint;
  std::int64_t ttl_ms = 90'000;
  std::chrono::milliseconds timeout{1000};  // per request, connecting included
};

class RedisStore final : public PresenceStore {
 public:
  RedisStore(RedisStoreOptions options, const presence::Clock& clock);
  ~RedisStore() override;

  boost::asio::awaitable<HeartbeatResult> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                    presence::HeartbeatInput tab) override;
  boost::asio::awaitable<UnregisterResult> unregister(presence::RecordRef record, const presence::User& user,
                                                      std::string_view tab_id) override;
  boost::asio::awaitable<ViewersResult> viewers(presence::RecordRef record, const presence::User& caller,
                                                std::vector<presence::Viewer>& out) override;
  void start(std::span<const boost::asio::any_io_executor> executors) override;
  void stop() override;
  bool ready() const override;
  void set_observer(ChangeObserver* observer) override { observer_ = observer; }

 private:
  Connection* connection_for(const boost::asio::any_io_executor& executor);

  RedisStoreOptions options_;
  const presence::Clock& clock_;
  std::vector<std::unique_ptr<Connection>> connections_;  // one per server thread
  std::atomic<std::size_t> connected_{0};
  ChangeObserver* observer_ = nullptr;
};

}  // namespace presenced::store::redis
