// A large room, measured from outside the server over real sockets (issue #17).
//
//   room --ports P[,Q] --pids A[,B] --secret S --viewers N [--changes K] [--record R]
//
// N viewers, each its own user with a WebSocket that registers a tab on the record
// (heartbeat) and subscribes to it with a snapshot limit of 20; with two ports they are
// dealt between two nodes (one Redis). Then K isolated changes, another user joining and
// leaving over HTTP on the first node, each spaced past the coalescing window; every
// socket notes when each event arrives and how many bytes it was. Prints, for the room:
//   - bytes a subscriber receives per change (the WebSocket frame, header included);
//   - the time from a change to its delivery at the last subscriber (p50, p99);
//   - the servers' CPU per change (user + system, all nodes, /proc);
//   - the servers' memory per viewer (RSS growth over the setup / N: socket,
//     subscription and tab);
//   - GET /viewers?limit=20 latency (p50, p99 of 200 in a row, one connection);
//   - refusals (any error message or a setup that did not complete).
// The tool mints the viewers' tokens itself (the server's JWT code, the bench secret).

#include "auth/jwt.hpp"
#include "bench_util.hpp"
#include "raw_reader.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace bench;

namespace {

struct Options {
  std::vector<unsigned short> ports;
  std::vector<int> pids;
  std::string secret, record = "room";
  std::size_t viewers = 1000, changes = 30;
};

std::string token(const presenced::auth::JwtCodec& codec, std::size_t user, const char* name) {
  presenced::auth::TokenClaims c;
  c.user_id = std::to_string(user);
  c.user_id_is_number = true;
  c.name = std::string(name) + " " + std::to_string(user);
  c.tenant = "1";
  c.tenant_is_number = true;
  c.issued_at = std::time(nullptr);
  c.expires_at = c.issued_at + 3600;
  return codec.sign(c);
}

// One viewer: connects, registers its tab, and (when told) subscribes and waits for its
// snapshot. Any error message from the server counts as a refusal.
struct Viewer : std::enable_shared_from_this<Viewer> {
  Viewer(asio::io_context& io, std::size_t index) : ws(io), index(index) {}

  void open(const tcp::endpoint& server, std::string token, const std::string& record, std::function<void()> done) {
    on_done = std::move(done);
    target = "/api/v1/presence/ws?token=" + token;
    message = R"({"type":"heartbeat","record_type":"flow","record_id":")" + record + R"(","tab_id":"v)" +
              std::to_string(index) + R"(","mode":"view","dirty":false})";
    ws.next_layer().async_connect(server, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("connect", ec);
      self->ws.async_handshake("127.0.0.1", self->target, [self](beast::error_code ec) {
        if (ec) return self->fail("handshake", ec);
        self->ws.async_write(asio::buffer(self->message), [self](beast::error_code ec, std::size_t) {
          if (ec) return self->fail("heartbeat", ec);
          self->on_done();
        });
      });
    });
  }

  void subscribe(const std::string& record, std::function<void()> done) {
    on_done = std::move(done);
    message = R"({"type":"subscribe","record_type":"flow","record_id":")" + record + R"(","limit":20})";
    ws.async_write(asio::buffer(message), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("subscribe", ec);
      self->read_snapshot();
    });
  }

  void read_snapshot() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read", ec);
      const std::string text = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      if (text.find(R"("type":"error")") != std::string::npos) {
        ++refused;
        std::fprintf(stderr, "viewer %zu: %s\n", self->index, text.c_str());
      }
      if (text.find(R"("type":"presence")") != std::string::npos) return self->on_done();
      self->read_snapshot();  // an event from before its snapshot was asked for
    });
  }

  void fail(const char* what, beast::error_code ec) {
    ++refused;
    if (refused < 5) std::fprintf(stderr, "viewer %zu: %s: %s\n", index, what, ec.message().c_str());
  }

  static inline std::atomic<std::size_t> refused{0};
  websocket::stream<tcp::socket> ws;
  beast::flat_buffer buffer;
  std::size_t index;
  std::string target, message;
  std::function<void()> on_done;
};

