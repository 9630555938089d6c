#pragma once
// Timers on simulated time (service/timers.hpp), for the real-time core's tests: the test
// moves time forward, and every callback that falls due on the way runs at its own
// instant, in order, followed by whatever it posted to the io_context. Nothing sleeps.

#include "service/timers.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace presenced::testing {

class ManualTimers final : public service::TimerSource {
 public:
  explicit ManualTimers(boost::asio::io_context& io) : io_(io) {}
  // A callback may own its timer (the leave grace's do): they die after the list is empty.
  ~ManualTimers() override {
    std::vector<Pending> gone = std::move(pending_);
    pending_.clear();
  }

  std::unique_ptr<service::Timer> make(const boost::asio::any_io_executor&) override {
    return std::make_unique<ManualTimer>(*this, next_timer_++);
  }

  std::int64_t now_ms() const { return now_ms_; }
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_));
  }
  std::size_t pending() const { return pending_.size(); }

  // Runs what is posted to the io_context now.
  void settle() {
    io_.restart();
    io_.poll();
  }

  // Moves time forward by `ms`, running each due callback at its instant.
  void advance(std::int64_t ms) {
    const std::int64_t target = now_ms_ + ms;
    for (;;) {
      settle();
      auto due = std::min_element(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
        return a.at != b.at ? a.at < b.at : a.seq < b.seq;
      });
      if (due == pending_.end() || due->at > target) break;
      now_ms_ = due->at;
      std::function<void()> done = std::move(due->done);
      pending_.erase(due);
      done();
    }
    now_ms_ = target;
    settle();
  }

 private:
  struct Pending {
    std::int64_t at;
    std::uint64_t seq;
    std::uint64_t timer;
    std::function<void()> done;
  };

  class ManualTimer final : public service::Timer {
   public:
    ManualTimer(ManualTimers& source, std::uint64_t id) : source_(source), id_(id) {}
    ~ManualTimer() override { cancel(); }
    void start(std::chrono::milliseconds after, std::function<void()> done) override {
      cancel();
      source_.pending_.push_back({source_.now_ms_ + after.count(), source_.next_seq_++, id_, std::move(done)});
    }
    // The callbacks taken out die after the list is consistent again: one may own a timer.
    void cancel() override {
      std::vector<Pending> gone;
      auto& list = source_.pending_;
      for (auto it = list.begin(); it != list.end();) {
        if (it->timer == id_) {
          gone.push_back(std::move(*it));
          it = list.erase(it);
        } else {
          ++it;
        }
      }
    }

   private:
    ManualTimers& source_;
    std::uint64_t id_;
  };

  boost::asio::io_context& io_;
  std::vector<Pending> pending_;
  std::int64_t now_ms_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_timer_ = 0;
};

}  // namespace presenced::testing
