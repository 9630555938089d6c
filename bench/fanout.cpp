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
using Clock = std::chrono::steady_clock;

namespace {

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

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

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

// After the handshakes, the sockets are read without Beast, straight from epoll: a Beast
// read costs the client more than a delivery costs the server, and the client shares
// the machine. Server frames are unmasked: [0x81][len (126: +2 bytes)][payload].
class RawReader {
 public:
  RawReader(std::vector<std::vector<std::int64_t>>& arrivals, bool poll)
      : arrivals_(arrivals), epoll_(epoll_create1(0)), poll_(poll) {}
  ~RawReader() { close(epoll_); }

  void add(int fd, std::size_t index) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (fds_.size() <= index) fds_.resize(index + 1);
    fds_[index] = {fd, {}, 0};
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = index;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e);
  }

  // Reads until `done`; counts each socket's presence frames.
  void run(const std::atomic<bool>& done, std::vector<std::atomic<std::size_t>>& counts) {
    std::vector<epoll_event> events(1024);
    char chunk[4096];
    while (!done) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), poll_ ? 0 : 10);
      const std::int64_t at = now_us();
      for (int i = 0; i < n; ++i) {
        Fd& f = fds_[events[i].data.u64];
        for (;;) {
          const ssize_t got = recv(f.fd, chunk, sizeof chunk, 0);
          if (got <= 0) break;
          f.pending.append(chunk, static_cast<std::size_t>(got));
        }
        frames(f, events[i].data.u64, at, counts);
      }
    }
  }

 private:
  struct Fd {
    int fd;
    std::string pending;
    std::size_t seen;
  };
  void frames(Fd& f, std::size_t index, std::int64_t at, std::vector<std::atomic<std::size_t>>& counts) {
    std::size_t pos = 0;
    while (f.pending.size() - pos >= 2) {
      const auto* p = reinterpret_cast<const unsigned char*>(f.pending.data() + pos);
      std::size_t len = p[1] & 0x7f, head = 2;
      if (len == 126) {
        if (f.pending.size() - pos < 4) break;
        len = (std::size_t{p[2]} << 8) | p[3];
        head = 4;
      } else if (len == 127) {
        break;  // not sent by presenced for these events
      }
      if (f.pending.size() - pos < head + len) break;
      if ((p[0] & 0x0f) == 0x1) {  // text: a presence event (the only kind sent here)
        const std::size_t k = f.seen++;
        if (k < arrivals_.size()) arrivals_[k][index] = at;
        ++counts[index];
      }
      pos += head + len;
    }
    f.pending.erase(0, pos);
  }

  std::vector<std::vector<std::int64_t>>& arrivals_;
  int epoll_;
  bool poll_;  // spin instead of sleeping in epoll_wait
  std::vector<Fd> fds_;
};

void raise_file_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

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

// A blocking HTTP request (the change that the subscribers are told of).
unsigned http_post(unsigned short port, const std::string& target, const std::string& body, const std::string& token) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, target, 11};
  req.set(beast::http::field::host, "127.0.0.1");
  req.set(beast::http::field::authorization, "Bearer " + token);
  req.set(beast::http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::http::write(socket, req);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(socket, buffer, res);
  return res.result_int();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
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
  RawReader reader(arrivals, o.poll);
  std::vector<std::atomic<std::size_t>> counts(o.subscribers);
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
      if (http_post(o.trigger_port ? o.trigger_port : o.port, target, body, o.trigger_token) != 200) std::fprintf(stderr, "trigger %zu failed\n", t);
      // Wait for every delivery of this change before the next one.
      const auto deadline = Clock::now() + std::chrono::seconds(10);
      while (Clock::now() < deadline) {
        std::size_t got = 0;
        for (auto& c : counts) got += c.load() > t;
        if (got == o.subscribers) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    done = true;
  });
  reader.run(done, counts);
  trigger.join();

  std::vector<double> last, all;
  std::size_t missing = 0;
  for (std::size_t t = 0; t < o.trials; ++t) {
    std::int64_t latest = 0;
    for (std::int64_t at : arrivals[t]) {
      if (at == 0) {
        ++missing;
        continue;
      }
      all.push_back(static_cast<double>(at - triggered[t]) / 1000.0);
      latest = std::max(latest, at);
    }
    if (latest) last.push_back(static_cast<double>(latest - triggered[t]) / 1000.0);
  }
  std::printf("subscribers %zu, changes %zu, deliveries missing %zu\n", o.subscribers, o.trials, missing);
  std::printf("last subscriber: p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", percentile(last, 50), percentile(last, 99),
              percentile(last, 100));
  std::printf("every delivery:  p50 %.1f ms  p99 %.1f ms\n", percentile(all, 50), percentile(all, 99));
  return missing == 0 ? 0 : 1;
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
