#pragma once
// The presence service: what every transport (HTTP, WebSocket, and any added later) calls,
// and where the rules that are not the store's live once: admission (the token's scope,
// the user's rate limit and sockets), the operations (a user's live tabs on all records
// counted in the ledger around each), the leave grace, and the counting of what was
// refused. A transport parses, calls, and writes the Outcome it gets back
// (outcome.hpp); it holds no presence rule.

#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "service/leave_grace.hpp"
#include "service/outcome.hpp"
#include "service/user_ledger.hpp"
#include "store/presence_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace presenced::service {

enum class Transport : std::uint8_t { http, websocket };

struct ViewerPage {
  std::size_t offset = 0;
  std::size_t limit = SIZE_MAX;
};

class PresenceService {
 public:
  // `grace`: how long a tab that went away may come back before it leaves.
  PresenceService(store::PresenceStore& store, UserLedger& users, const presence::Clock& clock,
                  TimerSource& timers, std::chrono::milliseconds grace);

  // Admission, before anything is read or written. Each refusal is counted.
  // The token's scope covers the record.
  Outcome admit(const presence::User& user, presence::RecordRef record) const;
  // One request of the user's --rate-limit, whichever transport carried it; `decision`
  // receives the budget left (for HTTP's X-RateLimit headers).
  Outcome charge(const presence::User& user, Transport transport, ThrottleDecision* decision = nullptr);
  bool rate_limited() const { return users_.rate_limited(); }
  // A socket of the user opens (refused while the user holds --max-sockets-per-user);
  // each ok is followed by one close_socket().
  Outcome open_socket(const presence::User& user);
  void close_socket(const presence::User& user) { users_.close_socket(user); }

  // The operations.
  boost::asio::awaitable<Outcome> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                            presence::HeartbeatInput tab);
  // Another user's tab, or one already gone, is left alone and answered ok: from the
  // caller's side, no tab of theirs has that id.
  boost::asio::awaitable<Outcome> unregister(presence::RecordRef record, const presence::User& user,
                                             std::string_view tab_id);
  // The tab leaves after the grace unless it is heard from again (a page that may come
  // back: pagehide, a closed socket).
  void leave_later(const boost::asio::any_io_executor& executor, presence::RecordRef record, presence::UserPtr user,
                   std::string_view tab_id) {
    grace_.schedule(executor, record, std::move(user), tab_id);
  }
  boost::asio::awaitable<Outcome> viewers(presence::RecordRef record, const presence::User* caller,
                                          std::vector<presence::Viewer>& out, store::RecordState* state = nullptr);
  // A page of what `caller` sees of the record (everyone else, in join order: `offset`
  // entries skipped, at most `limit` kept), and the record's totals, everyone counted,
  // the caller too (docs/protocol.md, pages and totals).
  boost::asio::awaitable<Outcome> viewers_page(presence::RecordRef record, const presence::User& caller,
                                               ViewerPage page, std::vector<presence::Viewer>& out,
                                               presence::Totals& totals);
  boost::asio::awaitable<Outcome> saved(presence::RecordRef record, presence::UserPtr user, std::uint32_t lock_version);

  // The host app's server API.
  boost::asio::awaitable<Outcome> viewers_of(std::span<const presence::RecordRef> records,
                                             std::vector<std::vector<presence::Viewer>>& out);
  boost::asio::awaitable<Outcome> tabs(presence::RecordRef record, std::vector<presence::TabDetail>& out);
  boost::asio::awaitable<Outcome> remove_user(std::string_view tenant, std::string_view user_id, std::size_t& removed);

  store::PresenceStore& store() { return store_; }

 private:
  // Counts a refusal for /metrics; returns it.
  static Outcome counted(Outcome o, Transport transport = Transport::http);
  // The store's unregister, and the user's ledger told when the tab is gone.
  boost::asio::awaitable<store::UnregisterResult> remove_tab(presence::RecordRef record, const presence::User& user,
                                                             std::string_view tab_id, std::int64_t unless_seen_since_ms);

  store::PresenceStore& store_;
  UserLedger& users_;
  LeaveGrace grace_;
};

}  // namespace presenced::service
