#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include <deque>

namespace presenced::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  unsigned status = 0;
  bool reading = false;
  bool closed = false;
  int close_code = 0;
  beast::flat_buffer buffer;
  std::deque<std::string> arrived;

  // One read is kept pending across calls: cancelling a WebSocket read would ruin the stream.
  void read_more() {
    if (reading || closed) return;
    reading = true;
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        closed = true;
        close_code = ws.reason().code;
        return;
      }
      arrived.emplace_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      read_more();
    });
  }

  void run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    read_more();
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(20));
    }
  }
};

WsClient::WsClient(std::uint16_t port, const std::string& token)
    : WsClient(port, Target{"/api/v1/presence/ws" + (token.empty() ? std::string() : "?token=" + token)}) {}

WsClient::WsClient(std::uint16_t port, const Target& to) : impl_(std::make_unique<Impl>()) {
  tcp::resolver resolver(impl_->io);
  asio::connect(impl_->ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
  websocket::response_type response;
  beast::error_code ec;
  const std::string& target = to.path;
  impl_->ws.handshake(response, "127.0.0.1:" + std::to_string(port), target, ec);
  impl_->status = ec ? response.result_int() : 101;
  if (ec) impl_->closed = true;
}

WsClient::~WsClient() = default;

unsigned WsClient::handshake_status() const { return impl_->status; }
bool WsClient::open() const { return !impl_->closed; }

void WsClient::send(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
}

std::optional<boost::json::value> WsClient::next(std::chrono::milliseconds timeout) {
  impl_->run_until([&] { return !impl_->arrived.empty() || impl_->closed; }, timeout);
  if (impl_->arrived.empty()) return std::nullopt;
  std::string text = std::move(impl_->arrived.front());
  impl_->arrived.pop_front();
  return boost::json::parse(text);
}

std::optional<boost::json::value> WsClient::wait_for(const Predicate& wanted, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = next(left);
    if (!m) return std::nullopt;
    if (wanted(*m)) return m;
  }
}

std::optional<boost::json::value> WsClient::wait_type(const std::string& type, std::chrono::milliseconds timeout) {
  return wait_for(
      [&](const boost::json::value& m) {
        const auto* t = m.as_object().if_contains("type");
        return t && t->is_string() && t->get_string() == type;
      },
      timeout);
}

std::optional<int> WsClient::wait_closed(std::chrono::milliseconds timeout) {
  impl_->run_until([&] { return impl_->closed; }, timeout);
  if (!impl_->closed) return std::nullopt;
  return impl_->close_code;
}

void WsClient::drop() {
  beast::error_code ec;
  impl_->ws.next_layer().close(ec);
  impl_->closed = true;
}

namespace {
bool is_event(const boost::json::value& m, std::string_view type_name, const std::string& record_id) {
  const auto& o = m.as_object();
  const auto* type = o.if_contains("type");
  const auto* id = o.if_contains("record_id");
  return type && type->is_string() && type->get_string() == type_name && id && id->is_string() &&
         id->get_string() == record_id;
}
}  // namespace

bool is_presence(const boost::json::value& m, const std::string& record_id) { return is_event(m, "presence", record_id); }
bool is_diff(const boost::json::value& m, const std::string& record_id) { return is_event(m, "presence_diff", record_id); }

bool diff_names(const boost::json::value& m, std::int64_t id) {
  for (const char* list : {"joined", "updated"}) {
    for (const auto& entry : m.at(list).as_array()) {
      if (entry.at("id").is_int64() && entry.at("id").as_int64() == id) return true;
    }
  }
  return false;
}

}  // namespace presenced::testing
