#include "http/framing.hpp"

namespace presenced::http::framing {

std::size_t head_size(std::string_view buffered) {
  const auto end = buffered.find("\r\n\r\n");
  return end == std::string_view::npos ? 0 : end + 4;
}

bool has_obs_fold(std::string_view head) {
  for (auto at = head.find("\r\n"); at != std::string_view::npos && at + 2 < head.size(); at = head.find("\r\n", at + 2)) {
    if (head[at + 2] == ' ' || head[at + 2] == '\t') return true;
  }
  return false;
}

}  // namespace presenced::http::framing
