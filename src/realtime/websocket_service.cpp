#include "realtime/websocket_service.hpp"

#include "realtime/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace presenced::realtime {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

WebSocketService::WebSocketService(WebSocketOptions options, Hub& hub, service::PresenceService& service,
                                   const presence::Clock& clock, const std::vector<asio::any_io_executor>& executors)
    : options_(options), hub_(hub), service_(service), clock_(clock), executors_(executors) {
  for (const auto& executor : executors) {
    auto& context = static_cast<asio::io_context&>(asio::query(executor, asio::execution::context));
    keep_alive_.push_back(std::make_unique<KeepAlive>(
        context.get_executor(), std::chrono::duration_cast<std::chrono::milliseconds>(options_.idle_timeout) / 4));
  }
  contexts_.resize(executors.size());
}

WebSocketService::~WebSocketService() { stop(); }

void WebSocketService::going_away() {
  for (std::size_t i = 0; i < executors_.size(); ++i) {
    asio::post(executors_[i], [k = keep_alive_[i].get()] { k->going_away(); });
  }
}

void WebSocketService::stop() {
  for (auto& k : keep_alive_) k->stop();
}

namespace {

// The handshake, then the session, on either transport.
template <class Socket>
asio::awaitable<void> accept_and_start(Socket ws, const http::Request& request, const WebSocketOptions& options,
                                       const SessionContext& context, presence::Identity identity,
                                       http::ConnectionSlot slot) {
  // Beast times the handshake and the close; keep-alive is ours (keep_alive.hpp), one
  // timer per thread rather than Beast's one per socket.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  ws.read_message_max(options.max_message_bytes);
  ws.auto_fragment(false);
  ws.write_buffer_bytes(256);  // the server does not mask: its frames go out from our buffers
  ws.text(true);
  auto [accept_ec] = co_await ws.async_accept(request, asio::as_tuple(asio::use_awaitable));
  if (accept_ec) co_return;
  auto session =
      std::make_shared<BasicSession<Socket>>(std::move(ws), context, std::move(identity), std::move(slot));
  session->start();
}

}  // namespace

const SessionContext& WebSocketService::context_for(std::size_t thread, auth::Authenticator& authenticator,
                                                    http::ConnectionLimit* connections) {
  auto& context_of_thread = contexts_[thread];  // only this thread touches its entry
  if (!context_of_thread) {
    context_of_thread = std::make_unique<SessionContext>(SessionContext{
        options_, hub_, service_, clock_, authenticator, thread, *keep_alive_[thread], connections});
  }
  return *context_of_thread;
}

asio::awaitable<void> WebSocketService::upgrade(asio::ip::tcp::socket socket, const http::Request& request,
                                                std::size_t thread, auth::Authenticator& authenticator,
                                                presence::Identity identity, http::ConnectionSlot slot) {
  // The same connection on the io_context's own executor type (see PlainTcp).
  auto& context = static_cast<asio::io_context&>(asio::query(socket.get_executor(), asio::execution::context));
  boost::system::error_code ec;
  const auto endpoint = socket.local_endpoint(ec);
  if (ec) co_return;  // already gone
  const auto native = socket.release(ec);
  if (ec) co_return;
  const SessionContext& session_context = context_for(thread, authenticator, slot.limit());
  co_await accept_and_start(PlainSocket(PlainTcp(context.get_executor(), endpoint.protocol(), native)), request,
                            options_, session_context, std::move(identity), std::move(slot));
}

asio::awaitable<void> WebSocketService::upgrade_tls(http::TlsStream stream, const http::Request& request,
                                                    std::size_t thread, auth::Authenticator& authenticator,
                                                    presence::Identity identity, http::ConnectionSlot slot) {
  beast::get_lowest_layer(stream).expires_never();
  const SessionContext& session_context = context_for(thread, authenticator, slot.limit());
  co_await accept_and_start(TlsSocket(std::move(stream)), request, options_, session_context, std::move(identity),
                            std::move(slot));
}

}  // namespace presenced::realtime
