#include "service/leave_grace.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>

namespace presenced::service {
namespace asio = boost::asio;

namespace {

asio::awaitable<void> leave_later(store::PresenceStore& store, std::chrono::milliseconds grace, std::string tenant,
                                  std::string type, std::string id, presence::UserPtr user, std::string tab_id,
                                  std::int64_t gone_at_ms) {
  const auto executor = co_await asio::this_coro::executor;  // bound first: g++ 12 and co_await in initializers
  asio::steady_timer timer(executor);
  timer.expires_after(grace);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  // A store that is down now loses nothing: the tab expires with its TTL instead.
  const presence::RecordRef record{tenant, type, id};
  const store::UnregisterResult result = co_await store.unregister(record, *user, tab_id, gone_at_ms);
  (void)result;
}

}  // namespace

void LeaveGrace::schedule(const asio::any_io_executor& executor, presence::RecordRef record, presence::UserPtr user,
                          std::string_view tab_id) {
  // "Heard from since" starts a little after now: what the same page sent just before it
  // went away (a last heartbeat racing the close on another connection) is not a reload,
  // and the memory store's clocks convert to the millisecond only.
  constexpr std::int64_t kMarginMs = 5;
  asio::co_spawn(executor,
                 leave_later(store_, grace_, std::string(record.tenant), std::string(record.type),
                             std::string(record.id), std::move(user), std::string(tab_id), clock_.unix_ms() + kMarginMs),
                 asio::detached);
}

}  // namespace presenced::service
