// ascii: the byte classes HTTP/1.1 is written in (RFC 9110 section 5.6) and
// the case-insensitive comparisons its field names and tokens need. Locale
// free on purpose: <cctype> would consult the C locale on every byte.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ringlane::http::ascii {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// iequals() for a token (a field name, as llhttp delivers them) against a
// lowercase literal made of letters, digits and '-': eight bytes per
// compare. OR-ing 0x20 lowercases a letter and leaves digits and '-' as
// they are; no other token byte can become a lowercase letter, a digit or
// '-' that way, so the answer is exact for tokens.
inline bool token_iequals(std::string_view token, std::string_view lower) noexcept {
  const std::size_t n = token.size();
  if (n != lower.size()) return false;
  const char* a = token.data();
  const char* b = lower.data();
  auto load8 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load4 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
      if ((load8(a + i) | 0x2020202020202020ull) != load8(b + i)) return false;
    return i == n || (load8(a + n - 8) | 0x2020202020202020ull) == load8(b + n - 8);
  }
  if (n >= 4) {
    return (load4(a) | 0x20202020u) == load4(b) && (load4(a + n - 4) | 0x20202020u) == load4(b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i)
    if ((a[i] | 0x20) != b[i]) return false;
  return true;
}

namespace detail {
// 256-entry tables: one load per byte instead of a search per byte, which
// matters for loops that run on every request (Host, method sniffing).
struct byte_tables {
  bool tchar[256] = {};
  std::uint8_t host[256] = {};  // 1: may be in an authority; 3: and delimits its parts (":[]")
};
constexpr byte_tables make_byte_tables() {
  byte_tables t;
  for (int c = '0'; c <= '9'; ++c) t.tchar[c] = true, t.host[c] = 1;
  for (int c = 'a'; c <= 'z'; ++c) t.tchar[c] = true, t.host[c] = 1;
  for (int c = 'A'; c <= 'Z'; ++c) t.tchar[c] = true, t.host[c] = 1;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t.tchar[static_cast<unsigned char>(c)] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=%")) t.host[static_cast<unsigned char>(c)] = 1;
  for (char c : std::string_view(":[]")) t.host[static_cast<unsigned char>(c)] = 3;
  return t;
}
inline constexpr byte_tables tables = make_byte_tables();
}  // namespace detail

// tchar: "!#$%&'*+-.^_`|~", digits and letters -- what methods, field names
// and cookie names are made of.
constexpr bool is_tchar(char c) noexcept { return detail::tables.tchar[static_cast<unsigned char>(c)]; }

// What an authority (Host, RFC 3986 3.2.2) may contain: reg-name, IPv4,
// [IPv6] and :port characters. No '/', '@', '\\', spaces or controls.
constexpr bool is_host_char(char c) noexcept { return detail::tables.host[static_cast<unsigned char>(c)] != 0; }
// 0: not an authority byte; 1: one; 3: one that delimits its parts (":[]").
constexpr unsigned host_class(char c) noexcept { return detail::tables.host[static_cast<unsigned char>(c)]; }

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// A decimal number made of digits only: no sign, spaces or list. False on
// anything else, on empty input and on overflow (Content-Length, ranges).
inline bool parse_digits(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated list (RFC 9110
// section 5.6.1), trimmed, skipping empty elements. Stops early and returns
// false when f returns false.
template <class F>
constexpr bool for_each_list_item(std::string_view list, F&& f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim_ows(list.substr(0, comma));
    if (!item.empty() && !f(item)) return false;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace ringlane::http::ascii
