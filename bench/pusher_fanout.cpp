// Pusher fan-out, measured from outside the server, over real sockets: what a triggered
// event costs to reach N subscribers, and what an idle Pusher connection costs to hold.
//
//   pusher_fanout latency --port P --subscribers N [--trials K] [--trigger-port Q]
//     N sockets on /app/bench-key subscribe to the channel `bench`; then, K times, the
//     app triggers one event on it through the HTTP API (POST /apps/bench/events, signed
//     as the pusher SDK signs), one at a time, and every socket notes when it arrives.
//     Prints the time from the trigger to the last subscriber (p50, p99, max) and to
//     every subscriber. --trigger-port triggers on another node (both on one Redis).
//
//   pusher_fanout idle --port P --sockets N --pid PID [--channels K]
//     Opens N sockets, each subscribed to one of K public channels (none with K = 0),
//     and prints the server's resident memory (VmRSS of PID) before and after.
//
// The server runs with --pusher-app bench:bench-key:bench-secret-0123. The client shares
// the machine with the server (docs/benchmarks.md); it reads the events with a plain
// epoll loop once subscribed (raw_reader.hpp), as bench/fanout does.

#include "auth/pusher_api_signature.hpp"
#include "bench_util.hpp"
#include "raw_reader.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

using namespace bench;

constexpr const char* kKey = "bench-key";
constexpr const char* kSecret = "bench-secret-0123";

struct Options {
  std::string mode;
  unsigned short port = 0, trigger_port = 0;
  std::size_t subscribers = 1000, trials = 50, sockets = 1000, channels = 1;
  int pid = 0;
};

// One socket: connects, subscribes to `channel` (none: connected is ready), and says
// when it holds the subscription.
struct PusherSocket : std::enable_shared_from_this<PusherSocket> {
  PusherSocket(asio::io_context& io, std::size_t index) : ws(io), index(index) {}

  void start(const tcp::endpoint& endpoint, std::string channel, std::function<void()> on_ready) {
    ready = std::move(on_ready);
    if (!channel.empty()) subscribe = R"({"event":"pusher:subscribe","data":{"channel":")" + channel + R"("}})";
    ws.next_layer().async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("connect", ec);
      self->ws.async_handshake("127.0.0.1", std::string("/app/") + kKey + "?protocol=7&client=bench&version=8.4.0",
                               [self](beast::error_code ec) {
                                 if (ec) return self->fail("handshake", ec);
                                 self->read();
                               });
    });
  }

  void read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read", ec);
      auto data = self->buffer.cdata();
      const std::string_view text(static_cast<const char*>(data.data()), data.size());
      const bool established = text.find("pusher:connection_established") != std::string_view::npos;
      const bool subscribed = text.find("pusher_internal:subscription_succeeded") != std::string_view::npos;
      self->buffer.consume(self->buffer.size());
      if (established && !self->subscribe.empty()) {
        self->ws.async_write(asio::buffer(self->subscribe), [self](beast::error_code ec, std::size_t) {
          if (ec) self->fail("subscribe", ec);
        });
      }
      if ((established && self->subscribe.empty()) || subscribed) {
        if (self->ready) self->ready();
        return;  // the raw reader, or nobody (idle), takes the socket from here
      }
      self->read();
    });
  }

  void fail(const char* what, beast::error_code ec) {
    static std::atomic<int> reported{0};
    if (reported++ < 5) std::fprintf(stderr, "socket %zu: %s: %s\n", index, what, ec.message().c_str());
  }

  websocket::stream<tcp::socket> ws;
  beast::flat_buffer buffer;
  std::size_t index;
  std::string subscribe;
  std::function<void()> ready;
};

