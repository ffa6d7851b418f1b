// The server under pressure, on both backends: slowloris and idle
// timeouts, a handler deadline, 2,000 idle keep-alive connections, and a
// graceful drain while clients are busy. The connection limit is in
// reclaim_test.cpp.
#include <poll.h>
#include <sys/resource.h>

#include <atomic>
#include <system_error>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using namespace std::chrono_literals;
using engine::backend_choice;
using testing::http_conn;

class ServerLimitsTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override { testing::require_backend(GetParam()); }
  http::options opts(std::uint32_t workers = 1) const { return testing::test_options(GetParam(), workers); }
};

TEST_P(ServerLimitsTest, ASlowlorisClientIsCutOffByTheHeaderTimeout) {
  http::options o = opts();
  o.timeouts.header = 200ms;
  auto srv = testing::start_test_server(o);
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));  // ... and nothing more
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);  // bounded, not a timing claim
}

// The classic slowloris keeps each read short: a byte every 40 ms, well
// inside a 300 ms timeout per read. The header timeout bounds the whole
// head, so it ends anyway; the client stops dripping after 5 s, by which
// time a per-read timeout would still be waiting.
TEST_P(ServerLimitsTest, ASlowlorisDrippingBytesIsCutOffByTheHeaderTimeout) {
  http::options o = opts();
  o.timeouts.header = 300ms;
  auto srv = testing::start_test_server(o);
  for (const bool after_a_request : {false, true}) {
    http_conn c(srv->port());
    if (after_a_request) {  // the head of a kept-alive connection's second request
      ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      ASSERT_TRUE(c.read_reply());
    }
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    bool answered = false;
    for (int drip = 0; drip < 125 && !answered; ++drip) {
      pollfd p{c.fd(), POLLIN, 0};
      answered = ::poll(&p, 1, 40) > 0;  // the pace of the drip, and the watch for a reply
      if (!answered && !c.send("a")) break;
    }
    ASSERT_TRUE(answered) << "still reading the head after 5 s";
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 408);
  }
}

// A second server on a busy port fails to start (it would otherwise share
// the port through SO_REUSEPORT and take part of the connections), unless
// it asks to share it.
TEST_P(ServerLimitsTest, ASecondServerOnTheSamePortFailsUnlessItShares) {
  auto first = testing::start_test_server(opts());
  http::options o = opts();
  o.port = first->port();
  http::server second(o);
  EXPECT_THROW(second.start(), std::system_error);
  o.share_port = true;
  http::server sharing(o);
  EXPECT_NO_THROW(sharing.start());
  EXPECT_EQ(sharing.port(), first->port());
}

// A client that stops reading a long response: the write timeout ends the
// response (the handler is told the client is gone) and the connection
// closes, unfinished -- the server does not wait for it forever. The
// client's second of silence is the stall under test.
TEST_P(ServerLimitsTest, AReaderThatStallsIsCutOffByTheWriteTimeout) {
  http::options o = opts();
  o.timeouts.write = 200ms;
  auto srv = testing::start_test_server(o);
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /stream?n=2000000 HTTP/1.1\r\nHost: x\r\n\r\n"));  // ~36 MB of chunks
  std::this_thread::sleep_for(1s);
  http_conn other(srv->port());  // the worker kept serving meanwhile
  testing::expect_status_then_served(other, "GET /n/5 HTTP/1.1\r\nHost: x\r\n\r\n", 200);
  // Now read what was sent: it ends before the last chunk, then EOF.
  std::string got;
  char buf[1 << 16];
  for (;;) {
    pollfd p{c.fd(), POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 10000), 0) << "no EOF within 10 s after " << got.size() << " bytes";
    const ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n <= 0) break;  // EOF (or a reset under unread bytes)
    got.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), 30u << 20) << "the whole response was sent: the stall was not cut off";
  EXPECT_EQ(got.find("\r\n0\r\n\r\n"), std::string::npos);  // no last chunk
}

TEST_P(ServerLimitsTest, AnIdleKeepAliveConnectionIsClosedSilently) {
  http::options o = opts();
  o.timeouts.idle = 100ms;
  auto srv = testing::start_test_server(o);
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_reply());
  EXPECT_TRUE(c.closed_by_peer());  // no 408 for a connection between requests
}

TEST_P(ServerLimitsTest, AHandlerPastItsDeadlineGets503) {
  http::options o = opts();
  o.timeouts.handler = 50ms;
  auto srv = testing::start_test_server(o);
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /slow?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  auto r2 = c.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body, "slow");
}

