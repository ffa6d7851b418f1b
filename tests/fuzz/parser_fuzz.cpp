// parser_fuzz -- libFuzzer target for request_parser (clang builds only).
//
// The oracle is the parser's own promise: how bytes are split into feeds
// must not change what it says. Every input is parsed three ways -- whole,
// split at a point taken from the input, and byte by byte -- and each run
// is summarised (per message: method, target, path, body size; then
// whether it ended in an error); the three summaries must be equal, and
// every error status must be a 4xx or 5xx. Sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/proto/parser.hpp"

namespace {

using ringlane::http::limits;
using ringlane::http::parse_event;
using ringlane::http::request_parser;

// Small limits, so that the 413/414/431 paths are reachable in short inputs.
limits fuzz_limits() {
  limits l;
  l.max_request_line = 64;
  l.max_header_bytes = 256;
  l.max_headers = 8;
  l.max_body = 128;
  return l;
}

// Parses `in` in feeds whose ends are `cuts` (ascending, last = in.size()).
std::string summarise(std::string_view in, const std::vector<std::size_t>& cuts) {
  request_parser p(fuzz_limits());
  std::string out;
  std::size_t start = 0;
  std::string pending;  // bytes of the current feed that the parser did not take yet
  for (std::size_t cut : cuts) {
    pending.append(in.substr(start, cut - start));
    start = cut;
    std::string_view feed = pending;
    for (;;) {
      std::size_t used = 0;
      const parse_event ev = p.feed(feed, used);
      if (used > feed.size()) std::abort();
      feed.remove_prefix(used);
      if (ev == parse_event::error) {
        const int st = p.error_status();
        if (st < 400 || st > 599) std::abort();
        // Which rule fires first may depend on where a feed ends (a long
        // line is 414 when the limit is seen before the bad byte, 400 when
        // the bad byte is): that there is an error may not.
        return out + "error";
      }
      if (ev == parse_event::complete) {
        const auto& h = p.head();
        out += "msg ";
        out.append(h.method).append(" ").append(h.target).append(" ").append(h.path);
        out += " body=" + std::to_string(p.body().size()) + "\n";
        p.next();
        continue;  // the rest of this feed may hold the next request
      }
      if (ev == parse_event::head || ev == parse_event::body) {
        if (used == 0 && !feed.empty()) std::abort();  // no progress but bytes left
        if (!feed.empty()) continue;
      }
      break;  // need_more, or all of this feed used
    }
    pending.assign(feed);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string whole = summarise(in, {size});
  const std::size_t mid = size == 0 ? 0 : (static_cast<std::size_t>(data[0]) * 131 + 7) % size;
  const std::string split = summarise(in, {mid, size});
  std::vector<std::size_t> bytes;
  for (std::size_t i = 1; i <= size; ++i) bytes.push_back(i);
  const std::string byte_by_byte = summarise(in, bytes);
  if (whole != split || whole != byte_by_byte) std::abort();
  return 0;
}
