// End-to-end HTTP/1.1 over real loopback sockets, on both backends:
// keep-alive, pipelining, byte-by-byte requests, large bodies both ways,
// HEAD, HTTP/1.0, Expect: 100-continue, routing errors, handler failures,
// streaming, and hostile requests answered with the right status.
#include <string>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using engine::backend_choice;
using testing::expect_status_then_served;
using testing::http_conn;

class ServerTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override { testing::require_backend(GetParam()); }
  http::options opts() const { return testing::test_options(GetParam()); }
};

TEST_P(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello, World!");
    EXPECT_EQ(r->header("content-length"), "13");
    EXPECT_EQ(r->header("content-type"), "text/plain");
    EXPECT_EQ(r->header("server"), "ringlane");
    EXPECT_EQ(r->header("date").size(), 29u);  // IMF-fixdate
    EXPECT_FALSE(r->has("connection"));
  }
}

TEST_P(ServerTest, SixteenPipelinedRequestsInOneWriteAreAnsweredInOrder) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += "GET /n/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 16; ++i) {
    auto r = c.read_reply();
    ASSERT_TRUE(r) << "reply " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(i));
  }
}

TEST_P(ServerTest, ARequestSentByteByByteIsParsed) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  const std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world";
  for (char ch : req) ASSERT_TRUE(c.send(std::string_view(&ch, 1)));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world");
}

TEST_P(ServerTest, OneMebibyteBodiesTravelBothWays) {
  http::options o = opts();
  o.limits.max_body = 2 << 20;
  auto srv = testing::start_test_server(o);
  http_conn c(srv->port());
  const std::string body = testing::pattern(1 << 20, 9);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_TRUE(c.send(body));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body == body) << r->body.size();

  // The same body chunked, in uneven chunks with an extension and a trailer.
  std::string chunked = "PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::size_t off = 0, step = 1000;
  while (off < body.size()) {
    const std::size_t n = std::min(step, body.size() - off);
    char size[32];
    std::snprintf(size, sizeof size, "%zx;ext=1\r\n", n);
    chunked += size;
    chunked.append(body, off, n);
    chunked += "\r\n";
    off += n;
    step = step * 3 % 70001 + 1;
  }
  chunked += "0\r\nX-Trailer: yes\r\n\r\n";
  ASSERT_TRUE(c.send(chunked));
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
  EXPECT_TRUE(r2->body == body) << r2->body.size();
}

TEST_P(ServerTest, HeadGetsTheHeadersOfGetButNoBody) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /n/7 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length"), "13");
  auto next = c.read_reply();  // would be garbage if HEAD had sent a body
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "7");
}

TEST_P(ServerTest, Http10ClosesUnlessAskedToKeepAlive) {
  auto srv = testing::start_test_server(opts());
  {
    http_conn c(srv->port());
    ASSERT_TRUE(c.send("GET / HTTP/1.0\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "Hello, World!");
    EXPECT_TRUE(c.closed_by_peer());
  }
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "keep-alive");
  ASSERT_TRUE(c.send("GET /n/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "2");
}

TEST_P(ServerTest, ConnectionCloseIsHonoured) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_P(ServerTest, ExpectContinueGetsAnInterimResponseFirst) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_reply();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("ping"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ping");
}

// No handler would read the body: the final status comes instead of the
// 100, and the connection closes (the body it announced was never sent).
TEST_P(ServerTest, ExpectContinueToNoRouteGetsTheFinalStatusAtOnce) {
  auto srv = testing::start_test_server(opts());
  const std::pair<const char*, int> cases[] = {{"POST /nope", 404}, {"DELETE /echo", 405}};
  for (const auto& [line, status] : cases) {
    http_conn c(srv->port());
    ASSERT_TRUE(c.send(std::string(line) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r) << line;
    EXPECT_EQ(r->status, status) << line;
    EXPECT_EQ(r->header("connection"), "close") << line;
    EXPECT_TRUE(c.closed_by_peer()) << line;
  }
  http_conn after(srv->port());
  expect_status_then_served(after, "GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\n", 200);
}

TEST_P(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\nDELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 405);
  EXPECT_EQ(r2->header("allow"), "POST, PUT, OPTIONS");  // answered by the server itself
}

TEST_P(ServerTest, Http12IsAnsweredAsHttp11) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  expect_status_then_served(c, "GET /n/7 HTTP/1.2\r\nHost: x\r\n\r\n", 200);
}

TEST_P(ServerTest, UnroutedConnectIs501AndTheConnectionGoesOn) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  expect_status_then_served(c, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501);
}

TEST_P(ServerTest, OptionsListsWhatAPathAndTheServerSupport) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("OPTIONS /echo HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("allow"), "POST, PUT, OPTIONS");
  EXPECT_FALSE(r->has("content-length"));
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 204);
  EXPECT_EQ(r2->header("allow"), "GET, HEAD, OPTIONS, POST, PUT");
}

TEST_P(ServerTest, AThrowingHandlerGets500AndTheConnectionSurvives) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  expect_status_then_served(c, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n", 500);
}

