// serialize.cpp -- see serialize.hpp.
//
// The head is written through a raw pointer into a buffer sized by a true
// upper bound (emit()), then the body is appended into capacity reserved
// with it: at most one allocation per call, none once `out` has grown.
#include "http/response/serialize.hpp"

#include <charconv>
#include <cstring>

#include "http/ascii.hpp"
#include "http/response/date_cache.hpp"
#include "http/response/status.hpp"

namespace ringlane::http {
namespace {

enum class framing { length, chunked, none };

// Which of the fields we would add the handler already set.
enum seen_bits : unsigned { seen_server = 1, seen_date = 2, seen_connection = 4 };

// Most pieces of a head are a few bytes long, and a call into libc's
// memcpy for each costs more than the copy. Short copies are done inline
// with two overlapping loads and stores; literals get a constant size and
// the compiler inlines those anyway.
[[gnu::always_inline]] inline char* put(char* p, std::string_view s) noexcept {
  const char* src = s.data();
  std::size_t n = s.size();
  if (n >= 8 && n <= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) p[i] = src[i];
  } else {
    std::memcpy(p, src, n);
  }
  return p + n;
}

char* put_decimal(char* p, std::size_t v) noexcept {
  return std::to_chars(p, p + 20, v).ptr;  // 20 digits hold any 64-bit value
}

bool body_forbidden(int code) noexcept { return code < 200 || code == 204 || code == 304; }

int wire_status(int code) noexcept { return (code >= 100 && code <= 999) ? code : 500; }

char* put_status_line(char* p, int code) noexcept {
  if (code == 200) return put(p, "HTTP/1.1 200 OK\r\n");  // most responses: one 17-byte copy
  p = put(p, "HTTP/1.1 ");
  p[0] = static_cast<char>('0' + code / 100);
  p[1] = static_cast<char>('0' + code / 10 % 10);
  p[2] = static_cast<char>('0' + code % 10);
  p[3] = ' ';
  p = put(p + 4, reason_phrase(code));
  return put(p, "\r\n");
}

// Room for everything except the handler's fields, the reason and the body.
constexpr std::size_t fixed_head_bound =
    sizeof("HTTP/1.1 200 \r\n") + sizeof("Server: \r\n") + sizeof("Date: \r\n") + http_date_size +
    sizeof("Content-Length: \r\n") + 20 + sizeof("Transfer-Encoding: chunked\r\n") +
    sizeof("Connection: keep-alive\r\n") + sizeof("\r\n");

// The handler's fields, minus the framing ones (and Connection when we must
// replace it). Returns which of ours it set.
char* put_user_fields(char* p, const response& r, bool drop_connection, unsigned& seen) noexcept {
  r.for_each_header([&](std::string_view name, std::string_view value) {
    // Dispatch on length first: most names match none of these sizes.
    switch (name.size()) {
      case 4:
        if (ascii::iequals(name, "date")) seen |= seen_date;
        break;
      case 6:
        if (ascii::iequals(name, "server")) seen |= seen_server;
        break;
      case 10:
        if (ascii::iequals(name, "connection")) {
          seen |= seen_connection;
          if (drop_connection) {
            // We close: "close", then the handler's other options (an
            // Upgrade's "upgrade" must stay, RFC 9110 7.8), never keep-alive.
            p = put(p, "Connection: close");
            ascii::for_each_list_item(value, [&](std::string_view t) {
              if (!ascii::iequals(t, "close") && !ascii::iequals(t, "keep-alive")) {
                p = put(p, ", ");
                p = put(p, t);
              }
              return true;
            });
            p = put(p, "\r\n");
            return;
          }
        }
        break;
      case 14:
        if (ascii::iequals(name, "content-length")) return;
        break;
      case 17:
        if (ascii::iequals(name, "transfer-encoding")) return;
        break;
      default:
        break;
    }
    p = put(p, name);
    p = put(p, ": ");
    p = put(p, value);
    p = put(p, "\r\n");
  });
  return p;
}

enum class connection_field { none, close, keep_alive };

struct head_spec {
  int code;
  framing frame;
  std::size_t length;  // for framing::length
  connection_field conn;
  std::string_view server;
  std::string_view content_type;  // only write_error() sets one
};

// Our fields and the blank line that ends the head.
char* put_engine_fields(char* p, const head_spec& h, unsigned seen) noexcept {
  if (!h.content_type.empty()) {
    p = put(p, "Content-Type: ");
    p = put(p, h.content_type);
    p = put(p, "\r\n");
  }
  if (!(seen & seen_server) && !h.server.empty()) {
    p = put(p, "Server: ");
    p = put(p, h.server);
    p = put(p, "\r\n");
  }
  if (!(seen & seen_date)) {
    p = put(p, "Date: ");
    std::memcpy(p, http_date().data(), http_date_size);  // constant size: inlined
    p += http_date_size;
    p = put(p, "\r\n");
  }
  if (h.frame == framing::length) {
    p = put(p, "Content-Length: ");
    p = put_decimal(p, h.length);
    p = put(p, "\r\n");
  } else if (h.frame == framing::chunked) {
    p = put(p, "Transfer-Encoding: chunked\r\n");
  }
  if (!(seen & seen_connection)) {
    if (h.conn == connection_field::close) p = put(p, "Connection: close\r\n");
    if (h.conn == connection_field::keep_alive) p = put(p, "Connection: keep-alive\r\n");
  }
  return put(p, "\r\n");
}

char* put_head(char* p, const response* r, const head_spec& h) noexcept {
  p = put_status_line(p, h.code);
  unsigned seen = 0;
  if (r) p = put_user_fields(p, *r, h.conn == connection_field::close, seen);
  return put_engine_fields(p, h, seen);
}

// Writes the head and appends `body` (already empty when none may be sent).
void emit(std::string& out, const response* r, const head_spec& h, std::string_view body) {
  std::size_t bound = fixed_head_bound + reason_phrase(h.code).size() + h.server.size() +
                      sizeof("Content-Type: \r\n") + h.content_type.size() +
                      (r ? r->header_bytes() : 0);
  // Usual case: build the head on the stack. A small body (hello's 13
  // bytes) joins it there, so the response is one append; a larger one
  // follows in a second append into one reservation. Going through
  // out.resize() instead would zero-fill the bound first, which costs
  // about as much as writing the head.
  constexpr std::size_t stack_head = 1024;
  if (bound <= stack_head) {
    char head[stack_head];
    char* end = put_head(head, r, h);
    const std::size_t n = static_cast<std::size_t>(end - head);
    if (n + body.size() <= stack_head) {
      if (!body.empty()) std::memcpy(end, body.data(), body.size());
      out.append(head, n + body.size());
      return;
    }
    out.reserve(out.size() + n + body.size());
    out.append(head, n);
  } else {
    std::size_t start = out.size();
    out.reserve(start + bound + body.size());
    out.resize(start + bound);
    char* p = put_head(out.data() + start, r, h);
    out.resize(static_cast<std::size_t>(p - out.data()));
  }
  out.append(body);
}

connection_field connection_for(const write_options& o) noexcept {
  if (!o.keep_alive) return connection_field::close;
  return o.version_minor == 0 ? connection_field::keep_alive : connection_field::none;
}

}  // namespace

