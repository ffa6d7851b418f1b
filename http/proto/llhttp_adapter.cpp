// llhttp_adapter: the one file that includes llhttp.h. It turns llhttp's
// callbacks into arena slices, enforces the size limits while bytes stream
// in, pauses llhttp at the two points where feed() must stop (head of a
// message with a body, end of every message), and maps llhttp's errors to
// statuses. The rules about a complete head are in parser.cpp.
//
// http/meson.build compiles llhttp without LLHTTP_STRICT_MODE (its "loose"
// build); we set one lenient flag, LENIENT_VERSION, so that the version is
// judged by finish_head (HTTP/1.2 is served as 1.1, 2.0 gets 505) rather
// than refused as garbage. Where llhttp 8.1 is laxer than we want, the
// callbacks add the check (each has a case in parser_test.cpp):
//  - the loose build lets SP into field names ("Host : x" is a field named
//    "Host "); both builds accept obs-fold, calling on_header_value twice
//    (or, after an empty first line, once with the folded part as the
//    value): both are 400 here. So is an empty name in a trailer.
//  - it accepts a bare LF after the request line and as the empty line that
//    ends the head or the trailers, and more than one SP between the parts of
//    the request line: we check the offsets between the spans it reports.
//  - with LENIENT_VERSION any digit.digit passes (finish_head decides).
//  - it lets HTAB and FF into the request-target: on_url refuses them.
//  - it skips the two bytes after a chunk's data without looking at them:
//    on_chunk_complete checks that they were CRLF.
//  - it refuses every method outside its fixed table, so a well-formed but
//    unknown method (501) is told from garbage (400) by sniff_method().
// And one place where it is stricter than RFC 9112: a chunk extension after
// an unquoted value ("5;a=b;c=d"), see on_chunk_extension_value.
#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "http/ascii.hpp"
#include "http/proto/fast_head.hpp"
#include "http/proto/parser.hpp"
#include "llhttp.h"

namespace ringlane::http {

struct llhttp_glue {
  static request_parser& self(llhttp_t* p) noexcept { return *static_cast<request_parser*>(p->data); }
  static llhttp_t* ll(request_parser& r) noexcept { return std::launder(reinterpret_cast<llhttp_t*>(r.llhttp_)); }

  // Offset of p from the first byte of the message (see fed_ in parser.hpp).
  static std::uint32_t offset(const request_parser& r, const char* p) noexcept {
    return static_cast<std::uint32_t>(r.fed_ + static_cast<std::uint64_t>(p - r.base_));
  }

  // Data callbacks report an error by setting the status and returning -1;
  // llhttp then stops and feed() reads the status.
  static int stop(request_parser& r, int status, std::string_view reason) noexcept {
    r.fail(status, reason);
    return -1;
  }

  // The span callbacks only record where each piece lies (message offsets)
  // and check what llhttp 8.1 lets through; on_headers_complete copies the
  // head's bytes once (keep_head_bytes). A span that straddles two feeds
  // arrives as two pieces, the second starting where the first ended.

  static int on_method(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    const std::uint32_t begin = offset(r, at);
    r.in_message_ = true;
    if (r.method_.len == 0) {
      // Offsets count from the first byte after the previous message, so
      // empty lines before this one are part of the request line's budget.
      if (begin > r.limits_.max_request_line) return stop(r, 414, "request line too long");
      r.method_.off = begin;
    }
    r.method_.len += static_cast<std::uint32_t>(len);
    r.method_end_ = r.span_end_ = begin + static_cast<std::uint32_t>(len);
    return 0;
  }

  static int on_url(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    const std::uint32_t begin = offset(r, at);
    if (r.url_.len == 0) {
      if (begin != r.method_end_ + 1) return stop(r, 400, "malformed request line");
      r.url_.off = begin;
    }
    // The loose build lets HTAB and FF into a target; a peer that splits
    // the request line on any whitespace would read another target there.
    // Bytes above 0x7F are no URI characters either (RFC 3986 2; a client
    // percent-encodes UTF-8), so they get the 400 of RFC 9112 3.2 too.
    for (std::size_t i = 0; i < len; ++i) {
      const auto c = static_cast<unsigned char>(at[i]);
      if (c < 0x21 || c >= 0x7F) return stop(r, 400, "control or non-ASCII byte in the request-target");
    }
    r.url_.len += static_cast<std::uint32_t>(len);
    r.url_end_ = r.span_end_ = begin + static_cast<std::uint32_t>(len);
    // + " HTTP/1.1": what the line will be at least once the version follows.
    if (r.url_end_ + 9 > r.limits_.max_request_line) return stop(r, 414, "request line too long");
    return 0;
  }

