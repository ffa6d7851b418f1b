// fast_head: the common request without llhttp.
//
// Most requests a server sees are the same shape: GET or HEAD, HTTP/1.1, an
// origin-form target, a few ordinary header fields, no body, the whole head
// in one buffer. For those, running llhttp's byte-by-byte state machine and
// its eight callbacks is most of the parse cost (~850 of ~2,400 instructions
// per request in apps/hello). fast_head reads such a head in one pass and
// fills the parser exactly as llhttp's callbacks would; finish_head() then
// applies the same rules (Host, target, persistence) to both paths.
//
// It only *takes* what llhttp would accept unchanged and declines the rest,
// with the parser untouched, so llhttp parses it as before:
//
//   taken                                   declined (llhttp decides)
//   "GET " or "HEAD "                       every other method, leading CRLFs
//   "/" then pchar / "/" / "?" bytes, " "   '#', other bytes, other forms
//   "HTTP/1.1\r\n"                          1.0, 2.0, bare LF, extra spaces
//   name (tchar+) ":" OWS value CRLF        SP/HTAB in names, obs-fold,
//     value bytes VCHAR, SP, HTAB             obs-text, controls, bare CR/LF
//   no Content-Length, Transfer-Encoding    a body, or an Upgrade
//     or Upgrade field
//   head within every limit                 anything at or over a limit (the
//                                           slow path answers 414/431)
//   "\r\n" ending the head in this buffer   a head split over reads
//
// So a declined request costs one partial scan more than before, and every
// error status still comes from the one place that produced it before.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringlane::http {

class request_parser;

enum class fast_result { declined, complete, error };

struct fast_head {
  // At the start of a message: take a whole bodyless head from the front of
  // `in`. complete/error set `consumed` to the head's size (error: the head
  // broke a rule of finish_head, error_status() says which).
  static fast_result parse(request_parser& r, std::string_view in, std::size_t& consumed) noexcept;
};

}  // namespace ringlane::http
