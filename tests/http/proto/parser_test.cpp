// Tests for http/proto/parser: statuses for every rule in the table at the
// top of parser.hpp (each fed whole and byte by byte), the one-message-at-a-
// time contract (exact `consumed`, pipelining, read-ahead), bodies, limits.
#include "http/proto/parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace ringlane::http {
namespace {

// Feeds `in` from the start until complete or error, re-feeding after head
// and body events like a connection would. `chunk` bytes per feed (0: all).
parse_event run(request_parser& p, std::string_view in, std::size_t chunk = 0, std::size_t* used = nullptr) {
  std::size_t off = 0;
  for (;;) {
    const std::size_t n = chunk == 0 ? in.size() - off : std::min(chunk, in.size() - off);
    std::size_t c = 99;
    const parse_event e = p.feed(in.substr(off, n), c);
    EXPECT_LE(c, n);
    off += c;
    if (used) *used = off;
    if (e == parse_event::complete || e == parse_event::error) return e;
    if (e == parse_event::need_more && off == in.size()) return e;
  }
}

// 200 for a complete request, the error status otherwise, 0 if incomplete.
int status_of(std::string_view in, std::size_t chunk = 0, const limits& l = {}) {
  request_parser p(l);
  const parse_event e = run(p, in, chunk);
  if (e == parse_event::complete) return 200;
  if (e == parse_event::error) return p.error_status();
  return 0;
}

struct status_case {
  const char* name;
  std::string request;
  int status;
};

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

std::vector<status_case> status_cases() {
  using namespace std::string_literals;
  const std::string P = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string many_headers = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 100; ++i) many_headers += "X-" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  return {
      {"Ok", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"OkHttp10WithoutHost", "GET / HTTP/1.0\r\n\r\n", 200},
      {"OkLeadingEmptyLine", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200},
      {"OkChunkExtensionsAndTrailers", P + "5;c=\"d e\";a=b\r\nhello\r\n0;z\r\nT: x\r\n\r\n", 200},
      // llhttp 8.1 refuses an extension after an unquoted value ("Invalid
      // character in chunk size"); the adapter re-feeds the ';' it loses.
      {"ChunkExtensionAfterUnquotedValue", P + "5;a=b;c=d\r\nhello\r\n0\r\n\r\n", 200},
      {"ChunkExtensionsUnquotedThenBare", P + "5;foo=bar;baz\r\nhello\r\n0\r\n\r\n", 200},
      {"ChunkExtensionsManyUnquoted", P + "5;a=1;b=2;c=3;d=\"4\";e=5\r\nhello\r\n3;x=y;z\r\nabc\r\n0;a=b;c=d\r\n\r\n", 200},
      {"ChunkExtensionQuotedThenUnquoted", P + "5;q=\"x;y\";a=b;c=\"\"\r\nhello\r\n0\r\n\r\n", 200},
      {"ChunkExtensionUnquotedThenBadName", P + "5;a=b;c@=d\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkExtensionEmptyValue", P + "5;a=;b\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkExtensionUnquotedThenSpace", P + "5;a=b c\r\nhello\r\n0\r\n\r\n", 400},
      // llhttp's loose build skips the two bytes after chunk data unread.
      {"ChunkDataFollowedByOtherBytes", P + "5\r\nhelloXY0\r\n\r\n", 400},
      {"ChunkDataFollowedByLfCr", P + "5\r\nhello\n\r0\r\n\r\n", 400},
      {"SecondChunkDataFollowedByOtherBytes", P + "2\r\nab\r\n3\r\ncdeXX0\r\n\r\n", 400},
      {"OkChunksOfOneByte", P + "1\r\na\r\n1\r\nb\r\n0\r\n\r\n", 200},
      {"TabInTarget", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"RawUtf8InTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"HighByteInQuery", "GET /?\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"DelInTarget", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"FormFeedInTarget", "GET /a\fb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"MissingHost", "GET / HTTP/1.1\r\n\r\n", 400},
      {"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      {"HostWithSlash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"HostPortNotDigits", "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400},
      {"HostTwoPorts", "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", 400},
      {"HostUnclosedIpLiteral", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},
      {"HostEmptyIpLiteral", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400},
      {"HostBracketInName", "GET / HTTP/1.1\r\nHost: a]b\r\n\r\n", 400},
      {"HostJunkAfterIpLiteral", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400},
      {"AbsoluteFormBadPort", "GET http://a:b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"OkHostIpLiteralAndPort", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200},
      {"OkHostIpLiteral", "GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", 200},
      {"OkHostEmptyPort", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 200},
      {"OkHostEmpty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 200},
      {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"EmptyFieldName", "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400},
      {"EmptyFieldNameAfterAField", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400},
      {"EmptyFieldNameAfterAnEmptyValue", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n: b\r\n\r\n", 400},
      {"SpaceInsideFieldName", "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400},
      {"TabBeforeColon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400},
      {"ObsFold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400},
      // The folded part as the whole value: a front end that does not unfold
      // sees an empty field, we would have seen "chunked" or "5".
      {"ObsFoldAfterAnEmptyFirstLine", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n b\r\n\r\n", 400},
      {"ObsFoldedTransferEncoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400},
      {"ObsFoldedContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\t5\r\n\r\nhello", 400},
      {"ObsFoldedHostWithOws", "GET / HTTP/1.1\r\nHost: \r\n a\r\n\r\n", 400},
      {"OkOwsAroundAValue", "GET / HTTP/1.1\r\nHost: a\r\nX: \t  b \t\r\n\r\n", 200},
      {"BareLfAfterRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
      {"BareLfAfterRequestLineNoFields", "GET / HTTP/1.0\n\r\n", 400},
      {"BareLfEndingHead", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
      {"BareLfAfterField", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400},
      {"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
      {"NulInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s, 400},
      {"CtlInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400},
      {"DelInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n", 400},
      {"TwoSpacesInRequestLine", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"SpaceAfterVersion", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
      {"GarbageVersion", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400},
      {"GarbageProtocol", "GET / HTXP/1.1\r\nHost: a\r\n\r\n", 400},
      {"MethodWithBadByte", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"MethodWithCtl", "\x01GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"MethodThenCrlf", "FOO\r\n\r\n", 400},
      {"ContentLengthNotANumber", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc", 400},
      {"ContentLengthSigned", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400},
      {"ContentLengthList", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
      {"ContentLengthEmpty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400},
      {"ContentLengthOverflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"ContentLengthTwiceSame", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"ContentLengthTwiceDiffering", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"ContentLengthWithChunked", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"ChunkedWithContentLength", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
      {"TransferEncodingNotEndingInChunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"TransferEncodingChunkedThenGzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"TransferEncodingChunkedTwice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TransferEncodingInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TransferEncodingUnknownCoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"ChunkExtensionsAtTheLineLimit", P + "5;" + repeat('e', 8 * 1024) + "\r\nhello\r\n0\r\n\r\n", 200},
      {"ChunkExtensionsAboveTheLineLimit", P + "5;" + repeat('e', 8 * 1024 + 1) + "\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkExtensionValueAboveTheLineLimit", P + "5;e=" + repeat('v', 8 * 1024) + "\r\nhello\r\n0\r\n\r\n", 400},
      // The limit is per chunk line: many lines, each within it, pass.
      {"ChunkExtensionsOnManyLines", P + [] {
         std::string body;
         for (int i = 0; i < 8; ++i) body += "1;" + std::string(4000, 'e') + "\r\nx\r\n";
         return body + "0\r\n\r\n";
       }(), 200},
      {"ExpectUnknown", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nhi", 417},
      {"ExpectEmpty", "GET / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n", 417},
      {"ChunkSizeNotHex", P + "zz\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkSizeWithSpace", P + "5 \r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkSizeOverflow", P + "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkDataTooLong", P + "5\r\nhelloX\r\n0\r\n\r\n", 400},
      {"ChunkLineBareLf", P + "5\nhello\r\n0\r\n\r\n", 400},
      {"ChunkedEndBareLf", P + "0\r\n\n", 400},
      {"TrailerBareLf", P + "0\r\nT: x\n\r\n", 400},
      {"TrailerObsFold", P + "0\r\nT: x\r\n y\r\n\r\n", 400},
      {"TrailerEmptyFieldName", P + "0\r\n: v\r\n\r\n", 400},
      {"TargetRelative", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"AsteriskWithGet", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"AbsoluteFormOtherScheme", "GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"AbsoluteFormEmptyAuthority", "GET http:///b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"AbsoluteFormUserinfo", "GET http://u@a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"ConnectOriginForm", "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      // The fuzzer's find: llhttp tunnels after a CONNECT head, so a body was
      // read differently depending on how the bytes were split.
      {"ConnectWithChunkedContent", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"ConnectWithContentLength", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi", 400},
      {"ConnectWithEmptyContent", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 200},
      {"PathAboveRoot", "GET /a/../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"PathEncodedDotsAboveRoot", "GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"PathBadEscape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"PathEncodedNul", "GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"UnknownMethod", "QUERY / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"LowercaseMethod", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"MethodWithKnownPrefix", "GETX / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"MethodPrefixThenSpace", "GE / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"MethodPrefixThenBadByte", "GE@ / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"Http30", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505},
      {"Http09", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
      {"Http12IsServedAs11", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 200},
      {"Http19WithoutHostIsServedAs11", "GET / HTTP/1.9\r\n\r\n", 400},  // 1.1 rules: Host required
      {"Http40", "GET / HTTP/4.0\r\nHost: a\r\n\r\n", 505},
      {"Http2Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      // Empty lines before a request count toward the request line, in one
      // feed or many (the fuzzer found the byte-by-byte case unbounded).
      {"EmptyLinesBeforeTheRequestAreBounded", [] {
         std::string crlfs;
         for (int i = 0; i < 4200; ++i) crlfs += "\r\n";
         return crlfs + "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
       }(), 414},
      {"RequestLineTooLong", "GET /" + repeat('a', 8 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
      {"HeaderSectionTooLarge", "GET / HTTP/1.1\r\nHost: a\r\nX: " + repeat('v', 32 * 1024) + "\r\n\r\n", 431},
      {"HeaderSectionTooLargeInWhitespace", "GET / HTTP/1.1\r\nHost: a\r\nX:" + repeat(' ', 32 * 1024) + "v\r\n\r\n", 431},
      {"TooManyHeaders", many_headers, 431},
      {"TrailersTooLarge", P + "0\r\nT: " + repeat('v', 32 * 1024) + "\r\n\r\n", 431},
      {"ContentLengthAboveLimit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413},
      {"ChunkedAboveLimit", P + "100001\r\n", 413},
  };
}

// Readable names in failure output instead of a byte dump.
void PrintTo(const status_case& c, std::ostream* os) { *os << c.name << " -> " << c.status; }

class ParserStatus : public ::testing::TestWithParam<status_case> {};

TEST_P(ParserStatus, WholeBuffer) { EXPECT_EQ(status_of(GetParam().request), GetParam().status); }

TEST_P(ParserStatus, ByteByByte) { EXPECT_EQ(status_of(GetParam().request, 1), GetParam().status); }

INSTANTIATE_TEST_SUITE_P(AllRules, ParserStatus, ::testing::ValuesIn(status_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Parser, BodylessRequestIsOneCompleteEvent) {
  request_parser p;
  const std::string in = "GET /a/b?x=1&y=2#frag HTTP/1.1\r\nHost: example.com\r\nX-Pad:  v w \t\r\nAccept: */*\r\n\r\n";
  std::size_t c = 0;
  ASSERT_EQ(p.feed(in, c), parse_event::complete);
  EXPECT_EQ(c, in.size());
  const request_head& h = p.head();
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a/b?x=1&y=2#frag");
  EXPECT_EQ(h.path, "/a/b");
  EXPECT_EQ(h.query, "x=1&y=2");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.host, "example.com");
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[1].name, "X-Pad");
  EXPECT_EQ(h.headers[1].value, "v w");
  EXPECT_EQ(h.header("accept"), "*/*");
  EXPECT_EQ(h.header("missing"), "");
  EXPECT_TRUE(h.has_header("HOST"));
  EXPECT_FALSE(h.has_header("Cookie"));
  EXPECT_FALSE(h.has_body());
  EXPECT_FALSE(h.content_length.has_value());
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
  EXPECT_FALSE(h.upgrade);
  EXPECT_FALSE(p.in_message());
  EXPECT_EQ(p.error_status(), 0);
}

TEST(Parser, HeadViewsDoNotDependOnTheCallersBuffer) {
  request_parser p;
  std::string in = "GET /p%20q/./r HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\n\r\n";
  ASSERT_EQ(run(p, in, 3), parse_event::complete);
  in.assign(in.size(), '#');
  EXPECT_EQ(p.head().method, "GET");
  EXPECT_EQ(p.head().target, "/p%20q/./r");
  EXPECT_EQ(p.head().path, "/p q/r");
  EXPECT_EQ(p.head().header("cookie"), "a=1");
}

TEST(Parser, PipelinedRequestsArriveOneAtATimeWithExactOffsets) {
  std::vector<std::string> reqs;
  for (int i = 0; i < 16; ++i) {
    if (i % 4 == 1) {
      reqs.push_back("POST /p" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nb" +
                     std::to_string(i % 10) + "!");
    } else if (i % 4 == 3) {
      reqs.push_back("PUT /c" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    } else {
      reqs.push_back("GET /g" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n");
    }
  }
  std::string buf;
  for (const std::string& r : reqs) buf += r;

  request_parser p;
  std::size_t off = 0;
  for (int i = 0; i < 16; ++i) {
    const std::size_t start = off;
    std::size_t c = 0;
    parse_event e = p.feed(std::string_view(buf).substr(off), c);
    off += c;
    if (i % 2 == 1) {  // a body follows: head first, stopped right after the head
      ASSERT_EQ(e, parse_event::head) << i;
      EXPECT_EQ(buf.substr(off - 4, 4), "\r\n\r\n");
      e = p.feed(std::string_view(buf).substr(off), c);
      off += c;
    }
    ASSERT_EQ(e, parse_event::complete) << i;
    EXPECT_EQ(off, start + reqs[i].size()) << i;
    EXPECT_EQ(p.head().path, reqs[i].substr(reqs[i].find(' ') + 1, i < 10 ? 3 : 4)) << i;
    if (i % 4 == 1) {
      EXPECT_EQ(p.body(), reqs[i].substr(reqs[i].size() - 3));
    }
    if (i % 4 == 3) {
      EXPECT_EQ(p.body(), "ok");
    }
    p.next();
  }
  EXPECT_EQ(off, buf.size());
}

TEST(Parser, ReadAheadAfterABodyIsNotConsumed) {
  request_parser p;
  const std::string head = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  const std::string in = head + "hello" + "GET /next HT";
  std::size_t c = 0;
  ASSERT_EQ(p.feed(in, c), parse_event::head);
  EXPECT_EQ(c, head.size());
  EXPECT_TRUE(p.in_message());
  ASSERT_EQ(p.head().content_length, std::optional<std::uint64_t>(5));
  std::size_t c2 = 0;
  ASSERT_EQ(p.feed(std::string_view(in).substr(c), c2), parse_event::complete);
  EXPECT_EQ(c2, 5u);
  EXPECT_EQ(p.body(), "hello");
  EXPECT_GE(p.body().capacity(), p.body().size() + 64);
  // Until next(), the parser stays on this message and uses nothing.
  std::size_t c3 = 7;
  EXPECT_EQ(p.feed("GET /next HT", c3), parse_event::complete);
  EXPECT_EQ(c3, 0u);
  p.next();
  EXPECT_EQ(p.feed(std::string_view(in).substr(c + c2), c3), parse_event::need_more);
  EXPECT_EQ(c3, 12u);
  EXPECT_TRUE(p.in_message());
  ASSERT_EQ(p.feed("TP/1.1\r\nHost: b\r\n\r\n", c3), parse_event::complete);
  EXPECT_EQ(p.head().path, "/next");
  EXPECT_EQ(p.head().host, "b");
  EXPECT_EQ(p.body(), "");
}

TEST(Parser, BodyArrivingInPiecesIsReportedAsBodyEvents) {
  request_parser p;
  std::size_t c = 0;
  ASSERT_EQ(p.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n", c), parse_event::head);
  EXPECT_EQ(p.feed("abc", c), parse_event::body);
  EXPECT_EQ(c, 3u);
  EXPECT_EQ(p.body(), "abc");
  p.body().clear();  // streaming: the caller takes what arrived
  EXPECT_EQ(p.feed("", c), parse_event::need_more);
  EXPECT_EQ(p.feed("def", c), parse_event::complete);
  EXPECT_EQ(p.body(), "def");
}

TEST(Parser, ChunkedBodyWithExtensionsAndTrailersByteByByte) {
  request_parser p;
  const std::string in =
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;q=\"quoted ; str\";name=value\r\nhello\r\n"
      "6;ext\r\n world\r\n"
      "0;last=1\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";
  int heads = 0, bodies = 0;
  std::size_t off = 0;
  parse_event e = parse_event::need_more;
  while (off < in.size()) {
    std::size_t c = 0;
    e = p.feed(std::string_view(in).substr(off, 1), c);
    off += c;
    heads += e == parse_event::head;
    bodies += e == parse_event::body;
    if (e == parse_event::complete || e == parse_event::error) break;
  }
  ASSERT_EQ(e, parse_event::complete) << p.error_reason();
  EXPECT_EQ(off, in.size());
  EXPECT_EQ(heads, 1);
  EXPECT_EQ(bodies, 11);  // one per body byte
  EXPECT_EQ(p.body(), "hello world");
  EXPECT_TRUE(p.head().chunked);
  EXPECT_FALSE(p.head().content_length.has_value());
  // Trailers are discarded: the head is what was there before the body.
  EXPECT_EQ(p.head().headers.size(), 2u);
  EXPECT_FALSE(p.head().has_header("X-Checksum"));
}

// The ';' re-feed after an unquoted extension value (llhttp_adapter.cpp)
// must not depend on where reads split the line, nor touch quoted values.
TEST(Parser, ChunkExtensionsParseTheSameWhereverTheInputSplits) {
  const std::string in =
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;q=\"x\";a=b;c=d;e\r\nhello\r\n"
      "6;f=\"g;h\";i=jk;l=m\r\n world\r\n"
      "3;r=s\"=t;u\";v=w\r\nabc\r\n"
      "0;n=o;p\r\n\r\n";
  for (std::size_t split = 1; split < in.size(); ++split) {
    request_parser p;
    std::size_t off = 0;
    parse_event e = parse_event::need_more;
    for (std::size_t end : {split, in.size()}) {
      while (off < end) {
        std::size_t c = 0;
        e = p.feed(std::string_view(in).substr(off, end - off), c);
        off += c;
        if (e == parse_event::complete || e == parse_event::error || e == parse_event::need_more) break;
      }
    }
    ASSERT_EQ(e, parse_event::complete) << "split at " << split << ": " << p.error_reason();
    EXPECT_EQ(p.body(), "hello worldabc") << "split at " << split;
    EXPECT_EQ(off, in.size()) << "split at " << split;
  }
}

TEST(Parser, AHigherMinorVersionIsReadAsHttp11) {
  request_parser p;
  std::size_t c = 0;
  ASSERT_EQ(p.feed("GET / HTTP/1.7\r\nHost: a\r\n\r\n", c), parse_event::complete);
  EXPECT_EQ(p.head().version_minor, 1);
  EXPECT_TRUE(p.head().keep_alive);  // 1.1's default, not 1.0's
}

// An error answering a HEAD request must carry no body: the parser tells
// whether the failed request was one, however far it got.
TEST(Parser, ErrorsKnowWhetherTheRequestWasHead) {
  struct {
    const char* request;
    bool head;
  } cases[] = {
      {"HEAD /%zz HTTP/1.1\r\nHost: a\r\n\r\n", true},            // after the head: bad path
      {"HEAD / HTTP/2.0\r\nHost: a\r\n\r\n", true},               // 505
      {"HEAD / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", true},  // inside the head
      {"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", false},
      {"HEADER / HTTP/1.1\r\nHost: a\r\n\r\n", false},            // another method
      {"POST / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", false},
  };
  for (const auto& c : cases) {
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
      request_parser p{limits{}};
      ASSERT_EQ(run(p, c.request, chunk), parse_event::error) << c.request;
      EXPECT_EQ(p.error_for_head(), c.head) << c.request << " chunk " << chunk;
    }
  }
  // A HEAD before the failed request does not count.
  request_parser p{limits{}};
  std::size_t used = 0;
  const std::string head = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(run(p, head, 0, &used), parse_event::complete);
  p.next();
  ASSERT_EQ(run(p, "POST / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n"), parse_event::error);
  EXPECT_FALSE(p.error_for_head());
}

TEST(Parser, ExpectContinueIsReportedAtTheHead) {
  request_parser p;
  std::size_t c = 0;
  ASSERT_EQ(p.feed("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n", c),
            parse_event::head);
  EXPECT_TRUE(p.head().expect_continue);
  EXPECT_EQ(p.feed("ok", c), parse_event::complete);

  request_parser p10;
  ASSERT_EQ(p10.feed("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", c), parse_event::head);
  EXPECT_FALSE(p10.head().expect_continue);  // 1.0 clients do not wait for it
}

TEST(Parser, KeepAliveFollowsVersionAndConnection) {
  struct row {
    const char* version;
    const char* connection;  // nullptr: no Connection field
    bool keep_alive;
  };
  const row rows[] = {
      {"1.1", nullptr, true},          {"1.1", "close", false},       {"1.1", "Keep-Alive, CLOSE", false},
      {"1.1", "keep-alive", true},     {"1.1", "upgrade", true},      {"1.0", nullptr, false},
      {"1.0", "keep-alive", true},     {"1.0", " Keep-Alive ", true}, {"1.0", "keep-alive, close", false},
      {"1.0", "close", false},
  };
  for (const row& r : rows) {
    std::string in = std::string("GET / HTTP/") + r.version + "\r\nHost: a\r\n";
    if (r.connection) in += std::string("Connection: ") + r.connection + "\r\n";
    in += "\r\n";
    request_parser p;
    std::size_t c = 0;
    ASSERT_EQ(p.feed(in, c), parse_event::complete) << in;
    EXPECT_EQ(p.head().keep_alive, r.keep_alive) << in;
    EXPECT_EQ(p.head().version_minor, r.version[2] - '0');
  }
}

TEST(Parser, AbsoluteFormTakesHostAndPathFromTheTarget) {
  request_parser p;
  std::size_t c = 0;
  ASSERT_EQ(p.feed("GET HTTP://example.com:8080/a%20b/../c?x=1#f HTTP/1.1\r\nHost: other\r\n\r\n", c),
            parse_event::complete);
  EXPECT_EQ(p.head().host, "example.com:8080");
  EXPECT_EQ(p.head().path, "/c");
  EXPECT_EQ(p.head().query, "x=1");
  p.next();
  ASSERT_EQ(p.feed("GET https://h?q HTTP/1.1\r\nHost: h\r\n\r\n", c), parse_event::complete);
  EXPECT_EQ(p.head().host, "h");
  EXPECT_EQ(p.head().path, "/");
  EXPECT_EQ(p.head().query, "q");
}

// One pass over the target finds where the path ends and whether it needs
// decoding; '%' and "/." after the '?' belong to the query and must not.
TEST(Parser, PathDecodingLooksOnlyAtThePath) {
  struct row {
    const char* target;
    const char* path;
    const char* query;
    bool view_of_target;  // no decoding: the path is a view into the target
  };
  const row rows[] = {
      {"/", "/", "", true},
      {"/a.b/c.d", "/a.b/c.d", "", true},
      {"/a?x=/..%zz", "/a", "x=/..%zz", true},
      {"/a#/../%", "/a", "", true},
      {"/a%20b?q", "/a b", "q", false},
      {"/x/.hidden", "/x/.hidden", "", false},
      {"/x/./y", "/x/y", "", false},
      {"/x/y/..?q=1", "/x/", "q=1", false},
  };
  for (const row& r : rows) {
    request_parser p;
    std::size_t c = 0;
    const std::string in = std::string("GET ") + r.target + " HTTP/1.1\r\nHost: a\r\n\r\n";
    ASSERT_EQ(p.feed(in, c), parse_event::complete) << r.target;
    EXPECT_EQ(p.head().path, r.path) << r.target;
    EXPECT_EQ(p.head().query, r.query) << r.target;
    const bool inside = p.head().path.data() >= p.head().target.data() &&
                        p.head().path.data() < p.head().target.data() + p.head().target.size();
    EXPECT_EQ(inside, r.view_of_target) << r.target;
  }
}

TEST(Parser, HostCharactersAreCheckedToTheLastByte) {
  for (std::size_t len = 1; len <= 13; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      std::string host(len, 'h');
      host[at] = '/';
      request_parser p;
      std::size_t c = 0;
      EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n", c), parse_event::error) << host;
      EXPECT_EQ(p.error_status(), 400) << host;
    }
  }
}

TEST(Parser, AsteriskAndAuthorityForms) {
  request_parser p;
  std::size_t c = 0;
  ASSERT_EQ(p.feed("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", c), parse_event::complete);
  EXPECT_EQ(p.head().path, "*");
  EXPECT_EQ(p.head().query, "");
  p.next();
  const std::string connect = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
  ASSERT_EQ(p.feed(connect + "tunnel bytes", c), parse_event::complete);
  EXPECT_EQ(c, connect.size());
  EXPECT_EQ(p.head().method, "CONNECT");
  EXPECT_EQ(p.head().path, "");
  EXPECT_EQ(p.head().host, "example.com:443");
}

TEST(Parser, UpgradeStopsAtTheEndOfTheHead) {
  request_parser p;
  const std::string head = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n";
  std::size_t c = 0;
  ASSERT_EQ(p.feed(head + "\x81\x05hello", c), parse_event::complete);
  EXPECT_EQ(c, head.size());
  EXPECT_TRUE(p.head().upgrade);
  p.next();
  ASSERT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", c), parse_event::complete);
  EXPECT_FALSE(p.head().upgrade);  // no "Connection: upgrade"
}

TEST(Parser, ContentLengthAtTheLimitPassesOneMoreIs413) {
  limits l;
  l.max_body = 10;
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", 0, l), 200);
  request_parser p(l);
  std::size_t c = 0;
  // Refused at head time, before any body byte is read.
  EXPECT_EQ(p.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", c), parse_event::error);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(Parser, ChunkedBodyLimitCountsDecodedBytes) {
  limits l;
  l.max_body = 10;
  const std::string P = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(status_of(P + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", 0, l), 200);
  EXPECT_EQ(status_of(P + "5\r\n01234\r\n6\r\n56789a\r\n0\r\n\r\n", 0, l), 413);
  EXPECT_EQ(status_of(P + "5\r\n01234\r\n6\r\n56789a\r\n0\r\n\r\n", 1, l), 413);
}

TEST(Parser, SetBodyLimitAppliesToTheCurrentMessage) {
  limits l;
  l.max_body = 4;
  request_parser p(l);
  std::size_t c = 0;
  const std::string P = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(p.feed(P, c), parse_event::head);
  p.set_body_limit(SIZE_MAX);  // the handler streams
  ASSERT_EQ(p.feed("8\r\n01234567\r\n", c), parse_event::body);
  p.body().clear();
  ASSERT_EQ(p.feed("0\r\n\r\n", c), parse_event::complete);
  p.next();  // back to the configured limit
  ASSERT_EQ(p.feed(P, c), parse_event::head);
  EXPECT_EQ(p.feed("8\r\n01234567\r\n", c), parse_event::error);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(Parser, SmallLimitsGive414And431) {
  limits l;
  l.max_request_line = 32;
  l.max_header_bytes = 64;
  l.max_headers = 2;
  const std::string line32 = "GET /" + std::string(18, 'p') + " HTTP/1.1";
  ASSERT_EQ(line32.size(), 32u);
  EXPECT_EQ(status_of(line32 + "\r\nHost: a\r\n\r\n", 0, l), 200);
  EXPECT_EQ(status_of(line32 + "\r\nHost: a\r\n\r\n", 1, l), 200);
  const std::string line33 = "GET /" + std::string(19, 'p') + " HTTP/1.1";
  EXPECT_EQ(status_of(line33 + "\r\nHost: a\r\n\r\n", 0, l), 414);
  EXPECT_EQ(status_of(line33 + "\r\nHost: a\r\n\r\n", 1, l), 414);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n", 0, l), 200);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", 0, l), 431);
  const std::string exactly64 = "GET / HTTP/1.1\r\nHost: a\r\nA: " + std::string(32, 'v') + "\r\n\r\n";
  ASSERT_EQ(exactly64.size(), 64u);
  EXPECT_EQ(status_of(exactly64, 0, l), 200);
  EXPECT_EQ(status_of(exactly64, 1, l), 200);
  const std::string over = "GET / HTTP/1.1\r\nHost: a\r\nA: " + std::string(33, 'v') + "\r\n\r\n";
  EXPECT_EQ(status_of(over, 0, l), 431);
  EXPECT_EQ(status_of(over, 1, l), 431);
}

TEST(Parser, ErrorsAreStickyUntilReset) {
  request_parser p;
  std::size_t c = 0;
  ASSERT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", c), parse_event::error);
  EXPECT_EQ(p.error_status(), 400);
  EXPECT_EQ(p.error_reason(), "more than one Host");
  p.next();
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", c), parse_event::error);
  EXPECT_EQ(c, 0u);
  EXPECT_EQ(p.error_status(), 400);
  p.reset();
  EXPECT_EQ(p.error_status(), 0);
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", c), parse_event::complete);
}

TEST(Parser, UnknownMethodSpreadOverFeedsIs501) {
  request_parser p;
  std::size_t c = 0;
  EXPECT_EQ(p.feed("PO", c), parse_event::need_more);  // a prefix of POST so far
  EXPECT_EQ(p.feed("ZZ", c), parse_event::need_more);  // llhttp gives up; we keep reading the token
  EXPECT_TRUE(p.in_message());
  EXPECT_EQ(p.feed(" / HTTP/1.1\r\n", c), parse_event::error);
  EXPECT_EQ(p.error_status(), 501);
}

TEST(Parser, NextReusesTheParserForManyRequests) {
  request_parser p;
  for (int i = 0; i < 100; ++i) {
    // Built with append: GCC 12 warns falsely (-Wrestrict) on "x" + to_string().
    const std::string n = std::to_string(i);
    std::string path = "/item/";
    path += n;
    std::string host = "h";
    host += n;
    const std::string in = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    std::size_t c = 0;
    ASSERT_EQ(p.feed(in, c), parse_event::complete);
    ASSERT_EQ(c, in.size());
    EXPECT_EQ(p.head().path, path);
    EXPECT_EQ(p.head().host, host);
    EXPECT_EQ(p.head().headers.size(), 1u);
    p.next();
    EXPECT_FALSE(p.in_message());
    EXPECT_EQ(p.head().path, "");
  }
}

TEST(Parser, EmptyLinesBetweenRequestsAreSkipped) {
  request_parser p;
  std::size_t c = 0;
  EXPECT_EQ(p.feed("\r\n", c), parse_event::need_more);
  EXPECT_EQ(c, 2u);
  EXPECT_FALSE(p.in_message());
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", c), parse_event::complete);
}

}  // namespace
}  // namespace ringlane::http
