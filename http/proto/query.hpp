// query: the application/x-www-form-urlencoded pairs of a query string
// ("a=1&b=x+y&c=%41"). Not on the parse path: handlers call these when they
// want the query, so the parser keeps head().query raw and allocates nothing
// for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringlane::http {

struct query_param {
  std::string name, value;  // decoded; '+' is a space
};

// Pairs in order of appearance. Keys without '=' have value ""; empty pairs
// ("a=1&&b=2") and pairs with an empty name ("=x") are skipped; a name or
// value with a bad %-escape is kept as sent rather than dropped.
std::vector<query_param> parse_query(std::string_view query);

// The decoded value of the first pair whose decoded name equals `name`
// (case-sensitive); nullopt if there is none.
std::optional<std::string> query_value(std::string_view query, std::string_view name);

}  // namespace ringlane::http
