// The head rules: what RFC 9110/9112 say about a complete request head, and
// which status each violation gets. llhttp has checked the syntax by the time
// finish_head() runs (from its on_headers_complete callback); here we look at
// meaning: framing (Content-Length vs Transfer-Encoding), Host, the target
// form, connection persistence. The byte-level side is llhttp_adapter.cpp.
#include <array>

#include "http/ascii.hpp"
#include "http/proto/parser.hpp"
#include "http/proto/uri.hpp"

namespace ringlane::http {
namespace {

// The shape once the bytes are known to be authority bytes (RFC 9110 7.2,
// RFC 3986 3.2.2): "[" IP-literal "]" or a name without brackets or
// colons, then optionally ":" and digits only.
bool valid_host_shape(std::string_view h) noexcept {
  const std::size_t n = h.size();
  std::size_t i = 0;
  if (n > 0 && h[0] == '[') {
    for (i = 1; i < n && h[i] != ']'; ++i)
      if (h[i] == '[') return false;
    if (i == n || i < 2) return false;  // unclosed, or "[]"
    ++i;
  } else {
    for (; i < n && h[i] != ':'; ++i)
      if (h[i] == '[' || h[i] == ']') return false;
  }
  if (i == n) return true;
  if (h[i] != ':') return false;  // "[::1]x"
  for (++i; i < n; ++i)
    if (h[i] < '0' || h[i] > '9') return false;  // also a second ':'
  return true;
}

// Host is an authority; bytes outside one (a '/', '@', '\\', spaces) are how
// host-confusion attacks start, so they are refused here, not in handlers,
// and so is a malformed one ("a:b", "[::1", "a:1:2"): RFC 9110 7.2 makes an
// invalid Host a 400.
// Four bytes per step without a branch each: a valid Host (the only kind
// that matters for speed) is read to its end anyway, and only one with a
// ':' or a bracket has its shape checked.
bool valid_host(std::string_view h) noexcept {
  const char* p = h.data();
  std::size_t n = h.size();
  unsigned ok = 1, delims = 0;
  for (; n >= 4; p += 4, n -= 4) {
    const unsigned a = ascii::host_class(p[0]), b = ascii::host_class(p[1]), c = ascii::host_class(p[2]),
                   d = ascii::host_class(p[3]);
    ok &= a & b & c & d;
    delims |= a | b | c | d;
  }
  for (; n > 0; ++p, --n) {
    const unsigned a = ascii::host_class(*p);
    ok &= a;
    delims |= a;
  }
  if (ok == 0) return false;
  return (delims & 2) == 0 || valid_host_shape(h);  // a bare name or address needs no more
}

// One pass over an origin-form target: where the path ends ('?' or '#',
// npos if neither) and whether the path needs decoding ('%' or a "/."
// that may start a dot-segment). Bytes that are none of "?#%." cost one
// table load each.
struct target_scan {
  std::size_t path_end;
  bool needs_decoding;
};
target_scan scan_target(std::string_view s) noexcept {
  static constexpr auto special = [] {
    std::array<bool, 256> t{};
    t['?'] = t['#'] = t['%'] = t['.'] = true;
    return t;
  }();
  bool decode = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!special[static_cast<unsigned char>(c)]) continue;
    if (c == '?' || c == '#') return {i, decode};
    decode |= c == '%' || (i > 0 && s[i - 1] == '/');  // '.' after '/'
  }
  return {std::string_view::npos, decode};
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && ascii::iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

int request_parser::fail(int status, std::string_view reason) noexcept {
  if (status_ == 0) {  // the first error wins; later ones are consequences
    status_ = status;
    reason_ = reason;
  }
  return status_;
}

int request_parser::finish_head(std::uint8_t major, std::uint8_t minor) noexcept {
  // llhttp's version check is off (LENIENT_VERSION): any digit.digit
  // arrives here. Another major is 505; a higher 1.x minor is served as
  // 1.1, the highest we speak (RFC 9110 2.5).
  if (major != 1) return fail(505, "HTTP version not supported");
  if (minor > 1) minor = 1;
  head_.version_minor = minor;

  // Reserve room for the decoded path first: it never outgrows the raw target,
  // so after this no append moves the arena under the views made below.
  arena_.reserve(arena_.size() + url_.len + 1);
  const char* a = arena_.data();
  head_.method = {a + method_.off, method_.len};
  head_.target = {a + url_.off, url_.len};
  // One pass: make each field's views (llhttp strips a value's leading OWS
  // but reports the trailing one) and look at the few names that decide
  // framing and persistence; the switch on length keeps most fields to one
  // compare.
  head_.headers.reserve(fields_.size());
  std::size_t hosts = 0, lengths = 0;
  bool te = false, te_chunked_last = false, te_chunked_twice = false, te_unknown = false;
  bool conn_close = false, conn_keep_alive = false, conn_upgrade = false, upgrade_header = false;
  std::uint64_t length = 0;
  for (const raw_field& raw : fields_) {
    if (raw.name.len == 0) return fail(400, "empty field name");  // llhttp 8.1 passes ": v"
    std::uint32_t n = raw.value.len;
    while (n > 0 && (a[raw.value.off + n - 1] == ' ' || a[raw.value.off + n - 1] == '\t')) --n;
    const header_field& f = head_.headers.emplace_back(
        header_field{{a + raw.name.off, raw.name.len}, {a + raw.value.off, n}});
    switch (f.name.size()) {
      case 4:
        if (ascii::token_iequals(f.name, "host")) {
          ++hosts;
          head_.host = f.value;
        }
        break;
      case 6:
        if (ascii::token_iequals(f.name, "expect")) {
          // 100-continue is the only expectation there is (RFC 9110 10.1.1);
          // any other we cannot meet, and say so before the body is read.
          if (!ascii::iequals(f.value, "100-continue")) return fail(417, "unsupported expectation");
          head_.expect_continue = minor == 1;  // 1.0 clients never wait
        }
        break;
      case 7:
        if (ascii::token_iequals(f.name, "upgrade")) upgrade_header = true;
        break;
      case 10:
        if (ascii::token_iequals(f.name, "connection"))
          ascii::for_each_list_item(f.value, [&](std::string_view t) {
            conn_close |= ascii::iequals(t, "close");
            conn_keep_alive |= ascii::iequals(t, "keep-alive");
            conn_upgrade |= ascii::iequals(t, "upgrade");
            return true;
          });
        break;
      case 14:
        if (ascii::token_iequals(f.name, "content-length")) {
          // Digits only: no sign, no list ("5, 5"), no spaces (RFC 9110
          // 8.6). llhttp checked this already; the rule stays next to its status.
          if (++lengths > 1 || !ascii::parse_digits(f.value, length))
            return fail(400, "invalid Content-Length");
        }
        break;
      case 17:
        if (ascii::token_iequals(f.name, "transfer-encoding")) {
          te = true;
          te_chunked_last = false;  // a later field's codings follow this one's
          ascii::for_each_list_item(f.value, [&](std::string_view coding) {
            const bool chunked = ascii::iequals(coding, "chunked");
            te_chunked_twice |= chunked && te_chunked_last;
            te_unknown |= !chunked;
            te_chunked_last = chunked;
            return true;
          });
        }
        break;
      default:
        break;
    }
  }

  if (const int s = check_target(head_.method, head_.target)) return s;
  if (hosts > 1) return fail(400, "more than one Host");
  if (hosts == 0 && minor == 1) return fail(400, "missing Host");
  if (!valid_host(head_.host)) return fail(400, "invalid Host");

  // Framing (RFC 9112 6.1-6.3). Any doubt about where the body ends is a
  // 400: two parsers disagreeing on it is what request smuggling exploits.
  // CONNECT has no content (RFC 9110 9.3.6), and llhttp turns the bytes
  // after its head into a tunnel: a body there could only be misread.
  if ((te || (lengths && length > 0)) && head_.method == "CONNECT") return fail(400, "CONNECT with content");
  if (te) {
    if (minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
    if (lengths) return fail(400, "Content-Length with Transfer-Encoding");
    if (!te_chunked_last || te_chunked_twice) return fail(400, "Transfer-Encoding must end in one chunked");
    if (te_unknown) return fail(501, "unsupported transfer coding");
    head_.chunked = true;
  } else if (lengths) {
    head_.content_length = length;
    if (length > body_limit_) return fail(413, "Content-Length above the body limit");
  }

  head_.keep_alive = minor == 1 ? !conn_close : (conn_keep_alive && !conn_close);
  head_.upgrade = conn_upgrade && upgrade_header;
  return 0;
}

// The four request-target forms (RFC 9112 3.2). Sets path, query and, for
// absolute-form and CONNECT, host (the target's authority overrides Host).
int request_parser::check_target(std::string_view method, std::string_view target) noexcept {
  if (target.empty()) return fail(400, "empty request-target");
  if (target == "*") {
    if (method != "OPTIONS") return fail(400, "asterisk-form is for OPTIONS only");
    head_.path = target;
    return 0;
  }
  if (method == "CONNECT") {
    // authority-form: host:port and nothing else. We do not tunnel; the
    // handler sees path "" and host = the authority, and decides.
    const std::size_t colon = target.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size() ||
        target.find_first_of("/?#@") != std::string_view::npos)
      return fail(400, "CONNECT needs authority-form");
    head_.host = target;
    head_.path = {};
    return 0;
  }

  std::string_view rest = target;
  if (target.front() != '/') {
    // absolute-form: only our own schemes; a proxy request for ftp:// is 400.
    std::size_t skip = 0;
    if (starts_with_nocase(target, "http://")) skip = 7;
    else if (starts_with_nocase(target, "https://")) skip = 8;
    else return fail(400, "invalid request-target");
    rest = target.substr(skip);
    const std::size_t end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, end);
    if (authority.empty() || authority.find('@') != std::string_view::npos)
      return fail(400, "invalid authority in request-target");
    head_.host = authority;
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }

