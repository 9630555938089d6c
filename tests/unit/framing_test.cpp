// The request head's framing checks (http/framing): one pass finds where the head ends
// and whether a header line was folded.
#include "http/framing.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace presenced::http::framing {
namespace {

TEST(Framing, TheHeadEndsAtTheBlankLine) {
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(scan_head(head + "body").size, head.size());
  EXPECT_FALSE(scan_head(head).obs_fold);
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nHost: x\r\n").size, 0u) << "not all there yet";
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nHo").size, 0u);
  EXPECT_EQ(scan_head("").size, 0u);
}

TEST(Framing, AFoldedHeaderLineIsSeen) {
  EXPECT_TRUE(scan_head("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n").obs_fold);
  EXPECT_TRUE(scan_head("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n").obs_fold);
  EXPECT_FALSE(scan_head("GET / HTTP/1.1\r\nX-A: a b\r\n\r\n").obs_fold) << "a space inside a value is no fold";
  // A fold after the head belongs to the body.
  EXPECT_FALSE(scan_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n b\r\n").obs_fold);
}

// The plain reading of the rules, a line at a time: what the 16-bytes-at-a-time scan must
// agree with on every input.
Head scan_by_lines(std::string_view b) {
  Head head;
  for (std::size_t line = 0; line < b.size();) {
    if (line > 0 && (b[line] == ' ' || b[line] == '\t')) head.obs_fold = true;
    const void* found = std::memchr(b.data() + line, '\n', b.size() - line);
    if (!found) return Head{};
    const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(found) - b.data());
    if (lf == line || b[lf - 1] != '\r' || (lf == line + 1 && line > 0)) {
      head.size = lf + 1;
      return head;
    }
    line = lf + 1;
  }
  return Head{};
}

TEST(Framing, TheScanAgreesWithALineByLineReadingOnRandomHeads) {
  std::mt19937 random(20261130);
  const char alphabet[] = {'\r', '\n', ' ', '\t', 'a', ':', 'G'};
  for (int round = 0; round < 20'000; ++round) {
    std::string b(random() % 300, 'x');
    for (char& c : b) c = random() % 3 == 0 ? alphabet[random() % sizeof alphabet] : 'h';
    const Head fast = scan_head(b), plain = scan_by_lines(b);
    ASSERT_EQ(fast.size, plain.size) << "round " << round;
    ASSERT_EQ(fast.obs_fold, plain.obs_fold) << "round " << round;
  }
  // Heads of realistic length, with the blank line and a fold at every offset across the
  // 16-byte steps.
  const std::string request = "POST /api/v1/presence/flow/42/heartbeat HTTP/1.1\r\nHost: localhost:8080\r\n";
  for (std::size_t pad = 0; pad < 40; ++pad) {
    const std::string head = request + "X-Pad: " + std::string(pad, 'p') + "\r\n\r\n";
    EXPECT_EQ(scan_head(head + "{}").size, head.size()) << pad;
    EXPECT_FALSE(scan_head(head).obs_fold) << pad;
    const std::string folded = request + "X-Pad: " + std::string(pad, 'p') + "\r\n\tmore\r\n\r\n";
    EXPECT_TRUE(scan_head(folded).obs_fold) << pad;
  }
}

TEST(Framing, ABareLineFeedIsLeftToBeastToRefuse) {
  EXPECT_EQ(scan_head("GET / HTTP/1.1\nHost: x\n\n").size, 15u);
}

TEST(Framing, OnlyAFinalChunkedCodingFramesARequestBody) {
  EXPECT_TRUE(body_length_is_known(false, false));
  EXPECT_TRUE(body_length_is_known(true, true));
  EXPECT_FALSE(body_length_is_known(true, false));
}

}  // namespace
}  // namespace presenced::http::framing
