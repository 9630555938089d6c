#include "support/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace presenced::testing {

std::uint16_t free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

namespace {

bool answers_ping(std::uint16_t port) {
  timeval timeout{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  bool ok = false;
  if (c && !c->err) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

}  // namespace

RedisServer::RedisServer() {
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = free_loopback_port();
    try {
      launch();
    } catch (const std::exception&) {
      if (attempt == 4) throw;
    }
  }
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::launch() {
  pid_ = fork();
  if (pid_ == 0) {
    std::string port = std::to_string(port_);
    execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (answers_ping(port_)) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited: the port was taken, say
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void RedisServer::stop() {
  if (pid_ < 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::restart() {
  stop();
  launch();
}

RedisServer& RedisServer::shared() {
  static RedisServer server;
  return server;
}

RedisClient::RedisClient(std::uint16_t port) {
  timeval timeout{5, 0};
  context_ = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (!context_ || context_->err) {
    if (context_) redisFree(context_);
    throw std::runtime_error("cannot connect to redis on " + std::to_string(port));
  }
  redisSetTimeout(context_, timeout);  // a paused node (SIGSTOP) fails the command instead of hanging the test
}

RedisClient::~RedisClient() {
  if (context_) redisFree(context_);
}

RedisReplyPtr RedisClient::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return RedisReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data())));
}

std::string RedisClient::string(const std::vector<std::string>& args) {
  auto r = command(args);
  return r && r->str ? std::string(r->str, r->len) : std::string();
}

long long RedisClient::integer(const std::vector<std::string>& args) {
  auto r = command(args);
  return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

}  // namespace presenced::testing
