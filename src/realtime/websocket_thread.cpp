#include "realtime/websocket_thread.hpp"

#include "runtime/check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace presenced::realtime {
namespace asio = boost::asio;
namespace beast = boost::beast;

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
  websocket::prepare(ws, context.options.max_message_bytes);
  auto [accept_ec] = co_await ws.async_accept(request, asio::as_tuple(asio::use_awaitable));
  if (accept_ec) co_return;
  auto session = std::make_shared<BasicSession<Socket>>(std::move(ws), context, std::move(identity), std::move(slot));
  session->start();
}

}  // namespace

asio::awaitable<void> WebSocketThread::upgrade(asio::ip::tcp::socket socket, const http::Request& request,
                                               presence::Identity identity, http::ConnectionSlot slot) {
  PRESENCED_CHECK(thread_.running_here(), "a socket is upgraded on the thread that accepted it");
  auto tcp = websocket::adopt(std::move(socket), thread_.executor());
  if (!tcp) co_return;  // already gone
  co_await accept_and_start(PlainSocket(std::move(*tcp)), request, context_,
                            std::move(identity), std::move(slot));
}

asio::awaitable<void> WebSocketThread::upgrade_tls(http::TlsStream stream, const http::Request& request,
                                                   presence::Identity identity, http::ConnectionSlot slot) {
  PRESENCED_CHECK(thread_.running_here(), "a socket is upgraded on the thread that accepted it");
  beast::get_lowest_layer(stream).expires_never();
  co_await accept_and_start(TlsSocket(std::move(stream)), request, context_, std::move(identity), std::move(slot));
}

}  // namespace presenced::realtime
