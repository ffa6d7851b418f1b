// fields_fuzz -- libFuzzer target for the small parsers that read
// client-controlled fields: Range, HTTP dates, WebSocket frame headers, and
// UTF-8 validation (checked against a slow reference decoder).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "http/files/conditional.hpp"
#include "http/files/range.hpp"
#include "http/response/date_cache.hpp"
#include "http/ws/frame.hpp"
#include "http/ws/utf8.hpp"

namespace {

using namespace ringlane::http;

// Decodes code point by code point, the long way (RFC 3629 section 3).
bool reference_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + static_cast<std::size_t>(n) >= s.size()) return false;  // truncated
    for (int k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    const std::uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (ws::valid_utf8(in) != reference_utf8(in)) std::abort();

  // Ranges taken are inside the representation, ascending and apart.
  const std::uint64_t rep = size == 0 ? 0 : static_cast<std::uint64_t>(data[0]) * 977;
  std::vector<byte_range> rs;
  if (parse_ranges(in, rep, rs) == range_result::satisfiable) {
    if (rs.empty() || rs.size() > 16) std::abort();
    for (std::size_t i = 0; i < rs.size(); ++i) {
      if (rs[i].first > rs[i].last || rs[i].last >= rep) std::abort();
      if (i > 0 && rs[i].first <= rs[i - 1].last + 1) std::abort();
    }
  }

  // A date we read is one we can write and read back to the same instant.
  if (const auto t = parse_http_date(in)) {
    if (parse_http_date(format_http_date(*t)) != t) std::abort();
  }

  // A frame header never claims more header bytes than it has, and control
  // frames are short and final.
  ws::frame_header h;
  std::uint16_t code = 0;
  if (ws::parse_client_header(in, h, code) == ws::header_status::ok) {
    if (h.size > in.size() || h.size < 6 || h.size > 14) std::abort();
    if (ws::is_control(h.op) && (!h.fin || h.length > 125)) std::abort();
  }
  return 0;
}
