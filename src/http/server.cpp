#include "http/server.hpp"

#include "http/envelope.hpp"
#include "http/framing.hpp"
#include "metrics/metrics.hpp"
#include "runtime/check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace presenced::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Header fields and body allocate from the request's arena.
using RequestParser = bhttp::request_parser<RequestBody, ArenaAllocator>;

// An HTTP connection as its thread sees it. Lives in the connection's coroutine frame.
// Read deadlines are kept here and enforced by the thread's sweep (ServerThread) rather
// than by a timer per read: the reads on the hot path arm nothing, and a request that
// runs out of time is cancelled, not closed, so it can still be told 408.
// The graceful stop closes an idle connection at once and a busy one after its answer.
struct ConnectionEntry {
  beast::tcp_stream* stream = nullptr;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool timed_out = false;  // the sweep cancelled the read
  bool busy = false;
  bool linked = false;  // in its thread's list
  ConnectionEntry* prev = nullptr;
  ConnectionEntry* next = nullptr;
};

ServerThread::ServerThread(runtime::EventThread& t, auth::Authenticator& auth)
    : thread(t), authenticator(auth), acceptor(t.context()), sweep_timer(t.context()) {}

ServerThread::~ServerThread() {
  for (ConnectionEntry* e = connections_; e; e = e->next) e->linked = false;
  connections_ = nullptr;
}

void ServerThread::link(ConnectionEntry& e) {
  PRESENCED_CHECK(thread.running_here(), "a thread's connection list is touched on its thread only");
  e.linked = true;
  e.prev = nullptr;
  e.next = connections_;
  if (connections_) connections_->prev = &e;
  connections_ = &e;
}

void ServerThread::unlink(ConnectionEntry& e) {
  if (!e.linked) return;
  PRESENCED_CHECK(thread.running_here(), "a thread's connection list is touched on its thread only");
  e.linked = false;
  if (e.prev) e.prev->next = e.next; else connections_ = e.next;
  if (e.next) e.next->prev = e.prev;
}

void ServerThread::sweep(std::chrono::steady_clock::time_point now) {
  boost::system::error_code ec;
  for (ConnectionEntry* e = connections_; e; e = e->next) {
    if (e->deadline <= now && !e->timed_out) {
      e->timed_out = true;
      e->stream->socket().cancel(ec);
    }
  }
}

void ServerThread::drain() {
  PRESENCED_CHECK(thread.running_here(), "a thread's acceptor and connections are touched on its thread only");
  draining = true;
  boost::system::error_code ec;
  acceptor.close(ec);
  for (ConnectionEntry* e = connections_; e; e = e->next) {
    if (!e->busy) e->stream->socket().cancel(ec);  // an idle read ends; a busy one finishes
  }
}

namespace {

std::string_view buffered(const beast::flat_buffer& buffer) {
  const auto data = buffer.cdata();
  return {static_cast<const char*>(data.data()), data.size()};
}

// The connection is gone or timed out: nothing to answer, nothing worth logging.
bool is_disconnect(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::operation_aborted || ec == bhttp::error::partial_message;
}

// The answer as two buffers, head and body, for one gathered write.
std::array<asio::const_buffer, 2> wire(const Response& res, bool keep_alive, std::string& head) {
  head.clear();
  write_head(res, keep_alive, head);
  return {asio::buffer(head), asio::buffer(res.body)};
}

// For the rare answers before a close; the hot path writes inline (no coroutine frame).
template <class Stream>
asio::awaitable<void> send_and_close(Stream& stream, const Response& res, std::string& head,
                                     std::chrono::milliseconds timeout) {
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await asio::async_write(stream, wire(res, false, head), use_tuple);
}

// A request that broke HTTP itself, or did not arrive in time: answer once, then close.
void malformed(Response& res, const boost::system::error_code& ec, std::size_t body_limit) {
  res.reset();
  if (ec == bhttp::error::header_limit) {
    envelope::error(res, 431, "The request headers are too large.");
  } else if (ec == bhttp::error::body_limit) {
    envelope::body_too_large(res, body_limit);
  } else if (ec == beast::error::timeout) {
    envelope::error(res, 408, "The request was not received in time.");
  } else {
    envelope::error(res, 400, "Malformed HTTP request.");
  }
  res.close = true;
}

// Closing a socket that still has unread input makes the kernel send a reset, which can
// destroy the answer we just wrote (a 413 for a body we refused to read) before the
// client reads it. So: half-close, then drain what the client still sends, bounded in
// time and bytes, as nginx's lingering_close does.
asio::awaitable<void> lingering_close(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (drained < 1024 * 1024) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (read_ec) break;
    drained += n;
  }
  stream.socket().close(ec);
}

