// Validators and preconditions on heads from the real parser.
#include "http/files/conditional.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/proto/parser.hpp"
#include "http/response/date_cache.hpp"

namespace ringlane::http {
namespace {

constexpr std::time_t kMtime = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kTag = "\"2ebc98a1-64\"";

// A GET with these extra header lines, parsed; the parser stays alive with it.
struct parsed {
  request_parser p{limits{}};
  explicit parsed(const std::string& fields) {
    const std::string req = "GET /f HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
    std::size_t used = 0;
    EXPECT_EQ(p.feed(req, used), parse_event::complete) << req;
  }
  const request_head& head() const { return p.head(); }
};

TEST(Conditional, EtagIsMtimeAndSizeInHex) {
  EXPECT_EQ(make_etag(kMtime, 100), kTag);
  // Nanoseconds, where the file system keeps them: two writes within one
  // second at one size still differ.
  EXPECT_EQ(make_etag(kMtime, 100, 0x1f), "\"2ebc98a1.1f-64\"");
  EXPECT_NE(make_etag(kMtime, 100, 5), make_etag(kMtime, 100, 6));
}

TEST(Conditional, HttpDatesRoundTrip) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kMtime);
  for (std::time_t t : {std::time_t{0}, std::time_t{951782400} /* 2000-02-29 */, std::time_t{4102444799}})
    EXPECT_EQ(parse_http_date(format_http_date(t)), t) << t;
}

TEST(Conditional, TheObsoleteFormatsAreReadToo) {
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kMtime);  // RFC 850
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kMtime);        // asctime
  EXPECT_EQ(parse_http_date("Sun Nov 16 08:49:37 1994"), kMtime + 10 * 86400);
  // RFC 850's two-digit year: not more than 50 years ahead of this one.
  const auto y2k = parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT");
  ASSERT_TRUE(y2k);
  EXPECT_EQ(*y2k, 946684800);  // 2000, not 1900 (until 2050)
}

TEST(Conditional, MalformedDatesAreNotRead) {
  for (std::string_view s : {"", "garbage", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Xyz 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
                             "Sunday, 06-Nov-1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 UTC",
                             "Sun Nov 06 08:49:37 94", "Sun Nov  0 08:49:37 1994", "Sun Nov  6 08-49-37 1994"})
    EXPECT_FALSE(parse_http_date(s)) << s;
}

TEST(Conditional, IfNoneMatch) {
  EXPECT_TRUE(not_modified(parsed("If-None-Match: \"2ebc98a1-64\"\r\n").head(), kTag, kMtime));
  EXPECT_TRUE(not_modified(parsed("If-None-Match: \"x\", W/\"2ebc98a1-64\"\r\n").head(), kTag, kMtime));
  EXPECT_TRUE(not_modified(parsed("If-None-Match: *\r\n").head(), kTag, kMtime));
  EXPECT_FALSE(not_modified(parsed("If-None-Match: \"other\"\r\n").head(), kTag, kMtime));
  // If-None-Match decides alone: a matching date does not make it 304.
  EXPECT_FALSE(not_modified(
      parsed("If-None-Match: \"other\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").head(), kTag, kMtime));
}

TEST(Conditional, IfModifiedSince) {
  EXPECT_TRUE(not_modified(parsed("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").head(), kTag, kMtime));
  EXPECT_TRUE(not_modified(parsed("If-Modified-Since: Mon, 07 Nov 1994 00:00:00 GMT\r\n").head(), kTag, kMtime));
  EXPECT_FALSE(not_modified(parsed("If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n").head(), kTag, kMtime));
  EXPECT_FALSE(not_modified(parsed("If-Modified-Since: yesterday\r\n").head(), kTag, kMtime));
  EXPECT_FALSE(not_modified(parsed("").head(), kTag, kMtime));
}

TEST(Conditional, IfMatchIsStrongAndDecidesAlone) {
  EXPECT_FALSE(precondition_failed(parsed("").head(), kTag, kMtime));
  EXPECT_FALSE(precondition_failed(parsed("If-Match: \"2ebc98a1-64\"\r\n").head(), kTag, kMtime));
  EXPECT_FALSE(precondition_failed(parsed("If-Match: \"x\", \"2ebc98a1-64\"\r\n").head(), kTag, kMtime));
  EXPECT_FALSE(precondition_failed(parsed("If-Match: *\r\n").head(), kTag, kMtime));
  EXPECT_TRUE(precondition_failed(parsed("If-Match: \"other\"\r\n").head(), kTag, kMtime));
  EXPECT_TRUE(precondition_failed(parsed("If-Match: W/\"2ebc98a1-64\"\r\n").head(), kTag, kMtime));  // weak: no
  // If-Match decides alone: a date that would pass does not rescue it.
  EXPECT_TRUE(precondition_failed(
      parsed("If-Match: \"other\"\r\nIf-Unmodified-Since: Mon, 07 Nov 1994 00:00:00 GMT\r\n").head(), kTag,
      kMtime));
}

TEST(Conditional, IfUnmodifiedSince) {
  EXPECT_FALSE(precondition_failed(parsed("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").head(), kTag,
                                   kMtime));
  EXPECT_TRUE(precondition_failed(parsed("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n").head(), kTag,
                                  kMtime));
  EXPECT_FALSE(precondition_failed(parsed("If-Unmodified-Since: garbage\r\n").head(), kTag, kMtime));  // ignored
}

TEST(Conditional, IfRange) {
  const std::time_t later = kMtime + 60;
  EXPECT_TRUE(range_still_valid(parsed("").head(), kTag, kMtime, later));
  EXPECT_TRUE(range_still_valid(parsed("If-Range: \"2ebc98a1-64\"\r\n").head(), kTag, kMtime, later));
  EXPECT_FALSE(range_still_valid(parsed("If-Range: W/\"2ebc98a1-64\"\r\n").head(), kTag, kMtime, later));  // weak: no
  EXPECT_TRUE(range_still_valid(parsed("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n").head(), kTag, kMtime, later));
  EXPECT_FALSE(range_still_valid(parsed("If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n").head(), kTag, kMtime, later));
  // A file modified in the current second: its date is a weak validator
  // (it may change again under the same date), so the whole file is sent.
  EXPECT_FALSE(range_still_valid(parsed("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n").head(), kTag, kMtime, kMtime));
  EXPECT_TRUE(range_still_valid(parsed("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n").head(), kTag, kMtime, kMtime + 1));
}

}  // namespace
}  // namespace ringlane::http
