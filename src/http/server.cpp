#include "http/server.hpp"

#include "http/envelope.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include <thread>

namespace presenced::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Header fields and body allocate from the request's arena.
using RequestParser = bhttp::request_parser<RequestBody, ArenaAllocator>;

struct Server::Worker {
  Worker(std::size_t i, const auth::JwtCodec& codec, const presence::Clock& clock, std::size_t cache)
      : index(i), context(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO), acceptor(context), authenticator(codec, clock, cache) {}

  std::size_t index;

  // Every socket and timer of this context is used only by its own thread, so the reactor
  // needs no per-descriptor locks. The scheduler keeps its lock: other threads post to
  // it (store background work) and stop it (signals).
  asio::io_context context;
  tcp::acceptor acceptor;
  auth::Authenticator authenticator;
};

namespace {

// The connection is gone or timed out: nothing to answer, nothing worth logging.
bool is_disconnect(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
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
asio::awaitable<void> send_and_close(beast::tcp_stream& stream, const Response& res, std::string& head,
                                     std::chrono::seconds timeout) {
  stream.expires_after(timeout);
  co_await asio::async_write(stream, wire(res, false, head), use_tuple);
}

// A request that broke HTTP itself: answer once, then close.
void malformed(Response& res, const boost::system::error_code& ec) {
  res.reset();
  if (ec == bhttp::error::header_limit) {
    envelope::error(res, 431, "The request headers are too large.");
  } else if (ec == bhttp::error::body_limit) {
    envelope::error(res, 413, "The request body is larger than 65536 bytes.");
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

asio::awaitable<void> serve_connection(tcp::socket socket, PresenceHandlers& handlers, Server::Worker& worker,
                                       WebSocketUpgrade* websocket, const ServerOptions& options) {
  auth::Authenticator& auth = worker.authenticator;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  ConnectionScratch scratch;
  Response res;
  std::string head;
  for (;;) {
    // Wait for a request's first bytes before leasing its arena: an idle keep-alive
    // connection holds no request memory. (Beast reads from `buffer` first, so this is the
    // same read it would have made.)
    if (buffer.size() == 0) {
      stream.expires_after(options.idle_timeout);
      auto [first_ec, first_bytes] = co_await stream.async_read_some(buffer.prepare(2048), use_tuple);
      if (first_ec) break;
      buffer.commit(first_bytes);
    }
    RequestArena arena;
    RequestParser parser(std::piecewise_construct, std::make_tuple(arena.http()), std::make_tuple(arena.http()));
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    // Beast would refuse a large Content-Length while parsing the header, before the route
    // and the token are checked; admit() checks it in the host app's order instead, and
    // the limit is set below for the bodies we do read (chunked ones included).
    parser.body_limit(boost::none);
    res.reset();

    stream.expires_after(options.request_timeout);
    auto [header_ec, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (header_ec) {
      if (is_disconnect(header_ec)) break;
      malformed(res, header_ec);
      co_await send_and_close(stream, res, head, options.request_timeout);
      break;
    }

    auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    RequestHead request_head{parse_method(req.method_string()), req.target(), req[bhttp::field::authorization],
                             parser.content_length() ? std::optional<std::uint64_t>(*parser.content_length())
                                                     : std::nullopt};
    Exchange ex;
    const bool admitted = handlers.admit(request_head, auth, ex, res);

    // A refused request's body is not read: the connection closes after the answer, and
    // the lingering close drains what the client still sends.
    if (!parser.is_done() && !admitted) res.close = true;
    if (!parser.is_done() && admitted) {
      // Only a client still holding its body back waits for "100 Continue".
      if (buffer.size() < parser.content_length().value_or(1) && beast::iequals(req[bhttp::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        stream.expires_after(options.request_timeout);
        auto [continue_ec, continue_bytes] = co_await asio::async_write(stream, asio::buffer(kContinue), use_tuple);
        if (continue_ec) break;
      }
      parser.body_limit(kMaxBodyBytes);
      stream.expires_after(options.request_timeout);
      auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (body_ec) {
        if (is_disconnect(body_ec) && body_ec != bhttp::error::partial_message) break;
        malformed(res, body_ec);
        co_await send_and_close(stream, res, head, options.request_timeout);
        break;
      }
    }

    if (admitted && ex.route.route == Route::websocket && websocket && boost::beast::websocket::is_upgrade(req)) {
      // The socket leaves this loop for a session of its own; this frame (its buffers,
      // the request's arena) ends once the handshake is done.
      co_await websocket->upgrade(stream.release_socket(), req, worker.index, auth, std::move(ex.identity));
      co_return;
    }

    if (admitted) {
      try {
        co_await handlers.handle(ex, parser.get().body(), arena, scratch, res);
      } catch (const std::exception& e) {
        spdlog::error("request {} {} failed: {}", req.method_string(), ex.route.path, e.what());
        res.reset();
        envelope::error(res, 500, "Server Error.");
      }
    }

    stream.expires_after(options.request_timeout);
    auto [write_ec, write_bytes] = co_await asio::async_write(stream, wire(res, keep_alive, head), use_tuple);
    if (write_ec) break;
    if (res.close || !keep_alive) break;
  }
  co_await lingering_close(stream);
}

asio::awaitable<void> accept_loop(Server::Worker& w, PresenceHandlers& handlers, WebSocketUpgrade* websocket,
                                  const ServerOptions& options);

}  // namespace

Server::Server(ServerOptions options, PresenceHandlers& handlers, const auth::JwtCodec& codec,
               const presence::Clock& clock)
    : options_(std::move(options)), handlers_(handlers) {
  if (options_.threads == 0) options_.threads = 1;
  for (unsigned i = 0; i < options_.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, codec, clock, options_.token_cache_capacity));
  }
}

Server::~Server() = default;

std::uint16_t Server::listen() {
  auto address = asio::ip::make_address(options_.host);
  std::uint16_t port = options_.port;
  if (port != 0) {
    // SO_REUSEPORT would let us share a port another process (another presenced, say)
    // already listens on, and both would serve half the traffic. A plain socket cannot
    // bind where a listener is, so a probe tells a taken port apart.
    tcp::acceptor probe(workers_.front()->context);
    tcp::endpoint endpoint(address, port);
    probe.open(endpoint.protocol());
    probe.set_option(tcp::acceptor::reuse_address(true));
    probe.bind(endpoint);  // throws "Address already in use"
  }
  for (auto& w : workers_) {
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

asio::io_context& Server::primary_context() { return workers_.front()->context; }

std::vector<asio::any_io_executor> Server::executors() {
  std::vector<asio::any_io_executor> all;
  for (auto& w : workers_) all.push_back(w->context.get_executor());
  return all;
}

namespace {
asio::awaitable<void> accept_loop(Server::Worker& w, PresenceHandlers& handlers, WebSocketUpgrade* websocket,
                                  const ServerOptions& options) {
  asio::steady_timer backoff(w.context);
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
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(w.context, serve_connection(std::move(socket), handlers, w, websocket, options), asio::detached);
  }
}
}  // namespace

void Server::run() {
  for (auto& w : workers_) {
    asio::co_spawn(w->context, accept_loop(*w, handlers_, websocket_, options_), asio::detached);
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([w = workers_[i].get()] { w->context.run(); });
  }
  workers_.front()->context.run();
  for (auto& t : threads) t.join();
}

void Server::stop() {
  for (auto& w : workers_) w->context.stop();
}

}  // namespace presenced::http
