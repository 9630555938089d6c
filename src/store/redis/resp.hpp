#pragma once
// Redis's protocol, both ways. Replies are parsed by hiredis's reader (redisReader);
// commands are written here, straight into a connection's output buffer, because
// hiredis's formatters allocate a string per command and this is a handful of lines.

#include <hiredis/hiredis.h>

#include <charconv>
#include <cstring>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace presenced::store::redis {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline std::string_view text(const redisReply& r) { return {r.str, r.len}; }

// Appends one command, a RESP array of `argc` bulk strings, argument by argument.
class CommandWriter {
 public:
  CommandWriter(std::string& out, std::size_t argc) : out_(out) { put('*', argc, {}); }

  CommandWriter& arg(std::string_view s) {
    put('$', s.size(), s);
    return *this;
  }
  CommandWriter& arg(std::int64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    return arg(std::string_view(buf, static_cast<std::size_t>(end - buf)));
  }

 private:
  // "<kind><n>\r\n<body>\r\n" (no body for the array header), in one resize.
  void put(char kind, std::size_t n, std::string_view body) {
    char head[24];
    head[0] = kind;
    auto [end, ec] = std::to_chars(head + 1, head + sizeof head - 2, n);
    *end++ = '\r';
    *end++ = '\n';
    const std::size_t head_size = static_cast<std::size_t>(end - head);
    const std::size_t tail_size = kind == '*' ? 0 : body.size() + 2;
    const std::size_t at = out_.size();
    out_.resize(at + head_size + tail_size);
    char* p = out_.data() + at;
    std::memcpy(p, head, head_size);
    if (kind == '*') return;
    if (!body.empty()) std::memcpy(p + head_size, body.data(), body.size());
    p[head_size + body.size()] = '\r';
    p[head_size + body.size() + 1] = '\n';
  }
  std::string& out_;
};

}  // namespace presenced::store::redis
