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

// One viewer as the API shows it, in /viewers and in WebSocket events alike:
// {"id":42,"name":"Alice","tabs":2,"has_dirty_tab":true,"mode":"edit","away":false,
//  "stale":false,"fields":["title"]}
void append_viewer(std::string& out, const Viewer& v);

}  // namespace presenced::presence
