#include "http/response.hpp"

#include <algorithm>
#include <charconv>

namespace presenced::http {

void Response::add_header(std::string_view name, std::string_view value) {
  if (header_count == headers.size()) return;
  Header& h = headers[header_count++];
  h.name = name;
  h.external = {};
  h.size = static_cast<std::uint8_t>(std::min(value.size(), h.value.size()));
  std::copy_n(value.data(), h.size, h.value.data());
}

void Response::add_header(std::string_view name, std::int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  add_header(name, std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void Response::add_stable_header(std::string_view name, std::string_view value) {
  if (header_count == headers.size()) return;
  Header& h = headers[header_count++];
  h.name = name;
  h.external = value;
  h.size = 0;
}

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

void write_head(const Response& res, bool keep_alive, std::string& out) {
  char num[24];
  auto put_number = [&](std::uint64_t n) {
    auto [end, ec] = std::to_chars(num, num + sizeof num, n);
    out.append(num, end);
  };
  out.append("HTTP/1.1 ");
  put_number(res.status);
  out += ' ';
  out.append(reason_phrase(res.status));
  out.append("\r\nServer: presenced\r\nContent-Type: ");
  out.append(res.content_type);
  out.append("\r\nContent-Length: ");
  put_number(res.body.size());
  out.append(keep_alive && !res.close ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
  if (!res.request_id.empty()) {
    out.append("\r\nX-Request-Id: ");
    out.append(res.request_id);
  }
  for (std::size_t i = 0; i < res.header_count; ++i) {
    out.append("\r\n");
    out.append(res.headers[i].name);
    out.append(": ");
    out.append(res.headers[i].view());
  }
  out.append("\r\n\r\n");
}

}  // namespace presenced::http