void write_response(std::string& out, const response& r, const write_options& o) {
  head_spec h{};
  h.code = wire_status(r.status());
  h.frame = body_forbidden(h.code) ? framing::none : framing::length;
  h.length = r.body().size();
  h.conn = connection_for(o);
  h.server = o.server;
  bool send_body = h.frame == framing::length && !o.head_request;
  emit(out, &r, h, send_body ? std::string_view(r.body()) : std::string_view());
}

void write_sized_head(std::string& out, const response& r, const write_options& o, std::uint64_t length) {
  head_spec h{};
  h.code = wire_status(r.status());
  h.frame = body_forbidden(h.code) ? framing::none : framing::length;
  h.length = static_cast<std::size_t>(length);
  h.conn = connection_for(o);
  h.server = o.server;
  emit(out, &r, h, {});
}

void write_stream_head(std::string& out, const response& r, const write_options& o) {
  head_spec h{};
  h.code = wire_status(r.status());
  h.server = o.server;
  if (o.version_minor == 0) {
    // No chunked coding in HTTP/1.0: the end of the body is the close.
    h.frame = framing::none;
    h.conn = connection_field::close;
  } else {
    h.frame = body_forbidden(h.code) ? framing::none : framing::chunked;
    h.conn = connection_for(o);
  }
  emit(out, &r, h, {});
}

void write_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char size[2 * sizeof(std::size_t) + 2];
  char* end = std::to_chars(size, size + sizeof(size), data.size(), 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  std::size_t head = static_cast<std::size_t>(end - size);
  out.reserve(out.size() + head + data.size() + 2);
  out.append(size, head);
  out.append(data);
  out.append("\r\n", 2);
}

void write_last_chunk(std::string& out) { out.append("0\r\n\r\n", 5); }

void write_error(std::string& out, int status, bool keep_alive, bool head_request) {
  head_spec h{};
  h.code = wire_status(status);
  std::string_view body = reason_phrase(h.code);
  h.frame = body_forbidden(h.code) ? framing::none : framing::length;
  h.length = body.size();
  h.conn = keep_alive ? connection_field::none : connection_field::close;
  h.server = "ringlane";
  if (h.frame == framing::length) h.content_type = "text/plain";
  emit(out, nullptr, h, h.frame == framing::length && !head_request ? body : std::string_view());
}

}  // namespace ringlane::http
