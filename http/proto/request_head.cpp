#include "http/proto/request_head.hpp"

#include "http/ascii.hpp"

namespace ringlane::http {

// A linear scan: requests carry a dozen fields or so, and a scan over a
// contiguous vector beats building a map for every request.
std::string_view request_head::header(std::string_view name) const noexcept {
  for (const header_field& f : headers)
    if (ascii::iequals(f.name, name)) return f.value;
  return {};
}

bool request_head::has_header(std::string_view name) const noexcept {
  for (const header_field& f : headers)
    if (ascii::iequals(f.name, name)) return true;
  return false;
}

std::size_t request_head::header_count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const header_field& f : headers) n += ascii::iequals(f.name, name) ? 1 : 0;
  return n;
}

void request_head::clear() noexcept {
  headers.clear();
  // One store per field: a chained `a = b = {}` makes GCC build the empty
  // view in memory and load it back (a store-forwarding stall per request).
  method = std::string_view();
  target = std::string_view();
  path = std::string_view();
  query = std::string_view();
  host = std::string_view();
  version_minor = 1;
  content_length.reset();
  chunked = false;
  keep_alive = true;
  expect_continue = false;
  upgrade = false;
}

}  // namespace ringlane::http
