// cookies: the name=value pairs of a Cookie request header (RFC 6265
// section 5.4: "a=1; b=2"). Views into the header value, no copies: the
// header lives in the parser's arena until request_parser::next().
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace ringlane::http {

struct cookie {
  std::string_view name, value;  // value without surrounding double quotes
};

// Pairs in order. Tolerant of spaces and tabs around ';' and '='; skips
// malformed pairs (no '=', empty name, a name that is not a token) rather
// than rejecting the whole header, as browsers send what they were given.
std::vector<cookie> parse_cookies(std::string_view cookie_header);

// Value of the first cookie called `name` (case-sensitive); nullopt if none.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace ringlane::http
