#pragma once
// The store as every transport sees it: the real store, with a user's live tabs across
// records bounded (UserLedger) in the one place every heartbeat, unregister and user
// removal passes, whatever carried it (HTTP, WebSocket, the leave grace, the server API).
// Everything else is passed through.

#include "service/user_ledger.hpp"
#include "store/presence_store.hpp"

namespace presenced::service {

class UserLimitedStore final : public store::PresenceStore {
 public:
  UserLimitedStore(store::PresenceStore& inner, UserLedger& ledger) : inner_(inner), ledger_(ledger) {}

  boost::asio::awaitable<store::HeartbeatResult> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                           presence::HeartbeatInput tab) override;
  boost::asio::awaitable<store::UnregisterResult> unregister(presence::RecordRef record, const presence::User& user,
                                                             std::string_view tab_id,
                                                             std::int64_t unless_seen_since_ms) override;
  boost::asio::awaitable<std::optional<std::size_t>> remove_user(std::string_view tenant,
                                                                 std::string_view user_id) override;

  boost::asio::awaitable<store::ViewersResult> viewers(presence::RecordRef record, const presence::User* caller,
                                                       std::vector<presence::Viewer>& out,
                                                       store::RecordState* state) override {
    return inner_.viewers(record, caller, out, state);
  }
  boost::asio::awaitable<store::ViewersResult> viewers_of(std::span<const presence::RecordRef> records,
                                                          std::vector<std::vector<presence::Viewer>>& out) override {
    return inner_.viewers_of(records, out);
  }
  boost::asio::awaitable<store::ViewersResult> tabs(presence::RecordRef record,
                                                    std::vector<presence::TabDetail>& out) override {
    return inner_.tabs(record, out);
  }
  boost::asio::awaitable<store::SavedResult> saved(presence::RecordRef record, presence::UserPtr user,
                                                   std::uint32_t lock_version) override {
    return inner_.saved(record, std::move(user), lock_version);
  }
  void start(std::span<const boost::asio::any_io_executor> executors) override { inner_.start(executors); }
  void stop() override { inner_.stop(); }
  bool ready() const override { return inner_.ready(); }
  std::optional<metrics::LiveCounts> live_counts() const override { return inner_.live_counts(); }
  void set_observer(store::ChangeObserver* observer) override { inner_.set_observer(observer); }
  void set_occupancy_observer(store::OccupancyObserver* observer) override { inner_.set_occupancy_observer(observer); }
  void watch(presence::RecordRef record) override { inner_.watch(record); }
  void unwatch(presence::RecordRef record) override { inner_.unwatch(record); }

 private:
  store::PresenceStore& inner_;
  UserLedger& ledger_;
};

}  // namespace presenced::service
