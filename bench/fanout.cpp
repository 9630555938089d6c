// WebSocket fan-out, measured from outside the server, over real sockets.
//
//   fanout latency --port P --token T --trigger-token U --subscribers N [--trials K]
//                  [--trigger-port Q] [--poll 1]
//     N sockets (one user) subscribe to one record; then, K times, another user joins or
//     leaves it over HTTP, one change at a time (spaced past the coalescing window, so
//     each is an isolated change), and every socket notes when the event arrives. Prints
//     the time from the change to its delivery at the last subscriber (p50, p99, max)
//     and at every subscriber (p50, p99). --trigger-port makes the changes on another
//     node (both on one Redis); --poll 1 makes the reader spin instead of sleeping.
//
//   fanout idle --port P --token T --sockets N --pid PID [--records K]
//     Opens N sockets, each authenticated and subscribed to one of K records (none with
//     K = 0), waits for every snapshot, and prints the server's resident memory (VmRSS of PID) before
//     and after: the cost of an idle socket.
//
// The client runs on the same machine as the server: its share of the two cores is in
// the figures (docs/benchmarks.md). It reads the events with a plain epoll loop, and
// notes a delivery when epoll hands it the socket.

#include "bench_util.hpp"
#include "raw_reader.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
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

struct Options {
  std::string mode;
  unsigned short port = 0;
  unsigned short trigger_port = 0;  // latency: changes made on another node (same Redis)
  std::string token, trigger_token;
  std::size_t subscribers = 1000, trials = 50, sockets = 1000;
  std::size_t records = 1;
  bool poll = false;  // latency: the reader spins rather than sleeps  // idle: the sockets subscribe to this many records, round robin
  int pid = 0;
};

// One subscriber socket. Counts the presence events after its snapshot; the k-th is the
// k-th change of the run.
struct Subscriber : std::enable_shared_from_this<Subscriber> {
  Subscriber(asio::io_context& io, std::vector<std::vector<std::int64_t>>& arrivals, std::size_t index)
      : ws(io), arrivals(arrivals), index(index) {}

  void start(const tcp::endpoint& endpoint, const Options& o, std::string record, std::function<void()> on_ready) {
    ready_callback = std::move(on_ready);
    target = "/api/v1/presence/ws?token=" + o.token;
    if (!record.empty()) subscribe = R"({"type":"subscribe","record_type":"flow","record_id":")" + record + R"("})";
    ws.next_layer().async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("connect", ec);
      self->ws.async_handshake("127.0.0.1", self->target, [self](beast::error_code ec) {
        if (ec) return self->fail("handshake", ec);
        if (self->subscribe.empty()) {  // connected and authenticated is all that is wanted
          if (self->ready_callback) self->ready_callback();
          return self->read();
        }
        self->ws.async_write(asio::buffer(self->subscribe), [self](beast::error_code ec, std::size_t) {
          if (ec) return self->fail("subscribe", ec);
          self->read();
        });
      });
    });
  }

  void read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read", ec);
      const std::int64_t at = now_us();
      auto data = self->buffer.cdata();
      std::string_view text(static_cast<const char*>(data.data()), data.size());
      if (text.find(R"("type":"presence")") != std::string_view::npos) {
        if (self->events == 0) {
          ++self->events;
          self->buffer.consume(self->buffer.size());
          if (self->ready_callback) self->ready_callback();
          if (self->raw_after_snapshot) return;  // the fast reader takes over the socket
          return self->read();
        } else if (self->events.load() - 1 < self->arrivals.size()) {
          self->arrivals[self->events.load() - 1][self->index] = at;
        }
        ++self->events;
      }
      self->buffer.consume(self->buffer.size());
      self->read();
    });
  }

  void fail(const char* what, beast::error_code ec) {
    static std::atomic<int> reported{0};
    if (reported++ < 5) std::fprintf(stderr, "socket %zu: %s: %s\n", index, what, ec.message().c_str());
  }

  websocket::stream<tcp::socket> ws;
  beast::flat_buffer buffer;
  std::vector<std::vector<std::int64_t>>& arrivals;
  std::size_t index;
  std::atomic<std::size_t> events{0};  // read by the trigger thread
  std::string target, subscribe;
  std::function<void()> ready_callback;
  bool raw_after_snapshot = false;
};