TEST_P(ServerTest, StreamingSendsEveryChunkThenKeepsTheConnection) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /stream?n=50 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->chunked);
  std::string want;
  for (int i = 0; i < 50; ++i) want += "chunk " + std::to_string(i) + "\n";
  EXPECT_EQ(r->body, want);
  ASSERT_TRUE(c.send("GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "1");
}

// A client that half-closes after its requests (shutdown(SHUT_WR), as
// `nc -N` does) still gets every response whole: EOF on the read side ends
// the connection only once what is owed has been sent (RFC 9112 9.6).
TEST_P(ServerTest, AHalfClosedClientStillGetsEveryResponseWhole) {
  auto srv = testing::start_test_server(opts());
  std::string want;
  for (int i = 0; i < 4; ++i) want += "chunk " + std::to_string(i) + "\n";
  for (const char* first : {"/stream?n=4&ms=5", "/slow?ms=20"}) {
    http_conn c(srv->port());
    ASSERT_TRUE(c.send(std::string("GET ") + first + " HTTP/1.1\r\nHost: x\r\n\r\nGET /stream?n=4&ms=5 HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(::shutdown(c.fd(), SHUT_WR), 0);
    auto r1 = c.read_reply();
    ASSERT_TRUE(r1) << first;
    EXPECT_EQ(r1->body, std::string_view(first).starts_with("/slow") ? "slow" : want) << first;
    auto r2 = c.read_reply();
    ASSERT_TRUE(r2) << "the second reply after " << first << " never came whole";
    EXPECT_TRUE(r2->chunked);
    EXPECT_EQ(r2->body, want);
    EXPECT_TRUE(c.closed_by_peer());
  }
}

// send_chunk() is false for HEAD, so a handler streaming until told to
// stop ends at once (a billion chunks would hold the worker for minutes)
// and the next request on the connection is served.
TEST_P(ServerTest, HeadStopsAStreamingHandlerAtItsFirstChunk) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("HEAD /stream?n=1000000000 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  auto next = c.read_reply();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "3");
}

TEST_P(ServerTest, ASizedBodySentInPiecesKeepsTheConnection) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /sized?n=10 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-length"), "10");
  EXPECT_EQ(r->body, "0123456789");  // and not the "!" past the length
  auto next = c.read_reply();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "2");
}

TEST_P(ServerTest, ASizedBodyLeftShortClosesTheConnection) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /sized?n=4 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string& got = c.buffered();
  while (got.find("\r\n\r\n") == std::string::npos || got.size() < got.find("\r\n\r\n") + 4 + 4) {
    char tmp[256];
    const ssize_t n = ::recv(c.fd(), tmp, sizeof tmp, 0);
    ASSERT_GT(n, 0) << "the four bytes before the close never came";
    got.append(tmp, static_cast<std::size_t>(n));
  }
  EXPECT_NE(got.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "0123");
  got.clear();
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_P(ServerTest, ServerSentEventsAreFramedOnePerChunk) {
  auto srv = testing::start_test_server(opts());
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/event-stream");
  EXPECT_EQ(r->header("cache-control"), "no-cache");
  EXPECT_EQ(r->body, "event: greeting\nid: 1\ndata: hello\n\ndata: two\ndata: lines\n\n");
}

struct hostile_case {
  const char* name;
  std::string request;
  int status;
};

TEST_P(ServerTest, HostileRequestsGetTheirStatusAndAClose) {
  http::options o = opts();
  o.limits.max_body = 1000;
  auto srv = testing::start_test_server(o);
  const std::vector<hostile_case> cases = {
      {"garbage", "HELLO\r\n\r\n", 400},
      {"no host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"bad content-length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400},
      {"conflicting content-length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"CL with TE", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"unknown coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501},
      {"bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", 400},
      {"body too large", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413},
      {"uri too long", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
      {"headers too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40000, 'b') + "\r\n\r\n", 431},
      {"http/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"CONNECT with content", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n", 400},
      {"unknown expectation", "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nhi", 417},
      {"endless chunk extension",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;" + std::string(9000, 'e') + "\r\n", 400},
  };
  for (const hostile_case& hc : cases) {
    http_conn c(srv->port());
    ASSERT_TRUE(c.ok());
    c.send(hc.request);  // may fail half-way when the server already answered
    auto r = c.read_reply();
    ASSERT_TRUE(r) << hc.name;
    EXPECT_EQ(r->status, hc.status) << hc.name;
    EXPECT_EQ(r->header("connection"), "close") << hc.name;
    EXPECT_TRUE(c.closed_by_peer()) << hc.name;
  }
  // ... and the server still serves.
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// The engine's own error answers to HEAD keep their Content-Length but send
// no body (RFC 9110 9.3.2): the connection then closes with nothing more.
TEST_P(ServerTest, ErrorsAnsweringHeadCarryNoBody) {
  auto srv = testing::start_test_server(opts());
  for (const std::string request : {"HEAD /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD / HTTP/1.1\r\n\r\n",
                                    "HEAD / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n"}) {
    http_conn c(srv->port());
    ASSERT_TRUE(c.send(request));
    auto r = c.read_reply(/*head_request=*/true);
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_EQ(r->header("content-length"), "11") << request;  // "Bad Request", not sent
    EXPECT_TRUE(c.closed_by_peer()) << request;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
