// The real server in this process, with a store that fails on purpose: for the answers a
// healthy store never causes (500, 503).
#include "auth/jwt.hpp"
#include "http/handlers.hpp"
#include "http/server.hpp"
#include "service/presence_service.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace presenced::testing {
namespace {

// Throws on heartbeats for record "boom", reports itself unavailable for record "down".
class FaultyStore final : public store::PresenceStore {
 public:
  boost::asio::awaitable<store::HeartbeatResult> heartbeat(presence::RecordRef r, presence::UserPtr,
                                                           presence::HeartbeatInput) override {
    if (r.id == "boom") throw std::runtime_error("disk on fire at 0xdeadbeef");
    co_return r.id == "down" ? store::HeartbeatResult::unavailable : store::HeartbeatResult::joined;
  }
  boost::asio::awaitable<store::UnregisterResult> unregister(presence::RecordRef r, const presence::User&,
                                                             std::string_view, std::int64_t) override {
    co_return r.id == "down" ? store::UnregisterResult::unavailable : store::UnregisterResult::removed;
  }
  boost::asio::awaitable<store::ViewersResult> viewers(presence::RecordRef r, const presence::User*,
                                                       std::vector<presence::Viewer>& out,
                                                       store::RecordState*) override {
    out.clear();
    co_return r.id == "down" ? store::ViewersResult::unavailable : store::ViewersResult::ok;
  }
  boost::asio::awaitable<std::optional<std::size_t>> remove_user(std::string_view tenant, std::string_view) override {
    co_return tenant == "down" ? std::nullopt : std::optional<std::size_t>(0);
  }
  boost::asio::awaitable<store::ViewersResult> tabs(presence::RecordRef r,
                                                    std::vector<presence::TabDetail>& out) override {
    out.clear();
    co_return r.id == "down" ? store::ViewersResult::unavailable : store::ViewersResult::ok;
  }
  boost::asio::awaitable<store::SavedResult> saved(presence::RecordRef r, presence::UserPtr,
                                                   std::uint32_t) override {
    if (r.id == "boom") throw std::runtime_error("disk on fire at 0xdeadbeef");
    co_return r.id == "down" ? store::SavedResult::unavailable : store::SavedResult::ok;
  }
  void start(runtime::EventThreads&) override {}
  void stop() override {}
  bool ready() const override { return false; }
  void set_observer(store::ChangeObserver*) override {}
};

class InProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = server_.listen();
    server_.start();
    thread_ = std::thread([this] { threads_[0].run(); });
  }
  void TearDown() override {
    threads_[0].stop();
    thread_.join();
  }

  presence::SystemClock clock_;
  http::ConnectionLimit connections_{1'000};
  runtime::EventThreads threads_{1};  // (before what has sockets and frames on it)
  FaultyStore store_;
  service::UserLedger users_{{.requests_per_minute = 0}, clock_};
  service::SteadyTimers timers_;
  service::PresenceService service_{store_, users_, clock_, timers_, std::chrono::milliseconds(100)};
  auth::JwtCodec codec_{kTestSecret};
  http::PresenceHandlers handlers_{{}, service_, codec_, clock_};
  auth::Authenticator authenticator_{codec_, clock_, 100};
  http::ServerThread thread_part_{threads_[0], authenticator_};
  http::Server server_{{.host = "127.0.0.1", .port = 0}, handlers_, connections_, {&thread_part_}};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(InProcess, AFailingHandlerIs500WithoutInternalsAndTheConnectionCarriesOn) {
  HttpClient c(port_);
  auto token = token_for("1", "A");
  std::string body = R"({"tab_id":"t","mode":"view","dirty":false})";
  auto r = c.request("POST", "/api/v1/presence/flow/boom/heartbeat", body, token);
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.body, R"({"success":false,"message":"Server Error."})");
  EXPECT_EQ(r.body.find("deadbeef"), std::string::npos);
  EXPECT_EQ(c.request("POST", "/api/v1/presence/flow/ok/heartbeat", body, token).status, 200u);
}

TEST_F(InProcess, AnUnavailableStoreIs503AndNeverASuccess) {
  HttpClient c(port_);
  auto token = token_for("1", "A");
  auto hb = c.request("POST", "/api/v1/presence/flow/down/heartbeat", R"({"tab_id":"t","mode":"view","dirty":0})",
                      token);
  EXPECT_EQ(hb.status, 503u);
  EXPECT_EQ(hb.json().at("success").as_bool(), false);
  EXPECT_EQ(c.request("GET", "/api/v1/presence/flow/down/viewers", "", token).status, 503u);
  EXPECT_EQ(c.request("DELETE", "/api/v1/presence/flow/down/unregister", R"({"tab_id":"t"})", token).status, 503u);
}

}  // namespace
}  // namespace presenced::testing
