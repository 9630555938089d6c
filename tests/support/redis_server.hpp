#pragma once
// A real redis-server for tests, on a free loopback port, without persistence; and a
// small blocking client (hiredis) to look at and write raw keys as the host app would.

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace presenced::testing {

// A loopback port nobody listens on now.
std::uint16_t free_loopback_port();

class RedisServer {
 public:
  RedisServer();  // starts it; throws when it cannot
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void stop();     // kills it (its data is gone: no persistence)
  void restart();  // starts it again on the same port

  // The process-wide instance the parameterised suite shares (started on first use).
  static RedisServer& shared();

 private:
  void launch();
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

class RedisClient {
 public:
  explicit RedisClient(std::uint16_t port);
  ~RedisClient();
  RedisClient(RedisClient&& other) noexcept : context_(other.context_) { other.context_ = nullptr; }
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  RedisReplyPtr command(const std::vector<std::string>& args);
  std::string string(const std::vector<std::string>& args);  // a string or status reply
  long long integer(const std::vector<std::string>& args);

 private:
  redisContext* context_;
};

}  // namespace presenced::testing
