// Tests for http/proto/fast_head: the heads it takes (fast_heads() counts
// them) read exactly as llhttp's path reads them -- the same request split
// over two feeds, which fast_head never takes, is the reference -- the
// heads it must decline go to llhttp with the status they always had, the
// limits hold at their edges, and fast and llhttp messages alternate in one
// pipelined stream.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "http/proto/parser.hpp"

namespace ringlane::http {
namespace {

using namespace std::string_literals;

// Everything a head says, as owned values (views die with next()).
struct snapshot {
  std::string method, target, path, query, host;
  int version_minor = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false, keep_alive = false, expect_continue = false, upgrade = false;
  bool operator==(const snapshot&) const = default;
};

snapshot snap(const request_head& h) {
  snapshot s{std::string(h.method), std::string(h.target), std::string(h.path), std::string(h.query),
             std::string(h.host), h.version_minor, {}, h.content_length, h.chunked, h.keep_alive,
             h.expect_continue, h.upgrade};
  for (const header_field& f : h.headers) s.headers.emplace_back(f.name, f.value);
  return s;
}

std::ostream& operator<<(std::ostream& o, const snapshot& s) {
  o << s.method << ' ' << s.target << " path=" << s.path << " query=" << s.query << " host=" << s.host
    << " 1." << s.version_minor << " keep_alive=" << s.keep_alive;
  for (const auto& [n, v] : s.headers) o << " [" << n << ": " << v << ']';
  return o;
}

// Feeds `in` in pieces of `chunk` bytes (0: whole) until complete or error,
// re-feeding after head and body events as a connection does.
parse_event run(request_parser& p, std::string_view in, std::size_t chunk = 0) {
  std::size_t off = 0;
  for (;;) {
    const std::size_t n = chunk == 0 ? in.size() - off : std::min(chunk, in.size() - off);
    std::size_t used = 0;
    const parse_event e = p.feed(in.substr(off, n), used);
    off += used;
    if (e == parse_event::complete || e == parse_event::error) return e;
    if (e == parse_event::need_more && off == in.size()) return e;
  }
}

// llhttp's reading of `in`: the first 5 bytes in one feed, the rest in the
// next, so no feed starts with a whole head.
parse_event run_split(request_parser& p, std::string_view in) {
  std::size_t used = 0;
  const parse_event first = p.feed(in.substr(0, 5), used);
  EXPECT_EQ(first, parse_event::need_more);
  EXPECT_EQ(used, 5u);
  return run(p, in.substr(5));
}

const std::string kCookie = "session=" + std::string(300, 'x') + "; theme=dark";

std::vector<std::string> taken_requests() {
  return {
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",  // wrk's request
      "HEAD /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /search?q=ring+lane&page=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
      "GET /a%20b/c%2Fd HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /a/./b/../c HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /~user/@x:y;p=1,2!$&'()*+= HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /? HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade-Insecure\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
      "GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Spaces:   \r\nX-Trail: v \t \r\nX-Tab:\tv\tw\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-A!#$%&'*+-.^_`|~: v\r\n\r\n",
      // A browser's head: long values take the eight-bytes-a-step scan.
      "GET /app/main.js?v=3 HTTP/1.1\r\nHost: shop.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Cookie: " + kCookie + "\r\nReferer: https://shop.example.com/\r\nCache-Control: no-cache\r\n\r\n",
  };
}

TEST(FastHead, TakenHeadsReadExactlyAsLlhttpReadsThem) {
  for (const std::string& req : taken_requests()) {
    SCOPED_TRACE(req);
    request_parser fast;
    std::size_t used = 0;
    ASSERT_EQ(fast.feed(req, used), parse_event::complete);
    EXPECT_EQ(used, req.size());
    EXPECT_EQ(fast.fast_heads(), 1u) << "fast_head should take this head";
    request_parser slow;
    ASSERT_EQ(run_split(slow, req), parse_event::complete);
    EXPECT_EQ(slow.fast_heads(), 0u);
    EXPECT_EQ(snap(fast.head()), snap(slow.head()));
  }
}

TEST(FastHead, TheBrowserHeadKeepsItsLongValues) {
  request_parser p;
  ASSERT_EQ(run(p, taken_requests().back()), parse_event::complete);
  EXPECT_EQ(p.fast_heads(), 1u);
  EXPECT_EQ(p.head().header("cookie"), kCookie);
  EXPECT_EQ(p.head().path, "/app/main.js");
  EXPECT_EQ(p.head().query, "v=3");
}

struct declined_case {
  std::string request;
  int status;  // 200 = complete
};

// Each goes to llhttp: the status is the one the byte-by-byte path gives,
// and fast_head counted nothing.
TEST(FastHead, EverythingElseIsLeftToLlhttpWithItsUsualStatus) {
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  const std::vector<declined_case> cases = {
      {"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 200},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 200},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 200},
      {"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 200},
      {"GET / HTTP/1.0\r\n\r\n", 200},
      {"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", 200},
      {"get / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400},
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n", 400},
      {many, 431},
  };
  for (const declined_case& c : cases) {
    SCOPED_TRACE(c.request);
    request_parser whole;
    const parse_event e = run(whole, c.request);
    EXPECT_EQ(whole.fast_heads(), 0u) << "fast_head must decline this head";
    EXPECT_EQ(e == parse_event::complete ? 200 : whole.error_status(), c.status);
    request_parser bytes;
    const parse_event b = run(bytes, c.request, 1);
    EXPECT_EQ(b == parse_event::complete ? 200 : bytes.error_status(), c.status);
  }
}

// finish_head's rules apply to taken heads: same statuses as llhttp's path.
TEST(FastHead, RuleViolationsInATakenHeadGetTheUsualStatus) {
  const std::vector<declined_case> cases = {
      {"GET / HTTP/1.1\r\n\r\n", 400},                       // no Host
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},  // two
      {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET /../x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
  };
  for (const declined_case& c : cases) {
    SCOPED_TRACE(c.request);
    request_parser whole;
    std::size_t used = 0;
    EXPECT_EQ(whole.feed(c.request, used), parse_event::error);
    EXPECT_EQ(whole.fast_heads(), 1u);
    EXPECT_EQ(whole.error_status(), c.status);
    request_parser slow;
    EXPECT_EQ(run_split(slow, c.request), parse_event::error);
    EXPECT_EQ(slow.error_status(), c.status);
  }
}

TEST(FastHead, LimitsHoldAtTheirEdges) {
  const std::string req = "GET /abc HTTP/1.1\r\nHost: a\r\nX-1: v\r\nX-2: v\r\n\r\n";
  const std::size_t line = std::string("GET /abc HTTP/1.1").size();
  auto status_with = [&](limits l, std::uint64_t* fast) {
    request_parser p(l);
    const parse_event e = run(p, req);
    *fast = p.fast_heads();
    return e == parse_event::complete ? 200 : p.error_status();
  };
  std::uint64_t fast = 0;
  limits l;
  l.max_header_bytes = req.size();
  EXPECT_EQ(status_with(l, &fast), 200);
  EXPECT_EQ(fast, 1u) << "a head exactly at the limit is taken";
  l.max_header_bytes = req.size() - 1;
  EXPECT_EQ(status_with(l, &fast), 431);
  EXPECT_EQ(fast, 0u);

  l = limits{};
  l.max_headers = 3;
  EXPECT_EQ(status_with(l, &fast), 200);
  EXPECT_EQ(fast, 1u);
  l.max_headers = 2;
  EXPECT_EQ(status_with(l, &fast), 431);
  EXPECT_EQ(fast, 0u);

  l = limits{};
  l.max_request_line = line;
  EXPECT_EQ(status_with(l, &fast), 200);
  EXPECT_EQ(fast, 1u);
  l.max_request_line = line - 1;
  EXPECT_EQ(status_with(l, &fast), 414);
  EXPECT_EQ(fast, 0u);
}

// Fast, llhttp, fast, llhttp (chunked), fast, in one buffer: llhttp picks up
// where it left off each time, and every message and body arrives.
TEST(FastHead, FastAndLlhttpMessagesAlternateInOnePipelinedStream) {
  const std::string stream =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /4 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /5 HTTP/1.1\r\nHost: a\r\n\r\n";
  request_parser p;
  std::vector<std::string> seen;
  std::size_t off = 0;
  for (int guard = 0; guard < 50 && off < stream.size(); ++guard) {
    std::size_t used = 0;
    const parse_event e = p.feed(std::string_view(stream).substr(off), used);
    off += used;
    ASSERT_NE(e, parse_event::error) << p.error_reason();
    if (e == parse_event::complete) {
      seen.push_back(std::string(p.head().path) + "=" + p.body());
      p.next();
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/1=", "/2=hello", "/3=", "/4=abc", "/5="}));
  EXPECT_EQ(p.fast_heads(), 3u);
}

// What a parse says: 200 and the head, an error status, or 0 (incomplete).
struct outcome {
  int status = 0;
  snapshot head;
  bool operator==(const outcome&) const = default;
};

outcome outcome_of(request_parser& p, parse_event e) {
  if (e == parse_event::complete) return {200, snap(p.head())};
  if (e == parse_event::error) return {p.error_status(), {}};
  return {};
}

// Differential check on mutated requests: whole (fast_head may take it)
// against the first byte alone and then the rest (llhttp reads all of it).
// Mutations aim at the bytes the fast path decides on. Deterministic seed.
TEST(FastHead, MutatedRequestsReadTheSameEitherWay) {
  const std::vector<std::string> seeds = taken_requests();
  const std::string specials = std::string(" \t\r\n:#%/?@aZ9-.\x7f\x80\xff\x01", 20) + std::string(1, '\0');
  std::mt19937 rng(20261202);
  int taken = 0, compared = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string req = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % req.size();
      const char c = specials[rng() % specials.size()];
      switch (rng() % 3) {
        case 0: req[at] = c; break;
        case 1: req.insert(req.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: req.erase(at, 1); break;
      }
    }
    if (req.empty()) continue;
    request_parser whole;
    const outcome a = outcome_of(whole, run(whole, req));
    request_parser split;
    std::size_t used = 0;
    parse_event e = split.feed(std::string_view(req).substr(0, 1), used);
    if (e == parse_event::need_more && used == 1 && req.size() > 1) e = run(split, std::string_view(req).substr(1));
    const outcome b = outcome_of(split, e);
    ++compared;
    taken += whole.fast_heads() > 0;
    if (!(a == b)) {
      ADD_FAILURE() << "request " << ::testing::PrintToString(req) << ": whole " << a.status << " " << a.head
                    << " vs llhttp " << b.status << " " << b.head;
      break;
    }
  }
  EXPECT_GT(compared, 19000);
  EXPECT_GT(taken, 1000) << "the mutations should leave many heads the fast path takes";
}

}  // namespace
}  // namespace ringlane::http
