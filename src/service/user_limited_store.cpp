#include "service/user_limited_store.hpp"

namespace presenced::service {

boost::asio::awaitable<store::HeartbeatResult> UserLimitedStore::heartbeat(presence::RecordRef record,
                                                                           presence::UserPtr user,
                                                                           presence::HeartbeatInput tab) {
  const UserLedger::TabAdmission admission = ledger_.admit_tab(*user, record, tab.tab_id);
  if (admission == UserLedger::TabAdmission::refused) co_return store::HeartbeatResult::user_tabs_full;
  const store::HeartbeatResult result = co_await inner_.heartbeat(record, user, tab);
  const bool kept = result == store::HeartbeatResult::joined || result == store::HeartbeatResult::updated ||
                    result == store::HeartbeatResult::renewed;
  // A place taken for a tab the store did not keep is given back. (A refused renewal of a
  // known tab keeps its place until its deadline: it may well be live.)
  if (!kept && admission == UserLedger::TabAdmission::added) ledger_.release_tab(*user, record, tab.tab_id);
  co_return result;
}

boost::asio::awaitable<store::UnregisterResult> UserLimitedStore::unregister(presence::RecordRef record,
                                                                             const presence::User& user,
                                                                             std::string_view tab_id,
                                                                             std::int64_t unless_seen_since_ms) {
  const store::UnregisterResult result = co_await inner_.unregister(record, user, tab_id, unless_seen_since_ms);
  if (result == store::UnregisterResult::removed || result == store::UnregisterResult::absent) {
    ledger_.release_tab(user, record, tab_id);
  }
  co_return result;
}

boost::asio::awaitable<std::optional<std::size_t>> UserLimitedStore::remove_user(std::string_view tenant,
                                                                                 std::string_view user_id) {
  const std::optional<std::size_t> removed = co_await inner_.remove_user(tenant, user_id);
  if (removed) ledger_.release_user(tenant, user_id);
  co_return removed;
}

}  // namespace presenced::service