// A stream the deadline or an exception cuts short must not look complete:
// the connection closes after the chunks sent so far, with no last chunk.
TEST_P(ServerLimitsTest, AStreamCutShortEndsWithoutTheLastChunk) {
  http::options o = opts();
  o.timeouts.handler = 50ms;
  auto srv = testing::start_test_server(o);
  for (const char* then : {"wait", "throw"}) {
    http_conn c(srv->port());
    ASSERT_TRUE(c.send(std::string("GET /stream-cut?then=") + then + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c.read_to_close()) << then;
    const std::string& wire = c.buffered();
    EXPECT_NE(wire.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << then;
    EXPECT_TRUE(wire.ends_with("\r\n6\r\nfirst\n\r\n")) << then << ": " << wire;
  }
}

TEST_P(ServerLimitsTest, TwoThousandIdleConnectionsAreAllStillServed) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 4500) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 8192);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 4500) GTEST_SKIP() << "RLIMIT_NOFILE too low for 2,000 connections: " << lim.rlim_cur;
  auto srv = testing::start_test_server(opts(2));
  std::vector<std::unique_ptr<http_conn>> conns;
  for (int i = 0; i < 2000; ++i) {
    conns.push_back(std::make_unique<http_conn>(srv->port()));
    ASSERT_TRUE(conns.back()->ok()) << i;
  }
  int served = 0;
  for (auto& c : conns) {
    ASSERT_TRUE(c->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c->read_reply();
    served += r && r->status == 200;
  }
  EXPECT_EQ(served, 2000);
}

TEST_P(ServerLimitsTest, GracefulDrainFinishesInFlightWorkAndClosesIdleConnections) {
  auto srv = testing::start_test_server(opts(2));
  // An idle keep-alive connection and one with a request in flight.
  http_conn idle(srv->port());
  ASSERT_TRUE(idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_reply());
  http_conn busy(srv->port());
  ASSERT_TRUE(busy.send("GET /slow?ms=2000 HTTP/1.1\r\nHost: x\r\n\r\n"));

  // Clients hammering while the drain starts: every reply they get is whole.
  std::atomic<bool> stop{false};
  std::atomic<int> whole{0}, broken{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, port = srv->port()] {
      while (!stop.load()) {
        http_conn c(port, 5);
        if (!c.ok()) return;  // listener closed: the drain has begun
        for (int i = 0; i < 50; ++i) {
          if (!c.send("GET /n/5 HTTP/1.1\r\nHost: x\r\n\r\n")) break;
          auto r = c.read_reply();
          if (!r) break;  // closed between requests: allowed
          if (r->status == 200 && r->body == "5") {
            ++whole;
          } else {
            ++broken;
          }
          if (r->header("connection") == "close") break;
        }
      }
    });
  }
  while (whole.load() < 200) std::this_thread::yield();  // load is flowing (bounded by the 10 s socket timeouts)
  std::thread stopper([&] { srv->stop(); });
  auto r = busy.read_reply();  // the in-flight request completes ...
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow");
  EXPECT_EQ(r->header("connection"), "close");  // ... and is told the connection ends
  EXPECT_TRUE(idle.closed_by_peer());
  stopper.join();
  stop.store(true);
  for (auto& t : load) t.join();
  EXPECT_EQ(broken.load(), 0);
  EXPECT_GE(whole.load(), 200);
}

// Handlers still waiting when the drain deadline passes are cancelled by
// the runtime's teardown, off their worker: their connections' timers and
// I/O must be let go of from there, and every client sees the end.
TEST_P(ServerLimitsTest, TheDrainDeadlineCutsOffHandlersThatStillWait) {
  http::options o = opts(2);
  o.timeouts.drain = 100ms;
  auto srv = testing::start_test_server(o);
  http_conn streaming(srv->port()), sleeping(srv->port());
  ASSERT_TRUE(streaming.send("GET /stream-cut?then=wait HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(sleeping.send("GET /slow?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = streaming.read_reply(/*head_request=*/true);  // the stream has begun
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  srv->stop();  // returns: no abort, no hang
  EXPECT_TRUE(streaming.read_to_close());
  EXPECT_TRUE(sleeping.read_to_close());
  EXPECT_TRUE(sleeping.buffered().empty());  // cut off before any answer
}

// An event stream has no natural end, so a drain ends it: send_event()
// turns false and the stream closes with its last chunk, long before the
// drain deadline would cut it off unframed.
TEST_P(ServerLimitsTest, ADrainEndsEventStreamsCleanly) {
  http::options o = opts(1);
  o.timeouts.drain = 30s;
  auto srv = testing::start_test_server(o);
  http_conn c(srv->port());
  ASSERT_TRUE(c.send("GET /ticks?ms=5 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c.read_reply(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("content-type"), "text/event-stream");
  ASSERT_EQ(::shutdown(c.fd(), SHUT_WR), 0);  // no lingering close to wait out
  srv->stop();
  ASSERT_TRUE(c.read_to_close());
  const std::string& body = c.buffered();
  EXPECT_NE(body.find("data: 0\n\n"), std::string::npos);
  ASSERT_GE(body.size(), 5u);
  EXPECT_EQ(body.substr(body.size() - 5), "0\r\n\r\n") << "the stream ended without its last chunk";
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerLimitsTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
