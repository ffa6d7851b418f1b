// limits: how much of a request the parser accepts before it answers with a
// 4xx instead of buffering more. The defaults follow nginx's order of
// magnitude (8 KiB request line, 32 KiB of headers, 1 MiB body).
#pragma once

#include <cstddef>

namespace ringlane::http {

struct limits {
  std::size_t max_request_line = 8 * 1024;   // method + target + version; beyond -> 414
  std::size_t max_header_bytes = 32 * 1024;  // whole header section (request line included) -> 431
  std::size_t max_headers = 100;             // header field count -> 431
  std::size_t max_body = 1024 * 1024;        // decoded body bytes -> 413
};

}  // namespace ringlane::http