  static int on_version(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    const std::uint32_t begin = offset(r, at);
    // llhttp's version span is the "1.1" after " HTTP/".
    if (!r.version_started_ && begin != r.url_end_ + 6) return stop(r, 400, "malformed request line");
    r.version_started_ = true;
    r.version_end_ = r.span_end_ = begin + static_cast<std::uint32_t>(len);
    return 0;
  }

  static bool has_space(const char* at, std::size_t len) noexcept {
    for (std::size_t i = 0; i < len; ++i)
      if (at[i] == ' ') return true;
    return false;
  }

  static int on_header_field(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    const std::uint32_t begin = offset(r, at);
    const auto n = static_cast<std::uint32_t>(len);
    // llhttp's loose build lets SP anywhere in a name through ("Host :",
    // "Ho st"); it refuses HTAB itself.
    if (has_space(at, len)) return stop(r, 400, "whitespace in field name");
    // A piece that does not continue the last name starts a new field.
    const bool new_field = begin != r.name_end_ || (r.fields_.empty() && !r.head_done_);
    r.name_end_ = begin + n;
    if (r.head_done_) {  // a trailer: checked and counted, not kept
      if (new_field) {
        if (n == 0) return stop(r, 400, "empty field name");  // ": v" (a field-name is a token)
        if (r.fields_.size() + r.trailer_fields_ >= r.limits_.max_headers) return stop(r, 431, "too many header fields");
        ++r.trailer_fields_;
        r.value_open_ = false;
        if (const int e = add_trailer_bytes(r, 4)) return e;  // ": " and CRLF
      }
      return add_trailer_bytes(r, len);
    }
    if (r.name_end_ > r.limits_.max_header_bytes) return stop(r, 431, "header section too large");
    r.span_end_ = r.name_end_;
    if (new_field) {
      if (r.fields_.empty() && begin != r.version_end_ + 2) return stop(r, 400, "request line must end in CRLF");
      if (r.fields_.size() >= r.limits_.max_headers) return stop(r, 431, "too many header fields");
      r.fields_.push_back({{begin, n}, {0, 0}});
      r.value_open_ = false;
    } else {
      r.fields_.back().name.len += n;
    }
    return 0;
  }

  static int on_header_value(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    const std::uint32_t begin = offset(r, at);
    const auto n = static_cast<std::uint32_t>(len);
    // Pieces of one value are contiguous unless llhttp skipped a line break:
    // that is obs-fold (RFC 9112 5.2), which a server may reject.
    if (r.value_open_ && begin != r.value_end_) return stop(r, 400, "obs-fold in header");
    // llhttp 8.1 passes a line with an empty name (": v") as a zero-length
    // name span (finish_head answers 400); a value with no field at all
    // would be a bug in that assumption, so it is refused, never appended.
    if (!r.head_done_ && r.fields_.empty()) return stop(r, 400, "field value without a name");
    // The other obs-fold: "Name:\r\n value". llhttp skips the empty first
    // line and reports the folded part as the whole value, so only the bytes
    // between the colon and the value tell (OWS is all they may hold).
    if (!r.value_open_ && !r.head_done_ && n > 0) {
      for (std::uint32_t o = r.name_end_ + 1; o < begin; ++o) {
        const char c = head_byte(r, o);
        if (c == '\r' || c == '\n') return stop(r, 400, "obs-fold in header");
      }
    }
    r.value_end_ = begin + n;
    // NUL, CR, LF and the other controls in a value llhttp refuses itself
    // (HPE_INVALID_HEADER_TOKEN), so there is no second scan of the bytes here.
    if (r.head_done_) {
      r.value_open_ = true;
      return add_trailer_bytes(r, len);
    }
    if (r.value_end_ > r.limits_.max_header_bytes) return stop(r, 431, "header section too large");
    r.span_end_ = r.value_end_;
    request_parser::slice& v = r.fields_.back().value;
    if (!r.value_open_) {
      r.value_open_ = true;
      v.off = begin;
    }
    v.len += n;
    return 0;
  }

