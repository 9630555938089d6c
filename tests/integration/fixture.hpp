#pragma once
// The integration fixture: every test starts its own presenced and talks to it over
// sockets. Parameterised by store, so one suite covers every backend.

#include "support/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace presenced::testing {

struct Backend {
  std::string name;
  std::vector<std::string> args;
};

inline std::vector<Backend> backends() { return {{"memory", {"--store", "memory"}}}; }

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

class ApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  // Starts presenced with the backend's flags plus `extra` (rate limit off unless given).
  ServerProcess& start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = GetParam().args;
    bool has_rate = false;
    for (auto& a : extra) has_rate |= a == "--rate-limit";
    if (!has_rate) args.insert(args.end(), {"--rate-limit", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(args);
    return *server_;
  }
  HttpClient client() { return HttpClient(server_->port()); }
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

  // Polls `condition` until it holds or `timeout` passes: for effects that take time.
  static bool eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
  }

  std::unique_ptr<ServerProcess> server_;
};

}  // namespace presenced::testing
