#pragma once
// Writing JSON text by hand where a document would cost an allocation per member (answers
// on the hot path, values stored in Redis): only strings need care, and Boost.JSON's
// serializer escapes them.

#include <string>
#include <string_view>

namespace presenced::presence {

// Appends `s` as a JSON string literal (quoted and escaped) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace presenced::presence
