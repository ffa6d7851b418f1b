#include "http/proto/cookies.hpp"

#include <algorithm>

#include "http/ascii.hpp"

namespace ringlane::http {
namespace {

// Calls f(cookie) for each well-formed pair; stops when f returns false.
template <class F>
void for_each_cookie(std::string_view header, F&& f) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    const std::string_view pair = header.substr(0, semi);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      const std::string_view name = ascii::trim_ows(pair.substr(0, eq));
      std::string_view value = ascii::trim_ows(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      const bool token = !name.empty() && std::all_of(name.begin(), name.end(), ascii::is_tchar);
      if (token && !f(cookie{name, value})) return;
    }
    if (semi == std::string_view::npos) return;
    header.remove_prefix(semi + 1);
  }
}

}  // namespace

std::vector<cookie> parse_cookies(std::string_view cookie_header) {
  std::vector<cookie> out;
  for_each_cookie(cookie_header, [&](cookie c) {
    out.push_back(c);
    return true;
  });
  return out;
}

std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name) {
  std::optional<std::string_view> found;
  for_each_cookie(cookie_header, [&](cookie c) {
    if (c.name != name) return true;
    found = c.value;
    return false;
  });
  return found;
}

}  // namespace ringlane::http
