#include "realtime/websocket_thread.hpp"

#include "runtime/check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace presenced::realtime {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

WebSocketThread::WebSocketThread(const WebSocketOptions& options, fanout::Hub& hub, service::PresenceService& service,
                                 const presence::Clock& clock, service::TimerSource& timers,
                                 runtime::EventThread& thread, auth::Authenticator& authenticator)
    : thread_(thread),
      keep_alive_(thread, timers, std::chrono::duration_cast<std::chrono::milliseconds>(options.idle_timeout) / 4),
      context_{options, hub, service, clock, timers, authenticator, thread, keep_alive_} {}

WebSocketThread::~WebSocketThread() { stop(); }

void WebSocketThread::going_away() { keep_alive_.going_away(); }  // (checked there: on this thread)

void WebSocketThread::stop() {
  PRESENCED_CHECK(!thread_.running(), "the keep-alive list is let go once its thread has stopped");
  keep_alive_.stop();
}

namespace {

// The handshake, then the session, on either transport.
template <class Socket>
asio::awaitable<void> accept_and_start(Socket ws, const http::Request& request, const SessionContext& context,
                                       presence::Identity identity, http::ConnectionSlot slot) {
  // Beast times the handshake and the close; keep-alive is ours (keep_alive.hpp), one
  // timer per thread rather than Beast's one per socket.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  ws.read_message_max(context.options.max_message_bytes);
  ws.auto_fragment(false);
  ws.write_buffer_bytes(256);  // the server does not mask: its frames go out from our buffers
  ws.text(true);
  auto [accept_ec] = co_await ws.async_accept(request, asio::as_tuple(asio::use_awaitable));
  if (accept_ec) co_return;
  auto session = std::make_shared<BasicSession<Socket>>(std::move(ws), context, std::move(identity), std::move(slot));
  session->start();
}

}  // namespace

asio::awaitable<void> WebSocketThread::upgrade(asio::ip::tcp::socket socket, const http::Request& request,
                                               presence::Identity identity, http::ConnectionSlot slot) {
  PRESENCED_CHECK(thread_.running_here(), "a socket is upgraded on the thread that accepted it");
  // The same connection on the io_context's own executor type (see PlainTcp).
  boost::system::error_code ec;
  const auto endpoint = socket.local_endpoint(ec);
  if (ec) co_return;  // already gone
  const auto native = socket.release(ec);
  if (ec) co_return;
  co_await accept_and_start(PlainSocket(PlainTcp(thread_.executor(), endpoint.protocol(), native)), request, context_,
                            std::move(identity), std::move(slot));
}

asio::awaitable<void> WebSocketThread::upgrade_tls(http::TlsStream stream, const http::Request& request,
                                                   presence::Identity identity, http::ConnectionSlot slot) {
  PRESENCED_CHECK(thread_.running_here(), "a socket is upgraded on the thread that accepted it");
  beast::get_lowest_layer(stream).expires_never();
  co_await accept_and_start(TlsSocket(std::move(stream)), request, context_, std::move(identity), std::move(slot));
}

}  // namespace presenced::realtime