// Runs `step(i, done)` for i in [0, n), at most 256 at a time, until each called done.
void for_all(asio::io_context& io, std::size_t n, const std::function<void(std::size_t, std::function<void()>)>& step) {
  std::size_t started = 0, finished = 0;
  std::function<void()> next = [&] {
    if (started >= n) return;
    step(started++, [&] {
      ++finished;
      next();
    });
  };
  for (int i = 0; i < 256; ++i) next();
  const auto deadline = Clock::now() + std::chrono::minutes(2);
  while (finished < n && Viewer::refused == 0 && Clock::now() < deadline) {
    io.restart();  // run_for stops the context whenever it runs out of work
    io.run_for(std::chrono::milliseconds(10));
  }
  if (finished < n || Viewer::refused > 0) {
    // Handlers still queued refer to this frame: stop here rather than unwind under them.
    std::fprintf(stderr, "setup incomplete: %zu of %zu done, %zu refused\n", finished, n, Viewer::refused.load());
    std::fflush(stderr);
    std::_Exit(1);
  }
}

std::int64_t users_in(HttpConnection& http, const Options& o, const std::string& token) {
  const auto r = http.request(beast::http::verb::get, "/api/v1/presence/flow/" + o.record + "/viewers?limit=1", "", token);
  const auto at = r.body.find(R"("users":)");
  return r.status == 200 && at != std::string::npos ? std::stoll(r.body.substr(at + 8)) : -1;
}

double server_cpu(const Options& o) {
  double s = 0;
  for (int pid : o.pids) s += cpu_seconds(pid);
  return s;
}
long server_rss_kb(const Options& o) {
  long kb = 0;
  for (int pid : o.pids) kb += rss_kb(pid);
  return kb;
}

