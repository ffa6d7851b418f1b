// multipart.hpp -- the body of a 206 answering several ranges at once
// (RFC 9110 14.6): each part is a delimiter, its own Content-Type and
// Content-Range, and that range's bytes; a closing delimiter ends it.
//
//   Content-Type: multipart/byteranges; boundary=B
//
//   --B                                  <- heads[0]
//   Content-Type: text/plain
//   Content-Range: bytes 0-9/100
//
//   <bytes 0-9>
//   --B                                  <- heads[1], after a CRLF
//   ...
//   <bytes 50-59>
//   --B--                                <- tail, after a CRLF
//
// Every length is known up front, so the response has a Content-Length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/files/range.hpp"

namespace ringlane::http {

struct multipart_plan {
  std::string content_type;        // "multipart/byteranges; boundary=..."
  std::vector<std::string> heads;  // one per range, sent before its bytes
  std::string tail;                // the closing delimiter
  std::uint64_t length = 0;        // the whole body
};

multipart_plan plan_multipart(const std::vector<byte_range>& ranges, std::uint64_t size,
                              std::string_view part_type, std::string_view boundary);

// A boundary for this process: "ringlane-" and 16 random hex digits, so it
// is not guessed into a file's bytes to forge parts.
std::string_view multipart_boundary();

}  // namespace ringlane::http
