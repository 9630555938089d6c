#pragma once
// One TCP connection the test drives byte by byte: for clients that misbehave (send half a
// request, trickle, stall, vanish) and for connections held open to fill the server.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace presenced::testing {

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(RawConnection&&) noexcept;
  RawConnection& operator=(RawConnection&&) noexcept;

  // False once the server has closed (or reset) the connection.
  bool send(const std::string& bytes);
  // Everything the server sends until it closes the connection, or until `timeout`.
  std::string read_until_closed(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Whatever has arrived within `timeout` (at least one read).
  std::string read_some(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Whether the server closed the connection within `timeout` (data before it is skipped).
  bool closed_within(std::chrono::milliseconds timeout);
  // Resets the connection (SO_LINGER 0), as a crashed client does.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace presenced::testing
