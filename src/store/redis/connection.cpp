#include "store/redis/connection.hpp"

#include "metrics/metrics.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>

namespace presenced::store::redis {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);


namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(50);
}  // namespace

// Resumes the waiting request later, from the queue: not from inside the read loop,
// which is still walking the replies.
void Connection::complete(Waiter* w) {
  // The waiter stays alive until its handler runs (its frame is suspended on it), and
  // calling the handler releases it before the frame resumes.
  w->done = true;
  if (w->resume) asio::post(context_, [w] { std::move(*w->resume)(); });
}

namespace {
struct ReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
}  // namespace

Connection::Connection(asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options)
    : context_(context),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      socket_(context),
      wake_(context),
      sweep_(context) {}

Connection::~Connection() { stop(); }

void Connection::start() {
  if (state_ != State::idle) return;
  asio::co_spawn(context_, run(), asio::detached);
  asio::co_spawn(context_, sweep_loop(), asio::detached);
}

asio::awaitable<void> Connection::sweep_loop() {
  while (state_ != State::stopped) {
    sweep_.expires_after(kSweepInterval);
    co_await sweep_.async_wait(use_tuple);
    if (state_ == State::stopped) co_return;
    // Deadlines grow along the queue: stop at the first one still ahead.
    const auto now = std::chrono::steady_clock::now();
    for (Waiter*& w : waiters_) {
      if (!w) continue;
      if (w->deadline > now) break;
      w->timed_out = true;
      complete(w);
      w = nullptr;  // its reply, if it comes, is dropped in its turn
    }
  }
}

void Connection::stop() {
  if (state_ == State::stopped) return;
  drop();
  set_state(State::stopped);
  wake_.cancel();
  sweep_.cancel();
}

void Connection::set_state(State s) {
  bool was_up = state_ == State::connected;
  state_ = s;
  bool is_up = state_ == State::connected;
  if (was_up != is_up && on_state_change) on_state_change(is_up);
}

// The socket closes and every waiter fails.
void Connection::drop() {
  ++generation_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  for (Waiter* w : waiters_) {
    if (!w) continue;
    w->failed = true;
    complete(w);
  }
  waiters_.clear();
  out_.clear();
}

// Drops the connection and wakes the run loop to reconnect.
void Connection::fail(const char* why) {
  if (state_ == State::stopped || state_ == State::idle) return;
  if (state_ == State::connected) {
    spdlog::warn("redis {}:{}: connection lost ({}); reconnecting", endpoint_.host, endpoint_.port, why);
  }
  drop();
  if (state_ == State::connected || state_ == State::handshaking) set_state(State::connecting);
  wake_.cancel();
}

asio::awaitable<void> Connection::run() {
  std::minstd_rand jitter(std::random_device{}());
  auto backoff = options_.backoff_min;
  while (state_ != State::stopped) {
    set_state(State::connecting);
    const bool up = co_await connect_and_handshake();  // bound first: g++ 12 and co_await in conditions
    if (up) {
      if (state_ == State::stopped) break;
      set_state(State::connected);
      spdlog::info("redis {}:{}: connected", endpoint_.host, endpoint_.port);
      if (std::exchange(ever_connected_, true)) metrics::add(metrics::Counter::store_reconnects);
      backoff = options_.backoff_min;
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);  // until fail() or stop()
      if (state_ == State::stopped) break;
    } else {
      spdlog::debug("redis {}:{}: cannot connect: {}", endpoint_.host, endpoint_.port, last_error_);
    }
    // Sleep between half and all of the backoff, so that many nodes do not retry in step.
    auto half = backoff.count() / 2;
    wake_.expires_after(std::chrono::milliseconds(half + static_cast<long>(jitter() % (half + 1))));
    co_await wake_.async_wait(use_tuple);
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

asio::awaitable<bool> Connection::connect_and_handshake() {
  tcp::resolver resolver(context_);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), use_tuple);
  if (resolve_ec || state_ == State::stopped) {
    last_error_ = resolve_ec.message();
    co_return false;
  }
  socket_ = tcp::socket(context_);
  // Connecting is bounded like a request: a Redis that does not answer SYN is down.
  asio::steady_timer deadline(context_);
  deadline.expires_after(options_.request_timeout);
  deadline.async_wait([this](boost::system::error_code ec) {
    if (!ec) socket_.close(ec);
  });
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket_, endpoints, use_tuple);
  deadline.cancel();
  if (connect_ec || !socket_.is_open() || state_ == State::stopped) {
    last_error_ = connect_ec ? connect_ec.message() : "timed out";
    co_return false;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);

  set_state(State::handshaking);
  asio::co_spawn(context_, read_loop(generation_), asio::detached);

  // (Arguments are built before each co_await: g++ 12 cannot compile a braced list inside.)
  if (!endpoint_.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!endpoint_.user.empty()) auth.push_back(endpoint_.user);
    auth.push_back(endpoint_.password);
    auto r = co_await handshake_command(std::move(auth));
    if (!r.reply || r.reply->type == REDIS_REPLY_ERROR) {
      last_error_ = r.reply ? std::string(text(*r.reply)) : "AUTH failed";
      spdlog::error("redis {}:{}: {}", endpoint_.host, endpoint_.port, last_error_);
      fail("AUTH refused");
      co_return false;
    }
  }
  if (endpoint_.db != 0) {
    std::string db = std::to_string(endpoint_.db);
    std::vector<std::string_view> select{"SELECT", db};
    auto r = co_await handshake_command(std::move(select));
    if (!r.reply || r.reply->type == REDIS_REPLY_ERROR) {
      last_error_ = "SELECT failed";
      fail("SELECT refused");
      co_return false;
    }
  }
  for (const std::string& source : options_.scripts) {
    std::vector<std::string_view> load{"SCRIPT", "LOAD", source};
    auto r = co_await handshake_command(std::move(load));
    if (!r.reply || r.reply->type != REDIS_REPLY_STRING) {
      last_error_ = r.reply && r.reply->type == REDIS_REPLY_ERROR ? std::string(text(*r.reply)) : "SCRIPT LOAD failed";
      fail("SCRIPT LOAD failed");
      co_return false;
    }
  }
  co_return state_ == State::handshaking;
}

