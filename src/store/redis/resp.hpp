#pragma once
// Redis's protocol, both ways. Replies are parsed by hiredis's reader (redisReader);
// commands are written here, straight into a connection's output buffer, because
// hiredis's formatters allocate a string per command and this is a handful of lines.

#include <hiredis/hiredis.h>

#include <charconv>
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
  CommandWriter(std::string& out, std::size_t argc) : out_(out) { header('*', argc); }

  CommandWriter& arg(std::string_view s) {
    header('$', s.size());
    out_.append(s);
    out_.append("\r\n");
    return *this;
  }
  CommandWriter& arg(std::int64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    return arg(std::string_view(buf, static_cast<std::size_t>(end - buf)));
  }

 private:
  void header(char kind, std::size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out_ += kind;
    out_.append(buf, end);
    out_.append("\r\n");
  }
  std::string& out_;
};

}  // namespace presenced::store::redis
