// utf8.cpp -- eight ASCII bytes per step; a sequence of two to four bytes
// is checked by its lead byte, which also fixes the range its first
// continuation byte may take (that is where overlongs, surrogates and
// values above U+10FFFF are told apart, RFC 3629 section 4).
#include "http/ws/utf8.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringlane::http::ws {

utf8_scan scan_utf8(std::string_view s) noexcept {
  const auto* const begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* p = begin;
  const unsigned char* const end = p + s.size();
  auto stop = [&](bool truncated) { return utf8_scan{static_cast<std::size_t>(p - begin), truncated}; };
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;                         // continuation bytes after the lead
    unsigned char lo = 0x80, hi = 0xBF;  // range of the first continuation byte
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;  // overlong below U+0800
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;  // overlong below U+10000
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return stop(false);  // a stray continuation byte, C0/C1 (overlong), F5..FF
    }
    const int have = static_cast<int>(std::min<std::ptrdiff_t>(end - p - 1, extra));  // bytes after the lead
    if (have >= 1 && (p[1] < lo || p[1] > hi)) return stop(false);
    for (int i = 2; i <= have; ++i)
      if ((p[i] & 0xC0) != 0x80) return stop(false);
    if (have < extra) return stop(true);  // a good start the end of s cuts short
    p += extra + 1;
  }
  return stop(false);
}

}  // namespace ringlane::http::ws
