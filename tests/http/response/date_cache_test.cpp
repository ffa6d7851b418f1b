// Tests for http/response/date_cache.hpp: the IMF-fixdate format and the
// per-thread cache.
#include "http/response/date_cache.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>

namespace ringlane::http {
namespace {

TEST(HttpDate, FormatsTheRfcExample) {
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, FormatsEpochAndLeapDayAndYearEnd) {
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(1704067199), "Sun, 31 Dec 2023 23:59:59 GMT");
}

TEST(HttpDate, NowIsTheCurrentSecond) {
  std::time_t before = std::time(nullptr);
  std::string now(http_date());
  std::time_t after = std::time(nullptr);
  ASSERT_EQ(now.size(), http_date_size);
  // The coarse clock may lag a tick behind time(); allow one second.
  bool matches = false;
  for (std::time_t t = before - 1; t <= after; ++t) matches |= now == format_http_date(t);
  EXPECT_TRUE(matches) << now;
}

TEST(HttpDate, CachedViewIsStableWithinTheThread) {
  std::string_view a = http_date();
  std::string_view b = http_date();
  EXPECT_EQ(a.data(), b.data());  // the same thread-local buffer
}

TEST(HttpDate, EachThreadHasItsOwnCache) {
  const char* mine = http_date().data();
  const char* theirs = nullptr;
  std::string text;
  std::thread t([&] {
    theirs = http_date().data();
    text = std::string(http_date());
  });
  t.join();
  EXPECT_NE(mine, theirs);
  EXPECT_EQ(text.size(), http_date_size);
}

}  // namespace
}  // namespace ringlane::http
