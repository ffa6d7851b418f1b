// conditional.cpp -- the date parser reads exactly the format we write;
// the entity-tag lists are walked with the header list helper.
#include "http/files/conditional.hpp"

#include <cstdio>

#include "http/ascii.hpp"
#include "http/proto/request_head.hpp"

namespace ringlane::http {
namespace {

// Two digits at s[at], or -1.
int two_digits(std::string_view s, std::size_t at) noexcept {
  const char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

// Days since 1970-01-01 for a proleptic Gregorian date (civil calendar).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Weak comparison (8.8.3.2): W/ prefixes do not matter.
std::string_view opaque(std::string_view tag) noexcept {
  if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
  return tag;
}

// Does the ETag list (or "*") name `etag`? Weak comparison for
// If-None-Match; strong for If-Match (8.8.3.2: a weak tag never matches).
bool list_matches(std::string_view list, std::string_view etag, bool strong = false) noexcept {
  bool hit = false;
  ascii::for_each_list_item(list, [&](std::string_view tag) {
    hit = tag == "*" || (strong ? tag == etag : opaque(tag) == etag);
    return !hit;
  });
  return hit;
}

}  // namespace

std::string make_etag(std::time_t mtime, std::uint64_t size, long mtime_ns) {
  char buf[64];
  const int n = mtime_ns == 0
                    ? std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(mtime),
                                    static_cast<unsigned long long>(size))
                    : std::snprintf(buf, sizeof buf, "\"%llx.%lx-%llx\"", static_cast<unsigned long long>(mtime),
                                    static_cast<unsigned long>(mtime_ns), static_cast<unsigned long long>(size));
  return std::string(buf, static_cast<std::size_t>(n));
}

namespace {

// "Nov" -> 1..12, else 0.
int month_of(std::string_view m) noexcept {
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const std::size_t at = m.size() == 3 ? months.find(m) : std::string_view::npos;
  return at == std::string_view::npos || at % 3 != 0 ? 0 : static_cast<int>(at / 3 + 1);
}

// "08:49:37" at s[at..at+8) -> seconds into the day, or -1 (60 s allowed:
// a leap second).
int time_of_day(std::string_view s, std::size_t at) noexcept {
  if (s[at + 2] != ':' || s[at + 5] != ':') return -1;
  const int hh = two_digits(s, at), mm = two_digits(s, at + 3), ss = two_digits(s, at + 6);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return -1;
  return hh * 3600 + mm * 60 + ss;
}

std::optional<std::time_t> instant(int year, int month, int day, int seconds) noexcept {
  if (year < 0 || month == 0 || day < 1 || day > 31 || seconds < 0) return std::nullopt;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return static_cast<std::time_t>(days * 86400 + seconds);
}

}  // namespace

// The three forms RFC 9110 5.6.7 says a recipient must accept:
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"    (what everyone sends)
//   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"   (two-digit year)
//   asctime      "Sun Nov  6 08:49:37 1994"
std::optional<std::time_t> parse_http_date(std::string_view s) noexcept {
  if (s.size() == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' && s[11] == ' ' && s[16] == ' ' && s[25] == ' ' &&
      s.substr(26) == "GMT") {
    const int y1 = two_digits(s, 12), y2 = two_digits(s, 14);
    return instant(y1 < 0 || y2 < 0 ? -1 : y1 * 100 + y2, month_of(s.substr(8, 3)), two_digits(s, 5),
                   time_of_day(s, 17));
  }
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
    // The day is two digits or a space and one digit: "Nov  6".
    const int d = s[8] == ' ' ? (s[9] >= '1' && s[9] <= '9' ? s[9] - '0' : -1) : two_digits(s, 8);
    const int y1 = two_digits(s, 20), y2 = two_digits(s, 22);
    return instant(y1 < 0 || y2 < 0 ? -1 : y1 * 100 + y2, month_of(s.substr(4, 3)), d, time_of_day(s, 11));
  }
  const std::size_t comma = s.find(", ");
  if (comma != std::string_view::npos && s.size() == comma + 24 && s[comma + 4] == '-' && s[comma + 8] == '-' &&
      s[comma + 11] == ' ' && s[comma + 20] == ' ' && s.substr(comma + 21) == "GMT") {
    // A two-digit year more than 50 years ahead is the century before
    // (RFC 9110 5.6.7): against this year, not a fixed pivot.
    const int yy = two_digits(s, comma + 9);
    if (yy < 0) return std::nullopt;
    const std::time_t now = std::time(nullptr);
    struct tm tm {};
    gmtime_r(&now, &tm);
    const int this_year = tm.tm_year + 1900;
    int year = this_year / 100 * 100 + yy;
    if (year > this_year + 50) year -= 100;
    return instant(year, month_of(s.substr(comma + 5, 3)), two_digits(s, comma + 2), time_of_day(s, comma + 12));
  }
  return std::nullopt;
}

bool precondition_failed(const request_head& req, std::string_view etag, std::time_t mtime) noexcept {
  if (req.has_header("if-match")) return !list_matches(req.header("if-match"), etag, /*strong=*/true);
  const std::optional<std::time_t> since = parse_http_date(req.header("if-unmodified-since"));
  return since && mtime > *since;
}

bool not_modified(const request_head& req, std::string_view etag, std::time_t mtime) noexcept {
  if (req.has_header("if-none-match")) return list_matches(req.header("if-none-match"), etag);
  const std::optional<std::time_t> since = parse_http_date(req.header("if-modified-since"));
  return since && mtime <= *since;
}

bool range_still_valid(const request_head& req, std::string_view etag, std::time_t mtime, std::time_t now) noexcept {
  if (!req.has_header("if-range")) return true;
  const std::string_view v = req.header("if-range");
  if (!v.empty() && v.front() == '"') return v == etag;  // strong comparison only
  const std::optional<std::time_t> date = parse_http_date(v);
  return date && *date == mtime && mtime < now;
}

}  // namespace ringlane::http