// A client's X-Request-Id is echoed (in the answer and the log) when it is 1 to 64
// printable characters that need no escaping in a header or JSON; otherwise, and when
// there is none, the request gets one: the process's random prefix, the thread, a count.
// Counts an answered request for /metrics, and logs it at debug.
static_assert(std::size(kRouteNames) <= metrics::kMaxRoutes, "every route needs its row in the metrics");
void account(Route route, std::string_view method, std::string_view path, unsigned status,
             std::chrono::steady_clock::duration took, std::string_view id) {
  metrics::request(static_cast<std::size_t>(route), status, took);
  spdlog::debug("{} {} {} {}us id={}", method, path, status,
                std::chrono::duration_cast<std::chrono::microseconds>(took).count(), id);
}

std::string_view request_id(std::string_view given, ServerThread& w, std::array<char, 64>& buf) {
  const bool usable = !given.empty() && given.size() <= buf.size() &&
                      std::all_of(given.begin(), given.end(), [](char c) {
                        return c > ' ' && c < 0x7f && c != '"' && c != '\\';
                      });
  if (usable) return given;
  // "<process>-<thread>-" is made once per thread; each request appends its count in hex.
  if (w.id_prefix.empty()) {
    static const std::uint32_t process = std::random_device{}();
    w.id_prefix = fmt::format("{:08x}-{:x}-", process, w.thread.index());
  }
  char* out = std::copy(w.id_prefix.begin(), w.id_prefix.end(), buf.data());
  char digits[16];
  int n = 0;
  for (std::uint64_t v = ++w.requests; n == 0 || v != 0; v >>= 4) digits[n++] = "0123456789abcdef"[v & 15];
  while (n > 0) *out++ = digits[--n];
  return {buf.data(), static_cast<std::size_t>(out - buf.data())};
}

