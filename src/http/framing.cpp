#include "http/framing.hpp"

#include <bit>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace presenced::http::framing {
namespace {

// The head's lines, one LF at a time, in order.
class LineWalk {
 public:
  explicit LineWalk(std::string_view b) : b_(b) {}

  // The line [line_, lf] is whole; true once the head is settled (`head` then says how).
  bool at_lf(std::size_t lf, Head& head) {
    if (line_ > 0 && (b_[line_] == ' ' || b_[line_] == '\t')) head.obs_fold = true;
    if (lf == line_ || b_[lf - 1] != '\r') {  // a bare LF: Beast's to refuse
      head.size = lf + 1;
      return true;
    }
    if (lf == line_ + 1 && line_ > 0) {  // "\r\n" alone: the blank line that ends the head
      head.size = lf + 1;
      return true;
    }
    line_ = lf + 1;
    return false;
  }

 private:
  std::string_view b_;
  std::size_t line_ = 0;
};

}  // namespace

// Every request's head goes through here before Beast's parser: the LFs are found 32 bytes
// at a time where SSE2 is there (every x86-64), and the last partial step is one more
// 16-byte load ending at the buffer's end (its bytes already seen are masked out), so no
// byte is looked at one by one. About half the instructions of a memchr per line.
Head scan_head(std::string_view b) {
  Head head;
  LineWalk walk(b);
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const auto lfs_at = [&](std::size_t at) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.data() + at));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, lf)));
  };
  const auto walk_mask = [&](std::size_t at, std::uint32_t mask) {
    for (; mask != 0; mask &= mask - 1) {
      if (walk.at_lf(at + static_cast<std::size_t>(std::countr_zero(mask)), head)) return true;
    }
    return false;
  };
  for (; i + 32 <= b.size(); i += 32) {
    if (walk_mask(i, lfs_at(i) | lfs_at(i + 16) << 16)) return head;
  }
  if (i + 16 <= b.size()) {
    if (walk_mask(i, lfs_at(i))) return head;
    i += 16;
  }
  if (i < b.size() && b.size() >= 16) {
    const std::size_t at = b.size() - 16;  // overlaps what was seen: those bytes masked out
    if (walk_mask(at, lfs_at(at) & (0xffffu << (i - at)))) return head;
    i = b.size();
  }
#endif
  for (; i < b.size(); ++i) {
    if (b[i] == '\n' && walk.at_lf(i, head)) return head;
  }
  return Head{};  // the last line is not all there yet
}

}  // namespace presenced::http::framing
