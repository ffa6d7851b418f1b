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

bool list_matches(std::string_view list, std::string_view etag) noexcept {
  bool hit = false;
  ascii::for_each_list_item(list, [&](std::string_view tag) {
    hit = tag == "*" || opaque(tag) == etag;
    return !hit;
  });
  return hit;
}

}  // namespace

std::string make_etag(std::time_t mtime, std::uint64_t size) {
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(mtime),
                              static_cast<unsigned long long>(size));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::time_t> parse_http_date(std::string_view s) noexcept {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions, 29 bytes.
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT")
    return std::nullopt;
  const std::size_t mon = months.find(s.substr(8, 3));
  const int day = two_digits(s, 5), y1 = two_digits(s, 12), y2 = two_digits(s, 14);
  const int hh = two_digits(s, 17), mm = two_digits(s, 20), ss = two_digits(s, 23);
  if (mon == std::string_view::npos || mon % 3 != 0 || day < 1 || day > 31 || y1 < 0 || y2 < 0 || hh < 0 ||
      hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
    return std::nullopt;
  const std::int64_t days = days_from_civil(y1 * 100 + y2, static_cast<unsigned>(mon / 3 + 1), static_cast<unsigned>(day));
  return static_cast<std::time_t>(days * 86400 + hh * 3600 + mm * 60 + ss);
}

bool not_modified(const request_head& req, std::string_view etag, std::time_t mtime) noexcept {
  if (req.has_header("if-none-match")) return list_matches(req.header("if-none-match"), etag);
  const std::optional<std::time_t> since = parse_http_date(req.header("if-modified-since"));
  return since && mtime <= *since;
}

bool range_still_valid(const request_head& req, std::string_view etag, std::time_t mtime) noexcept {
  if (!req.has_header("if-range")) return true;
  const std::string_view v = req.header("if-range");
  if (!v.empty() && v.front() == '"') return v == etag;  // strong comparison only
  const std::optional<std::time_t> date = parse_http_date(v);
  return date && *date == mtime;
}

}  // namespace ringlane::http
