// request_head: what a parsed request line and header section mean. Every
// view points into the parser's arena (see parser.hpp) and stays valid until
// request_parser::next(); nothing here owns bytes except the headers vector,
// whose capacity the parser reuses from request to request.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ringlane::http {

struct header_field {
  std::string_view name, value;  // name as sent; value trimmed of OWS
};

struct request_head {
  std::string_view method;          // "GET", as sent
  std::string_view target;          // raw request-target
  std::string_view path;            // decoded path (see decode_path), begins with '/', or "*" for OPTIONS *
                                    // ("" for CONNECT, whose target is an authority)
  std::string_view query;           // raw query after '?', without fragment; "" if none
  std::uint8_t version_minor = 1;   // HTTP/1.<minor>; major is always 1 (else 505)
  std::vector<header_field> headers;
  std::string_view host;            // Host header value (or authority from absolute-form / CONNECT)
  std::optional<std::uint64_t> content_length;
  bool chunked = false;             // Transfer-Encoding: chunked
  bool keep_alive = true;           // per version + Connection header
  bool expect_continue = false;     // Expect: 100-continue (HTTP/1.1 only, RFC 9110 10.1.1)
  bool upgrade = false;             // Connection: upgrade + Upgrade header present

  bool has_body() const noexcept { return chunked || (content_length && *content_length > 0); }
  // First field with this name, ASCII case-insensitive; "" if absent.
  std::string_view header(std::string_view name) const noexcept;
  bool has_header(std::string_view name) const noexcept;
  // How many fields have this name (a singleton field sent twice is invalid).
  std::size_t header_count(std::string_view name) const noexcept;

  // Back to a default-constructed head, keeping the headers' capacity.
  void clear() noexcept;
};

}  // namespace ringlane::http