  const auto [q, needs_decoding] = scan_target(rest);
  const std::string_view raw_path = rest.substr(0, q);
  if (q != std::string_view::npos && rest[q] == '?') {
    const std::string_view after = rest.substr(q + 1);
    head_.query = after.substr(0, after.find('#'));
  }
  if (raw_path.empty()) {  // "http://host" or "http://host?q"
    head_.path = "/";
    return 0;
  }
  // Fast path: nothing to decode and no dot-segment -> a view of the target.
  if (!needs_decoding) {
    head_.path = raw_path;
    return 0;
  }
  const std::size_t base = arena_.size();
  if (!decode_path_append(raw_path, arena_)) return fail(400, "invalid path");
  head_.path = {arena_.data() + base, arena_.size() - base};
  return 0;
}

namespace {
// Frees the block of an empty `c` when it holds more than `keep` bytes.
// (Not `c = C()`: moving an empty std::string in keeps the old block.)
template <class C>
void release_if_above(C& c, std::size_t keep) noexcept {
  if (c.capacity() * sizeof(typename C::value_type) > keep) {
    c.clear();
    c.shrink_to_fit();
  }
}
}  // namespace

void request_parser::release_memory(std::size_t keep) noexcept {
  if (in_message_ || complete_ || status_ != 0) return;  // head() or body() may be in use
  release_if_above(arena_, keep);
  release_if_above(fields_, keep);
  release_if_above(head_.headers, keep);
  release_if_above(body_, keep);
}

std::size_t request_parser::retained_bytes() const noexcept {
  return arena_.capacity() + fields_.capacity() * sizeof(raw_field) +
         head_.headers.capacity() * sizeof(header_field) + body_.capacity();
}

void request_parser::clear_message() noexcept {
  arena_.clear();
  fields_.clear();
  head_.clear();
  body_.clear();
  body_limit_ = limits_.max_body;
  body_total_ = 0;
  fed_ = 0;
  base_ = end_ = nullptr;
  method_ = url_ = {};
  method_end_ = url_end_ = version_end_ = name_end_ = value_end_ = span_end_ = 0;
  head_size_ = trailer_bytes_ = chunk_ext_bytes_ = 0;
  chunk_crlf_at_ = no_chunk_crlf;
  trailer_fields_ = 0;
  sniffed_ = 0;
  tail_[0] = tail_[1] = 0;
  paused_ = ext_value_quoted_ = ext_refeed_ = in_message_ = false;
  ext_value_len_ = 0;
  version_started_ = value_open_ = false;
  head_done_ = complete_ = body_appended_ = sniffing_ = fast_ = false;
}

}  // namespace ringlane::http
