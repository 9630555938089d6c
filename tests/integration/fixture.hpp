#pragma once
// The integration fixture: every test starts its own presenced and talks to it over
// sockets. Parameterised by store, so one suite covers every backend.

#include "support/http_client.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace presenced::testing {

// Polls `condition` until it holds or `timeout` passes: for effects that take time, with
// a deadline generous enough for a loaded machine.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// Every behaviour of the API is the same on every store: the suites run once per store.
struct Backend {
  std::string name;  // memory, redis, redis_cluster
};

inline std::vector<Backend> backends() { return {{"memory"}, {"redis"}, {"redis_cluster"}}; }

// The flags that put a server on `backend`. Redis: the process's shared redis-server, or
// Redis Cluster, emptied first, so that each test starts from nothing.
inline std::vector<std::string> store_args(const Backend& backend) {
  if (backend.name == "memory") return {"--store", "memory"};
  if (backend.name == "redis_cluster") {
    RedisCluster& cluster = RedisCluster::shared();
    cluster.flush_all();
    return {"--store", cluster.url()};
  }
  RedisServer& redis = RedisServer::shared();
  RedisClient(redis.port()).command({"FLUSHALL"});
  return {"--store", redis.url()};
}

// A plain client to the Redis node that holds `key`, to look at what presenced wrote as
// the host app would (a Redis backend only).
inline RedisClient raw_redis_for(const Backend& backend, const std::string& key) {
  if (backend.name == "redis_cluster") return RedisClient(RedisCluster::shared().master_of(key));
  return RedisClient(RedisServer::shared().port());
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

class ApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  // Starts presenced with the backend's flags plus `extra` (rate limit off unless given).
  ServerProcess& start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = store_args(GetParam());
    bool has_rate = false;
    for (auto& a : extra) has_rate |= a == "--rate-limit";
    if (!has_rate) args.insert(args.end(), {"--rate-limit", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(args);
    // As a load balancer would: traffic once /readyz says the store is usable.
    HttpClient probe(server_->port());
    if (!eventually([&] { return probe.request("GET", "/readyz").status == 200; })) {
      ADD_FAILURE() << "presenced did not become ready:\n" << server_->output();
    }
    return *server_;
  }
  HttpClient client() { return HttpClient(server_->port()); }

  // An error answer in the envelope, with its status and message.
  static void expect_error(const HttpResponse& r, unsigned status, const std::string& message) {
    EXPECT_EQ(r.status, status) << r.body;
    auto json = r.json();
    EXPECT_EQ(json.at("success").as_bool(), false) << r.body;
    EXPECT_EQ(json.at("message").as_string(), message) << r.body;
  }
  // After every abuse, the server still answers everyone else.
  void expect_still_serving() {
    HttpClient fresh(port());
    EXPECT_EQ(fresh.request("POST", path("ok", "heartbeat"), tab("alive"), token_for("9", "Ivy")).status, 200u);
    EXPECT_EQ(fresh.request("GET", "/healthz").status, 200u);
  }
  std::uint16_t port() const { return server_->port(); }

  static std::string path(const std::string& id, const std::string& action, const std::string& type = "flow") {
    return "/api/v1/presence/" + type + "/" + id + "/" + action;
  }
  static std::string tab(const std::string& id, const std::string& mode = "view", bool dirty = false) {
    return R"({"tab_id":")" + id + R"(","mode":")" + mode + R"(","dirty":)" + (dirty ? "true" : "false") + "}";
  }
  HttpResponse heartbeat(HttpClient& c, const std::string& token, const std::string& record, const std::string& body) {
    return c.request("POST", path(record, "heartbeat"), body, token);
  }
  // The viewers list of `record` as `token` sees it (asserting a 200).
  boost::json::array viewers(HttpClient& c, const std::string& token, const std::string& record) {
    auto r = c.request("GET", path(record, "viewers"), "", token);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json().at("data").at("viewers").as_array();
  }

  std::unique_ptr<ServerProcess> server_;
};

}  // namespace presenced::testing
