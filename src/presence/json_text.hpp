#pragma once
// Writing JSON text by hand where a document would cost an allocation per member (answers
// on the hot path, values stored in Redis): only strings need care, and Boost.JSON's
// serializer escapes them.

#include "presence/types.hpp"

#include <string>
#include <string_view>

namespace presenced::presence {

// Appends `s` as a JSON string literal (quoted and escaped) to `out`.
void append_json_string(std::string& out, std::string_view s);

// At most `max_bytes` of `s`, cut before a character rather than inside one: quoting a
// client's text (valid UTF-8) in a message must not make it invalid, which a browser would
// take as a broken WebSocket.
inline std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;  // a continuation byte
  return s.substr(0, end);
}

// Whether `s` is the text of one JSON object (valid UTF-8, nothing after it): what may be
// passed on verbatim inside another document.
bool is_json_object(std::string_view s);

// One viewer as the API shows it, in /viewers and in WebSocket events alike:
// {"id":42,"name":"Alice","tabs":2,"has_dirty_tab":true,"mode":"edit","away":false,
//  "stale":false,"fields":["title"]}
void append_viewer(std::string& out, const Viewer& v);

// The totals as both answers carry them, `"count":{"users":U,"tabs":T}`, written at `out`
// (room for kCountTextMax characters); returns the end. Into the caller's buffer, so that
// an answer's tail around it is still one append.
inline constexpr std::size_t kCountTextMax = 72;
char* write_count(char* out, const Totals& totals);

}  // namespace presenced::presence
