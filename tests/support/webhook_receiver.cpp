#include "support/webhook_receiver.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace presenced::testing {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct WebhookReceiver::State {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<ReceivedWebhook> received;
  std::deque<unsigned> statuses;
  bool held = false;
  bool stopping = false;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> threads;
  std::unique_ptr<asio::ssl::context> tls;
};

boost::json::object ReceivedWebhook::json() const { return boost::json::parse(body).as_object(); }

std::string ReceivedWebhook::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

WebhookReceiver::WebhookReceiver(const ReceiverTls& tls) : WebhookReceiver() {
  state_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  state_->tls->use_certificate_chain_file(tls.cert);
  state_->tls->use_private_key_file(tls.key, asio::ssl::context::pem);
}

WebhookReceiver::WebhookReceiver() : state_(std::make_unique<State>()) {
  tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(at.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(at);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
  acceptor_ = std::thread([this] { accept_loop(); });
}

WebhookReceiver::~WebhookReceiver() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    // The descriptor only: a server thread may be blocked reading on the socket.
    for (auto& s : state_->sockets) ::shutdown(s->native_handle(), SHUT_RDWR);
  }
  state_->changed.notify_all();
  boost::system::error_code ec;
  // Wakes the blocking accept.
  tcp::socket poke(state_->io);
  poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  acceptor_.join();
  poke.close(ec);
  for (auto& t : state_->threads) t.join();
}

std::string WebhookReceiver::url(const std::string& path) const {
  if (state_->tls) return "https://localhost:" + std::to_string(port_) + path;
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::answer_next(unsigned status, std::size_t count) {
  std::lock_guard lock(state_->mutex);
  for (std::size_t i = 0; i < count; ++i) state_->statuses.push_back(status);
}

void WebhookReceiver::hold(bool held) {
  {
    std::lock_guard lock(state_->mutex);
    state_->held = held;
  }
  state_->changed.notify_all();
}

std::vector<ReceivedWebhook> WebhookReceiver::received() {
  std::lock_guard lock(state_->mutex);
  return state_->received;
}

bool WebhookReceiver::wait_for(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout, [&] { return state_->received.size() >= count; });
}

void WebhookReceiver::accept_loop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(state_->io);
    boost::system::error_code ec;
    state_->acceptor.accept(*socket, ec);
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    if (ec) continue;
    state_->sockets.push_back(socket);
    state_->threads.emplace_back([this, socket] { serve(socket); });
  }
}

void WebhookReceiver::serve(std::shared_ptr<void> opaque) {
  auto socket = std::static_pointer_cast<tcp::socket>(opaque);
  if (!state_->tls) {
    exchange(*socket);
    return;
  }
  asio::ssl::stream<tcp::socket&> stream(*socket, *state_->tls);
  boost::system::error_code ec;
  stream.handshake(asio::ssl::stream_base::server, ec);  // a client that refuses our certificate fails here
  if (!ec) exchange(stream);
}

template <class Stream>
void WebhookReceiver::exchange(Stream& stream) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    ReceivedWebhook got{std::string(request.method_string()), std::string(request.target()), {}, request.body()};
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      got.headers[name] = std::string(field.value());
    }
    unsigned status = 200;
    {
      std::unique_lock lock(state_->mutex);
      state_->received.push_back(std::move(got));
      state_->changed.notify_all();
      state_->changed.wait(lock, [&] { return !state_->held || state_->stopping; });
      if (state_->stopping) return;
      if (!state_->statuses.empty()) {
        status = state_->statuses.front();
        state_->statuses.pop_front();
      }
    }
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.set(http::field::content_type, "text/plain");
    response.body() = "ok";
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    http::write(stream, response, ec);
    if (ec || !request.keep_alive()) return;
  }
}

std::string expected_signature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string message = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  // Written apart from presenced's own code on purpose: the test checks it.
  std::string out = "v1=";
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", mac[i]);
    out += pair;
  }
  return out;
}

}  // namespace presenced::testing
