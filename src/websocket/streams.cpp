#include "websocket/streams.hpp"

namespace presenced::websocket {

std::optional<PlainTcp> adopt(boost::asio::ip::tcp::socket socket, boost::asio::io_context::executor_type executor) {
  boost::system::error_code ec;
  const auto endpoint = socket.local_endpoint(ec);
  if (ec) return std::nullopt;  // already gone
  const auto native = socket.release(ec);
  if (ec) return std::nullopt;
  return PlainTcp(executor, endpoint.protocol(), native);
}

}  // namespace presenced::websocket
