#pragma once
// The store seam. The HTTP and WebSocket layers talk to presence only through this
// interface; the embedded store and the Redis store implement it. Calls are awaitables so
// that a store doing network I/O never blocks a server thread; the embedded store simply
// completes at once.

#include "presence/identity.hpp"
#include "presence/types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <span>
#include <string_view>
#include <vector>

namespace presenced::store {

enum class HeartbeatResult {
  joined,       // a new tab (or one that had expired)
  updated,      // a known tab whose mode, dirty flag or field changed
  renewed,      // a known tab, nothing changed but its deadline
  not_owner,    // the tab id is live and belongs to another user: nothing changed
  unavailable,  // the store could not be reached: nothing acknowledged
};

enum class UnregisterResult { removed, absent, not_owner, unavailable };

enum class ViewersResult { ok, unavailable };

// What changed, for observers (real-time push). Views are valid only during the call.
enum class ChangeKind { joined, updated, left, expired };

struct PresenceChange {
  presence::RecordRef record;
  std::string_view tab_id;
  const presence::User* user;
  ChangeKind kind;
};

class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  // Called after the change is committed, outside the store's locks, on whichever thread
  // made the change. Must not block.
  virtual void on_change(const PresenceChange& change) = 0;
};

class PresenceStore {
 public:
  virtual ~PresenceStore() = default;

  // Registers or renews `tab` of `user` on `record` (record.tenant is the user's tenant).
  virtual boost::asio::awaitable<HeartbeatResult> heartbeat(presence::RecordRef record, presence::UserPtr user,
                                                            presence::HeartbeatInput tab) = 0;

  virtual boost::asio::awaitable<UnregisterResult> unregister(presence::RecordRef record,
                                                              const presence::User& user,
                                                              std::string_view tab_id) = 0;

  // Replaces `out` with the viewers of `record` other than `caller`.
  virtual boost::asio::awaitable<ViewersResult> viewers(presence::RecordRef record, const presence::User& caller,
                                                        std::vector<presence::Viewer>& out) = 0;

  // `executors` are the server threads' (the first one first): background work
  // (expiry, reconnection) runs there, and the calls above arrive on them. stop() is
  // called once those io_contexts no longer run, and before they are destroyed: it
  // releases the timers and sockets the store holds on them.
  virtual void start(std::span<const boost::asio::any_io_executor> executors) = 0;
  virtual void stop() = 0;

  // Whether the store can serve requests now (GET /readyz).
  virtual bool ready() const = 0;

  // At most one observer; set before start().
  virtual void set_observer(ChangeObserver* observer) = 0;
};

}  // namespace presenced::store
