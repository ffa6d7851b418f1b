// ascii: the byte classes HTTP/1.1 is written in (RFC 9110 section 5.6) and
// the case-insensitive comparisons its field names and tokens need. Locale
// free on purpose: <cctype> would consult the C locale on every byte.
#pragma once

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

// tchar: "!#$%&'*+-.^_`|~", digits and letters -- what methods, field names
// and cookie names are made of.
constexpr bool is_tchar(char ch) noexcept {
  const auto c = static_cast<unsigned char>(ch);
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

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
