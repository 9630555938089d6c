#pragma once
// A response as handlers build it, and its HTTP/1.1 head as it goes on the wire.
// The head is written by hand rather than through Beast's message/serializer: every
// response has the same few headers, and formatting them into a reused buffer keeps the
// hot path free of allocation. Header values are ours, never a client's, so nothing
// needs escaping (the one echoed value, X-Request-Id, is checked first).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::http {

struct Header {
  std::string_view name;      // a literal
  std::string_view external;  // a value that outlives the response (configuration), or empty
  std::array<char, 64> value;
  std::uint8_t size = 0;
  std::string_view view() const { return external.empty() ? std::string_view(value.data(), size) : external; }
};

struct Response {
  unsigned status = 200;
  std::string body;  // JSON (or an asset); reused across the requests of a connection
  std::string_view content_type = "application/json";  // a literal
  std::array<Header, 10> headers;
  std::size_t header_count = 0;
  bool close = false;  // close the connection after this response
  // The request's id (X-Request-Id), written on every answer. It belongs to the request,
  // not to the answer: reset() keeps it, so an answer replaced by an error still has it.
  std::string_view request_id;

  void reset() {
    status = 200;
    body.clear();
    content_type = "application/json";
    header_count = 0;
    close = false;
  }
  void add_header(std::string_view name, std::string_view value);
  void add_header(std::string_view name, std::int64_t value);
  // `value` is not copied: it must outlive the response (a configured origin, say).
  void add_stable_header(std::string_view name, std::string_view value);
};

std::string_view reason_phrase(unsigned status);

// Appends the status line and headers (Content-Type, Content-Length, Connection,
// X-Request-Id when set, the response's own) to `out`.
void write_head(const Response& res, bool keep_alive, std::string& out);

}  // namespace presenced::http
