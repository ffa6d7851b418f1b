// The multipart/byteranges framing: exact bytes, the length that the
// Content-Length will promise, and the boundary's shape.
#include "http/files/multipart.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringlane::http {
namespace {

TEST(Multipart, HeadsTailAndLengthFrameEveryPart) {
  const std::vector<byte_range> rs = {{0, 4}, {10, 19}};
  const multipart_plan p = plan_multipart(rs, 100, "text/plain", "B");
  EXPECT_EQ(p.content_type, "multipart/byteranges; boundary=B");
  ASSERT_EQ(p.heads.size(), 2u);
  EXPECT_EQ(p.heads[0], "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/100\r\n\r\n");
  EXPECT_EQ(p.heads[1], "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 10-19/100\r\n\r\n");
  EXPECT_EQ(p.tail, "\r\n--B--\r\n");
  EXPECT_EQ(p.length, p.heads[0].size() + 5 + p.heads[1].size() + 10 + p.tail.size());
}

TEST(Multipart, NoTypeMeansNoContentTypeLine) {
  const multipart_plan p = plan_multipart({{0, 0}, {2, 2}}, 3, "", "x");
  EXPECT_EQ(p.heads[0], "--x\r\nContent-Range: bytes 0-0/3\r\n\r\n");
}

TEST(Multipart, TheBoundaryIsFixedPerProcessAndUnguessable) {
  const std::string_view b = multipart_boundary();
  ASSERT_EQ(b.size(), 9u + 16u);
  EXPECT_EQ(b.substr(0, 9), "ringlane-");
  EXPECT_EQ(b.substr(9).find_first_not_of("0123456789abcdef"), std::string_view::npos);
  EXPECT_EQ(multipart_boundary(), b);
}

}  // namespace
}  // namespace ringlane::http