// Opens `n` sockets (at most 256 handshakes at a time), socket i on channel
// `channel_of(i)`; returns once every one is ready, or after a minute.
std::vector<std::shared_ptr<PusherSocket>> open_all(asio::io_context& io, unsigned short port, std::size_t n,
                                                    const std::function<std::string(std::size_t)>& channel_of,
                                                    std::atomic<std::size_t>& ready) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  std::vector<std::shared_ptr<PusherSocket>> all;
  std::size_t started = 0;
  std::function<void()> start_next;
  start_next = [&] {
    if (started >= n) return;
    auto s = std::make_shared<PusherSocket>(io, started);
    all.push_back(s);
    s->start(endpoint, channel_of(started), [&] {
      ++ready;
      start_next();
    });
    ++started;
  };
  for (int i = 0; i < 256; ++i) start_next();
  const auto deadline = Clock::now() + std::chrono::minutes(1);
  while (ready.load() < n && Clock::now() < deadline) io.run_for(std::chrono::milliseconds(10));
  return all;
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int latency(const Options& o) {
  asio::io_context io;
  std::atomic<std::size_t> ready{0};
  auto sockets = open_all(io, o.port, o.subscribers, [](std::size_t) { return std::string("bench"); }, ready);
  if (ready.load() < o.subscribers) {
    std::fprintf(stderr, "only %zu of %zu sockets subscribed\n", ready.load(), o.subscribers);
    return 1;
  }
  std::vector<std::vector<std::int64_t>> arrivals(o.trials, std::vector<std::int64_t>(o.subscribers, 0));
  RawReader reader(arrivals, o.subscribers, false);
  for (auto& s : sockets) reader.add(s->ws.next_layer().release(), s->index);
  std::vector<std::int64_t> triggered(o.trials, 0);
  std::atomic<bool> done{false};
  std::thread trigger([&] {
    HttpConnection http(o.trigger_port ? o.trigger_port : o.port);
    const std::string path = "/apps/bench/events";
    for (std::size_t t = 0; t < o.trials; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const std::string body = R"({"name":"tick","channels":["bench"],"data":"{\"n\":)" + std::to_string(t) + R"(}"})";
      const std::string query =
          presenced::auth::sign_pusher_api_request("POST", path, "", body, kKey, kSecret, unix_seconds());
      triggered[t] = now_us();
      if (http.request(beast::http::verb::post, path + "?" + query, body, "").status != 200) {
        std::fprintf(stderr, "trigger %zu failed\n", t);
      }
      const auto deadline = Clock::now() + std::chrono::seconds(10);
      while (Clock::now() < deadline) {
        std::size_t got = 0;
        for (std::size_t i = 0; i < o.subscribers; ++i) got += reader.frames(i) > t;
        if (got == o.subscribers) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    done = true;
  });
  reader.run(done);
  trigger.join();

  return print_latency(arrivals, triggered, o.subscribers, "events") == 0 ? 0 : 1;
}

int idle(const Options& o) {
  asio::io_context io;
  const long before = rss_kb(o.pid);
  std::atomic<std::size_t> ready{0};
  auto sockets = open_all(io, o.port, o.sockets, [&](std::size_t i) {
    return o.channels == 0 ? std::string() : "idle-" + std::to_string(i % o.channels);
  }, ready);
  io.run_for(std::chrono::milliseconds(500));  // let the server settle
  const long after = rss_kb(o.pid);
  std::printf("sockets %zu of %zu open, on %zu channels; server RSS %ld kB -> %ld kB: %.0f bytes per idle socket\n",
              ready.load(), o.sockets, o.channels, before, after,
              ready.load() ? static_cast<double>(after - before) * 1024.0 / static_cast<double>(ready.load()) : 0.0);
  return ready.load() == o.sockets ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc > 1) o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") o.port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--trigger-port") o.trigger_port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--subscribers") o.subscribers = std::stoul(value);
    else if (flag == "--trials") o.trials = std::stoul(value);
    else if (flag == "--sockets") o.sockets = std::stoul(value);
    else if (flag == "--channels") o.channels = std::stoul(value);
    else if (flag == "--pid") o.pid = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  raise_file_limit();
  if (o.mode == "latency" && o.port) return latency(o);
  if (o.mode == "idle" && o.port && o.pid) return idle(o);
  std::fprintf(stderr,
               "usage: pusher_fanout latency --port P --subscribers N [--trials K] [--trigger-port Q]\n"
               "       pusher_fanout idle --port P --sockets N --pid PID [--channels K]\n");
  return 2;
}
