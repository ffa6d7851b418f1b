// range.hpp -- one byte range from a Range header (RFC 9110 14.2), against
// a representation of `size` bytes.
//
//   "bytes=0-99"   first 100 bytes      "bytes=100-"  from byte 100 on
//   "bytes=-100"   last 100 bytes       "bytes=0-0,5-9"  several: ignored
#pragma once

#include <cstdint>
#include <string_view>

namespace ringlane::http {

struct byte_range {
  std::uint64_t first = 0, last = 0;  // inclusive, last < size
  std::uint64_t length() const noexcept { return last - first + 1; }
};

enum class range_result {
  ignore,         // no usable range (absent, malformed, other unit, several): send it all, 200
  satisfiable,    // send `out`, 206
  unsatisfiable,  // 416 with "Content-Range: bytes */size"
};

// A server may ignore a Range field (14.2), so anything we do not take --
// a syntax error, another unit, a list of ranges -- means "send it all".
range_result parse_range(std::string_view header, std::uint64_t size, byte_range& out) noexcept;

}  // namespace ringlane::http
