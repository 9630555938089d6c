#pragma once
// The WebSocket streams both WebSocket transports (/api/v1/presence/ws and the Pusher
// endpoint) run on, and the handshake they share.

#include "http/tls.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace presenced::websocket {

// On the io_context's own executor type rather than any_io_executor: every operation
// waiting on an idle socket carries executors, and the concrete one is 8 bytes.
using PlainTcp = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using PlainSocket = boost::beast::websocket::stream<PlainTcp, false>;  // no permessage-deflate
using TlsSocket = boost::beast::websocket::stream<http::TlsStream, false>;

// The connection `socket` on `executor`'s concrete type (PlainTcp); none when it is gone.
std::optional<PlainTcp> adopt(boost::asio::ip::tcp::socket socket, boost::asio::io_context::executor_type executor);

// Sets what both transports want of a server-side stream before its handshake: Beast
// times the handshake and the close, keep-alive is ours (keep_alive.hpp: one timer per
// thread rather than Beast's one per socket), messages are at most `max_message_bytes`.
template <class Stream>
void prepare(Stream& ws, std::size_t max_message_bytes) {
  boost::beast::websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = boost::beast::websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  ws.read_message_max(max_message_bytes);
  ws.auto_fragment(false);
  ws.write_buffer_bytes(256);  // the server does not mask: its frames go out from our buffers
  ws.text(true);
}

}  // namespace presenced::websocket