// Opens `n` subscribers (at most 256 handshakes at a time) and returns once every one
// has its snapshot, or after a minute.
std::vector<std::shared_ptr<Subscriber>> open_all(asio::io_context& io, const Options& o, std::size_t n,
                                                  std::vector<std::vector<std::int64_t>>& arrivals,
                                                  std::size_t records, std::atomic<std::size_t>& ready,
                                                  bool raw_after_snapshot = false) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), o.port);
  std::vector<std::shared_ptr<Subscriber>> all;
  std::size_t started = 0;
  std::function<void()> start_next;
  start_next = [&] {
    if (started >= n) return;
    auto s = std::make_shared<Subscriber>(io, arrivals, started);
    s->raw_after_snapshot = raw_after_snapshot;
    all.push_back(s);
    std::string record = records == 0 ? "" : records == 1 ? "hall" : "idle-" + std::to_string(started % records);
    ++started;
    s->start(endpoint, o, record, [&] {
      ++ready;
      start_next();
    });
  };
  for (int i = 0; i < 256; ++i) start_next();
  const auto deadline = Clock::now() + std::chrono::minutes(1);
  while (ready.load() < n && Clock::now() < deadline) io.run_for(std::chrono::milliseconds(10));
  return all;
}

int latency(const Options& o) {
  asio::io_context io;
  std::vector<std::vector<std::int64_t>> arrivals(o.trials, std::vector<std::int64_t>(o.subscribers, 0));
  std::atomic<std::size_t> ready{0};
  auto subscribers = open_all(io, o, o.subscribers, arrivals, 1, ready, true);
  if (ready.load() < o.subscribers) {
    std::fprintf(stderr, "only %zu of %zu subscribers got their snapshot\n", ready.load(), o.subscribers);
    return 1;
  }
  RawReader reader(arrivals, o.subscribers, o.poll);
  for (auto& s : subscribers) reader.add(s->ws.next_layer().release(), s->index);
  std::vector<std::int64_t> triggered(o.trials, 0);
  std::atomic<bool> done{false};
  std::thread trigger([&] {
    for (std::size_t t = 0; t < o.trials; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // past the coalescing window: isolated
      triggered[t] = now_us();
      const bool join = t % 2 == 0;
      const std::string target = std::string("/api/v1/presence/flow/hall/") + (join ? "heartbeat" : "unregister");
      const std::string body = join ? R"({"tab_id":"trigger","mode":"edit","dirty":true})" : R"({"tab_id":"trigger"})";
      HttpConnection http(o.trigger_port ? o.trigger_port : o.port);
      if (http.request(beast::http::verb::post, target, body, o.trigger_token).status != 200) {
        std::fprintf(stderr, "trigger %zu failed\n", t);
      }
      // Wait for every delivery of this change before the next one.
      const auto deadline = Clock::now() + std::chrono::seconds(10);
      while (Clock::now() < deadline) {
        std::size_t got = 0;
        for (std::size_t i = 0; i < o.subscribers; ++i) got += reader.frames(i) > t;
        if (got == o.subscribers) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    done = true;
  });
  reader.run(done);
  trigger.join();

  return print_latency(arrivals, triggered, o.subscribers, "changes") == 0 ? 0 : 1;
}

int idle(const Options& o) {
  asio::io_context io;
  std::vector<std::vector<std::int64_t>> none;
  const long before = rss_kb(o.pid);
  std::atomic<std::size_t> ready{0};
  auto sockets = open_all(io, o, o.sockets, none, o.records, ready);
  io.run_for(std::chrono::milliseconds(500));  // let the server settle
  const long after = rss_kb(o.pid);
  std::printf("sockets %zu of %zu open, subscribed to %zu records; server RSS %ld kB -> %ld kB: %.0f bytes per idle socket\n",
              ready.load(), o.sockets, o.records, before, after,
              ready.load() ? static_cast<double>(after - before) * 1024.0 / static_cast<double>(ready.load()) : 0.0);
  return ready.load() == o.sockets ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc > 1) o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") o.port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--token") o.token = value;
    else if (flag == "--trigger-token") o.trigger_token = value;
    else if (flag == "--subscribers") o.subscribers = std::stoul(value);
    else if (flag == "--trials") o.trials = std::stoul(value);
    else if (flag == "--sockets") o.sockets = std::stoul(value);
    else if (flag == "--pid") o.pid = std::stoi(value);
    else if (flag == "--records") o.records = std::stoul(value);
    else if (flag == "--poll") o.poll = value == "1";
    else if (flag == "--trigger-port") o.trigger_port = static_cast<unsigned short>(std::stoi(value));
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  raise_file_limit();
  if (o.mode == "latency" && o.port && !o.token.empty() && !o.trigger_token.empty()) return latency(o);
  if (o.mode == "idle" && o.port && !o.token.empty() && o.pid) return idle(o);
  std::fprintf(stderr,
               "usage: fanout latency --port P --token T --trigger-token U --subscribers N [--trials K]\n"
               "                      [--trigger-port Q] [--poll 1]\n"
               "       fanout idle --port P --token T --sockets N --pid PID [--records K]\n");
  return 2;
}
