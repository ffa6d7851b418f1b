// Tests for http/response/serialize.hpp: exact bytes on the wire. The Date
// value changes every second, so each test swaps it for "<date>" after
// checking it is 29 bytes of the right shape.
#include "http/response/serialize.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "http/response/date_cache.hpp"

namespace ringlane::http {
namespace {

// Replaces the Date value with "<date>" (and fails if it is malformed).
std::string masked(std::string s) {
  std::size_t at = s.find("Date: ");
  if (at == std::string::npos) return s;
  at += 6;
  EXPECT_GE(s.size(), at + http_date_size + 2);
  EXPECT_EQ(s.substr(at + http_date_size, 2), "\r\n");
  EXPECT_EQ(s.substr(at + 25, 4), " GMT");
  s.replace(at, http_date_size, "<date>");
  return s;
}

std::string response_bytes(const response& r, const write_options& o = {}) {
  std::string out;
  write_response(out, r, o);
  return masked(out);
}

TEST(WriteResponse, HelloWorld) {
  response r;
  r.content_type("text/plain").body("Hello, World!");
  EXPECT_EQ(response_bytes(r),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain\r\n"
            "Server: ringlane\r\n"
            "Date: <date>\r\n"
            "Content-Length: 13\r\n"
            "\r\n"
            "Hello, World!");
}

TEST(WriteResponse, AppendsToWhatIsThere) {
  response r;
  std::string out = "previous";
  write_response(out, r, {.server = ""});
  EXPECT_EQ(masked(out), "previousHTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n");
}

TEST(WriteResponse, CloseWhenNotKeepingAlive) {
  response r;
  r.status(404).body("nope");
  EXPECT_EQ(response_bytes(r, {.keep_alive = false}),
            "HTTP/1.1 404 Not Found\r\n"
            "Server: ringlane\r\n"
            "Date: <date>\r\n"
            "Content-Length: 4\r\n"
            "Connection: close\r\n"
            "\r\n"
            "nope");
}

TEST(WriteResponse, Http10KeepAliveSaysSo) {
  response r;
  r.body("x");
  EXPECT_EQ(response_bytes(r, {.version_minor = 0}),
            "HTTP/1.1 200 OK\r\nServer: ringlane\r\nDate: <date>\r\nContent-Length: 1\r\n"
            "Connection: keep-alive\r\n\r\nx");
  EXPECT_EQ(response_bytes(r, {.keep_alive = false, .version_minor = 0}),
            "HTTP/1.1 200 OK\r\nServer: ringlane\r\nDate: <date>\r\nContent-Length: 1\r\n"
            "Connection: close\r\n\r\nx");
}

TEST(WriteResponse, NoContentHasNoLengthAndNoBody) {
  response r;
  r.status(204).body("ignored");
  EXPECT_EQ(response_bytes(r), "HTTP/1.1 204 No Content\r\nServer: ringlane\r\nDate: <date>\r\n\r\n");
}

TEST(WriteResponse, NotModifiedHasNoLengthAndNoBody) {
  response r;
  r.status(304).header("etag", "\"v1\"").body("ignored");
  EXPECT_EQ(response_bytes(r),
            "HTTP/1.1 304 Not Modified\r\netag: \"v1\"\r\nServer: ringlane\r\nDate: <date>\r\n\r\n");
}

TEST(WriteResponse, InformationalHasNoBody) {
  response r;
  r.status(101).header("upgrade", "websocket").header("connection", "Upgrade");
  EXPECT_EQ(response_bytes(r),
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            "Server: ringlane\r\nDate: <date>\r\n\r\n");
}

TEST(WriteResponse, HeadGetsTheLengthButNoBody) {
  response r;
  r.body("0123456789");
  EXPECT_EQ(response_bytes(r, {.head_request = true}),
            "HTTP/1.1 200 OK\r\nServer: ringlane\r\nDate: <date>\r\nContent-Length: 10\r\n\r\n");
}

TEST(WriteResponse, UserFramingFieldsAreDropped) {
  response r;
  r.header("Content-Length", "999").header("transfer-encoding", "chunked").header("x", "y").body("ab");
  EXPECT_EQ(response_bytes(r),
            "HTTP/1.1 200 OK\r\nx: y\r\nServer: ringlane\r\nDate: <date>\r\nContent-Length: 2\r\n\r\nab");
}

TEST(WriteResponse, UserServerDateAndConnectionWin) {
  response r;
  r.header("server", "custom").header("DATE", "yesterday").header("Connection", "close");
  std::string out;
  write_response(out, r, {});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nserver: custom\r\nDATE: yesterday\r\nConnection: close\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(WriteResponse, ClosingReplacesTheUsersConnectionField) {
  response r;
  r.header("connection", "keep-alive");
  EXPECT_EQ(response_bytes(r, {.keep_alive = false, .server = ""}),
            "HTTP/1.1 200 OK\r\nConnection: close\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n");
  // Other options stay beside "close" (a 426's Upgrade needs "upgrade").
  r.header("connection", "Upgrade, keep-alive, close");
  EXPECT_EQ(response_bytes(r, {.keep_alive = false, .server = ""}),
            "HTTP/1.1 200 OK\r\nConnection: close, Upgrade\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n");
}

TEST(WriteResponse, OddStatusCodes) {
  response r;
  r.status(299);
  EXPECT_EQ(response_bytes(r, {.server = ""}),
            "HTTP/1.1 299 Unknown\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n");
  r.status(42);
  EXPECT_EQ(response_bytes(r, {.server = ""}),
            "HTTP/1.1 500 Internal Server Error\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n");
}

TEST(WriteResponse, LargeBodyAndManyHeaders) {
  response r;
  std::string expect_fields;
  for (int i = 0; i < 50; ++i) {
    std::string n = "x-h" + std::to_string(i), v(i, 'v');
    r.add_header(n, v);
    expect_fields += n + ": " + v + "\r\n";
  }
  r.body(std::string(100000, 'b'));
  EXPECT_EQ(response_bytes(r, {.server = ""}),
            "HTTP/1.1 200 OK\r\n" + expect_fields + "Date: <date>\r\nContent-Length: 100000\r\n\r\n" +
                std::string(100000, 'b'));
}

TEST(WriteStreamHead, ChunkedOnHttp11) {
  response r;
  r.content_type("text/event-stream").body("not written");
  std::string out;
  write_stream_head(out, r, {});
  EXPECT_EQ(masked(out),
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nServer: ringlane\r\n"
            "Date: <date>\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(WriteStreamHead, Http10ClosesInsteadOfChunking) {
  response r;
  r.header("connection", "keep-alive");
  std::string out;
  write_stream_head(out, r, {.keep_alive = true, .server = "", .version_minor = 0});
  EXPECT_EQ(masked(out), "HTTP/1.1 200 OK\r\nConnection: close\r\nDate: <date>\r\n\r\n");
}

TEST(WriteStreamHead, ClosingOnHttp11) {
  response r;
  std::string out;
  write_stream_head(out, r, {.keep_alive = false, .server = ""});
  EXPECT_EQ(masked(out),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

TEST(Chunks, Framing) {
  std::string out;
  write_chunk(out, "hello");
  write_chunk(out, "");  // would end the body: writes nothing
  write_chunk(out, std::string(255, 'a'));
  write_chunk(out, std::string(4096, 'b'));
  write_last_chunk(out);
  EXPECT_EQ(out, "5\r\nhello\r\n" "ff\r\n" + std::string(255, 'a') + "\r\n" "1000\r\n" +
                     std::string(4096, 'b') + "\r\n" "0\r\n\r\n");
}

TEST(WriteError, MinimalCloseResponse) {
  std::string out;
  write_error(out, 431);
  EXPECT_EQ(masked(out),
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Content-Type: text/plain\r\n"
            "Server: ringlane\r\n"
            "Date: <date>\r\n"
            "Content-Length: 31\r\n"
            "Connection: close\r\n"
            "\r\n"
            "Request Header Fields Too Large");
}

TEST(WriteError, KeepAliveVariant) {
  std::string out;
  write_error(out, 400, true);
  EXPECT_EQ(masked(out),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nServer: ringlane\r\n"
            "Date: <date>\r\nContent-Length: 11\r\n\r\nBad Request");
}

// A reused buffer is never reallocated (no allocation per response). The
// time is printed for the curious; speed is proven in bench/, not here.
TEST(WriteResponse, ReusedBufferIsCheap) {
  response r;
  r.content_type("text/plain").body("Hello, World!");
  std::string out;
  out.reserve(4096);
  const char* buffer = out.data();
  constexpr int rounds = 100000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    out.clear();
    write_response(out, r, {});
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(out.data(), buffer);  // never reallocated
  std::printf("write_response hello world: %lld ns each\n", static_cast<long long>(ns.count() / rounds));
}

}  // namespace
}  // namespace ringlane::http
