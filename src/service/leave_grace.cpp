#include "service/leave_grace.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <string>

namespace presenced::service {
namespace asio = boost::asio;

void LeaveGrace::schedule(const asio::any_io_executor& executor, presence::RecordRef record, presence::UserPtr user,
                          std::string_view tab_id) {
  // "Heard from since" starts a little after now: what the same page sent just before it
  // went away (a last heartbeat racing the close on another connection) is not a reload,
  // and the memory store's clocks convert to the millisecond only.
  constexpr std::int64_t kMarginMs = 5;
  struct Leave {
    std::string tenant, type, id, tab_id;
    presence::UserPtr user;
    std::int64_t gone_at_ms;
  };
  auto leave = std::make_shared<Leave>(Leave{std::string(record.tenant), std::string(record.type),
                                             std::string(record.id), std::string(tab_id), std::move(user),
                                             clock_.unix_ms() + kMarginMs});
  // The timer owns itself through its callback, which ends once it has run.
  std::shared_ptr<Timer> timer = timers_.make(executor);
  timer->start(grace_, [this, executor, leave, timer] {
    asio::co_spawn(
        executor,
        [this, leave]() -> asio::awaitable<void> {
          // A store that is down now loses nothing: the tab expires with its TTL instead.
          const presence::RecordRef r{leave->tenant, leave->type, leave->id};
          co_await unregister_(r, *leave->user, leave->tab_id, leave->gone_at_ms);
        },
        asio::detached);
  });
}

}  // namespace presenced::service
