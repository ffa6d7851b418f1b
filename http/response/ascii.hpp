// ascii.hpp -- the few byte tests header handling needs.
//
// Field names are ASCII and compared case-insensitively (RFC 9110 section
// 5.1). <cctype> would do, but its answers depend on the C locale and it
// takes int; these are branch-light, constexpr and locale-free.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringlane::http {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// tchar (RFC 9110 section 5.6.2): the characters a field name may use.
constexpr bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace ringlane::http
