// Tests for http/proto/cookies: the Cookie request header.
#include "http/proto/cookies.hpp"

#include <gtest/gtest.h>

namespace ringlane::http {
namespace {

TEST(ParseCookies, SplitsPairsAndKeepsViewsIntoTheHeader) {
  const std::string_view h = "a=1; b=2;c=3";
  const std::vector<cookie> c = parse_cookies(h);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].name, "a");
  EXPECT_EQ(c[0].value, "1");
  EXPECT_EQ(c[1].name, "b");
  EXPECT_EQ(c[2].name, "c");
  EXPECT_EQ(c[2].value, "3");
  EXPECT_EQ(c[1].value.data(), h.data() + 7);  // no copy
}

TEST(ParseCookies, ToleratesSpacesAndStripsQuotes) {
  const std::vector<cookie> c = parse_cookies("  sid = \"abc def\" ;\tx=\"\";y=\"unterminated ;  ");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].name, "sid");
  EXPECT_EQ(c[0].value, "abc def");
  EXPECT_EQ(c[1].name, "x");
  EXPECT_EQ(c[1].value, "");
  EXPECT_EQ(c[2].value, "\"unterminated");
}

TEST(ParseCookies, SkipsMalformedPairs) {
  const std::vector<cookie> c = parse_cookies("novalue; =x; bad name=1; ok=1;; a=b=c; ");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].name, "ok");
  EXPECT_EQ(c[1].name, "a");
  EXPECT_EQ(c[1].value, "b=c");
  EXPECT_TRUE(parse_cookies("").empty());
}

TEST(CookieValue, FindsTheFirstMatch) {
  const std::string_view h = "theme=dark; sid=42; sid=43";
  EXPECT_EQ(cookie_value(h, "sid"), std::optional<std::string_view>("42"));
  EXPECT_EQ(cookie_value(h, "theme"), std::optional<std::string_view>("dark"));
  EXPECT_EQ(cookie_value(h, "SID"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(cookie_value(h, "si"), std::nullopt);
  EXPECT_EQ(cookie_value("e=", "e"), std::optional<std::string_view>(""));
}

}  // namespace
}  // namespace ringlane::http
