// serialize.hpp -- a response object to HTTP/1.1 bytes.
//
//   std::string out;                               // the connection's send buffer
//   write_response(out, r, {.keep_alive = true});  // appends; never clears `out`
//
// gives, for r.body("Hello, World!") and a content-type set by the handler:
//
//   HTTP/1.1 200 OK\r\n
//   content-type: text/plain\r\n                   <- the handler's fields, as given
//   Server: ringlane\r\n                           <- then ours, unless it set them
//   Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n
//   Content-Length: 13\r\n
//   \r\n
//   Hello, World!
//
// Rules, and why:
//   * The engine frames the message. A Content-Length or Transfer-Encoding
//     field set by the handler is dropped: a wrong one desynchronises the
//     connection (request smuggling's mirror image), and the engine knows
//     the real length. Streaming responses use write_stream_head().
//   * No body for HEAD, 1xx, 204 or 304 (RFC 9110 sections 9.3.2, 15.2,
//     15.3.5, 15.4.5). HEAD still gets the Content-Length the GET would
//     have had (the body's size); 1xx, 204 and 304 get none.
//   * Connection. When keep_alive is false we are going to close, so the
//     wire must say so: "Connection: close", replacing any Connection field
//     the handler set. When keep_alive is true, a handler's own Connection
//     field is sent as is (the server must honour a "close" it finds there),
//     else HTTP/1.1 needs nothing and an HTTP/1.0 client gets
//     "Connection: keep-alive" (1.0 defaults to closing).
//   * We always answer "HTTP/1.1" (RFC 9110 section 2.5: the highest minor
//     version we support), whatever the client spoke.
//   * Server and Date are added unless the handler set them; an empty
//     `server` option leaves Server out.
//
// Each call sizes `out` once for the head, writes it through a pointer and
// appends the body, so a small response costs one memcpy per piece.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/response/response.hpp"

namespace ringlane::http {

struct write_options {
  bool keep_alive = true;          // false -> "Connection: close"
  bool head_request = false;       // HEAD: every header, no body
  std::string_view server = "ringlane";
  std::uint8_t version_minor = 1;  // the client's HTTP/1.x
};

// Appends the complete response. A status outside 100..999 is sent as 500.
void write_response(std::string& out, const response& r, const write_options& o);

// Appends the head of a streamed response; the body follows as chunks.
// HTTP/1.1: "Transfer-Encoding: chunked". HTTP/1.0 has no chunked coding,
// so the body is delimited by closing: no framing field, "Connection:
// close" (the server must then close after the body, and send the data
// without chunk framing). r.body() is not written; send it as a chunk. For
// HEAD, 1xx, 204 and 304 the server sends no chunks at all.
void write_stream_head(std::string& out, const response& r, const write_options& o);

// Appends the head of a response whose body of `length` bytes follows
// separately (a file sent piece by piece): "Content-Length: <length>".
// r.body() is not written. HEAD, 1xx, 204 and 304 get their usual framing.
void write_sized_head(std::string& out, const response& r, const write_options& o, std::uint64_t length);

// "<size in hex>\r\n<data>\r\n". Empty data writes nothing: a zero-size
// chunk would end the body.
void write_chunk(std::string& out, std::string_view data);

// The last chunk with no trailers: "0\r\n\r\n".
void write_last_chunk(std::string& out);

// A minimal response for errors the engine answers itself (400, 408, 413,
// 414, 431, 500, 501, 505): text/plain, the reason phrase as the body,
// "Connection: close" unless keep_alive. To a HEAD request (head_request)
// the same head without the body (RFC 9110 9.3.2).
void write_error(std::string& out, int status, bool keep_alive = false, bool head_request = false);

}  // namespace ringlane::http
