// Tests for http/proto/uri: percent-decoding and dot-segment removal, and the
// refusals that keep a path from leaving the root.
#include "http/proto/uri.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ringlane::http {
namespace {

std::string path_or_error(std::string_view raw) {
  std::string out = "stale";
  return decode_path(raw, out) ? out : "<400>";
}

TEST(DecodePath, PlainPathsAreUnchanged) {
  EXPECT_EQ(path_or_error("/"), "/");
  EXPECT_EQ(path_or_error("/a/b/c.txt"), "/a/b/c.txt");
  EXPECT_EQ(path_or_error("//a//b/"), "//a//b/");
  EXPECT_EQ(path_or_error("/a.b/.c/..d"), "/a.b/.c/..d");
}

TEST(DecodePath, DecodesPercentEscapes) {
  EXPECT_EQ(path_or_error("/a%20b"), "/a b");
  EXPECT_EQ(path_or_error("/%41%62%7e"), "/Ab~");
  EXPECT_EQ(path_or_error("/%C3%A9t%c3%a9"), "/\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(path_or_error("/a+b"), "/a+b");  // '+' is only a space in forms
  EXPECT_EQ(path_or_error("/a%2Fb"), "/a/b");
}

TEST(DecodePath, RemovesDotSegments) {
  EXPECT_EQ(path_or_error("/a/./b"), "/a/b");
  EXPECT_EQ(path_or_error("/a/b/../c"), "/a/c");
  EXPECT_EQ(path_or_error("/a/b/.."), "/a/");
  EXPECT_EQ(path_or_error("/a/."), "/a/");
  EXPECT_EQ(path_or_error("/."), "/");
  EXPECT_EQ(path_or_error("/a/.."), "/");
  EXPECT_EQ(path_or_error("/a/../b/./c/../d"), "/b/d");
  EXPECT_EQ(path_or_error("/a/%2e%2E/b"), "/b");  // decoded first, then removed
  EXPECT_EQ(path_or_error("/a/b/../../c"), "/c");
}

TEST(DecodePath, RefusesClimbingAboveRoot) {
  EXPECT_EQ(path_or_error("/.."), "<400>");
  EXPECT_EQ(path_or_error("/../a"), "<400>");
  EXPECT_EQ(path_or_error("/a/../.."), "<400>");
  EXPECT_EQ(path_or_error("/a/../../b"), "<400>");
  EXPECT_EQ(path_or_error("/%2e%2e/etc/passwd"), "<400>");
  EXPECT_EQ(path_or_error("/a%2F..%2F..%2Fb"), "<400>");
}

TEST(DecodePath, RefusesBadEscapesNulAndRelativePaths) {
  EXPECT_EQ(path_or_error("/a%"), "<400>");
  EXPECT_EQ(path_or_error("/a%4"), "<400>");
  EXPECT_EQ(path_or_error("/a%4g"), "<400>");
  EXPECT_EQ(path_or_error("/a%%41"), "<400>");
  EXPECT_EQ(path_or_error("/a%00b"), "<400>");
  EXPECT_EQ(path_or_error(""), "<400>");
  EXPECT_EQ(path_or_error("a/b"), "<400>");
}

TEST(DecodePath, AppendKeepsWhatWasThere) {
  std::string arena = "GET/x";
  ASSERT_TRUE(decode_path_append("/p/../q%21", arena));
  EXPECT_EQ(arena, "GET/x/q!");
  // A climb is judged against the appended path alone, not the prefix.
  EXPECT_FALSE(decode_path_append("/..", arena));
}

TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
  std::string out = "stale";
  ASSERT_TRUE(percent_decode("x+y%2B", out, true));
  EXPECT_EQ(out, "x y+");
  ASSERT_TRUE(percent_decode("x+y%2B", out, false));
  EXPECT_EQ(out, "x+y+");
}

TEST(PercentDecode, AllowsNulButNotBadEscapes) {
  std::string out;
  ASSERT_TRUE(percent_decode("a%00b", out, false));
  EXPECT_EQ(out, std::string("a\0b", 3));
  EXPECT_FALSE(percent_decode("%", out, false));
  EXPECT_FALSE(percent_decode("%1", out, false));
  EXPECT_FALSE(percent_decode("%zz", out, false));
  ASSERT_TRUE(percent_decode("", out, true));
  EXPECT_EQ(out, "");
}

TEST(PercentEncodePath, EncodesWhatAPathCannotCarryAndRoundTrips) {
  std::string out = "x";
  percent_encode_path("/a b/%/\r\n/\xc3\xa9/?#\"<>", out);
  EXPECT_EQ(out, "x/a%20b/%25/%0D%0A/%C3%A9/%3F%23%22%3C%3E");
  std::string plain;
  percent_encode_path("/A-z_0.9~!$&'()*+,;=:@/", plain);
  EXPECT_EQ(plain, "/A-z_0.9~!$&'()*+,;=:@/");  // pchar and '/' stand as themselves
  std::string back;
  ASSERT_TRUE(decode_path(out.substr(1), back));
  EXPECT_EQ(back, "/a b/%/\r\n/\xc3\xa9/?#\"<>");
}

}  // namespace
}  // namespace ringlane::http