// One connection, plain (beast::tcp_stream) or TLS (TlsStream over one), from accept to
// close: its requests in turn, or the handover of a WebSocket upgrade.
template <class Stream>
asio::awaitable<void> serve_connection(Stream stream, ConnectionSlot slot, PresenceHandlers& handlers,
                                       ServerThread& worker, const ServerOptions& options) {
  constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  auth::Authenticator& auth = worker.authenticator;
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);  // deadlines, cancellation, close
  ConnectionEntry entry{.stream = &tcp};
  struct Registration {  // in the thread's list while this frame serves HTTP on the socket
    ServerThread& w;
    ConnectionEntry& e;
    void drop() { w.unlink(e); }
    ~Registration() { drop(); }
  } registration{worker, entry};
  worker.link(entry);

  beast::flat_buffer buffer;
  ConnectionScratch scratch;
  Response res;
  std::string head;
  std::array<char, 64> id_buffer;
  const std::size_t body_limit = handlers.max_body_bytes();
  // Reads are timed by the thread's sweep, not by Beast (whose timer a write may have set).
  auto read_within = [&](std::chrono::milliseconds timeout) {
    tcp.expires_never();
    entry.deadline = std::chrono::steady_clock::now() + timeout;
  };
  if constexpr (kTls) {
    read_within(options.request_timeout);
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (handshake_ec || entry.timed_out) {
      spdlog::debug("TLS handshake failed: {}", handshake_ec.message());
      co_await lingering_close(tcp);
      co_return;
    }
  }
  while (!worker.draining) {
    // Wait for a request's first bytes before leasing its arena: an idle keep-alive
    // connection holds no request memory. (Beast reads from `buffer` first, so this is the
    // same read it would have made.) Past the idle timeout it is closed without a word.
    entry.busy = false;
    if (buffer.size() == 0) {
      read_within(options.idle_timeout);
      auto [first_ec, first_bytes] = co_await stream.async_read_some(buffer.prepare(2048), use_tuple);
      if (first_ec || entry.timed_out) break;
      buffer.commit(first_bytes);
    }
    entry.busy = true;
    RequestArena arena;
    RequestParser parser(std::piecewise_construct, std::make_tuple(arena.http()), std::make_tuple(arena.http()));
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    // Beast would refuse a large Content-Length while parsing the header, before the route
    // and the token are checked; admit() checks it in the host app's order instead, and
    // the limit is set below for the bodies we do read (chunked ones included).
    parser.body_limit(boost::none);
    res.reset();

    // One deadline for the whole request, head and body: a client that trickles bytes
    // (slow loris) is cut off when it passes, however steadily it sends.
    read_within(options.request_timeout);
    // The whole head in the buffer before Beast parses it, so that what Beast would
    // quietly unfold (obs-fold) is refused first. Most requests arrive in one read.
    boost::system::error_code header_ec;
    framing::Head scanned = framing::scan_head(buffered(buffer));
    while (scanned.size == 0 && buffer.size() <= options.header_limit) {
      auto [more_ec, more] = co_await stream.async_read_some(buffer.prepare(2048), use_tuple);
      if (more_ec || entry.timed_out) {
        header_ec = entry.timed_out ? beast::error::timeout : more_ec;
        break;
      }
      buffer.commit(more);
      scanned = framing::scan_head(buffered(buffer));
    }
    if (!header_ec && scanned.obs_fold) header_ec = bhttp::error::bad_value;
    if (!header_ec) {
      auto [header_ec_read, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      header_ec = entry.timed_out ? beast::error::timeout : header_ec_read;
    }
    // A body whose length a proxy could read otherwise (Transfer-Encoding not ending in
    // chunked) would carry a smuggled request: refused, and the connection closes.
    if (!header_ec && !framing::body_length_is_known(parser.get().count(bhttp::field::transfer_encoding) != 0,
                                                      parser.chunked())) {
      header_ec = bhttp::error::bad_transfer_encoding;
    }
    const auto started = std::chrono::steady_clock::now();
    if (header_ec) {
      if (is_disconnect(header_ec)) break;
      malformed(res, header_ec, body_limit);
      res.request_id = request_id({}, worker, id_buffer);
      account(Route::not_found, "(unparsed)", header_ec.message(), res.status, {}, res.request_id);
      co_await send_and_close(stream, res, head, options.request_timeout);
      break;
    }

    auto& req = parser.get();
    RequestHead request_head{.method = parse_method(req.method_string()),
                             .target = req.target(),
                             .authorization = req[bhttp::field::authorization],
                             .content_length = parser.content_length()
                                                   ? std::optional<std::uint64_t>(*parser.content_length())
                                                   : std::nullopt,
                             .origin = req[bhttp::field::origin],
                             .preflight_method = req[bhttp::field::access_control_request_method]};
    const std::string_view id = res.request_id = request_id(req["X-Request-Id"], worker, id_buffer);
    Exchange ex;
    const bool admitted = handlers.admit(request_head, auth, ex, res);

    // A refused request's body is not read: the connection closes after the answer, and
    // the lingering close drains what the client still sends.
    if (!parser.is_done() && !admitted) res.close = true;
    if (!parser.is_done() && admitted) {
      // Only a client still holding its body back waits for "100 Continue".
      if (buffer.size() < parser.content_length().value_or(1) && beast::iequals(req[bhttp::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [continue_ec, continue_bytes] = co_await asio::async_write(stream, asio::buffer(kContinue), use_tuple);
        if (continue_ec) break;
      }
      parser.body_limit(handlers.max_body_bytes(ex.route.route));
      auto [body_ec_read, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      const boost::system::error_code body_ec = entry.timed_out ? beast::error::timeout : body_ec_read;
      if (body_ec) {
        if (is_disconnect(body_ec) && body_ec != bhttp::error::partial_message) break;
        malformed(res, body_ec, handlers.max_body_bytes(ex.route.route));
        account(ex.route.route, req.method_string(), ex.route.path, res.status,
                std::chrono::steady_clock::now() - started, id);
        co_await send_and_close(stream, res, head, options.request_timeout);
        break;
      }
    }

    entry.deadline = std::chrono::steady_clock::time_point::max();  // read in full: the handler has no deadline here
    WebSocketUpgrade* websocket = ex.route.route == Route::websocket          ? worker.websocket
                                  : ex.route.route == Route::pusher_websocket ? worker.pusher
                                                                              : nullptr;
    if (admitted && websocket && boost::beast::websocket::is_upgrade(req)) {
      account(ex.route.route, "GET", ex.route.path, 101, std::chrono::steady_clock::now() - started, id);
      // The socket leaves this loop for a session of its own, its slot with it; this
      // frame (its buffers, the request's arena) ends once the handshake is done.
      registration.drop();
      if constexpr (kTls) {
        co_await websocket->upgrade_tls(std::move(stream), req, std::move(ex.identity), std::move(slot));
      } else {
        co_await websocket->upgrade(stream.release_socket(), req, std::move(ex.identity), std::move(slot));
      }
      co_return;
    }

    if (admitted) {
      try {
        co_await handlers.handle(ex, parser.get().body(), arena, scratch, res);
      } catch (const std::exception& e) {
        spdlog::error("request {} {} id={} failed: {}", req.method_string(), ex.route.path, id, e.what());
        res.reset();
        envelope::error(res, 500, "Server Error.");
      }
      scratch.trim();  // the answer is in `res`
    }
    account(ex.route.route, req.method_string(), ex.route.path.empty() ? std::string_view(req.target()) : ex.route.path,
            res.status, std::chrono::steady_clock::now() - started, id);

    const bool stays = req.keep_alive() && !worker.draining;  // the stop may have begun meanwhile
    tcp.expires_after(options.request_timeout);
    auto [write_ec, write_bytes] = co_await asio::async_write(stream, wire(res, stays, head), use_tuple);
    if (write_ec) break;
    if (res.close || !stays) break;
  }
  // (TLS: no close_notify. Answers are framed by Content-Length, so a truncation
  // cannot pass for a whole one, and waiting for the peer's close_notify would hold the
  // connection for clients that never send it.)
  co_await lingering_close(tcp);
}

// Over --max-connections: a short answer on the new socket, written without waiting (its
// send buffer is empty), then closed. The client learns why; the server spends nothing.
void refuse_connection(tcp::socket& socket) {
  static constexpr std::string_view kAnswer =
      "HTTP/1.1 503 Service Unavailable\r\nServer: presenced\r\nContent-Type: application/json\r\n"
      "Content-Length: 58\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
      R"({"success":false,"message":"Too many open connections."})";
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(kAnswer), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

asio::awaitable<void> accept_loop(ServerThread& w, PresenceHandlers& handlers, const ServerOptions& options,
                                  ConnectionLimit& limit) {
  asio::steady_timer backoff(w.thread.context());
  for (;;) {
    auto [ec, socket] = co_await w.acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !w.acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors or memory: wait a little instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    if (!limit.try_take()) {
      metrics::add(metrics::Counter::connections_refused);
      refuse_connection(socket);
      continue;
    }
    metrics::add(metrics::Counter::connections_accepted);
    socket.set_option(tcp::no_delay(true), ec);
    if (options.tls) {
      asio::co_spawn(w.thread.context(),
                     serve_connection(TlsStream(std::move(socket), *options.tls), ConnectionSlot(&limit), handlers,
                                      w, options),
                     asio::detached);
    } else {
      asio::co_spawn(w.thread.context(),
                     serve_connection(beast::tcp_stream(std::move(socket)), ConnectionSlot(&limit), handlers, w,
                                      options),
                     asio::detached);
    }
  }
}

asio::awaitable<void> sweep_loop(ServerThread& w, std::chrono::milliseconds tick) {
  for (;;) {
    w.sweep_timer.expires_after(tick);
    auto [ec] = co_await w.sweep_timer.async_wait(use_tuple);
    if (ec) co_return;
    w.sweep(std::chrono::steady_clock::now());
  }
}

}  // namespace

Server::Server(ServerOptions options, PresenceHandlers& handlers, ConnectionLimit& connections,
               std::vector<ServerThread*> threads)
    : options_(std::move(options)), handlers_(handlers), limit_(connections), threads_(std::move(threads)) {}

std::uint16_t Server::listen() {
  auto address = asio::ip::make_address(options_.host);
  std::uint16_t port = options_.port;
  if (port != 0) {
    // SO_REUSEPORT would let us share a port another process (another presenced, say)
    // already listens on, and both would serve half the traffic. A plain socket cannot
    // bind where a listener is, so a probe tells a taken port apart.
    tcp::acceptor probe(threads_.front()->thread.context());
    tcp::endpoint endpoint(address, port);
    probe.open(endpoint.protocol());
    probe.set_option(tcp::acceptor::reuse_address(true));
    probe.bind(endpoint);  // throws "Address already in use"
  }
  for (ServerThread* w : threads_) {
    tcp::endpoint endpoint(address, port);
    w->acceptor.open(endpoint.protocol());
    w->acceptor.set_option(tcp::acceptor::reuse_address(true));
    w->acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    w->acceptor.bind(endpoint);
    w->acceptor.listen(asio::socket_base::max_listen_connections);
    port = w->acceptor.local_endpoint().port();  // the others join the port the first got
  }
  return port;
}

void Server::start() {
  // Deadlines are checked a few times a second: timeouts are seconds long, and one timer
  // per thread costs nothing per request.
  const auto tick = std::clamp(std::min(options_.request_timeout, options_.idle_timeout) / 8,
                               std::chrono::milliseconds(20), std::chrono::milliseconds(500));
  for (ServerThread* w : threads_) {
    asio::co_spawn(w->thread.context(), accept_loop(*w, handlers_, options_, limit_), asio::detached);
    asio::co_spawn(w->thread.context(), sweep_loop(*w, tick), asio::detached);
  }
}

void Server::drain() {
  for (ServerThread* w : threads_) asio::post(w->thread.context(), [w] { w->drain(); });
}

}  // namespace presenced::http
