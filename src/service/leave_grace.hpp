#pragma once
// A tab that goes away without saying so for good (its socket closed, or its page sent a
// "grace" unregister on pagehide) leaves after a short grace, unless it is heard from
// meanwhile: a reloaded page heartbeats at once, so a reload never shows a leave and a
// rejoin, while a real close is gone within the grace.
//
// Nothing is cancelled: the unregister at the end is conditional ("unless heard from
// since the tab went away"), and the store decides it atomically. So a page that comes
// back on another node, behind a load balancer, is kept just the same.

#include "presence/clock.hpp"
#include "presence/identity.hpp"
#include "presence/types.hpp"
#include "service/timers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string_view>

namespace presenced::service {

class LeaveGrace {
 public:
  // `unregister` removes a tab unless it was heard from since the given unix ms (the
  // presence service's, so that the user's tab count follows).
  using Unregister = std::function<boost::asio::awaitable<void>(presence::RecordRef, const presence::User&,
                                                                std::string_view, std::int64_t)>;
  LeaveGrace(Unregister unregister, const presence::Clock& clock, TimerSource& timers, std::chrono::milliseconds grace)
      : unregister_(std::move(unregister)), clock_(clock), timers_(timers), grace_(grace) {}

  // Removes `tab_id` of `user` from `record` after the grace, on `executor`, unless the
  // tab is heard from in the meantime. The arguments are copied.
  void schedule(const boost::asio::any_io_executor& executor, presence::RecordRef record, presence::UserPtr user,
                std::string_view tab_id);

  std::chrono::milliseconds grace() const { return grace_; }

 private:
  Unregister unregister_;
  const presence::Clock& clock_;
  TimerSource& timers_;
  std::chrono::milliseconds grace_;
};

}  // namespace presenced::service
