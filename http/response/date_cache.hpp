// date_cache.hpp -- the Date header value, formatted once per second.
//
// Every response carries Date (RFC 9110 section 6.6.1), and formatting a
// date costs more than the rest of a small response put together. So each
// worker thread keeps the last string it made and the second it was made
// for; http_date() reads the coarse realtime clock (a vDSO read, no
// syscall) and only reformats when the second has changed.
//
//   std::string_view d = http_date();   // "Sun, 06 Nov 1994 08:49:37 GMT"
//
// The view points into thread-local storage: copy it out (write_response
// does) before the thread could call http_date() again a second later.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace ringlane::http {

// Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_size = 29;

// The IMF-fixdate for now, cached per thread, refreshed at most once a second.
std::string_view http_date() noexcept;

// The IMF-fixdate for `t` (UTC). For tests and for Last-Modified.
std::string format_http_date(std::time_t t);

}  // namespace ringlane::http
