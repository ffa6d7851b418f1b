// date_cache.cpp -- see date_cache.hpp.
#include "http/response/date_cache.hpp"

#include <time.h>

namespace ringlane::http {
namespace {

// Writes the 29 bytes of the IMF-fixdate for `t` into `out`. By hand, not
// strftime: strftime consults the locale, and the names here must be the
// English ones whatever LC_TIME says.
void format_into(char* out, std::time_t t) noexcept {
  static constexpr char days[] = "SunMonTueWedThuFriSat";
  static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  struct tm tm {};
  gmtime_r(&t, &tm);
  auto two = [](char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  const char* day = days + 3 * tm.tm_wday;
  const char* mon = months + 3 * tm.tm_mon;
  int year = tm.tm_year + 1900;
  out[0] = day[0], out[1] = day[1], out[2] = day[2];
  out[3] = ',', out[4] = ' ';
  two(out + 5, tm.tm_mday);
  out[7] = ' ';
  out[8] = mon[0], out[9] = mon[1], out[10] = mon[2];
  out[11] = ' ';
  two(out + 12, (year / 100) % 100);
  two(out + 14, year % 100);
  out[16] = ' ';
  two(out + 17, tm.tm_hour);
  out[19] = ':';
  two(out + 20, tm.tm_min);
  out[22] = ':';
  two(out + 23, tm.tm_sec);
  out[25] = ' ', out[26] = 'G', out[27] = 'M', out[28] = 'T';
}

// Trivially constructible on purpose: a thread_local of this type needs no
// guard variable or TLS init call on each access. `second == -1` means
// "never formatted", so the first call always fills `text`.
struct date_state {
  std::time_t second;
  char text[http_date_size];
};
thread_local constinit date_state cached{-1, {}};

}  // namespace

std::string_view http_date() noexcept {
  struct timespec now {};
  // COARSE: the tick-granular clock, read from the vDSO without a fence.
  // Its few milliseconds of lag do not matter to a one-second field.
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  if (now.tv_sec != cached.second) {
    format_into(cached.text, now.tv_sec);
    cached.second = now.tv_sec;
  }
  return {cached.text, http_date_size};
}

std::string format_http_date(std::time_t t) {
  std::string s(http_date_size, '\0');
  format_into(s.data(), t);
  return s;
}

}  // namespace ringlane::http
