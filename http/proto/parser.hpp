// request_parser: bytes in, one request at a time out.
//
// llhttp (8.1, wrapped by llhttp_adapter.cpp, the only file that includes it)
// does the byte-level state machine -- except for the common bodyless GET or
// HEAD whose head is whole in one feed, which fast_head.hpp reads in one
// pass into the same slices; this class adds what llhttp leaves to
// its user: copying the head out of the caller's buffers, limits, the rules
// of RFC 9110/9112 that decide a status, and delivering one message at a time.
//
// One message at a time. llhttp is paused after the head of a message with
// a body and after every message end, so feed() stops right there and says
// how far it got in `consumed`. What follows (body, or pipelined requests) is
// left in the caller's buffer, to be fed again:
//
//   buffer: |GET /a ...\r\n\r\n|POST /b ...\r\n\r\n|hello|GET /c ...
//   feed    ^------------------^ complete (consumed = 1st request)
//   next(); feed from there:
//           ^-------------------^ head (100-continue / streaming decision)
//   feed    ^-----^ complete, body() == "hello"
//   next(); feed  ^-- GET /c ... need_more: a partial head is kept in the
//                                arena, all of `in` is consumed
//
// llhttp's callbacks only record where each part of the head lies, as
// offsets from the message's first byte. When the head is complete its
// bytes are copied once into an arena string whose capacity survives next()
// (a head split over several feeds is collected there feed by feed) and the
// views are made over the arena, so head() does not depend on the caller's
// buffers. The body goes to its own string, reserved with 64
// spare bytes for simdjson's padding.
//
// Statuses (error(); sticky, the connection must close after the response):
//   400  malformed request line or header; bare CR/LF, NUL/CTL in a value,
//        obs-fold, space before ':', empty field name; garbage version;
//        method with non-token bytes; missing Host (1.1) or several, or
//        one that is no authority ("a b", "a:b", "[::1");
//        bad/duplicate Content-Length; Content-Length with
//        Transfer-Encoding; TE in HTTP/1.0; TE whose final coding is not
//        chunked, or chunked twice; bad chunk syntax (chunk data not
//        followed by CRLF included); chunk extensions longer than
//        max_request_line on one chunk line;
//        target that is not origin-, absolute-, '*' (OPTIONS) or authority-
//        form (CONNECT); a control byte, DEL or a byte above 0x7F in the
//        target (raw UTF-8 included: clients percent-encode it); CONNECT
//        with content; bad %-escape, %00 or ".." above root in the path
//   413  Content-Length above the body limit (at head time), or a chunked
//        body growing past it
//   414  request line longer than limits::max_request_line
//   417  an Expect other than 100-continue
//   431  header section (or head + trailers) above max_header_bytes, or more
//        than max_headers fields (trailers included)
//   501  TE with a coding other than chunked (we decode no others); an
//        unknown but well-formed method token ("QUERY", "get")
//   505  HTTP major version other than 1 (0.9, 2.0, 3.0, PRI preface);
//        HTTP/1.2..1.9 are parsed and served as 1.1 (RFC 9110 2.5)
//
// Trailers are checked and counted against the limits, then discarded: the
// head's views are already handed out, so the arena must not grow under them.
// Allocation failure terminates (the callbacks are noexcept), as it would
// in any other part of the request path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/proto/limits.hpp"
#include "http/proto/request_head.hpp"

namespace ringlane::http {

enum class parse_event { need_more, head, body, complete, error };

class request_parser {
 public:
  explicit request_parser(const limits& l = {});
  request_parser(const request_parser&) = delete;
  request_parser& operator=(const request_parser&) = delete;
  // Moving is fine between messages; during one, head()'s views may dangle
  // (a short arena lives inside the std::string).
  request_parser(request_parser&&) noexcept = default;
  request_parser& operator=(request_parser&&) noexcept = default;

