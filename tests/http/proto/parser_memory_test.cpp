// Tests for request_parser::release_memory(): what a large request made the
// parser's buffers grow to is freed between messages, never during one, and
// small buffers are kept (no reallocation for ordinary traffic).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/proto/parser.hpp"

namespace ringlane::http {
namespace {

// Feeds `in` whole, re-feeding after head and body events, until the
// message completes, fails or needs more.
parse_event run(request_parser& p, std::string_view in) {
  for (;;) {
    std::size_t used = 0;
    const parse_event e = p.feed(in, used);
    in.remove_prefix(used);
    if (e == parse_event::complete || e == parse_event::error) return e;
    if (e == parse_event::need_more && in.empty()) return e;
  }
}

std::string large_request() {
  std::string r = "POST /upload HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20'000, 'h') + "\r\n";
  for (int i = 0; i < 90; ++i) r += "X-" + std::to_string(i) + ": v\r\n";
  return r + "Content-Length: 100000\r\n\r\n" + std::string(100'000, 'b');
}

TEST(ParserMemory, ALargeRequestsBuffersAreFreedAfterNext) {
  request_parser p;
  ASSERT_EQ(run(p, large_request()), parse_event::complete);
  ASSERT_EQ(p.body().size(), 100'000u);
  const std::size_t grown = p.retained_bytes();
  ASSERT_GT(grown, 120'000u);
  p.release_memory(1024);  // the handler may still be reading head() and body()
  EXPECT_EQ(p.retained_bytes(), grown);
  EXPECT_EQ(p.head().header("x-big").size(), 20'000u);
  p.next();
  EXPECT_EQ(p.retained_bytes(), grown);  // next() alone keeps the capacity
  p.release_memory(1024);
  EXPECT_LE(p.retained_bytes(), 4u * 1024);
  ASSERT_EQ(run(p, "GET /after HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n"), parse_event::complete);
  EXPECT_EQ(p.head().path, "/after");
  EXPECT_EQ(p.head().header("x-a"), "1");
}

TEST(ParserMemory, OrdinaryBuffersAreKept) {
  request_parser p;
  ASSERT_EQ(run(p, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"), parse_event::complete);
  p.next();
  const std::size_t kept = p.retained_bytes();
  ASSERT_GT(kept, 0u);
  p.release_memory(1024);
  EXPECT_EQ(p.retained_bytes(), kept);
}

// A head that arrives in pieces lives in the arena between feeds: releasing
// then would lose it.
TEST(ParserMemory, NothingIsFreedInTheMiddleOfAMessage) {
  request_parser p;
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20'000, 'h') + "\r\n";
  ASSERT_EQ(run(p, head), parse_event::need_more);
  const std::size_t held = p.retained_bytes();
  p.release_memory(1024);
  EXPECT_EQ(p.retained_bytes(), held);
  ASSERT_EQ(run(p, "\r\n"), parse_event::complete);
  EXPECT_EQ(p.head().header("x-big"), std::string(20'000, 'h'));
}

}  // namespace
}  // namespace ringlane::http
