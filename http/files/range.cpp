// range.cpp -- "bytes=" and one range-spec: first-last, first-, or -suffix.
#include "http/files/range.hpp"

#include "http/ascii.hpp"

namespace ringlane::http {

range_result parse_range(std::string_view header, std::uint64_t size, byte_range& out) noexcept {
  constexpr std::string_view unit = "bytes=";
  if (header.size() <= unit.size() || !ascii::iequals(header.substr(0, unit.size()), unit)) return range_result::ignore;
  const std::string_view spec = ascii::trim_ows(header.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos) return range_result::ignore;
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return range_result::ignore;
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);

  if (a.empty()) {  // -suffix: the last n bytes
    std::uint64_t n = 0;
    if (!ascii::parse_digits(b, n)) return range_result::ignore;
    if (n == 0 || size == 0) return range_result::unsatisfiable;
    out = {n >= size ? 0 : size - n, size - 1};
    return range_result::satisfiable;
  }
  std::uint64_t first = 0, last = 0;
  if (!ascii::parse_digits(a, first)) return range_result::ignore;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!ascii::parse_digits(b, last) || last < first) return range_result::ignore;
    if (size > 0 && last >= size) last = size - 1;
  }
  if (first >= size) return range_result::unsatisfiable;
  out = {first, last};
  return range_result::satisfiable;
}

}  // namespace ringlane::http
