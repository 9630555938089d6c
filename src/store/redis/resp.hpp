#pragma once
// Redis's protocol, both ways. Replies are parsed by hiredis's reader (redisReader);
// commands are written here, straight into a connection's output buffer, because
// hiredis's formatters allocate a string per command and this is a handful of lines.

#include <hiredis/hiredis.h>

#include <cassert>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

namespace presenced::store::redis {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline std::string_view text(const redisReply& r) { return {r.str, r.len}; }

// One command, a RESP array of bulk strings: the arguments are gathered (as views, which
// must outlive the Command, and numbers as digits kept here), then written into a connection's output buffer with one
// resize, because growing the buffer argument by argument cost more than the rest of
// writing a heartbeat.
// `MaxArgs` bounds the arguments: 16 for the scripts of the request path, more for a
// bulk query.
template <std::size_t MaxArgs>
class BasicCommand {
 public:
  static constexpr std::size_t kMaxArgs = MaxArgs;

  BasicCommand& arg(std::string_view s) {
    assert(count_ < kMaxArgs);
    args_[count_++] = s;
    return *this;
  }
  BasicCommand& arg(std::int64_t n) {
    assert(numbers_used_ < std::size(numbers_));
    char* digits = numbers_[numbers_used_++];
    auto [end, ec] = std::to_chars(digits, digits + kDigits, n);
    return arg(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }

  void append_to(std::string& out) const {
    std::size_t size = header_size('*', count_);
    for (std::size_t i = 0; i < count_; ++i) size += header_size('$', args_[i].size()) + args_[i].size() + 2;
    const std::size_t at = out.size();
    out.resize(at + size);
    char* p = out.data() + at;
    p = put_header(p, '*', count_);
    for (std::size_t i = 0; i < count_; ++i) {
      p = put_header(p, '$', args_[i].size());
      if (!args_[i].empty()) std::memcpy(p, args_[i].data(), args_[i].size());
      p += args_[i].size();
      *p++ = '\r';
      *p++ = '\n';
    }
  }

 private:
  static constexpr std::size_t kDigits = 20;
  static std::size_t header_size(char, std::size_t n) {
    std::size_t digits = 1;
    while (n >= 10) n /= 10, ++digits;
    return 1 + digits + 2;
  }
  static char* put_header(char* p, char kind, std::size_t n) {
    *p++ = kind;
    p = std::to_chars(p, p + kDigits, n).ptr;
    *p++ = '\r';
    *p++ = '\n';
    return p;
  }

  std::string_view args_[kMaxArgs];
  std::size_t count_ = 0;
  char numbers_[6][kDigits];
  std::size_t numbers_used_ = 0;
};

using Command = BasicCommand<16>;

}  // namespace presenced::store::redis
