// A WebSocket session on simulated time: a real session (real loopback sockets, the real
// hub, service and embedded store) on one server thread that the test runs by hand, with
// its keep-alive and close deadlines on manual timers. The idle timeout's ping and drop
// are checked at their instants, to the keep-alive tick, and nothing sleeps.
#include "fanout/hub.hpp"
#include "realtime/websocket_thread.hpp"
#include "store/memory/memory_store.hpp"
#include "support/manual_timers.hpp"
#include "support/store_harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace presenced::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    // A connected pair on loopback: the client's connect completes in the backlog.
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.next_layer().connect(acceptor.local_endpoint());
    tcp::socket server_side = acceptor.accept();

    // The client's upgrade request, read as the HTTP server would have read it.
    bool handshaken = false;
    client.async_handshake("127.0.0.1", "/api/v1/presence/ws", [&](beast::error_code ec) {
      handshaken = !ec;
    });
    pump([&] { return false; }, 20);  // the request is written
    std::pmr::monotonic_buffer_resource arena;
    beast::flat_buffer buffer;
    beast::http::request_parser<http::RequestBody, http::ArenaAllocator> parser(
        std::piecewise_construct, std::make_tuple(http::ArenaAllocator(&arena)),
        std::make_tuple(http::ArenaAllocator(&arena)));
    beast::http::read(server_side, buffer, parser);
    const http::Request& request = parser.get();

    EXPECT_TRUE(connections.try_take());  // as the server's accept does
    presence::Identity alice{.user = make_user("1", true, "Alice"), .expires_at = clock.unix_seconds() + 86'400};
    asio::co_spawn(io,
                   websocket.upgrade(std::move(server_side), request, std::move(alice), http::ConnectionSlot(&connections)),
                   asio::detached);
    pump([&] { return handshaken; });
    EXPECT_TRUE(handshaken);
    EXPECT_EQ(connections.open(), 1u);
  }

  ~SessionTest() override {
    boost::system::error_code ec;
    client.next_layer().close(ec);
    pump([] { return false; }, 20);
    websocket.stop();
    hub.stop();
    store.stop();
  }

  // Runs what the sockets and the posted work have ready until `done`, at most a few
  // seconds of real time (the sockets are real; the timers are not).
  void pump(const std::function<bool()>& done, int rounds = 5'000) {
    for (int i = 0; i < rounds && !done(); ++i) {
      io.restart();
      if (io.poll() == 0) std::this_thread::sleep_for(1ms);
    }
  }

  // The client reads (and so answers pings, as a browser does) until the socket ends.
  void keep_reading() {
    client.async_read(incoming, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        client_saw_end = true;
        return;
      }
      incoming.consume(incoming.size());
      keep_reading();
    });
  }

  runtime::EventThreads threads{1};
  runtime::EventThread::Binding on_the_thread{threads[0]};
  asio::io_context& io = threads[0].context();
  ManualTimers timers{io};
  presence::ManualClock clock;
  http::ConnectionLimit connections{100};
  store::memory::MemoryStore store{{.ttl_ms = 90'000, .limits = {}}, clock};
  service::UserLedger users{{.requests_per_minute = 0}, clock};
  service::PresenceService service{store, users, clock, timers, 1'500ms};
  fanout::Hub hub{store, threads, {}, timers};
  auth::JwtCodec codec{"test-secret-of-at-least-thirty-two-bytes"};
  auth::Authenticator authenticator{codec, clock, 100};
  const realtime::WebSocketOptions options{.idle_timeout = 40s};  // keep-alive ticks every 10 s
  realtime::WebSocketThread websocket{options, hub, service, clock, timers, threads[0], authenticator};

  beast::websocket::stream<tcp::socket> client{io};
  beast::flat_buffer incoming;
  bool client_saw_end = false;
};

TEST_F(SessionTest, ASilentPeerIsDroppedAtTheIdleTimeoutAndNotBefore) {
  // The client never reads: the server's ping goes unanswered.
  timers.advance(39'999);
  pump([] { return false; }, 20);
  EXPECT_EQ(connections.open(), 1u) << "silent for less than the idle timeout: kept";
  timers.advance(1);
  pump([&] { return connections.open() == 0; });
  EXPECT_EQ(connections.open(), 0u) << "silent for the idle timeout: dropped, its place given back";
  EXPECT_EQ(websocket.sessions(), 0u);
}

TEST_F(SessionTest, APeerThatAnswersPingsStays) {
  int pings = 0;
  client.control_callback([&](beast::websocket::frame_type kind, beast::string_view) {
    if (kind == beast::websocket::frame_type::ping) ++pings;
  });
  keep_reading();
  for (int tick = 0; tick < 12; ++tick) {  // two minutes, three idle timeouts
    timers.advance(10'000);
    pump([] { return false; }, 20);
  }
  EXPECT_GE(pings, 3) << "pinged after each half idle timeout of silence";
  EXPECT_EQ(connections.open(), 1u) << "its pongs count as hearing from it";
  EXPECT_FALSE(client_saw_end);
}

TEST_F(SessionTest, TheFirstPingComesAtHalfTheIdleTimeout) {
  int pings = 0;
  client.control_callback([&](beast::websocket::frame_type kind, beast::string_view) {
    if (kind == beast::websocket::frame_type::ping) ++pings;
  });
  keep_reading();
  timers.advance(19'999);
  pump([] { return false; }, 20);
  EXPECT_EQ(pings, 0) << "a socket heard from within half the idle timeout is not pinged";
  timers.advance(1);
  pump([&] { return pings > 0; });
  EXPECT_EQ(pings, 1);
}

}  // namespace
}  // namespace presenced::testing
