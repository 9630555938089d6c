#include "service/timers.hpp"

#include <boost/asio/steady_timer.hpp>

namespace presenced::service {
namespace {

class SteadyTimer final : public Timer {
 public:
  explicit SteadyTimer(const boost::asio::any_io_executor& executor) : timer_(executor) {}
  void start(std::chrono::milliseconds after, std::function<void()> done) override {
    timer_.expires_after(after);  // cancels a wait under way: its handler sees the abort
    timer_.async_wait([done = std::move(done)](boost::system::error_code ec) {
      if (!ec) done();
    });
  }
  void cancel() override { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<Timer> SteadyTimers::make(const boost::asio::any_io_executor& executor) {
  return std::make_unique<SteadyTimer>(executor);
}

}  // namespace presenced::service
