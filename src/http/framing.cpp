#include "http/framing.hpp"

#include <cstring>

namespace presenced::http::framing {

Head scan_head(std::string_view b) {
  Head head;
  for (std::size_t line = 0; line < b.size();) {
    if (line > 0 && (b[line] == ' ' || b[line] == '\t')) head.obs_fold = true;
    const void* found = std::memchr(b.data() + line, '\n', b.size() - line);
    if (!found) return Head{};  // the line is not all there yet
    const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(found) - b.data());
    if (lf == line || b[lf - 1] != '\r') {  // a bare LF: Beast's to refuse
      head.size = lf + 1;
      return head;
    }
    if (lf == line + 1 && line > 0) {  // "\r\n" alone: the blank line that ends the head
      head.size = lf + 1;
      return head;
    }
    line = lf + 1;
  }
  return Head{};
}

}  // namespace presenced::http::framing
