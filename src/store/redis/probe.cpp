#include "store/redis/probe.hpp"

#include <hiredis/hiredis.h>

#include <memory>

namespace presenced::store::redis {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

// Runs one command; empty when Redis answered without an error.
std::string run(redisContext* c, int argc, const char** argv) {
  std::unique_ptr<redisReply, ReplyFree> reply(
      static_cast<redisReply*>(redisCommandArgv(c, argc, argv, nullptr)));
  if (!reply) return c->errstr[0] ? c->errstr : "no reply";
  if (reply->type == REDIS_REPLY_ERROR) return std::string(reply->str, reply->len);
  return {};
}

std::string probe_node(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  const timeval tv{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
                   .tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  std::unique_ptr<redisContext, ContextFree> c(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv));
  if (!c) return "out of memory";
  if (c->err) return c->errstr;
  redisSetTimeout(c.get(), tv);
  if (!endpoint.password.empty()) {
    const char* user_argv[] = {"AUTH", endpoint.user.c_str(), endpoint.password.c_str()};
    const char* argv[] = {"AUTH", endpoint.password.c_str()};
    std::string e = endpoint.user.empty() ? run(c.get(), 2, argv) : run(c.get(), 3, user_argv);
    if (!e.empty()) return "AUTH: " + e;
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    const char* argv[] = {"SELECT", db.c_str()};
    if (std::string e = run(c.get(), 2, argv); !e.empty()) return "SELECT: " + e;
  }
  const char* argv[] = {"PING"};
  if (std::string e = run(c.get(), 1, argv); !e.empty()) return "PING: " + e;
  return {};
}

}  // namespace

std::string probe(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  if (!endpoint.cluster) return probe_node(endpoint, timeout);
  // A cluster is reachable if any seed answers: the rest of it is learned from that one.
  std::string errors;
  for (const auto& [host, port] : endpoint.seeds) {
    std::string why = probe_node(endpoint.node(host, port), timeout);
    if (why.empty()) return {};
    errors += (errors.empty() ? "" : "; ") + host + ":" + std::to_string(port) + ": " + why;
  }
  return errors;
}

}  // namespace presenced::store::redis
