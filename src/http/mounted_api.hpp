#pragma once
// An HTTP API that a layer above this one serves on presenced's own listener (the Pusher
// HTTP API under /apps/, src/pusher/http_api.hpp): the server routes the request to it,
// reads its body within the API's own limit and writes what it answers. The API checks
// its own credentials (Pusher's request signatures, not presenced's tokens) and answers
// its errors in its own format. Called on any server thread at once: it must be safe so.

#include "http/response.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string_view>

namespace presenced::http {

class MountedApi {
 public:
  virtual ~MountedApi() = default;
  // The largest body it reads (over it: 413 before the body is read).
  virtual std::size_t max_body_bytes() const = 0;
  virtual boost::asio::awaitable<void> handle(Method method, std::string_view path, std::string_view query,
                                              std::string_view body, Response& res) = 0;
};

}  // namespace presenced::http