int run(const Options& o) {
  const presenced::auth::JwtCodec codec(o.secret);
  const std::string trigger = token(codec, 1, "Trigger");
  asio::io_context io;
  std::vector<tcp::endpoint> servers;
  for (auto port : o.ports) servers.emplace_back(asio::ip::make_address("127.0.0.1"), port);

  const long rss_before = server_rss_kb(o);
  const auto setup_start = Clock::now();
  std::vector<std::shared_ptr<Viewer>> viewers;
  for (std::size_t i = 0; i < o.viewers; ++i) viewers.push_back(std::make_shared<Viewer>(io, i));
  for_all(io, o.viewers, [&](std::size_t i, std::function<void()> done) {
    viewers[i]->open(servers[i % servers.size()], token(codec, 1000 + i, "Viewer"), o.record, std::move(done));
  });
  HttpConnection http(o.ports[0]);
  const auto joined_by = Clock::now() + std::chrono::seconds(60);
  while (users_in(http, o, trigger) < static_cast<std::int64_t>(o.viewers) && Clock::now() < joined_by && Viewer::refused == 0) {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  const std::int64_t in_room = users_in(http, o, trigger);
  for_all(io, o.viewers, [&](std::size_t i, std::function<void()> done) { viewers[i]->subscribe(o.record, std::move(done)); });
  io.restart();
  io.run_for(std::chrono::milliseconds(500));  // let the servers settle
  const long rss_after = server_rss_kb(o);
  const double setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  if (in_room != static_cast<std::int64_t>(o.viewers) || Viewer::refused > 0) {
    std::fprintf(stderr, "setup incomplete: %lld of %zu in the room, %zu refused\n", static_cast<long long>(in_room),
                 o.viewers, Viewer::refused.load());
    return 1;
  }

  // The changes, each read by every socket straight from epoll.
  std::vector<std::vector<std::int64_t>> arrivals(o.changes, std::vector<std::int64_t>(o.viewers, 0));
  RawReader reader(arrivals, o.viewers, false);
  for (auto& v : viewers) reader.add(v->ws.next_layer().release(), v->index);
  std::vector<std::int64_t> triggered(o.changes, 0);
  std::vector<std::uint64_t> bytes_before(o.viewers, 0);
  std::atomic<bool> done{false};
  double cpu = 0;
  std::uint64_t change_bytes = 0;
  std::size_t missing = 0;
  std::thread changes([&] {
    const double cpu_start = server_cpu(o);
    for (std::size_t t = 0; t < o.changes; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // past the coalescing window: isolated
      const bool join = t % 2 == 0;
      const std::string target = "/api/v1/presence/flow/" + o.record + (join ? "/heartbeat" : "/unregister");
      const std::string body = join ? R"({"tab_id":"trigger","mode":"edit","dirty":true})" : R"({"tab_id":"trigger"})";
      triggered[t] = now_us();
      if (http.request(join ? beast::http::verb::post : beast::http::verb::delete_, target, body, trigger).status != 200) {
        std::fprintf(stderr, "change %zu failed\n", t);
      }
      const auto deadline = Clock::now() + std::chrono::seconds(20);
      for (;;) {
        std::size_t got = 0;
        for (std::size_t i = 0; i < o.viewers; ++i) got += reader.frames(i) > t;
        if (got == o.viewers || Clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    cpu = server_cpu(o) - cpu_start;
    for (std::size_t i = 0; i < o.viewers; ++i) {
      change_bytes += reader.bytes(i);
      missing += reader.frames(i) < o.changes ? o.changes - reader.frames(i) : 0;
    }
    done = true;
  });
  reader.run(done);
  changes.join();

  std::vector<double> last;
  for (std::size_t t = 0; t < o.changes; ++t) {
    std::int64_t latest = 0;
    for (std::int64_t at : arrivals[t]) latest = std::max(latest, at);
    if (latest) last.push_back(static_cast<double>(latest - triggered[t]) / 1000.0);
  }
  std::vector<double> page;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t start = now_us();
    const auto r = http.request(beast::http::verb::get, "/api/v1/presence/flow/" + o.record + "/viewers?limit=20", "", trigger);
    page.push_back(static_cast<double>(now_us() - start) / 1000.0);
    if (r.status != 200) ++missing;
  }
  const double per_change = static_cast<double>(change_bytes) / static_cast<double>(o.viewers * o.changes);
  std::printf("viewers %zu on %zu node(s), setup %.1f s, changes %zu, missing %zu, refused %zu\n", o.viewers,
              o.ports.size(), setup_s, o.changes, missing, Viewer::refused.load());
  std::printf("bytes per subscriber per change: %.0f\n", per_change);
  std::printf("change to last subscriber: p50 %.1f ms  p99 %.1f ms\n", percentile(last, 50), percentile(last, 99));
  std::printf("server CPU per change: %.2f ms\n", cpu * 1000.0 / static_cast<double>(o.changes));
  std::printf("server memory per viewer: %.0f bytes\n",
              static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(o.viewers));
  std::printf("GET /viewers?limit=20: p50 %.2f ms  p99 %.2f ms\n", percentile(page, 50), percentile(page, 99));
  return missing == 0 && Viewer::refused == 0 ? 0 : 1;
}

template <typename T>
std::vector<T> list_of(const std::string& text) {
  std::vector<T> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    out.push_back(static_cast<T>(std::stol(text.substr(at, comma - at))));
    at = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--ports") o.ports = list_of<unsigned short>(value);
    else if (flag == "--pids") o.pids = list_of<int>(value);
    else if (flag == "--secret") o.secret = value;
    else if (flag == "--viewers") o.viewers = std::stoul(value);
    else if (flag == "--changes") o.changes = std::stoul(value);
    else if (flag == "--record") o.record = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.ports.empty() || o.pids.empty() || o.secret.empty()) {
    std::fprintf(stderr, "usage: room --ports P[,Q] --pids A[,B] --secret S --viewers N [--changes K] [--record R]\n");
    return 2;
  }
  raise_file_limit();
  return run(o);
}
