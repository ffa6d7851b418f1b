// range.cpp -- "bytes=" and a comma-separated list of range-specs, each
// first-last, first- or -suffix.
#include "http/files/range.hpp"

#include "http/ascii.hpp"

namespace ringlane::http {

namespace {

enum class spec_result { invalid, outside, inside };

// One range-spec (no OWS around it) against `size` bytes.
spec_result parse_spec(std::string_view spec, std::uint64_t size, byte_range& out) noexcept {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return spec_result::invalid;
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // -suffix: the last n bytes
    std::uint64_t n = 0;
    if (!ascii::parse_digits(b, n)) return spec_result::invalid;
    if (n == 0 || size == 0) return spec_result::outside;
    out = {n >= size ? 0 : size - n, size - 1};
    return spec_result::inside;
  }
  std::uint64_t first = 0, last = 0;
  if (!ascii::parse_digits(a, first)) return spec_result::invalid;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!ascii::parse_digits(b, last) || last < first) return spec_result::invalid;
    if (size > 0 && last >= size) last = size - 1;
  }
  if (first >= size) return spec_result::outside;
  out = {first, last};
  return spec_result::inside;
}

}  // namespace

range_result parse_ranges(std::string_view header, std::uint64_t size, std::vector<byte_range>& out,
                          std::size_t max_ranges) {
  out.clear();
  constexpr std::string_view unit = "bytes=";
  if (header.size() <= unit.size() || !ascii::iequals(header.substr(0, unit.size()), unit)) return range_result::ignore;
  std::string_view list = header.substr(unit.size());
  std::size_t specs = 0;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view spec = ascii::trim_ows(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (spec.empty()) continue;  // empty list elements are allowed (RFC 9110 5.6.1)
    if (++specs > max_ranges) return range_result::ignore;
    byte_range r;
    switch (parse_spec(spec, size, r)) {
      case spec_result::invalid:
        return range_result::ignore;
      case spec_result::outside:
        continue;
      case spec_result::inside:
        break;
    }
    if (!out.empty()) {
      byte_range& prev = out.back();
      if (r.first < prev.first) return range_result::ignore;  // not ascending
      if (r.first <= prev.last + 1) {                          // overlapping or touching: one part
        if (r.last > prev.last) prev.last = r.last;
        continue;
      }
    }
    out.push_back(r);
  }
  if (specs == 0) return range_result::ignore;
  return out.empty() ? range_result::unsatisfiable : range_result::satisfiable;
}

}  // namespace ringlane::http
