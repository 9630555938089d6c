// One WebSocket subscriber that holds a record open and says what it hears, one line per
// frame ("<type> <ids in left>"), until it is killed: for a script that measures what
// watching a room costs the store (bench/expiry.sh), where the load is not the sockets.
//
//   watch --port P --token T [--record R]

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <cstring>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

int main(int argc, char** argv) {
  std::string port, token, record = "room";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) port = argv[i + 1];
    else if (!std::strcmp(argv[i], "--token")) token = argv[i + 1];
    else if (!std::strcmp(argv[i], "--record")) record = argv[i + 1];
  }
  if (port.empty() || token.empty()) {
    std::fprintf(stderr, "usage: watch --port P --token T [--record R]\n");
    return 2;
  }
  try {
    asio::io_context io;
    beast::websocket::stream<tcp::socket> ws(io);
    asio::connect(ws.next_layer(), tcp::resolver(io).resolve("127.0.0.1", port));
    ws.handshake("127.0.0.1", "/api/v1/presence/ws?token=" + token);
    ws.write(asio::buffer(R"({"type":"subscribe","record_type":"flow","record_id":")" + record + R"(","limit":20})"));
    beast::flat_buffer buffer;
    for (;;) {
      ws.read(buffer);
      const auto message = boost::json::parse(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      const auto& o = message.as_object();
      const auto* type = o.if_contains("type");
      const auto* left = o.if_contains("left");
      std::printf("%s %zu\n", type && type->is_string() ? type->as_string().c_str() : "?",
                  left && left->is_array() ? left->as_array().size() : std::size_t{0});
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "watch: %s\n", e.what());
    return 1;
  }
}