  static int add_trailer_bytes(request_parser& r, std::size_t len) noexcept {
    r.trailer_bytes_ += len;
    if (r.head_size_ + r.trailer_bytes_ > r.limits_.max_header_bytes) return stop(r, 431, "trailer section too large");
    return 0;
  }

  // The head's bytes, up to the end of its last span, into the arena: one
  // copy from this feed (arena_ already holds the earlier feeds' bytes).
  static void keep_head_bytes(request_parser& r) {
    if (r.span_end_ > r.fed_) r.arena_.append(r.base_, static_cast<std::size_t>(r.span_end_ - r.fed_));
  }

  static int on_headers_complete(llhttp_t* p) noexcept {
    request_parser& r = self(p);
    r.head_done_ = true;
    if (!r.version_started_) return stop(r, 400, "malformed request line");
    keep_head_bytes(r);
    if (r.finish_head(p->http_major, p->http_minor) != 0) return -1;
    // Stop here only if a body follows: a bodyless message goes straight on
    // to on_message_complete and is delivered as one `complete` event.
    return r.head_.has_body() ? HPE_PAUSED : 0;
  }

  // Chunk extensions are ignored (RFC 9112 7.1.1) but still bounded: one
  // chunk line may carry no more of them than a request line may be long,
  // or a client could stream an endless line that never yields a byte of body.
  static int on_chunk_extension(llhttp_t* p, const char*, std::size_t len) noexcept {
    request_parser& r = self(p);
    r.chunk_ext_bytes_ += len;
    if (r.chunk_ext_bytes_ > r.limits_.max_request_line) return stop(r, 400, "chunk extensions too long");
    return 0;
  }

  // llhttp 8.1 consumes the ';' that ends an unquoted extension value and
  // then expects one, so "5;a=b;c=d" would be refused ("Invalid character
  // in chunk size") though RFC 9112 7.1.1 allows it. The value callback
  // sees that ';' (the byte after the span's last piece, when it is in this
  // feed); the value's completion then pauses llhttp -- in the state that
  // takes a ';' next -- and feed() resumes it from the ';' again. A value
  // with a quoted part keeps its ';' and is left alone.
  static int on_chunk_extension_value(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    // A quote anywhere (llhttp also opens a quoted part mid-token: c"=b;d")
    // means the value ends on llhttp's quoted path, which keeps the ';'.
    if (len > 0 && std::memchr(at, '"', len) != nullptr) r.ext_value_quoted_ = true;
    r.ext_value_len_ += static_cast<std::uint32_t>(len);
    r.ext_refeed_ = !r.ext_value_quoted_ && r.ext_value_len_ > 0 && at + len < r.end_ && at[len] == ';';
    return on_chunk_extension(p, at, len);
  }
  static int on_chunk_extension_value_complete(llhttp_t* p) noexcept {
    request_parser& r = self(p);
    r.ext_value_quoted_ = false;
    r.ext_value_len_ = 0;
    return r.ext_refeed_ ? HPE_PAUSED : 0;
  }

  static int on_chunk_header(llhttp_t* p) noexcept {
    request_parser& r = self(p);  // llhttp keeps the chunk size in content_length
    r.chunk_ext_bytes_ = 0;       // the next chunk line starts afresh
    if (p->content_length > r.body_limit_ - std::min<std::uint64_t>(r.body_total_, r.body_limit_))
      return stop(r, 413, "chunked body above the body limit");
    return 0;
  }

  static int on_body(llhttp_t* p, const char* at, std::size_t len) noexcept {
    request_parser& r = self(p);
    r.body_total_ += len;
    if (r.body_total_ > r.body_limit_) return stop(r, 413, "body above the body limit");
    std::string& b = r.body_;
    if (b.capacity() < b.size() + len + 64) {
      // Content-Length: one reservation for the whole body. Chunked: double.
      const std::uint64_t known = r.head_.content_length.value_or(0);
      b.reserve(std::max<std::size_t>({b.size() + len + 64, 2 * b.capacity(), known + 64}));
    }
    b.append(at, len);
    r.body_appended_ = true;
    // llhttp counts a chunk's remaining size down in content_length: at zero
    // the chunk's data ends here and its CRLF comes next.
    if ((p->flags & F_CHUNKED) != 0 && p->content_length == 0)
      r.chunk_crlf_at_ = r.fed_ + static_cast<std::uint64_t>(at + len - r.base_);
    return 0;
  }

