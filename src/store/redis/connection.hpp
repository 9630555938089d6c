#pragma once
// One connection to Redis, used by one server thread (one io_context): no locks.
//
// Requests are pipelined: a command is appended to the output buffer and a waiter joins
// the queue of replies; one write carries every command queued meanwhile, and replies
// complete waiters in order. A waiter gives up at its deadline (the request timeout; a
// sweep every 50 ms fails the overdue ones, oldest first, and their replies, if they ever
// come, are dropped in turn), so a slow or unreachable Redis costs a request at most
// that long, and the request fails: it never succeeds unacknowledged.
//
// The connection keeps itself up: it connects, authenticates, selects the database and
// loads the scripts, and after a failure reconnects with jittered exponential backoff.
// While it is down, requests fail at once.

#include "store/redis/redis_url.hpp"
#include "store/redis/resp.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace presenced::store::redis {

struct ConnectionOptions {
  std::chrono::milliseconds request_timeout{1000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  std::vector<std::string> scripts;  // loaded (SCRIPT LOAD) on every connect
};

enum class ExecStatus { ok, unavailable, timeout };

struct ExecResult {
  ExecStatus status = ExecStatus::unavailable;
  Reply reply;
};

class Connection {
 public:
  Connection(boost::asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Fails what is pending and closes. Called on the connection's thread or once its
  // io_context no longer runs.
  void stop();

  bool connected() const { return state_ == State::connected; }
  boost::asio::io_context& context() { return context_; }

  // A reply waited for: lives in the frame of the request that waits, from submit() to
  // wait(), and never moves meanwhile. Its handler resumes that request.
  struct Pending {
    // Constructed in place and never moved: in Boost 1.81 moving or assigning one
    // any_completion_handler into another wraps it again without end.
    std::optional<boost::asio::any_completion_handler<void()>> resume;
    std::chrono::steady_clock::time_point deadline;
    Reply reply;
    bool failed = false;
    bool timed_out = false;
    bool done = false;  // completed before anyone waited (submit() then wait())
  };

  // Sends the command and awaits its reply. The command is written before this returns
  // (its arguments may be gone by the time the reply comes); not a coroutine of its
  // own, so that a request costs one frame less.
  template <std::size_t MaxArgs>
  boost::asio::awaitable<ExecResult> execute(const BasicCommand<MaxArgs>& command) {
    const bool sent = state_ == State::connected;
    if (sent) command.append_to(out_);
    return await_reply(sent);
  }

  // Sends the command now and keeps its reply in `pending` for wait(): several commands,
  // on several connections, in flight at once (a bulk query on a cluster). Every
  // submitted `pending` must be waited for before it goes.
  template <std::size_t MaxArgs>
  void submit(const BasicCommand<MaxArgs>& command, Pending& pending) {
    if (state_ == State::connected) command.append_to(out_);
    enqueue(pending, state_ == State::connected);
  }
  boost::asio::awaitable<ExecResult> wait(Pending& pending);

  // Sends a command whose reply is not wanted (ASKING): dropped if not connected.
  void send(const Command& command) {
    if (state_ != State::connected) return;
    command.append_to(out_);
    waiters_.push_back(nullptr);  // its reply is read and dropped in its turn
    kick_writer();
  }

  // Sends a command on a connection in subscribe mode, where every reply comes to
  // on_push (SUBSCRIBE, SSUBSCRIBE): dropped if not connected.
  void send_to_push(const Command& command) {
    if (state_ != State::connected) return;
    command.append_to(out_);
    kick_writer();
  }

  // Called with true when the connection comes up (on its thread, before any request
  // can use it) and false when it goes down.
  std::function<void(bool)> on_state_change;

  // Set on a connection in subscribe mode: once connected, every reply comes here
  // (published messages, subscription confirmations, errors) instead of to a waiter.
  std::function<void(const redisReply&)> on_push;

  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  enum class State { idle, connecting, handshaking, connected, stopped };
  using Waiter = Pending;

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> connect_and_handshake();
  boost::asio::awaitable<ExecResult> handshake_command(std::vector<std::string_view> args);
  boost::asio::awaitable<ExecResult> await_reply(bool sent);
  void enqueue(Pending& pending, bool sent);
  static ExecResult outcome(Pending& pending);
  boost::asio::awaitable<void> read_loop(std::uint64_t generation);
  boost::asio::awaitable<void> sweep_loop();
  void complete(Waiter* w);
  boost::asio::awaitable<void> write_loop(std::uint64_t generation);
  void kick_writer();
  void drop();
  void fail(const char* why);
  void set_state(State s);

  boost::asio::io_context& context_;
  RedisEndpoint endpoint_;
  ConnectionOptions options_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_;  // the run loop sleeps on it (backoff, or while connected)
  boost::asio::steady_timer sweep_;  // fails waiters past their deadline
  State state_ = State::idle;
  bool ever_connected_ = false;  // later connections are reconnects (counted)
  std::uint64_t generation_ = 0;    // one per socket, so loops of an old socket stop
  std::string out_;                 // commands not yet written
  std::string writing_buffer_;      // commands being written
  bool writing_ = false;
  std::deque<Waiter*> waiters_;     // in command order; nullptr for one that gave up
  std::string last_error_;
};

}  // namespace presenced::store::redis