asio::awaitable<ExecResult> Connection::handshake_command(std::vector<std::string_view> args) {
  if (state_ != State::handshaking) co_return ExecResult{};
  Command command;
  for (std::string_view a : args) command.arg(a);
  command.append_to(out_);
  co_return co_await await_reply(true);
}

// The request's own frame waits (not wait()'s: a frame less on every request).
asio::awaitable<ExecResult> Connection::await_reply(bool sent) {
  if (!sent) co_return ExecResult{};
  Waiter w;
  enqueue(w, true);
  if (!w.done) {
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [&w](auto handler) { w.resume.emplace(std::move(handler)); }, asio::use_awaitable);
  }
  co_return outcome(w);
}

void Connection::enqueue(Pending& pending, bool sent) {
  if (!sent) {
    pending.failed = pending.done = true;
    return;
  }
  pending.deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  waiters_.push_back(&pending);
  kick_writer();
}

asio::awaitable<ExecResult> Connection::wait(Pending& w) {
  if (!w.done) {
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [&w](auto handler) { w.resume.emplace(std::move(handler)); }, asio::use_awaitable);
  }
  co_return outcome(w);
}

ExecResult Connection::outcome(Pending& w) {
  if (w.timed_out) return ExecResult{ExecStatus::timeout, {}};
  if (w.failed) return ExecResult{};
  return ExecResult{ExecStatus::ok, std::move(w.reply)};
}

void Connection::kick_writer() {
  if (writing_ || out_.empty()) return;
  writing_ = true;
  asio::co_spawn(context_, write_loop(generation_), asio::detached);
}

asio::awaitable<void> Connection::write_loop(std::uint64_t generation) {
  while (!out_.empty() && generation == generation_) {
    writing_buffer_.swap(out_);  // commands queued from now on go in the next write
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(writing_buffer_), use_tuple);
    writing_buffer_.clear();
    if (generation != generation_) break;
    if (ec) {
      fail(ec.message().c_str());
      break;
    }
  }
  writing_ = false;
  if (generation != generation_) kick_writer();  // a new socket may have work already
}

asio::awaitable<void> Connection::read_loop(std::uint64_t generation) {
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  std::vector<char> buffer(16 * 1024);
  while (generation == generation_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_tuple);
    if (generation != generation_) co_return;  // the socket was replaced meanwhile
    if (ec) {
      fail(ec == asio::error::eof ? "closed by Redis" : ec.message().c_str());
      co_return;
    }
    if (redisReaderFeed(reader.get(), buffer.data(), n) != REDIS_OK) {
      fail("unreadable reply");
      co_return;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
        fail("unreadable reply");
        co_return;
      }
      if (!raw) break;
      Reply reply(static_cast<redisReply*>(raw));
      if (on_push && waiters_.empty() && state_ == State::connected) {
        on_push(*reply);
        continue;
      }
      if (waiters_.empty()) {
        fail("a reply nobody asked for");
        co_return;
      }
      Waiter* w = waiters_.front();
      waiters_.pop_front();
      if (w) {
        w->reply = std::move(reply);
        complete(w);
      }
    }
  }
}

}  // namespace presenced::store::redis