  // The byte at message offset `off` of an incomplete head: earlier feeds'
  // bytes are in the arena, the current feed's at base_.
  static char head_byte(const request_parser& r, std::uint32_t off) noexcept {
    return off < r.fed_ ? r.arena_[off] : r.base_[off - r.fed_];
  }

  // The byte at message offset `off`, which llhttp has consumed: in the
  // current feed, or among the last two bytes of earlier ones (tail_).
  static char consumed_byte(const request_parser& r, std::uint64_t off) noexcept {
    if (off >= r.fed_) return r.base_[off - r.fed_];
    const std::uint64_t back = r.fed_ - off;
    return back <= 2 ? r.tail_[2 - back] : '\0';
  }

  // Called after a chunk's data and the two bytes that must end it (RFC 9112
  // 7.1), and once more after the last chunk's trailers (no data: nothing to
  // check). "5\r\nhelloXY0..." would otherwise be read as a valid chunk.
  static int on_chunk_complete(llhttp_t* p) noexcept {
    request_parser& r = self(p);
    const std::uint64_t at = std::exchange(r.chunk_crlf_at_, request_parser::no_chunk_crlf);
    if (at == request_parser::no_chunk_crlf) return 0;
    if (consumed_byte(r, at) != '\r' || consumed_byte(r, at + 1) != '\n')
      return stop(r, 400, "chunk data not followed by CRLF");
    return 0;
  }

  static int on_message_complete(llhttp_t* p) noexcept {
    request_parser& r = self(p);
    r.complete_ = true;
    r.in_message_ = false;
    return HPE_PAUSED;
  }

  // llhttp has no table entry for this method. Well-formed tokens followed by
  // SP get 501 (RFC 9110 9.1), anything else 400. `in` continues the method;
  // sniffed_ counts the token bytes before it.
  // fed_ counts every byte of the message so far (empty lines before it
  // included), so the request-line budget is the same however it is split.
  static parse_event sniff_method(request_parser& r, std::string_view in, std::size_t& consumed) noexcept {
    r.sniffing_ = true;
    r.in_message_ = true;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const char c = in[i];
      if (ascii::is_tchar(c)) {
        ++r.sniffed_;
        if (r.fed_ + i + 1 > r.limits_.max_request_line) return error_at(r, 414, "request line too long", i, consumed);
      } else if ((c == '\r' || c == '\n') && r.sniffed_ == 0) {
        continue;  // empty lines before a request (RFC 9112 2.2)
      } else {
        const bool token_done = r.sniffed_ > 0 && c == ' ';
        return error_at(r, token_done ? 501 : 400, token_done ? "method not implemented" : "invalid method", i,
                        consumed);
      }
    }
    consumed = in.size();
    r.fed_ += in.size();
    return parse_event::need_more;
  }

  static parse_event error_at(request_parser& r, int status, std::string_view reason, std::size_t pos,
                              std::size_t& consumed) noexcept {
    r.fail(status, reason);
    consumed = pos;
    return parse_event::error;
  }

  // The byte `back` places before in[pos], looking into earlier feeds.
  static char byte_before(const request_parser& r, std::string_view in, std::size_t pos, std::size_t back) noexcept {
    return pos >= back ? in[pos - back] : r.tail_[2 - (back - pos)];
  }
  static bool ends_in_crlf(const request_parser& r, std::string_view in, std::size_t pos) noexcept {
    return byte_before(r, in, pos, 2) == '\r' && byte_before(r, in, pos, 1) == '\n';
  }
  static void keep_tail(request_parser& r, std::string_view in) noexcept {
    if (in.size() >= 2) {
      r.tail_[0] = in[in.size() - 2];
      r.tail_[1] = in.back();
    } else if (!in.empty()) {
      r.tail_[0] = r.tail_[1];
      r.tail_[1] = in.back();
    }
  }

  static int map_llhttp_error(request_parser& r, llhttp_t* p, llhttp_errno_t err) noexcept {
    const char* why = llhttp_get_error_reason(p);
    const std::string_view reason = why ? std::string_view(why) : std::string_view("malformed request");
    switch (err) {
      case HPE_INVALID_VERSION:
        // Both digits read but not 1.0/1.1 -> 505; "HTTP/1.x" -> 400. The
        // reason text is the only thing that tells these apart in 8.1.
        return r.fail(reason == "Invalid HTTP version" ? 505 : 400, reason);
      case HPE_PAUSED_H2_UPGRADE:  // "PRI * HTTP/2.0": prior-knowledge HTTP/2
        return r.fail(505, "HTTP/2 not supported");
      default:
        return r.fail(400, reason);
    }
  }

