#include "service/presence_service.hpp"

#include "metrics/metrics.hpp"

namespace presenced::service {

PresenceService::PresenceService(store::PresenceStore& store, UserLedger& users,
                                 const presence::Clock& clock, TimerSource& timers, std::chrono::milliseconds grace)
    : store_(store),
      users_(users),
      grace_(
          [this](presence::RecordRef record, const presence::User& user, std::string_view tab_id,
                 std::int64_t since) -> boost::asio::awaitable<void> {
            const store::UnregisterResult result = co_await remove_tab(record, user, tab_id, since);
            (void)result;
          },
          clock, timers, grace) {}

Outcome PresenceService::counted(Outcome o, Transport transport) {
  switch (o) {
    case Outcome::forbidden: metrics::add(metrics::Counter::scope_refused); break;
    case Outcome::rate_limited:
      metrics::add(transport == Transport::http ? metrics::Counter::throttled_http : metrics::Counter::throttled_ws);
      break;
    case Outcome::record_full:
    case Outcome::user_full:
    case Outcome::user_tabs_full: metrics::add(metrics::Counter::tabs_refused); break;
    case Outcome::store_unavailable: metrics::add(metrics::Counter::store_errors); break;
    case Outcome::too_many_sockets: metrics::add(metrics::Counter::ws_sockets_refused); break;
    case Outcome::ok:
    case Outcome::tab_taken: break;
  }
  return o;
}

Outcome PresenceService::admit(const presence::User& user, presence::RecordRef record) const {
  return user.scope.allows(record.type, record.id) ? Outcome::ok : counted(Outcome::forbidden);
}

Outcome PresenceService::charge(const presence::User& user, Transport transport, ThrottleDecision* decision) {
  if (!users_.rate_limited()) return Outcome::ok;
  const ThrottleDecision d = users_.hit(user);
  if (decision) *decision = d;
  return d.allowed ? Outcome::ok : counted(Outcome::rate_limited, transport);
}

Outcome PresenceService::open_socket(const presence::User& user) {
  return users_.open_socket(user) ? Outcome::ok : counted(Outcome::too_many_sockets);
}

boost::asio::awaitable<Outcome> PresenceService::heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                           presence::HeartbeatInput tab) {
  const UserLedger::TabAdmission admission = users_.admit_tab(*user, record, tab.tab_id);
  if (admission == UserLedger::TabAdmission::refused) co_return counted(Outcome::user_tabs_full);
  // Bound to a local before it is tested: g++ 12 miscompiles co_await inside a condition.
  const store::HeartbeatResult result = co_await store_.heartbeat(record, user, tab);
  const bool kept = result == store::HeartbeatResult::joined || result == store::HeartbeatResult::updated ||
                    result == store::HeartbeatResult::renewed;
  // A place taken for a tab the store did not keep is given back. (A refused renewal of a
  // known tab keeps its place until its deadline: it may well be live.)
  if (!kept && admission == UserLedger::TabAdmission::added) users_.release_tab(*user, record, tab.tab_id);
  switch (result) {
    case store::HeartbeatResult::joined:
    case store::HeartbeatResult::updated:
    case store::HeartbeatResult::renewed: co_return Outcome::ok;
    case store::HeartbeatResult::not_owner: co_return Outcome::tab_taken;
    case store::HeartbeatResult::record_full: co_return counted(Outcome::record_full);
    case store::HeartbeatResult::user_full: co_return counted(Outcome::user_full);
    case store::HeartbeatResult::unavailable: break;
  }
  co_return counted(Outcome::store_unavailable);
}

boost::asio::awaitable<store::UnregisterResult> PresenceService::remove_tab(presence::RecordRef record,
                                                                           const presence::User& user,
                                                                           std::string_view tab_id,
                                                                           std::int64_t unless_seen_since_ms) {
  const store::UnregisterResult result = co_await store_.unregister(record, user, tab_id, unless_seen_since_ms);
  if (result == store::UnregisterResult::removed || result == store::UnregisterResult::absent) {
    users_.release_tab(user, record, tab_id);
  }
  co_return result;
}

boost::asio::awaitable<Outcome> PresenceService::unregister(presence::RecordRef record, const presence::User& user,
                                                            std::string_view tab_id) {
  const store::UnregisterResult result = co_await remove_tab(record, user, tab_id, 0);
  co_return result == store::UnregisterResult::unavailable ? counted(Outcome::store_unavailable) : Outcome::ok;
}

boost::asio::awaitable<Outcome> PresenceService::viewers(presence::RecordRef record, const presence::User* caller,
                                                         std::vector<presence::Viewer>& out,
                                                         store::RecordState* state) {
  const store::ViewersResult result = co_await store_.viewers(record, caller, out, state);
  co_return result == store::ViewersResult::ok ? Outcome::ok : counted(Outcome::store_unavailable);
}

boost::asio::awaitable<Outcome> PresenceService::viewers_page(presence::RecordRef record, const presence::User& caller,
                                                              ViewerPage page, std::vector<presence::Viewer>& out,
                                                              presence::Totals& totals) {
  const store::ViewersResult result = co_await store_.viewers_page(record, caller, page.offset, page.limit, out, totals);
  co_return result == store::ViewersResult::ok ? Outcome::ok : counted(Outcome::store_unavailable);
}

boost::asio::awaitable<Outcome> PresenceService::saved(presence::RecordRef record, presence::UserPtr user,
                                                       std::uint32_t lock_version) {
  const store::SavedResult result = co_await store_.saved(record, std::move(user), lock_version);
  co_return result == store::SavedResult::ok ? Outcome::ok : counted(Outcome::store_unavailable);
}

boost::asio::awaitable<Outcome> PresenceService::viewers_of(std::span<const presence::RecordRef> records,
                                                            std::vector<std::vector<presence::Viewer>>& out) {
  const store::ViewersResult result = co_await store_.viewers_of(records, out);
  co_return result == store::ViewersResult::ok ? Outcome::ok : counted(Outcome::store_unavailable);
}

boost::asio::awaitable<Outcome> PresenceService::tabs(presence::RecordRef record,
                                                      std::vector<presence::TabDetail>& out) {
  const store::ViewersResult result = co_await store_.tabs(record, out);
  co_return result == store::ViewersResult::ok ? Outcome::ok : counted(Outcome::store_unavailable);
}

boost::asio::awaitable<Outcome> PresenceService::remove_user(std::string_view tenant, std::string_view user_id,
                                                             std::size_t& removed) {
  const std::optional<std::size_t> result = co_await store_.remove_user(tenant, user_id);
  if (!result) co_return counted(Outcome::store_unavailable);
  users_.release_user(tenant, user_id);
  removed = *result;
  co_return Outcome::ok;
}

}  // namespace presenced::service
