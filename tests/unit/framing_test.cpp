// The request head's framing checks (http/framing): one pass finds where the head ends
// and whether a header line was folded.
#include "http/framing.hpp"

#include <gtest/gtest.h>

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