  static parse_event feed(request_parser& r, std::string_view in, std::size_t& consumed) noexcept {
    consumed = 0;
    if (r.status_ != 0) return parse_event::error;
    if (r.complete_) return parse_event::complete;  // until next()
    if (r.sniffing_) return sniff_method(r, in, consumed);
    if (in.empty()) return parse_event::need_more;
    // A message starts here: the common whole bodyless head skips llhttp.
    if (!r.in_message_ && r.fed_ == 0) {
      switch (fast_head::parse(r, in, consumed)) {
        case fast_result::complete:
          return parse_event::complete;
        case fast_result::error:
          return parse_event::error;
        case fast_result::declined:
          break;
      }
    }

    llhttp_t* p = ll(r);
    p->data = &r;  // the parser may have moved since the last feed
    r.body_appended_ = false;
    if (r.paused_) {
      llhttp_resume(p);
      r.paused_ = false;
    }
    // `in` and the offsets below start after any bytes consumed before an
    // extension re-feed (`skipped`, see on_chunk_extension_value).
    const std::string_view whole = in;
    std::size_t skipped = 0;
    llhttp_errno_t err;
    for (;;) {
      r.base_ = in.data();
      r.end_ = in.data() + in.size();
      err = llhttp_execute(p, in.data(), in.size());
      if (err != HPE_PAUSED || !r.ext_refeed_) break;
      r.ext_refeed_ = false;
      llhttp_resume(p);
      const std::size_t semicolon = static_cast<std::size_t>(llhttp_get_error_pos(p) - in.data()) - 1;
      r.fed_ += semicolon;
      keep_tail(r, in.substr(0, semicolon));
      skipped += semicolon;
      in = whole.substr(skipped);
    }

    if (err == HPE_OK) {  // all of `in` used, no pause
      consumed = skipped + in.size();
      keep_tail(r, in);
      if (r.head_done_) {
        r.fed_ += in.size();
        return r.body_appended_ ? parse_event::body : parse_event::need_more;
      }
      // Empty lines before a request (RFC 9112 2.2) are skipped by llhttp
      // but still count toward the request line, however the bytes are
      // split into feeds: an endless run of them ends in 414, as it does
      // in nginx's header buffer.
      r.fed_ += in.size();
      // Whitespace runs produce no callback; bound them here.
      if (!r.version_started_ && r.fed_ > r.limits_.max_request_line + 2) return error_at(r, 414, "request line too long", consumed, consumed);
      if (r.fed_ > r.limits_.max_header_bytes) return error_at(r, 431, "header section too large", consumed, consumed);
      r.arena_.append(in);  // a head that spans feeds: keep its bytes so far
      return parse_event::need_more;
    }

    const char* pos_ptr = llhttp_get_error_pos(p);
    const std::size_t pos = pos_ptr ? static_cast<std::size_t>(pos_ptr - in.data()) : 0;
    consumed = skipped + pos;
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
      r.paused_ = err == HPE_PAUSED;
      if (r.head_done_ && r.head_size_ == 0) {  // the head ended in this feed
        r.head_size_ = r.fed_ + pos;
        if (!ends_in_crlf(r, in, pos)) return error_at(r, 400, "header section must end in CRLF", pos, consumed);
        // Without fields, on_header_field never checked the request line's end.
        if (r.fields_.empty() && r.head_size_ != r.version_end_ + 4)
          return error_at(r, 400, "request line must end in CRLF", pos, consumed);
        if (r.head_size_ > r.limits_.max_header_bytes) return error_at(r, 431, "header section too large", pos, consumed);
      } else if (r.complete_ && r.head_.chunked && !ends_in_crlf(r, in, pos)) {
        return error_at(r, 400, "trailer section must end in CRLF", skipped + pos, consumed);
      }
      r.fed_ += pos;
      keep_tail(r, in.substr(0, pos));  // the next feed starts at `pos`
      if (r.complete_) return parse_event::complete;
      return r.body_appended_ ? parse_event::body : parse_event::head;
    }