  // Parses bytes from `in`; sets `consumed` to how many were used. Bytes after
  // `consumed` were NOT used (pipelined read-ahead) and must be fed again after next().
  //  need_more: all of `in` consumed, no event yet.
  //  head:      the head of a message WITH a body is complete (head() valid); the caller may
  //             send 100 Continue or switch to streaming; then keeps feeding.
  //  body:      decoded body bytes were appended to body() (returned when input ran out mid-body).
  //  complete:  the message ended (for a bodyless message this is returned directly, without
  //             a separate head event); head() and body() are valid until next().
  //  error:     the request is invalid; error_status() says which response to send (400, 413,
  //             414, 431, 501, 505) and the connection must close after it. Sticky until reset.
  parse_event feed(std::string_view in, std::size_t& consumed);
  const request_head& head() const noexcept { return head_; }
  std::string& body() noexcept { return body_; }  // decoded body so far; caller may clear() it to stream
  void set_body_limit(std::size_t max) noexcept { body_limit_ = max; }  // current message (streaming: SIZE_MAX)
  int error_status() const noexcept { return status_; }  // 0 when no error
  std::string_view error_reason() const noexcept { return reason_; }  // short text for logs / the error body
  // After an error: the request was a HEAD (as far as it was read), so the
  // error response must carry no body.
  bool error_for_head() const noexcept;
  bool in_message() const noexcept { return in_message_; }  // bytes of an unfinished message were seen
  void next() noexcept;   // after complete: ready for the next message (no-op after an error)
  void reset() noexcept;  // forget everything, errors included (e.g. to reuse for a new connection)
  // Between messages (before the first, or after next()): frees each
  // buffer whose capacity grew past `keep` bytes (the head's copy, its field
  // tables, the body), so an idle keep-alive connection does not hold what
  // its largest request needed. A no-op from a message's first byte until
  // next(), and after an error.
  void release_memory(std::size_t keep) noexcept;
  // Bytes the parser's buffers hold (their capacities), for tests and stats.
  std::size_t retained_bytes() const noexcept;
  // Heads taken by fast_head (fast_head.hpp) instead of llhttp, since construction.
  std::uint64_t fast_heads() const noexcept { return fast_heads_; }

 private:
  friend struct llhttp_glue;  // llhttp_adapter.cpp: callbacks and feed()
  friend struct fast_head;    // fast_head.cpp: the common head without llhttp

  // A piece of the head as offsets from the message's first byte; the
  // head's bytes land in arena_ (which may reallocate while a head streams
  // in over several feeds), and finish_head() turns slices into views.
  struct slice {
    std::uint32_t off = 0, len = 0;
  };
  struct raw_field {
    slice name, value;  // value with llhttp's trailing OWS (trimmed in finish_head)
  };

  int finish_head(std::uint8_t major, std::uint8_t minor) noexcept;  // parser.cpp: 0 or a status
  int fail(int status, std::string_view reason) noexcept;           // records; returns status
  int check_target(std::string_view method, std::string_view target) noexcept;
  void clear_message() noexcept;

  // llhttp_t lives here as bytes so this header need not include llhttp.h;
  // llhttp_adapter.cpp checks that it fits.
  static constexpr std::size_t llhttp_size = 128;
  alignas(8) unsigned char llhttp_[llhttp_size];

  limits limits_;
  std::string arena_;              // the head's raw bytes, then the decoded path if any
  std::vector<raw_field> fields_;  // header fields as message offsets
  request_head head_;
  std::string body_;
  std::size_t body_limit_;
  std::uint64_t body_total_ = 0;   // decoded body bytes, including any the caller cleared

  // Where llhttp is, as offsets from the message's first byte. A message
  // always starts at the beginning of a feed (we pause at its predecessor's
  // end), so offset(p) = fed_ + (p - base_) for any p in the current feed.
  // While the head is incomplete, arena_ holds exactly bytes [0, fed_).
  std::uint64_t fed_ = 0;          // bytes of this message in earlier feeds
  const char* base_ = nullptr;     // first byte of the current feed
  const char* end_ = nullptr;      // one past its last byte
  slice method_, url_;
  std::uint32_t method_end_ = 0, url_end_ = 0, version_end_ = 0;
  std::uint32_t name_end_ = 0;     // end of the last field-name piece (a new field starts elsewhere)
  std::uint32_t value_end_ = 0;    // end of the last value piece (obs-fold check)
  std::uint32_t span_end_ = 0;     // end of the head's last span: what the arena must hold
  std::uint64_t head_size_ = 0;    // 0 until the head is complete
  std::uint64_t trailer_bytes_ = 0;
  std::uint64_t chunk_ext_bytes_ = 0;  // extension bytes of the chunk being read
  static constexpr std::uint64_t no_chunk_crlf = ~std::uint64_t{0};
  std::uint64_t chunk_crlf_at_ = no_chunk_crlf;  // offset of the CRLF after a chunk's data
  std::size_t trailer_fields_ = 0;
  std::size_t sniffed_ = 0;        // method bytes seen while classifying a bad method
  char tail_[2] = {0, 0};          // last two bytes of earlier feeds (CRLF checks)

  std::string_view reason_;
  int status_ = 0;
  bool paused_ = false;            // llhttp is paused and needs llhttp_resume
  // An unquoted chunk-extension value ended by ';' (llhttp_adapter.cpp).
  bool ext_value_quoted_ = false, ext_refeed_ = false;
  std::uint32_t ext_value_len_ = 0;
  bool in_message_ = false;        // a method byte was seen
  bool version_started_ = false, value_open_ = false;
  bool head_done_ = false, complete_ = false, body_appended_ = false;
  bool sniffing_ = false;          // llhttp refused the method: classify it ourselves
  bool fast_ = false;              // this message was read by fast_head; llhttp never saw it
  std::uint64_t fast_heads_ = 0;
};

}  // namespace ringlane::http
