#pragma once
// Where a request's head ends, and the framing rules Beast is lenient about. A request
// that a proxy in front could frame differently than we do is refused (RFC 9112): one
// whose body length it could read otherwise is the way to smuggle a request in a body.
// Pure functions of the bytes, fuzzed with the router (tests/fuzz/route_fuzz.cpp).

#include <cstddef>
#include <string_view>

namespace presenced::http::framing {

struct Head {
  // The head's size, through the blank line that ends it, or through the first line that
  // ends in a bare LF (Beast refuses those); 0 while it is not all there.
  std::size_t size = 0;
  // A header line continued on the next one, which starts with a space or a tab
  // (obs-fold): RFC 9112 §5.2 lets a server refuse it with 400.
  bool obs_fold = false;
};

// One pass over the lines at the start of `buffered`.
Head scan_head(std::string_view buffered);

// A Transfer-Encoding whose final coding is not chunked leaves the body's length to the
// close of the connection, which a request cannot use (RFC 9112 §6.3): 400, and close.
inline bool body_length_is_known(bool has_transfer_encoding, bool final_coding_is_chunked) {
  return !has_transfer_encoding || final_coding_is_chunked;
}

}  // namespace presenced::http::framing