    if (r.status_ == 0 && err == HPE_INVALID_METHOD && r.url_.len == 0) {
      // llhttp refused the method at `pos`. The token bytes before it are in
      // method_ (earlier feeds, or all of it once llhttp matched a table entry
      // as in "GETX"), or in this feed after the part method_ reported.
      r.sniffed_ = r.method_.len;
      const std::size_t reported = r.method_end_ > r.fed_ ? static_cast<std::size_t>(r.method_end_ - r.fed_) : 0;
      for (std::size_t i = std::min(reported, pos); i < pos; ++i) r.sniffed_ += in[i] != '\r' && in[i] != '\n';
      r.fed_ += pos;
      std::size_t used = 0;
      const parse_event e = sniff_method(r, in.substr(pos), used);
      consumed = pos + used;
      return e;
    }
    if (r.status_ == 0) map_llhttp_error(r, p, err);
    return parse_event::error;
  }
};

namespace {

// llhttp keeps a pointer to its settings: one static table for all parsers.
const llhttp_settings_t* settings() noexcept {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t t;
    llhttp_settings_init(&t);
    t.on_method = llhttp_glue::on_method;
    t.on_url = llhttp_glue::on_url;
    t.on_version = llhttp_glue::on_version;
    t.on_header_field = llhttp_glue::on_header_field;
    t.on_header_value = llhttp_glue::on_header_value;
    t.on_headers_complete = llhttp_glue::on_headers_complete;
    t.on_chunk_header = llhttp_glue::on_chunk_header;
    t.on_body = llhttp_glue::on_body;
    t.on_chunk_complete = llhttp_glue::on_chunk_complete;
    t.on_message_complete = llhttp_glue::on_message_complete;
    t.on_chunk_extension_name = llhttp_glue::on_chunk_extension;
    t.on_chunk_extension_value = llhttp_glue::on_chunk_extension_value;
    t.on_chunk_extension_value_complete = llhttp_glue::on_chunk_extension_value_complete;
    // Nothing else: every callback costs a call per message, and the spans
    // above tell where each part ends. llhttp checks the extensions' syntax;
    // their callbacks only count bytes (on_chunk_extension).
    return t;
  }();
  return &s;
}

}  // namespace

static_assert(sizeof(llhttp_t) <= 128 && alignof(llhttp_t) <= 8, "request_parser::llhttp_ is too small");

request_parser::request_parser(const limits& l) : limits_(l), body_limit_(l.max_body) {
  llhttp_t* p = ::new (static_cast<void*>(llhttp_)) llhttp_t{};
  llhttp_init(p, HTTP_REQUEST, settings());
  p->lenient_flags |= LENIENT_VERSION;  // no setter in 8.1; llhttp_reset() keeps it
  p->data = this;
}

parse_event request_parser::feed(std::string_view in, std::size_t& consumed) {
  return llhttp_glue::feed(*this, in, consumed);
}

void request_parser::next() noexcept {
  if (status_ != 0) return;  // errors are sticky: the connection closes
  if (fast_) {
    // fast_head read this message; llhttp never saw it and is still where
    // the previous message left it: at a message start, paused or fresh.
    const bool paused = paused_;
    clear_message();
    paused_ = paused;
    return;
  }
  llhttp_t* p = llhttp_glue::ll(*this);
  // The common case -- a kept-alive message that llhttp paused at its end --
  // just resumes: llhttp is already at the start of the next message. After
  // an upgrade, CONNECT or "Connection: close" llhttp would refuse more
  // bytes (HPE_PAUSED_UPGRADE, HPE_CLOSED_CONNECTION), and whether to go on
  // is the connection's decision, not llhttp's: those start afresh.
  const bool resume = paused_ && p->upgrade == 0 && llhttp_should_keep_alive(p) != 0;
  clear_message();
  if (resume) {
    paused_ = true;  // llhttp_resume at the next feed
  } else {
    llhttp_reset(p);
  }
}

bool request_parser::error_for_head() const noexcept {
  // finish_head() set the head's method: it says. Before that, llhttp stored the
  // method once its token matched, and a four-byte method_ shows that the
  // token it matched is this message's, not the previous one's -- unless
  // the token went on ("HEADER"): then llhttp refused it, and we sniffed.
  if (!head_.method.empty()) return head_.method == "HEAD";
  const auto* p = std::launder(reinterpret_cast<const llhttp_t*>(llhttp_));
  return method_.len == 4 && !sniffing_ && p->method == HTTP_HEAD;
}

void request_parser::reset() noexcept {
  status_ = 0;
  reason_ = {};
  clear_message();
  llhttp_reset(llhttp_glue::ll(*this));
}

}  // namespace ringlane::http
