// Pusher fan-out, measured from outside the server, over real sockets: what a triggered
// event costs to reach N subscribers, and what an idle Pusher connection costs to hold.
//
//   pusher_fanout latency --port P --subscribers N [--trials K] [--trigger-port Q]
//     N sockets on /app/bench-key subscribe to the channel `bench`; then, K times, the
//     app triggers one event on it through the HTTP API (POST /apps/bench/events, signed
//     as the pusher SDK signs), one at a time, and every socket notes when it arrives.
//     Prints the time from the trigger to the last subscriber (p50, p99, max) and to
//     every subscriber. --trigger-port triggers on another node (both on one Redis).
//     --socketio: the same against laravel-echo-server (bench/echo_compare.sh), over
//     socket.io's WebSocket transport (Engine.IO 3): `42["subscribe",{"channel":...}]`,
//     triggers through its HTTP API; it answers no subscription, so a first event that
//     every socket must hear comes before the K.
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
  bool socketio = false;  // laravel-echo-server instead of presenced
};

// One socket: connects, subscribes to `channel` (none: connected is ready), and says
// when it holds the subscription.
struct PusherSocket : std::enable_shared_from_this<PusherSocket> {
  PusherSocket(asio::io_context& io, std::size_t index) : ws(io), index(index) {}

  void start(const tcp::endpoint& endpoint, std::string channel, std::function<void()> on_ready, bool over_socketio) {
    ready = std::move(on_ready);
    socketio = over_socketio;
    if (!channel.empty()) {
      subscribe = socketio ? R"(42["subscribe",{"channel":")" + channel + R"("}])"
                           : R"({"event":"pusher:subscribe","data":{"channel":")" + channel + R"("}})";
    }
    ws.next_layer().async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("connect", ec);
      const std::string target = self->socketio ? std::string("/socket.io/?EIO=3&transport=websocket")
                                                : std::string("/app/") + kKey + "?protocol=7&client=bench&version=8.4.0";
      self->ws.async_handshake("127.0.0.1", target,
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
      // socket.io: "40" is the namespace's connect; a subscription is never answered.
      const bool established = self->socketio ? text == "40"
                                              : text.find("pusher:connection_established") != std::string_view::npos;
      const bool subscribed = text.find("pusher_internal:subscription_succeeded") != std::string_view::npos;
      self->buffer.consume(self->buffer.size());
      if (established && !self->subscribe.empty()) {
        self->ws.async_write(asio::buffer(self->subscribe), [self](beast::error_code ec, std::size_t) {
          if (ec) return self->fail("subscribe", ec);
          if (self->socketio && self->ready) self->ready();  // the raw reader takes it from here
        });
        if (self->socketio) return;
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
  bool socketio = false;
};

// Opens `n` sockets (at most 256 handshakes at a time), socket i on channel
// `channel_of(i)`; returns once every one is ready, or after a minute.
std::vector<std::shared_ptr<PusherSocket>> open_all(asio::io_context& io, unsigned short port, std::size_t n,
                                                    const std::function<std::string(std::size_t)>& channel_of,
                                                    std::atomic<std::size_t>& ready, bool socketio = false) {
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
    }, socketio);
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
  auto sockets = open_all(io, o.port, o.subscribers, [](std::size_t) { return std::string("bench"); }, ready,
                          o.socketio);
  if (ready.load() < o.subscribers) {
    std::fprintf(stderr, "only %zu of %zu sockets subscribed\n", ready.load(), o.subscribers);
    return 1;
  }
  // laravel-echo-server answers no subscription: a first event, not counted, shows that
  // every socket hears the channel (a socket that missed it is reported as missing).
  const std::size_t first = o.socketio ? 1 : 0, events = o.trials + first;
  std::vector<std::vector<std::int64_t>> arrivals(events, std::vector<std::int64_t>(o.subscribers, 0));
  RawReader reader(arrivals, o.subscribers, false);
  for (auto& s : sockets) reader.add(s->ws.next_layer().release(), s->index);
  std::vector<std::int64_t> triggered(events, 0);
  std::atomic<bool> done{false};
  std::thread trigger([&] {
    HttpConnection http(o.trigger_port ? o.trigger_port : o.port);
    const std::string path = "/apps/bench/events";
    for (std::size_t t = 0; t < events; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(t == 0 && o.socketio ? 1000 : 100));
      std::string body, target;
      if (o.socketio) {
        body = R"({"channel":"bench","name":"tick","data":{"n":)" + std::to_string(t) + "}}";
        target = path + "?auth_key=" + kKey;
      } else {
        body = R"({"name":"tick","channels":["bench"],"data":"{\"n\":)" + std::to_string(t) + R"(}"})";
        target = path + "?" + presenced::auth::sign_pusher_api_request("POST", path, "", body, kKey, kSecret, unix_seconds());
      }
      triggered[t] = now_us();
      // laravel-echo-server reads the key from "Authorization: Bearer" before auth_key.
      if (http.request(beast::http::verb::post, target, body, o.socketio ? kKey : "").status != 200) {
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

  arrivals.erase(arrivals.begin(), arrivals.begin() + static_cast<std::ptrdiff_t>(first));
  triggered.erase(triggered.begin(), triggered.begin() + static_cast<std::ptrdiff_t>(first));
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
    else if (flag == "--socketio") o.socketio = value == "1";
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  raise_file_limit();
  if (o.mode == "latency" && o.port) return latency(o);
  if (o.mode == "idle" && o.port && o.pid) return idle(o);
  std::fprintf(stderr,
               "usage: pusher_fanout latency --port P --subscribers N [--trials K] [--trigger-port Q] [--socketio 1]\n"
               "       pusher_fanout idle --port P --sockets N --pid PID [--channels K]\n");
  return 2;
}
