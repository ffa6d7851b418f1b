// fast_head.cpp -- see fast_head.hpp for what is taken and what declined.
#include "http/proto/fast_head.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "http/ascii.hpp"
#include "http/proto/parser.hpp"

namespace ringlane::http {
namespace {

// Target bytes taken here: RFC 3986 pchar plus '/' and '?' (unreserved,
// sub-delims, ':', '@', '%'). llhttp accepts all of them in a path/query;
// '#' (fragment) and everything else go to llhttp.
constexpr auto target_bytes = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=:@%/?")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// Field-value bytes taken here: VCHAR, SP, HTAB.
constexpr bool value_byte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x20 && u < 0x7F) || u == '\t';
}

// The end of a run of value bytes from p (at most `end`). Eight bytes per
// step while every byte is in 0x20..0x7E (the usual value); a word with
// anything else -- the CR that ends the line, an HTAB -- goes byte by byte.
const char* skip_value(const char* p, const char* end) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const std::uint64_t below_space = (w - ones * 0x20) & ~w;  // high bit: byte < 0x20
    const std::uint64_t del_or_high = (w + ones * 0x01) | w;   // high bit: byte >= 0x7F
    if ((below_space | del_or_high) & highs) break;
    p += 8;
  }
  while (p < end && value_byte(*p)) ++p;
  return p;
}

// Fields that change framing or hand the connection over: llhttp's part.
bool declined_name(std::string_view name) noexcept {
  switch (name.size()) {
    case 7:
      return ascii::token_iequals(name, "upgrade");
    case 14:
      return ascii::token_iequals(name, "content-length");
    case 17:
      return ascii::token_iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

}  // namespace

fast_result fast_head::parse(request_parser& r, std::string_view in, std::size_t& consumed) noexcept {
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const limits& lim = r.limits_;

  // Request line: method, one SP, origin-form target, one SP, HTTP/1.1 CRLF.
  std::uint32_t method_len;
  if (in.size() >= 4 && std::memcmp(begin, "GET ", 4) == 0) {
    method_len = 3;
  } else if (in.size() >= 5 && std::memcmp(begin, "HEAD ", 5) == 0) {
    method_len = 4;
  } else {
    return fast_result::declined;
  }
  const char* p = begin + method_len + 1;
  if (p == end || *p != '/') return fast_result::declined;
  while (p < end && target_bytes[static_cast<unsigned char>(*p)]) ++p;
  if (end - p < 11 || std::memcmp(p, " HTTP/1.1\r\n", 11) != 0) return fast_result::declined;
  const auto url_end = static_cast<std::uint32_t>(p - begin);
  if (url_end + 9 > lim.max_request_line) return fast_result::declined;  // llhttp's path answers 414
  const std::uint32_t version_end = url_end + 9;                          // after "1.1"
  p += 11;

  // Fields, up to the empty line. On any decline fields_ is emptied again.
  auto decline = [&r] {
    r.fields_.clear();
    return fast_result::declined;
  };
  for (;;) {
    if (end - p < 2) return decline();
    if (p[0] == '\r') {
      if (p[1] != '\n') return decline();
      p += 2;
      break;
    }
    const char* name = p;
    while (p < end && ascii::is_tchar(*p)) ++p;
    if (p == end || *p != ':' || p == name) return decline();
    const std::string_view name_view(name, static_cast<std::size_t>(p - name));
    if (declined_name(name_view)) return decline();
    ++p;
    while (p < end && ascii::is_ows(*p)) ++p;
    const char* value = p;
    p = skip_value(p, end);
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return decline();
    if (static_cast<std::size_t>(p - begin) > lim.max_header_bytes) return decline();
    if (r.fields_.size() >= lim.max_headers) return decline();
    r.fields_.push_back({{static_cast<std::uint32_t>(name - begin), static_cast<std::uint32_t>(name_view.size())},
                         {static_cast<std::uint32_t>(value - begin), static_cast<std::uint32_t>(p - value)}});
    p += 2;
  }
  const auto head_size = static_cast<std::size_t>(p - begin);
  if (head_size > lim.max_header_bytes) return decline();

  // Taken: the state llhttp's callbacks would have left, then the shared rules.
  r.in_message_ = true;
  r.arena_.assign(begin, head_size);
  r.method_ = {0, method_len};
  r.url_ = {method_len + 1, url_end - method_len - 1};
  r.method_end_ = method_len;
  r.url_end_ = url_end;
  r.version_end_ = version_end;
  r.version_started_ = true;
  r.span_end_ = static_cast<std::uint32_t>(head_size);
  r.head_done_ = true;
  r.head_size_ = head_size;
  r.fed_ = head_size;
  r.fast_ = true;
  ++r.fast_heads_;
  consumed = head_size;
  if (r.finish_head(1, 1) != 0) return fast_result::error;
  r.complete_ = true;
  r.in_message_ = false;
  return fast_result::complete;
}

}  // namespace ringlane::http
