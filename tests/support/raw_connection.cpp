#include "support/raw_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace presenced::testing {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct RawConnection::Impl {
  asio::io_context context;
  boost::beast::tcp_stream stream{context};
  bool closed = false;

  // One read with a deadline; `out` gets the bytes. False when closed or timed out
  // (`timed_out` says which).
  bool read_once(std::string& out, std::chrono::milliseconds timeout, bool& timed_out) {
    char buf[4096];
    boost::system::error_code ec;
    stream.expires_after(timeout);
    const std::size_t n = stream.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    timed_out = ec == boost::beast::error::timeout;
    if (ec && !timed_out) closed = true;
    return !ec;
  }
};

RawConnection::RawConnection(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->stream.expires_after(std::chrono::seconds(20));
  impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

RawConnection::~RawConnection() = default;
RawConnection::RawConnection(RawConnection&&) noexcept = default;
RawConnection& RawConnection::operator=(RawConnection&&) noexcept = default;

bool RawConnection::send(const std::string& bytes) {
  boost::system::error_code ec;
  impl_->stream.expires_after(std::chrono::seconds(20));
  asio::write(impl_->stream, asio::buffer(bytes), ec);
  return !ec;
}

std::string RawConnection::read_until_closed(std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (!impl_->closed && std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!impl_->read_once(out, std::max(left, std::chrono::milliseconds(1)), timed_out) && timed_out) break;
  }
  return out;
}

std::string RawConnection::read_some(std::chrono::milliseconds timeout) {
  std::string out;
  bool timed_out = false;
  impl_->read_once(out, timeout, timed_out);
  return out;
}

bool RawConnection::closed_within(std::chrono::milliseconds timeout) {
  read_until_closed(timeout);
  return impl_->closed;
}

void RawConnection::reset() {
  boost::system::error_code ec;
  impl_->stream.socket().set_option(tcp::socket::linger(true, 0), ec);
  impl_->stream.socket().close(ec);
  impl_->closed = true;
}

}  // namespace presenced::testing
