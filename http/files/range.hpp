// range.hpp -- the byte ranges of a Range header (RFC 9110 14.2), against a
// representation of `size` bytes.
//
//   "bytes=0-99"   first 100 bytes      "bytes=100-"  from byte 100 on
//   "bytes=-100"   last 100 bytes       "bytes=0-9,50-59"  two parts (multipart)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ringlane::http {

struct byte_range {
  std::uint64_t first = 0, last = 0;  // inclusive, last < size
  std::uint64_t length() const noexcept { return last - first + 1; }
};

enum class range_result {
  ignore,         // no usable range (absent, malformed, other unit, too many, out of order): 200
  satisfiable,    // send `out`: one range 206, several multipart/byteranges
  unsatisfiable,  // 416 with "Content-Range: bytes */size"
};

// A server may ignore a Range field (14.2), so anything we do not take --
// a syntax error, another unit, more than `max_ranges` specs, ranges out of
// ascending order (14.3 lets a server refuse those) -- means "send it all".
// Specs that start past the end are dropped; if none is left, 416.
// Overlapping or touching neighbours are merged into one (14.3).
range_result parse_ranges(std::string_view header, std::uint64_t size, std::vector<byte_range>& out,
                          std::size_t max_ranges = 16);

}  // namespace ringlane::http
